"""Gear compliance compensation: the twist a transmitted torque causes, added to the
motor set-point so the link, not the motor, lands on target.

Strain-wave gears stiffen with load (catalogues give K1 up to T1, K2 up to T2, K3
beyond); the deflection is the inverse of that piecewise-linear torque curve, using the
body's own stiffness estimates.
"""
from __future__ import annotations

import numpy as np

from brainbody.body.drivetrain_estimates import DrivetrainEstimates


class ComplianceCompensation:
    def __init__(self, estimates: DrivetrainEstimates):
        self._k1, self._k2, self._k3 = estimates.stiffness_k_nm_per_rad
        self._t1, self._t2 = estimates.stiffness_t_nm
        # Compliance (1/K) drops at T1 and again at T2: a sum of ramps, cheaper than branches.
        self._c1 = 1.0 / self._k1
        self._drop1 = 1.0 / self._k1 - 1.0 / self._k2
        self._drop2 = 1.0 / self._k2 - 1.0 / self._k3

    def deflection_rad(self, torque_nm: np.ndarray) -> np.ndarray:
        """Elastic twist (7,), signed like the torque, outside any backlash."""
        t = np.abs(torque_nm)
        d = (self._c1 * t - self._drop1 * np.maximum(t - self._t1, 0.0)
             - self._drop2 * np.maximum(t - self._t2, 0.0))
        return np.copysign(d, torque_nm)
