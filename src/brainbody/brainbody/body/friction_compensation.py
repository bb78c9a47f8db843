"""Friction feed-forward from the estimated Coulomb + viscous + Stribeck model.

Driven by the *desired* velocity, not the measured one: a feed-forward on a noisy
measured velocity chatters around zero speed, while the desired velocity is smooth and
exactly zero when the joint is meant to hold (then the PID integral deals with stiction).
"""
from __future__ import annotations

import numpy as np

from brainbody.body.drivetrain_estimates import DrivetrainEstimates


class FrictionCompensation:
    """Torque (7,) that cancels the estimated friction at a desired velocity."""

    def __init__(self, estimates: DrivetrainEstimates, smoothing_velocity_radps: float):
        self._fc = estimates.coulomb_nm
        self._excess = estimates.static_nm - estimates.coulomb_nm
        self._neg_inv_vs2 = -1.0 / estimates.stribeck_velocity_radps ** 2
        self._fv = estimates.viscous_nms_per_rad
        self._fout = estimates.output_coulomb_nm
        self._inv_eps = 1.0 / smoothing_velocity_radps

    def motor_side_nm(self, velocity_radps: np.ndarray) -> np.ndarray:
        """Friction the motor must overcome before torque reaches the gear."""
        v = velocity_radps
        return ((self._fc + self._excess * np.exp(v * v * self._neg_inv_vs2)) * np.tanh(v * self._inv_eps)
                + self._fv * v)

    def output_side_nm(self, velocity_radps: np.ndarray) -> np.ndarray:
        """Output-bearing friction; it loads the gear, so it also decides the backlash side."""
        return self._fout * np.tanh(velocity_radps * self._inv_eps)
