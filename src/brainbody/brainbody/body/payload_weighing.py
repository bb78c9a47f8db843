"""Weighing the hand's load with the drives: a short motion at a fixed pose whose mean joint
torques, against the same motion with the hand empty (the tare), are the load's weight.

At rest a joint's torque says little about a load: its friction may sit anywhere in the
stiction band, about +/-1 N m on the shoulder, which is the weight of 0.2 kg half a metre out.
Moved back and forth over the same angles, whole periods at a time, each joint's friction
opposes the motion one way and then the other and its mean cancels; so do the inertial torques
(the motion is periodic) and the position-dependent ripple and cogging (the same angles are
covered each time). What the mean keeps is gravity at the pose, and a little centrifugal torque
that is the same every time the motion is run. Against the tare, taken with the hand empty,
whatever the body's model gets wrong about the arm and the hand cancels too (link masses off
their datasheet, a bracket nobody entered, the drives' current offsets), and the difference is
the load's own gravity torque:

    dtau = g0 * (m * J_z(q) + [-w_j,y, w_j,x] . (m c))

``J_z``: the TCP Jacobian's vertical row; ``w_j``: joint j's axis in the world; ``c``: the load's
centre of mass from the TCP, horizontally (with the hand pointing down, a vertical offset loads
no joint). Least squares over the seven joints gives the mass and that offset.

Like industrial robots' load-data routines, it runs on request (``/body/weigh_payload``), not
during work: every joint moves a little about a pose (``AMPLITUDE_RAD``, ``CYCLES`` periods of
``PERIOD_S``, each starting and ending at rest; each joint one way or the other, whichever keeps
the hand stillest) and the arm comes back to where it was. With the
hand empty it tares at the pose it is at; holding an object, it weighs at the tare's pose, which
must be near (within ``POSE_TOLERANCE_RAD`` on every joint: the arm moves there and back). Take
the tare where the object will be weighed, shortly before: above an object before grasping it
is where the arm is again after lifting it. The torque is the one the body commands (the motor
current times the datasheet's torque constant, as the drive sees it), so a torque constant off
its datasheet weighs off by as much (a catalogue's few per cent), and so does the constant's
drift with the magnets' temperature between tare and weighing (about -0.1 %/C of the joint's
whole torque). The result's standard deviation carries both: the drift from the body's thermal
estimate (the fit leans on the joints it disturbs least) and the catalogue's tolerance.
"""
from __future__ import annotations

import enum
import itertools
import math
from typing import Optional

import numpy as np

from brainbody.body.payload_identification import STANDARD_GRAVITY_MPS2
from brainbody.exceptions import InvalidPrimitiveError

AMPLITUDE_RAD = 0.04       # each joint's excursion (one way: 1 - cos bumps from the pose)
PERIOD_S = 1.5
CYCLES = 4
SETTLE_S = 0.5             # at the pose before the motion (the servo's integrators settle)
TRANSFER_SPEED_RADPS = 0.1  # to the tare's pose and back: the farthest joint at about this speed ...
MIN_TRANSFER_S = 0.5       # ... taking at least this long
POSE_TOLERANCE_RAD = 0.2   # how near the tare's pose a weighing must start
POINTS_PER_PERIOD = 40
MIN_OFFSET_MASS_KG = 0.02  # a lighter load's centre of mass is not reported (too little signal)
NOISE_FLOOR_NM = 0.002     # what a mean torque is known to, whatever the temperature (noise, cogging left)
KT_DRIFT_PER_C = 0.0012    # NdFeB magnets: the torque constant falls about 0.11-0.12 %/C
KT_TOLERANCE_SD = 0.029    # a frameless kit catalogue's +/-5 % torque constant, as one standard deviation


class WeighingState(enum.Enum):
    NONE = "none"                  # never run
    RUNNING = "running"
    TARED = "tared"                # the last run had the hand empty: the tare
    WEIGHED = "weighed"            # the last run weighed a held object
    INTERRUPTED = "interrupted"    # the motion was replaced or stopped before its end


def motion_signs(model, pose_rad: np.ndarray) -> np.ndarray:
    """Which way each joint moves (+1 or -1, joint 1 always +1): the combination that moves
    the TCP least at ``pose_rad`` (with every joint moving the same way the hand sweeps
    several centimetres; the best of the 64 about one), its tilt counted at 0.1 m a radian."""
    jacobian = model.tcp_jacobian(np.asarray(pose_rad, dtype=float))
    best, best_cost = None, math.inf
    for rest in itertools.product((1.0, -1.0), repeat=6):
        signs = np.array((1.0, *rest))
        cost = float(np.linalg.norm(jacobian[:3] @ signs) + 0.1 * np.linalg.norm(jacobian[3:] @ signs))
        if cost < best_cost:
            best, best_cost = signs, cost
    return best


def weighing_trajectory(q_start_rad: np.ndarray, pose_rad: np.ndarray, signs: np.ndarray) -> tuple[
        list[float], list[np.ndarray], list[np.ndarray], tuple[float, float]]:
    """Times (s from now), joint positions and velocities of the routine from ``q_start_rad``
    and back (each joint moving the way ``signs`` says), and the window (s from now) whose
    torques are averaged: the whole periods of the motion. The velocities are given (the
    motion's own, at rest at each end of a transfer): the finite differences a trajectory takes
    by default would carry the return transfer's speed into the motion's last points."""
    q_start, pose = np.asarray(q_start_rad, dtype=float), np.asarray(pose_rad, dtype=float)
    amplitude = AMPLITUDE_RAD * np.asarray(signs, dtype=float)
    transfer = max(MIN_TRANSFER_S, float(np.max(np.abs(pose - q_start))) / TRANSFER_SPEED_RADPS)
    rest = np.zeros(7)
    times, points = [0.0, transfer, transfer + SETTLE_S], [q_start.copy(), pose.copy(), pose.copy()]
    velocities = [rest, rest, rest]
    start = times[-1]
    omega = 2.0 * math.pi / PERIOD_S
    for k in range(1, CYCLES * POINTS_PER_PERIOD + 1):
        t = k * PERIOD_S / POINTS_PER_PERIOD
        times.append(start + t)
        points.append(pose + amplitude * 0.5 * (1.0 - math.cos(omega * t)))
        velocities.append(amplitude * 0.5 * omega * math.sin(omega * t))
    end = times[-1]
    velocities[-1] = rest        # exactly at rest where the last period ends
    times.append(end + transfer)
    points.append(q_start.copy())
    velocities.append(rest)
    return times, points, velocities, (start, end)


def load_regressor(model, q_rad: np.ndarray) -> np.ndarray:
    """Joint torques (7, 3) per unit of [mass (kg), first moment x, y (kg m, world, from the
    TCP)] of a load held at ``q_rad`` (the body's :class:`RobotModel`)."""
    jacobian = model.tcp_jacobian(q_rad)
    return STANDARD_GRAVITY_MPS2 * np.stack([jacobian[2], -jacobian[4], jacobian[3]], axis=1)


class PayloadWeighing:
    """The routine's bookkeeping: its motion, the torques of its window, the tare and the result.

    Args:
        model: the body's robot model (the load's regressor at the weighing pose).
    """

    def __init__(self, model):
        self._model = model
        self.state = WeighingState.NONE
        self._window = (math.inf, math.inf)
        self._sum = np.zeros(7)
        self._magnet_sum = np.zeros(7)
        self._count = 0
        self._magnet_count = 0
        self._pose = self._start_pose = np.zeros(7)
        self._holding: Optional[str] = None
        self._signs = np.ones(7)
        # The tare: its pose, its motion's signs, its mean torques and its magnets' temperatures.
        self._tare: Optional[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = None
        self.tare_time_s = math.nan
        self.mass_kg = math.nan             # the held object's, from the last weighing
        self.mass_std_kg = math.nan
        self.offset_m = np.full(2, np.nan)  # its centre of mass from the TCP (x, y; world)
        self.fit_residual_nm = math.nan     # what the load's model leaves of the torque difference (rms)
        self.weighed_object: Optional[str] = None
        self.message = "never run: weigh once with the hand empty (the tare), then holding the object"

    @property
    def tared(self) -> bool:
        return self._tare is not None

    @property
    def running(self) -> bool:
        return self.state is WeighingState.RUNNING

    @property
    def tare_pose_rad(self) -> Optional[np.ndarray]:
        return None if self._tare is None else self._tare[0].copy()

    def plan(self, q_start_rad: np.ndarray, now_s: float, holding: Optional[str]) -> tuple[
            list[float], list[np.ndarray], list[np.ndarray]]:
        """The routine's motion (times from ``now_s`` on the trajectory's clock, positions,
        velocities) from ``q_start_rad``, and start collecting: a tare here with the hand
        empty, else a weighing of ``holding`` at the tare's pose.

        Raises:
            InvalidPrimitiveError: holding an object with no tare, or far from the tare's pose.
        """
        q_start = np.asarray(q_start_rad, dtype=float)
        if holding is None:
            pose, signs = q_start, motion_signs(self._model, q_start)
        elif self._tare is None:
            raise InvalidPrimitiveError(
                f"weigh payload: the hand holds {holding!r} but there is no tare: put it down and weigh the "
                "empty hand first, where the object will be weighed")
        else:
            pose, signs = self._tare[0], self._tare[1]     # the tare's motion again
            far = float(np.max(np.abs(pose - q_start)))
            if far > POSE_TOLERANCE_RAD:
                raise InvalidPrimitiveError(
                    f"weigh payload: the arm is {far:.2f} rad (joint {int(np.argmax(np.abs(pose - q_start))) + 1}) "
                    f"from where the tare was taken (within {POSE_TOLERANCE_RAD} rad on every joint): weigh "
                    "there, or put the object down and tare here")
        times, points, velocities, (start, end) = weighing_trajectory(q_start, pose, signs)
        self._window = (now_s + start, now_s + end)
        self._start_pose, self._signs = pose, signs
        self._pose = pose + AMPLITUDE_RAD * 0.5 * signs       # the motion's mean pose
        self._sum[:] = 0.0
        self._magnet_sum[:] = 0.0
        self._count = self._magnet_count = 0
        self._holding = holding
        self.state = WeighingState.RUNNING
        self.message = f"running: {'weighing ' + repr(holding) if holding else 'taring with the hand empty'}"
        return times, points, velocities

    def add(self, trajectory_time_s: float, torque_nm: np.ndarray, magnet_c: Optional[np.ndarray]) -> None:
        """One tick's commanded arm torque at the routine's trajectory time, and the magnets'
        estimated temperatures (None where the body estimates none)."""
        if self._window[0] <= trajectory_time_s < self._window[1]:
            self._sum += torque_nm
            self._count += 1
            if magnet_c is not None:
                self._magnet_sum += magnet_c
                self._magnet_count += 1

    def abandon(self, why: str) -> None:
        """The motion did not run to its end: nothing is concluded (the tare stays as it was)."""
        self.state = WeighingState.INTERRUPTED
        self.message = f"interrupted: {why}"

    def finish(self, time_s: float) -> None:
        """The motion ended: the window's mean torque becomes the tare or weighs the held object."""
        mean = self._sum / self._count if self._count else np.full(7, np.nan)
        if self._count < 10 or not np.all(np.isfinite(mean)):
            self.abandon(f"{self._count} torque samples in the motion's window")
            return
        magnets = (self._magnet_sum / self._magnet_count if self._magnet_count == self._count
                   else np.full(7, np.nan))
        if self._holding is None:
            self._tare = (self._start_pose, self._signs, mean, magnets)
            self.tare_time_s = float(time_s)
            self.state = WeighingState.TARED
            self.message = f"tared at {time_s:.1f} s (hand empty)"
            return
        _, _, tare_torque, tare_magnets = self._tare
        # Each joint's mean is known to the noise floor and to the torque constant's drift
        # with the magnets' estimated warming since the tare (the whole estimate, not a
        # correction by it: the estimate's early rise is itself uncertain by about as much).
        warming = np.nan_to_num(np.abs(magnets - tare_magnets), nan=0.0)
        sigma = np.hypot(NOISE_FLOOR_NM, KT_DRIFT_PER_C * warming * np.abs(mean))
        regressor = load_regressor(self._model, self._pose)
        difference = mean - tare_torque
        a, b = regressor / sigma[:, None], difference / sigma
        params, _, rank, _ = np.linalg.lstsq(a, b, rcond=None)
        if rank < 3:
            self.abandon("at this pose the joints cannot tell a load's mass from where it sits "
                         "(a singular arm): tare and weigh elsewhere")
            return
        covariance = np.linalg.inv(a.T @ a)
        self.mass_kg = float(params[0])
        # The fit's spread, and the torque constants' tolerance, which scales the whole result.
        self.mass_std_kg = float(math.hypot(math.sqrt(covariance[0, 0]), KT_TOLERANCE_SD * params[0]))
        self.offset_m = (params[1:] / params[0] if abs(params[0]) >= MIN_OFFSET_MASS_KG
                         else np.full(2, np.nan))
        self.fit_residual_nm = float(np.sqrt(np.mean((difference - regressor @ params) ** 2)))
        self.weighed_object = self._holding
        self.state = WeighingState.WEIGHED
        self.message = (f"weighed {self._holding!r} at {time_s:.1f} s: {self.mass_kg:.4f} "
                        f"+/- {self.mass_std_kg:.4f} kg")
