"""The drivetrain check: a joint motion that turns the load on every gear stage both ways, so
the two-encoder identification (``body/backlash_identification.py``) sees both flanks of
each gap.

In normal work the shoulder and elbow hold the arm up against gravity: their load never
changes sign and their lost motion is not observable. The check takes the arm to poses where
gravity barely loads one of them (the arm's centre of mass over the shoulder axis, then over
the elbow axis: under 0.2 N m on the Panda's model) and swings that joint, and the others
with it, a few times about the pose; the swing's inertia then pushes each gear both ways. A
maintenance routine, as on industrial robots: it runs on request (``/body/check_drivetrain``)
with the hand empty, and every pose and point is checked like any joint trajectory (limits,
workspace, speed) before the arm moves.

The check's own estimate (:class:`FlankFit`): on a flank the deflection (motor angle - link
angle) less the body's twist for the torque is the half gap plus the twist model's error. Both
flanks are fitted at once, as half the width signed by the flank plus a line in the torque (the
stiffness estimate's error, the same both ways), so a stiffness error drops out; the fit keeps
to loads below the body's first stiffness breakpoint (with a margin: a unit's own sits off the
datasheet's), where its twist model is a line too.

The torque is the drive's (``body/drive_torque.py``): the commanded torque less what the motor
itself takes (its friction at the measured speed, its rotor's acceleration). The model's
torque (rigid-body dynamics on the desired motion) was the first choice and is what position
mode still uses: on honest units its errors at light load (a link held by its bearing while the
model expects a torque, the servo's lag behind the plan, the arm's mass errors) reached 0.5-1
N m, a quarter of a precision gap on the big joints, and the check's estimate was up to 31 %
off (7.6 % now). Only samples with the motor moving count (standing, its friction sits anywhere
within the stiction band), and the fit carries a term in the direction of motion: the friction
estimate's error shifts the torque, and so the residual, the same way on both flanks. A sample
whose model torque names the other flank does not count either: a worn motor's extra friction
reads as gear load in the drive's torque near the swing's turns.
"""
from __future__ import annotations

from typing import Callable, Generator, Optional

import numpy as np

from brainbody.body.compliance import ComplianceCompensation
from brainbody.body.drive_torque import DriveTorque
from brainbody.body.robot_model import RobotModel

# Poses (rad) where the Panda's gravity torque is near zero on the shoulder (joint 2), then on
# the elbow (joint 4); test_drivetrain_check checks them against the body's model.
SHOULDER_FREE_RAD = np.array([0.0, -0.9, 0.0, -2.3, 0.0, 1.73, 0.785])
ELBOW_FREE_RAD = np.array([0.0, 0.9, 0.0, -2.4, 0.0, 0.25, 0.785])
# Which joints swing at each pose, and how far (rad); a swing is ``CYCLES`` periods of ``PERIOD_S``.
SWINGS = ((SHOULDER_FREE_RAD, ((1,), (0, 2, 6))), (ELBOW_FREE_RAD, ((3,), (4, 5))))
AMPLITUDE_RAD = np.array([0.15, 0.08, 0.15, 0.08, 0.2, 0.15, 0.3])
PERIOD_S = 1.0
CYCLES = 3
TRANSFER_S = 3.0
# The least share of a swing's torque (link inertia over link + rotor) that counts as loading a gear.
MIN_GEAR_SHARE = 0.2
# The fit keeps to loads below this share of the datasheet's first stiffness breakpoint: a unit's
# own breakpoint sits off the datasheet's (one unit's shoulder 14 % below it), and past it the
# twist bends away from the fit's line. On recorded checks of units 0-8 the worst error was 10.6 %
# at the breakpoint itself, 8.1-8.7 % at 0.85-0.95 of it, above 10 % from 0.8 down (fewer samples
# on the light joints).
BREAKPOINT_MARGIN = 0.9


def check_trajectory(q_start_rad: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
    """Times (s from now) and joint positions of the check, from ``q_start_rad`` and back to it."""
    q_start = np.asarray(q_start_rad, dtype=float)
    times, points = [0.0], [q_start.copy()]

    def at(dt: float, q: np.ndarray) -> None:
        times.append(times[-1] + dt)
        points.append(np.array(q, dtype=float))

    for pose, groups in SWINGS:
        at(TRANSFER_S, pose)
        for joints in groups:
            for _ in range(CYCLES):
                for sign in (1.0, 0.0, -1.0, 0.0):      # quarter periods: out, back, the other way, back
                    q = pose.copy()
                    q[list(joints)] += sign * AMPLITUDE_RAD[list(joints)]
                    at(PERIOD_S / 4.0, q)
    at(TRANSFER_S, q_start)
    return times, points


def loaded_joints(model: RobotModel, rotor_inertia_kgm2: np.ndarray) -> np.ndarray:
    """The joints whose gear the check's swings load (7, bool).

    A swing's torque is split between the link and the motor's rotor by their inertias; only
    the link's share crosses the gear. Where that share is under :data:`MIN_GEAR_SHARE` (the
    Panda's hand joint: 0.007 kg m2 of link against 0.105 of rotor, 6 %), the gear's torque is
    within the rotor inertia's own uncertainty and the check gives no estimate for it.
    """
    rotor = np.asarray(rotor_inertia_kgm2, dtype=float)
    loaded = np.zeros(len(rotor), dtype=bool)
    still = np.zeros(len(rotor))
    for pose, groups in SWINGS:
        gravity = model.gravity_nm(pose)
        for joints in groups:
            for j in joints:
                link = float((model.inverse_dynamics_nm(pose, still, np.eye(len(rotor))[j]) - gravity)[j])
                loaded[j] |= link / (link + rotor[j]) >= MIN_GEAR_SHARE
    return loaded


class FlankFit:
    """Lost motion per joint from the samples of one check.

    Each sample's gear torque is ``torque`` itself, or, given ``motor_friction`` (the body's
    motor-side friction at a speed) and ``rotor_inertia_kgm2``, the drive's commanded torque
    less those, with the motor's acceleration taken across ``accel_window`` samples centred on
    it. The residuals (motor - link - the body's twist) of both flanks are fitted at once over
    the loads that count (``min_load``..``max_load`` of the limit, capped below the first
    stiffness breakpoint by :data:`BREAKPOINT_MARGIN`) with the motor faster than
    ``min_speed_radps``: half the width signed by the flank, an offset, a slope in the torque
    and a term in the direction of motion.
    Samples beyond ``trim_sigma`` standard deviations are dropped and the fit repeated
    ``trim_passes`` times. NaN for a joint with fewer than ``min_samples`` on a flank, and for
    a joint not in ``joints`` (see :func:`loaded_joints`).

    Args:
        compliance: the body's stiffness estimate (its twist under a torque).
        torque_limit_nm: each joint's torque limit (7,); the load band scales with it.
    """

    def __init__(self, compliance: ComplianceCompensation, torque_limit_nm: np.ndarray,
                 motor_friction: Optional[Callable[[np.ndarray], np.ndarray]] = None,
                 rotor_inertia_kgm2: Optional[np.ndarray] = None, *,
                 min_load: float = 0.01, max_load: float = 0.3, min_speed_radps: float = 0.1,
                 joints: Optional[np.ndarray] = None, accel_window: int = 21, min_samples: int = 30,
                 trim_sigma: float = 2.0, trim_passes: int = 3):
        limit = np.asarray(torque_limit_nm, dtype=float)
        if not (0.0 < min_load < max_load) or min_samples < 3 or trim_sigma <= 0.0 or trim_passes < 0 \
                or min_speed_radps < 0.0:
            raise ValueError("need 0 < min_load < max_load, min_samples >= 3, trim_sigma > 0, trim_passes >= 0 "
                             "and min_speed_radps >= 0")
        if (motor_friction is None) != (rotor_inertia_kgm2 is None):
            raise ValueError("the drive's torque needs both the motor friction and the rotor inertia")
        self._compliance = compliance
        # Every tick's sample goes through it, a window's half late (``body/drive_torque.py``).
        self._drive = (None if motor_friction is None else
                       DriveTorque(motor_friction, rotor_inertia_kgm2, accel_window))
        self._lo = min_load * limit
        self._hi = np.minimum(max_load * limit, BREAKPOINT_MARGIN * compliance.first_breakpoint_nm)
        self.min_speed_radps = float(min_speed_radps)
        self._joints = np.ones(len(limit), dtype=bool) if joints is None else np.asarray(joints, dtype=bool)
        self.min_samples, self.trim_sigma, self.trim_passes = int(min_samples), float(trim_sigma), int(trim_passes)
        # Torque, residual and motor speed per sample, grown by doubling (a check is about 21,000 ticks).
        self._samples = np.empty((3, 4096, len(limit)))
        self._count = 0

    def add(self, time_s: float, q_motor_rad: np.ndarray, q_link_rad: np.ndarray, velocity_radps: np.ndarray,
            torque_nm: np.ndarray, model_torque_nm: Optional[np.ndarray] = None) -> None:
        """One control tick: both encoders, the motor's speed and the torque (the drive's
        command when the fit was given the motor's friction and inertia; else the gear's).
        Given ``model_torque_nm`` (the rigid-body model's gear torque on the desired motion), a
        sample counts only where it puts the load on the same flank as ``torque_nm``'s: a worn
        motor's friction, more than the body's estimate, shifts the drive's torque at the
        swing's turns by as much as the light load there, and such a sample sits on the other
        flank from the one its torque names (on a unit with twice the lost motion and 1.6
        times the friction, the shoulder read 10 % low without this rule, 1 % with it)."""
        model: Optional[np.ndarray] = None
        if self._drive is None:
            q_motor, q_link = np.asarray(q_motor_rad, dtype=float), np.asarray(q_link_rad, dtype=float)
            velocity, torque = np.asarray(velocity_radps, dtype=float), np.asarray(torque_nm, dtype=float)
            if model_torque_nm is not None:
                model = np.asarray(model_torque_nm, dtype=float)
        else:
            out = self._drive.add(time_s, velocity_radps, torque_nm,
                                  (np.array(q_motor_rad, dtype=float), np.array(q_link_rad, dtype=float),
                                   None if model_torque_nm is None else np.array(model_torque_nm, dtype=float)))
            if out is None:
                return
            (q_motor, q_link, model), velocity, torque = out
        if self._count == self._samples.shape[1]:
            self._samples = np.concatenate([self._samples, np.empty_like(self._samples)], axis=1)
        row = self._samples[:, self._count]
        residual = q_motor - q_link - self._compliance.deflection_rad(torque)
        if model is not None:       # a NaN residual is left out of the fit
            residual = np.where(np.sign(model) == np.sign(torque), residual, np.nan)
        row[0], row[1], row[2] = torque, residual, velocity
        self._count += 1

    @property
    def samples(self) -> int:
        return self._count

    def width_rad(self) -> np.ndarray:
        """The fitted lost motion per joint (rad); NaN where a flank had too few samples."""
        steps = self.fitting()
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    def fitting(self) -> Generator[None, None, np.ndarray]:
        """:meth:`width_rad` in steps, one least-squares pass of one joint each (about a
        millisecond): a control loop takes a step a tick rather than stall one tick for the
        whole fit. Returns the widths when exhausted."""
        n = len(self._lo)
        torque, residual, speed = self._samples[:, :self._count]
        out = np.full(n, np.nan)
        for j in np.flatnonzero(self._joints):
            moving = np.abs(speed[:, j]) > self.min_speed_radps
            x, y, direction = torque[moving, j], residual[moving, j], np.sign(speed[moving, j])
            width = yield from self._fit_flanks(x, y, direction, j)
            if width is not None and width > 0.0:
                out[j] = width
        return out

    def _fit_flanks(self, torque: np.ndarray, residual: np.ndarray, direction: np.ndarray,
                    j: int) -> Generator[None, None, Optional[float]]:
        """Both flanks at once: the residual as the half width signed by the flank, an offset
        (the encoders' zeros), a slope in the torque (the stiffness error, the same both ways)
        and a term in the direction of motion (the friction estimate's error, which shifts the
        torque the same way on either flank). Yields after each pass; returns the width, None
        with too few samples on a flank."""
        load = np.abs(torque)
        use = (load > self._lo[j]) & (load < self._hi[j]) & np.isfinite(residual)
        x, y, d = torque[use], residual[use], direction[use]
        flank = np.sign(x)
        min_spread = 0.01 * (self._hi[j] - self._lo[j])
        keep = np.ones(x.size, dtype=bool)
        for _ in range(self.trim_passes + 1):
            if min(int(np.sum(keep & (flank > 0))), int(np.sum(keep & (flank < 0)))) < self.min_samples:
                return None
            columns = [flank, np.ones(x.size)]
            if float(np.std(np.abs(x[keep]))) > min_spread:
                columns.append(x)
            with_direction = min(int(np.sum(d[keep] > 0)), int(np.sum(d[keep] < 0))) >= self.min_samples // 3
            if with_direction:
                columns.append(d)
            design = np.column_stack(columns)
            coef = np.linalg.lstsq(design[keep], y[keep], rcond=None)[0]
            off = y - design @ coef
            scatter = float(np.std(off[keep]))
            if scatter == 0.0:
                break
            keep = np.abs(off) <= self.trim_sigma * scatter
            yield
        return 2.0 * float(coef[0])
