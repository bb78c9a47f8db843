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


class BacklashCompensation:
    """Motor set-point offset (7,) with its first two derivatives."""

    def __init__(self, estimates: DrivetrainEstimates, *, reversal_torque_nm: float, static_torque_nm: float,
                 min_speed_radps: float, takeup_s: float):
        self._half = 0.5 * estimates.backlash_rad
        self._threshold = float(reversal_torque_nm)
        self._static = float(static_torque_nm)
        self._min_speed = float(min_speed_radps)
        # Critically damped: settles to ~2% of a full swing in about takeup_s.
        self._w = 5.8 / max(float(takeup_s), 1e-3)
        self._w2, self._2w = self._w ** 2, 2.0 * self._w
        self.side = np.zeros(7)
        self._side_rate = np.zeros(7)
        self._target = np.zeros(7)
        self._started = False

    def update(self, transmitted_torque_nm: np.ndarray, desired_velocity_radps: np.ndarray, dt_s: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offset, offset rate and offset acceleration for this tick of ``dt_s`` seconds."""
        magnitude = np.abs(transmitted_torque_nm)
        threshold = np.where(np.abs(desired_velocity_radps) > self._min_speed, self._threshold, self._static)
        self._target = np.where(magnitude > threshold, np.sign(transmitted_torque_nm), self._target)
        if not self._started:
            # Start already on the loaded flank (the arm rests on it), not in the middle.
            self.side = self._target.copy()
            self._started = True
        accel = self._w2 * (self._target - self.side) - self._2w * self._side_rate
        self._side_rate = self._side_rate + accel * dt_s
        self.side = self.side + self._side_rate * dt_s
        half = self._half
        return half * self.side, half * self._side_rate, half * accel
