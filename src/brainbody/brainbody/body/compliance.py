"""Gear compliance compensation: the twist a transmitted torque causes, added to the
motor set-point so the link, not the motor, lands on target.

Strain-wave gears stiffen with load (catalogues give K1 up to T1, K2 up to T2, K3
beyond); the deflection is the inverse of that piecewise-linear torque curve, using the
body's own stiffness estimates.
"""
from __future__ import annotations

import math

import numpy as np

from brainbody.body.drivetrain_estimates import DrivetrainEstimates
from brainbody.jit import kernel, records

# One joint's compliance curve, as the compiled servo reads it: compliance (1/K) drops at T1
# and again at T2, a sum of ramps.
COMPLIANCE_PARAMS = np.dtype([("c1", "f8"), ("drop1", "f8"), ("drop2", "f8"), ("t1", "f8"), ("t2", "f8")])


@kernel
def joint_deflection_rad(p, torque):
    """One joint's elastic twist, signed like ``torque`` (``p``: its :data:`COMPLIANCE_PARAMS` record)."""
    t = abs(torque)
    d = p.c1 * t - p.drop1 * max(t - p.t1, 0.0) - p.drop2 * max(t - p.t2, 0.0)
    return math.copysign(d, torque)


@kernel
def _deflection(params, torque):
    return np.array([joint_deflection_rad(params[i], torque[i]) for i in range(params.shape[0])])


class ComplianceCompensation:
    """The body's estimate of each gear's twist under load; ``params`` (:data:`COMPLIANCE_PARAMS`)
    for the compiled servo."""

    def __init__(self, estimates: DrivetrainEstimates):
        k1, k2, k3 = estimates.stiffness_k_nm_per_rad
        p = self.params = records(len(k1), COMPLIANCE_PARAMS)
        p["t1"], p["t2"] = estimates.stiffness_t_nm
        p["c1"] = 1.0 / k1
        p["drop1"] = 1.0 / k1 - 1.0 / k2
        p["drop2"] = 1.0 / k2 - 1.0 / k3

    @property
    def first_breakpoint_nm(self) -> np.ndarray:
        """T1 per joint: up to it the estimated twist is linear in the torque (K1)."""
        return self.params["t1"].copy()

    def deflection_rad(self, torque_nm: np.ndarray) -> np.ndarray:
        """Elastic twist (7,), signed like the torque, outside any backlash."""
        return _deflection(self.params, np.asarray(torque_nm, dtype=float))
