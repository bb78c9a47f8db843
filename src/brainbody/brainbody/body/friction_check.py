"""The friction check: every arm joint swept at constant speeds both ways, so that the drives'
torque shows each joint's sliding friction and how it grows with speed, its Coulomb level and its
viscous coefficient (``/body/check_friction``).

During work the viscous part cannot be seen (``body/friction_identification.py`` identifies the
Coulomb level there). At the coffee task's speeds it is worth hundredths of a N m, less than
what the body's rigid-body model gets wrong along the same path. The check makes it observable:

- One joint at a time moves at each of ``SPEEDS_RADPS``, up and back over the same angles, while
  the others stand. The speeds run up and then down again (0.3, 0.6, 0.9, 0.9, 0.6, 0.3 rad/s),
  so a drift over the check counts the same at every speed: the motors warm, and their torque
  constant falls.
- At equal angles, half the difference between the torque going up and coming down is the
  friction at that speed. Gravity, the arm's other model errors and the drives' current offsets
  are the same both ways and cancel. The body's gravity model is taken off each sample first:
  a torque acts a little after the angle it was computed at was read, and on the shoulder's
  steep gravity that offset would otherwise show.
- The torques are averaged over whole motor revolutions (the gear ratio from the motor's
  datasheet), where the motor's cogging and the gear's once- and twice-per-turn friction
  ripple average out.
- After each ramp the joint's speed settles for a while, and the servo pushes on the link's and
  the rotor's inertia as it does. The first ``SETTLE_S`` at each speed is left out, and the
  inertia's torque (the body's model and the rotor's datasheet inertia, times the measured
  change of speed) comes off what remains. On the shoulder and the elbow this was the largest
  error: skipping 0.15 s at up to 1.2 rad/s left them 18-25 % high on two units in three;
  skipping 0.25 s at up to 0.9 rad/s, 11 %; with the inertia taken off as well, 6 %.
- A line through the friction at the three speeds gives both figures. Its intercept is the
  Coulomb level (motor and output bearing), and its slope is the viscous coefficient.

The torque is the one the body commands: the motor current times the datasheet's torque
constant, as the drive sees it. A constant off its datasheet therefore scales both figures (a
catalogue's few per cent). Like the drivetrain check, it is a maintenance routine run on request
with the hand empty. Each joint is swept about one of two poses where the whole motion keeps
inside the workspace box; ``test_friction_check`` checks this against the body's model. Every
point is checked like any joint trajectory (limits, workspace, speed) before the arm moves, and
the runtime monitor watches it as it watches everything.
"""
from __future__ import annotations

import enum
import math
from typing import Optional, Sequence

import numpy as np

from brainbody.exceptions import InvalidPrimitiveError

SPEEDS_RADPS = (0.3, 0.6, 0.9)
SWEEP_HALF_RAD = 0.45       # the constant-speed part of a pass, either side of the pose
ACCEL_RADPS2 = 6.0          # the ramps to and from each speed
SETTLE_S = 0.25             # left out at the start of each constant-speed part
TRANSFER_S = 2.5            # between poses (rest to rest)
MIN_SAMPLES = 50            # per speed and direction, else the joint gets no estimate
# Each joint is swept about one of two poses: the body's ready pose, and the same pose leaning
# forward (shoulder and wrist), where the elbow's and shoulder's sweeps keep the hand in the box.
READY_RAD = np.array([0.0, -math.pi / 4, 0.0, -3 * math.pi / 4, 0.0, math.pi / 2, math.pi / 4])
FORWARD_RAD = READY_RAD + np.array([0.0, 0.5, 0.0, 0.0, 0.0, 0.4, 0.0])
JOINT_POSES_RAD = (READY_RAD, FORWARD_RAD, READY_RAD, FORWARD_RAD, READY_RAD, FORWARD_RAD, READY_RAD)


class FrictionCheckState(enum.Enum):
    NONE = "none"                  # never run
    RUNNING = "running"
    DONE = "done"
    INTERRUPTED = "interrupted"    # the motion was replaced or stopped before its end


def sweep_range_rad(joint: int) -> tuple[float, float]:
    """Where joint ``joint`` (0-based) turns: the constant-speed part plus the fastest ramp."""
    centre = float(JOINT_POSES_RAD[joint][joint])
    reach = SWEEP_HALF_RAD + max(SPEEDS_RADPS) ** 2 / (2.0 * ACCEL_RADPS2)
    return centre - reach, centre + reach


def speed_order() -> tuple[float, ...]:
    """The speeds in the order they run: up, then down again."""
    return tuple(SPEEDS_RADPS) + tuple(reversed(SPEEDS_RADPS))


class _Plan:
    """Points (time, positions, velocities) and the constant-speed windows of the motion."""

    def __init__(self, q_start: np.ndarray):
        self.times = [0.0]
        self.points = [q_start.copy()]
        self.velocities = [np.zeros(7)]
        # (start, end, joint, speed index, direction index) on the motion's clock.
        self.windows: list[tuple[float, float, int, int, int]] = []

    def at(self, dt: float, q: np.ndarray, qd: np.ndarray) -> None:
        self.times.append(self.times[-1] + dt)
        self.points.append(np.array(q, dtype=float))
        self.velocities.append(np.array(qd, dtype=float))

    def transfer(self, q: np.ndarray) -> None:
        self.at(TRANSFER_S, q, np.zeros(7))

    def sweep(self, pose: np.ndarray, joint: int, lo: float, hi: float, speed: float, speed_index: int) -> None:
        """One pass each way between ``lo`` and ``hi``: ramp, constant ``speed``, ramp. Cubic
        Hermite points at the ramps' ends reproduce them exactly (quadratic, then linear)."""
        ramp = speed * speed / (2.0 * ACCEL_RADPS2)
        ramp_s, cruise_s = speed / ACCEL_RADPS2, (hi - lo - 2.0 * ramp) / speed
        for direction, (a, b) in enumerate(((lo, hi), (hi, lo))):
            sign = 1.0 if b > a else -1.0
            q, qd = pose.copy(), np.zeros(7)
            q[joint], qd[joint] = a + sign * ramp, sign * speed
            self.at(ramp_s, q, qd)
            start = self.times[-1]
            q = q.copy()
            q[joint] = b - sign * ramp
            self.at(cruise_s, q, qd)
            self.windows.append((start + SETTLE_S, self.times[-1], joint, speed_index, direction))
            q = q.copy()
            q[joint] = b
            self.at(ramp_s, q, np.zeros(7))


def friction_check_trajectory(q_start_rad: np.ndarray) -> tuple[list[float], list[np.ndarray], list[np.ndarray],
                                                                 list[tuple[float, float, int, int, int]]]:
    """Times (s from now), joint positions and velocities of the check from ``q_start_rad`` and
    back to it, and its windows: (start, end, joint, speed index, direction 0 up / 1 down)."""
    q_start = np.asarray(q_start_rad, dtype=float)
    plan = _Plan(q_start)
    for joint, pose in enumerate(JOINT_POSES_RAD):
        lo, hi = sweep_range_rad(joint)
        at_lo = pose.copy()
        at_lo[joint] = lo
        plan.transfer(at_lo)
        for speed in speed_order():
            plan.sweep(pose, joint, lo, hi, speed, SPEEDS_RADPS.index(speed))
    plan.transfer(q_start)
    return plan.times, plan.points, plan.velocities, plan.windows


class FrictionCheck:
    """The check's bookkeeping: its motion's windows, the torques in them, and the result.

    Args:
        model: the body's robot model (its gravity and inertia are taken off each sample).
        gear_ratios: each arm joint's gear ratio, from the motors' datasheets (7,).
        rotor_inertia_kgm2: each motor's rotor inertia reflected to its joint (7,).

    Attributes:
        coulomb_nm, viscous_nms_per_rad: the last completed check's estimates (7,), NaN where
            it gave none (never run, or too few samples on a joint).
    """

    def __init__(self, model, gear_ratios: Sequence[float], rotor_inertia_kgm2: Sequence[float]):
        ratios = np.asarray(gear_ratios, dtype=float)
        if ratios.shape != (7,) or not np.all(np.isfinite(ratios)) or np.any(ratios <= 0.0):
            raise ValueError(f"friction check: need 7 positive gear ratios, got {gear_ratios!r}")
        rotor = np.asarray(rotor_inertia_kgm2, dtype=float)
        if rotor.shape != (7,) or not np.all(np.isfinite(rotor)) or np.any(rotor < 0.0):
            raise ValueError(f"friction check: need 7 rotor inertias >= 0, got {rotor_inertia_kgm2!r}")
        self._model = model
        # Each swept joint's inertia about its own axis at its pose (the others stand, so it
        # stays the same over the sweep), its rotor's included.
        unit = np.eye(7)
        self._inertia = np.array([model.inverse_dynamics_nm(pose, np.zeros(7), unit[j])[j] - model.gravity_nm(pose)[j]
                                  for j, pose in enumerate(JOINT_POSES_RAD)]) + rotor
        self._last: Optional[tuple[int, float, float]] = None    # window, time, speed of the last sample
        revolution = 2.0 * math.pi / ratios
        # Per joint, the angles averaged over: whole motor revolutions about the pose, inside
        # what every speed's settled part covers.
        usable = 2.0 * (SWEEP_HALF_RAD - max(SPEEDS_RADPS) * SETTLE_S)
        half = 0.5 * np.floor(usable / revolution) * revolution
        centre = np.array([pose[j] for j, pose in enumerate(JOINT_POSES_RAD)])
        self._interval = np.stack([centre - half, centre + half], axis=1)     # (7, 2)
        self._windows: list[tuple[float, float, int, int, int]] = []
        self._next = 0
        self._origin_s = 0.0
        self._sum = np.zeros((7, len(SPEEDS_RADPS), 2))
        self._count = np.zeros((7, len(SPEEDS_RADPS), 2), dtype=int)
        self.state = FrictionCheckState.NONE
        self.coulomb_nm = np.full(7, np.nan)
        self.viscous_nms_per_rad = np.full(7, np.nan)
        self.friction_at_speeds_nm = np.full((7, len(SPEEDS_RADPS)), np.nan)
        self.message = "never run: /body/check_friction with the hand empty"

    @property
    def running(self) -> bool:
        return self.state is FrictionCheckState.RUNNING

    def plan(self, q_start_rad: np.ndarray, now_s: float, holding: Optional[str]) -> tuple[
            list[float], list[np.ndarray], list[np.ndarray]]:
        """The check's motion (times from ``now_s`` on the trajectory's clock, positions,
        velocities) from ``q_start_rad``, and start collecting.

        Raises:
            InvalidPrimitiveError: an object in the hand (the sweeps are fast: it would be flung).
        """
        if holding is not None:
            raise InvalidPrimitiveError(f"friction check: the hand holds {holding!r}; put it down first "
                                        f"(the sweeps reach {max(SPEEDS_RADPS):g} rad/s)")
        times, points, velocities, windows = friction_check_trajectory(q_start_rad)
        self._windows, self._next, self._origin_s = windows, 0, float(now_s)
        self._last = None
        self._sum[:] = 0.0
        self._count[:] = 0
        self.state = FrictionCheckState.RUNNING
        self.message = f"running: {len(SPEEDS_RADPS)} speeds each way on every joint, {times[-1]:.0f} s"
        return times, points, velocities

    def add(self, trajectory_time_s: float, q_rad: np.ndarray, qd_radps: np.ndarray, torque_nm: np.ndarray) -> None:
        """One tick's measured joint angles and speeds and commanded arm torque at the check's
        trajectory time."""
        t = trajectory_time_s - self._origin_s
        windows = self._windows
        while self._next < len(windows) and t >= windows[self._next][1]:
            self._next += 1
        if self._next >= len(windows) or t < windows[self._next][0]:
            return
        _, _, joint, speed, direction = windows[self._next]
        lo, hi = self._interval[joint]
        last, self._last = self._last, (self._next, t, float(qd_radps[joint]))
        if not lo <= q_rad[joint] < hi or last is None or last[0] != self._next or not t > last[1]:
            return
        # The joint's speed still settling after the ramp: its inertia's torque comes off. The
        # accelerations of successive samples sum to the window's change of speed, so only the
        # ends' speeds count, and their noise with them.
        acceleration = (qd_radps[joint] - last[2]) / (t - last[1])
        self._sum[joint, speed, direction] += (torque_nm[joint] - self._model.gravity_nm(q_rad)[joint]
                                               - self._inertia[joint] * acceleration)
        self._count[joint, speed, direction] += 1

    def abandon(self, why: str) -> None:
        """The motion did not run to its end: nothing is concluded (the last result stays)."""
        self.state = FrictionCheckState.INTERRUPTED
        self.message = f"interrupted: {why}"

    def finish(self) -> None:
        """The motion ended: per joint, the friction at each speed and the line through them."""
        complete = np.all(self._count >= MIN_SAMPLES, axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self._sum / self._count
        friction = 0.5 * (mean[:, :, 0] - mean[:, :, 1])
        regressor = np.stack([np.ones(len(SPEEDS_RADPS)), np.asarray(SPEEDS_RADPS)], axis=1)
        coulomb, viscous = np.full(7, np.nan), np.full(7, np.nan)
        for j in np.flatnonzero(complete):
            coulomb[j], viscous[j] = np.linalg.lstsq(regressor, friction[j], rcond=None)[0]
        self.friction_at_speeds_nm = np.where(complete[:, None], friction, np.nan)
        self.coulomb_nm, self.viscous_nms_per_rad = coulomb, viscous
        self.state = FrictionCheckState.DONE
        missing = [j + 1 for j in range(7) if not complete[j]]
        self.message = ("done" if not missing else
                        f"done; too few samples on joint(s) {missing} (no estimate there)")
