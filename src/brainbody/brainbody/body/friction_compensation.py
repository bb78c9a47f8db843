"""Friction feed-forward from the estimated Coulomb + viscous + Stribeck model.

Driven by the *desired* velocity, not the measured one: a feed-forward on a noisy
measured velocity chatters around zero speed, while the desired velocity is smooth and
exactly zero when the joint is meant to hold (then the PID integral deals with stiction).
"""
from __future__ import annotations

import math

import numpy as np

from brainbody.body.drivetrain_estimates import DrivetrainEstimates
from brainbody.jit import kernel, records

# One joint's friction estimate, as the compiled servo reads it.
FRICTION_PARAMS = np.dtype([("coulomb", "f8"), ("excess", "f8"), ("neg_inv_vs2", "f8"), ("viscous", "f8"),
                            ("output_coulomb", "f8"), ("inv_eps", "f8")])


@kernel
def joint_motor_side_nm(p, velocity):
    """Friction one joint's motor must overcome before torque reaches the gear (``p``: its
    :data:`FRICTION_PARAMS` record)."""
    v = velocity
    return (p.coulomb + p.excess * math.exp(v * v * p.neg_inv_vs2)) * math.tanh(v * p.inv_eps) + p.viscous * v


@kernel
def joint_output_side_nm(p, velocity):
    """One joint's output-bearing friction; it loads the gear, so it also decides the backlash side."""
    return p.output_coulomb * math.tanh(velocity * p.inv_eps)


@kernel
def _motor_side(params, velocity):
    return np.array([joint_motor_side_nm(params[i], velocity[i]) for i in range(params.shape[0])])


@kernel
def _output_side(params, velocity):
    return np.array([joint_output_side_nm(params[i], velocity[i]) for i in range(params.shape[0])])


class FrictionCompensation:
    """Torque (7,) that cancels the estimated friction at a desired velocity.

    ``params`` holds the estimate per joint (:data:`FRICTION_PARAMS`) for the compiled servo.
    """

    def __init__(self, estimates: DrivetrainEstimates, smoothing_velocity_radps: float):
        p = self.params = records(len(estimates.coulomb_nm), FRICTION_PARAMS)
        p["coulomb"] = estimates.coulomb_nm
        p["excess"] = estimates.static_nm - estimates.coulomb_nm
        p["neg_inv_vs2"] = -1.0 / estimates.stribeck_velocity_radps ** 2
        p["viscous"] = estimates.viscous_nms_per_rad
        p["output_coulomb"] = estimates.output_coulomb_nm
        p["inv_eps"] = 1.0 / smoothing_velocity_radps

    def motor_side_nm(self, velocity_radps: np.ndarray) -> np.ndarray:
        """Friction the motor must overcome before torque reaches the gear."""
        return _motor_side(self.params, np.asarray(velocity_radps, dtype=float))

    def output_side_nm(self, velocity_radps: np.ndarray) -> np.ndarray:
        """Output-bearing friction; it loads the gear, so it also decides the backlash side."""
        return _output_side(self.params, np.asarray(velocity_radps, dtype=float))
