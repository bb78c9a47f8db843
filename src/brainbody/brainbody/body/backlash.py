"""Backlash compensation: a smooth backlash inverse driven by the transmitted torque.

With the encoder on the motor, the servo cannot see the gap between motor and link. The
link rests against the flank the transmitted torque pushes it onto, so the motor must
stand half a gap *ahead* in the direction of that torque. When the estimated torque
changes sign (a reversal, or gravity changing side), the motor set-point takes up the
gap: the side variable ``s`` in [-1, 1] follows the torque's sign through a critically
damped second-order filter, so the offset ``b/2 * s`` and its rate and acceleration are
smooth and the take-up can be fed forward.

The side changes only on evidence: while the joint is meant to move, a torque above a
small threshold; at rest or creeping, only a clear static load (gravity). The tail of a
move, where the estimated torque dithers around zero, would otherwise trigger take-ups
that knock a free-floating link across the gap; and a joint at rest never hunts.

A mis-estimated width costs only the difference (the link lands ``(b_est - b)/2``
off), never instability: the offset is a set-point shift, not a feedback term.
"""
from __future__ import annotations

import numpy as np

from brainbody.body.drivetrain_estimates import DrivetrainEstimates
from brainbody.jit import kernel, records

# One joint's take-up: its half gap and the filter's gains (parameters), then the side
# variable with its rate and target (state), as the compiled servo reads them. One record for
# both: the servo's kernel takes it as one argument (each record argument costs a call about
# 0.15 us of numba's type dispatch).
BACKLASH_JOINT = np.dtype([("half_gap", "f8"), ("reversal_torque", "f8"), ("static_torque", "f8"),
                           ("min_speed", "f8"), ("w2", "f8"), ("two_w", "f8"),
                           ("target", "f8"), ("side", "f8"), ("side_rate", "f8"), ("started", "b1")])


@kernel
def joint_take_up(j, torque, velocity, dt):
    """One control period of one joint (``j``: a :data:`BACKLASH_JOINT` record, its state
    advanced in place): the offset, its rate and its acceleration."""
    p = s = j
    # The side changes only on evidence: moving, a torque above the reversal threshold; at
    # rest, a clear static load.
    threshold = p.reversal_torque if abs(velocity) > p.min_speed else p.static_torque
    if abs(torque) > threshold:
        s.target = np.sign(torque)
    if not s.started:
        # Start already on the loaded flank (the arm rests on it), not in the middle.
        s.side = s.target
        s.started = True
    accel = p.w2 * (s.target - s.side) - p.two_w * s.side_rate
    s.side_rate += accel * dt
    s.side += s.side_rate * dt
    return p.half_gap * s.side, p.half_gap * s.side_rate, p.half_gap * accel


@kernel
def _take_up(joints, torque, velocity, dt):
    n = joints.shape[0]
    offset, rate, accel = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        offset[i], rate[i], accel[i] = joint_take_up(joints[i], torque[i], velocity[i], dt)
    return offset, rate, accel


class BacklashCompensation:
    """Motor set-point offset (7,) with its first two derivatives.

    ``joints`` (:data:`BACKLASH_JOINT`) is read and advanced by the compiled servo.
    """

    def __init__(self, estimates: DrivetrainEstimates, *, reversal_torque_nm: float, static_torque_nm: float,
                 min_speed_radps: float, takeup_s: float):
        p = self.joints = records(len(estimates.backlash_rad), BACKLASH_JOINT)
        p["half_gap"] = 0.5 * estimates.backlash_rad
        p["reversal_torque"] = float(reversal_torque_nm)
        p["static_torque"] = float(static_torque_nm)
        p["min_speed"] = float(min_speed_radps)
        # Critically damped: settles to ~2% of a full swing in about takeup_s.
        w = 5.8 / max(float(takeup_s), 1e-3)
        p["w2"], p["two_w"] = w ** 2, 2.0 * w

    @property
    def side(self) -> np.ndarray:
        """Which flank each joint is taken up against, -1..1."""
        return self.joints["side"].copy()

    def update(self, transmitted_torque_nm: np.ndarray, desired_velocity_radps: np.ndarray, dt_s: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offset, offset rate and offset acceleration for this tick of ``dt_s`` seconds."""
        return _take_up(self.joints, np.asarray(transmitted_torque_nm, dtype=float),
                        np.asarray(desired_velocity_radps, dtype=float), float(dt_s))
