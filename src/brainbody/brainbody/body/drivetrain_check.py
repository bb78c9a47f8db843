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

The check's own estimate (:class:`FlankFit`, what the wear record takes) is not the running
flank means: on a flank the deflection less the body's twist model is the half gap plus the
twist model's error, and that error grows with the load (a stiffness a few per cent off is a
few tenths of an arcmin at a tenth of the torque limit, as much as a precision gap). A mean
over the loads of the swing carries it as a fixed offset on every check of the unit, and a
ratio to the first check then grows faster than the gap (twice as fast on an honest unit's
elbow). A straight line through each flank's residuals against the torque, taken at zero
torque, leaves the error out; samples far off the line (the link crossing the gap while the
torque estimate says it is loaded) are trimmed before the last fit.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from brainbody.body.compliance import ComplianceCompensation

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


class FlankFit:
    """Lost motion per joint from the samples of one check: each flank's residual (motor
    angle - link angle - the body's twist for the torque) fitted by a line in the torque over
    the loads that count (``min_load``..``max_load`` of the joint's limit), outliers beyond
    ``trim_sigma`` standard deviations dropped and refitted ``trim_passes`` times; the width is
    the difference of the two lines at zero torque. NaN for a joint with fewer than
    ``min_samples`` on a flank.

    Args:
        compliance: the body's stiffness estimate (its twist under a torque).
        torque_limit_nm: each joint's torque limit (7,); the load band scales with it.
    """

    def __init__(self, compliance: ComplianceCompensation, torque_limit_nm: np.ndarray, *,
                 min_load: float = 0.01, max_load: float = 0.3, min_samples: int = 30,
                 trim_sigma: float = 2.0, trim_passes: int = 3):
        limit = np.asarray(torque_limit_nm, dtype=float)
        if not (0.0 < min_load < max_load) or min_samples < 3 or trim_sigma <= 0.0 or trim_passes < 0:
            raise ValueError("need 0 < min_load < max_load, min_samples >= 3, trim_sigma > 0, trim_passes >= 0")
        self._compliance = compliance
        self._lo, self._hi = min_load * limit, max_load * limit
        self.min_samples, self.trim_sigma, self.trim_passes = int(min_samples), float(trim_sigma), int(trim_passes)
        self._torque: list[np.ndarray] = []
        self._residual: list[np.ndarray] = []

    def add(self, q_motor_rad: np.ndarray, q_link_rad: np.ndarray, torque_nm: np.ndarray) -> None:
        """One sample: both encoders and the torque the gear transmits (the servo's estimate)."""
        torque = np.asarray(torque_nm, dtype=float)
        residual = (np.asarray(q_motor_rad, dtype=float) - np.asarray(q_link_rad, dtype=float)
                    - self._compliance.deflection_rad(torque))
        self._torque.append(torque.copy())
        self._residual.append(residual)

    @property
    def samples(self) -> int:
        return len(self._torque)

    def width_rad(self) -> np.ndarray:
        """The fitted lost motion per joint (rad); NaN where a flank had too few samples."""
        n = len(self._lo)
        if not self._torque:
            return np.full(n, np.nan)
        torque, residual = np.array(self._torque), np.array(self._residual)
        out = np.full(n, np.nan)
        for j in range(n):
            plus = self._flank_at_zero(torque[:, j], residual[:, j], +1.0, j)
            minus = self._flank_at_zero(torque[:, j], residual[:, j], -1.0, j)
            if plus is not None and minus is not None:
                out[j] = plus - minus
        return out

    def _flank_at_zero(self, torque: np.ndarray, residual: np.ndarray, sign: float, j: int) -> Optional[float]:
        load = sign * torque
        use = (load > self._lo[j]) & (load < self._hi[j]) & np.isfinite(residual)
        x, y = torque[use], residual[use]
        # Loads bunched together give no slope to trust: then the flank's mean (slope 0).
        min_spread = 0.01 * (self._hi[j] - self._lo[j])
        keep = np.ones(x.size, dtype=bool)
        for _ in range(self.trim_passes + 1):
            if keep.sum() < self.min_samples:
                return None
            xk, yk = x[keep], y[keep]
            x_mean, y_mean = float(xk.mean()), float(yk.mean())
            spread = float(np.std(xk))
            slope = (float(np.dot(xk - x_mean, yk - y_mean)) / (spread * spread * xk.size)
                     if spread > min_spread else 0.0)
            intercept = y_mean - slope * x_mean
            off = y - (intercept + slope * x)
            scatter = float(np.std(off[keep]))
            if scatter == 0.0:
                break
            keep = np.abs(off) <= self.trim_sigma * scatter
        return float(intercept)
