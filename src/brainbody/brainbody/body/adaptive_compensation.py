"""Adaptive compensation: the friction and backlash compensators follow the online estimates.

The compensators start from the datasheet (``config/drivetrain_estimates.yaml``). As a unit
wears, its friction and lost motion grow away from it; the body identifies them online
(``body/friction_identification.py``, ``body/backlash_identification.py``). With
``adaptive_compensation`` on, each joint's compensation follows its estimate once there is
one:

- friction: the identified Coulomb level (motor and output bearing together, what the torque
  residual shows) scales the joint's Coulomb, Stribeck and output-bearing terms alike; the
  viscous term follows the friction check's estimate (``body/friction_check.py``) once a check
  has run, and stays the datasheet's until then (the online estimate is not good enough for
  it: up to 3x off in the benchmark);
- backlash: the identified lost motion replaces the datasheet's gap;
- torque: a joint whose motor is found demagnetised (``body/torque_constant.py``) has its
  commands scaled up by the share of torque it lost before they are written
  (:attr:`AdaptiveCompensation.torque_share`), so the joint gets the torque the servo asked.

A joint without an estimate (not observed yet, or not observable) keeps the datasheet's
values. Each estimate is bounded to ``[min_factor, max_factor]`` times the datasheet, so a
wrong estimate cannot make the compensation unboundedly wrong.
"""
from __future__ import annotations

import numpy as np

from brainbody.body.backlash import BacklashCompensation
from brainbody.body.drivetrain_estimates import DrivetrainEstimates
from brainbody.body.friction_compensation import FrictionCompensation


class AdaptiveCompensation:
    """Sets the compensators' parameters from identified values (call :meth:`follow`).

    Args:
        estimates: the datasheet values the compensators were built from.
        friction, backlash: the compensators whose parameters it sets.
        min_factor, max_factor: bounds on an estimate, as multiples of the datasheet value.
    """

    def __init__(self, estimates: DrivetrainEstimates, friction: FrictionCompensation,
                 backlash: BacklashCompensation, *, min_factor: float = 0.5, max_factor: float = 3.0):
        if not 0.0 < min_factor <= 1.0 <= max_factor:
            raise ValueError(f"need 0 < min_factor <= 1 <= max_factor, got {min_factor!r}, {max_factor!r}")
        self._friction, self._backlash = friction, backlash
        self.min_factor, self.max_factor = float(min_factor), float(max_factor)
        self._coulomb_total = np.asarray(estimates.coulomb_nm + estimates.output_coulomb_nm, dtype=float)
        self._new_friction = {key: friction.params[key].copy() for key in ("coulomb", "excess", "output_coulomb")}
        self._new_half_gap = backlash.joints["half_gap"].copy()
        self._new_viscous = friction.params["viscous"].copy()
        self.friction_factor = np.ones(len(self._coulomb_total))   # in use, per joint
        self.backlash_factor = np.ones(len(self._coulomb_total))
        self.viscous_factor = np.ones(len(self._coulomb_total))
        # The part of the torque written that reaches each joint (1: all, the datasheet's motor).
        self.torque_share = np.ones(len(self._coulomb_total))
        self.scales_torque = False          # whether any joint's share is under 1 (checked every tick)

    def follow(self, coulomb_nm: np.ndarray | None, lost_motion_rad: np.ndarray | None,
               viscous_nms_per_rad: np.ndarray | None = None, delivered_share: np.ndarray | None = None) -> None:
        """Take the latest estimates (7 each, NaN where there is none; None: no identifier).
        ``delivered_share``: of the torque written, the part each demagnetised joint delivers
        (at most 1: a motor is never taken as stronger than its sheet; under ``min_factor`` it
        is not used at all: more than the magnets can lose, so a drive misreporting its voltage,
        and scaling the command up by it would give the joint far more torque than asked)."""
        if coulomb_nm is not None:
            factor = self._factor(coulomb_nm, self._coulomb_total)
            if not np.array_equal(factor, self.friction_factor):
                self.friction_factor = factor
                for key, new in self._new_friction.items():
                    self._friction.params[key] = new * factor
        if lost_motion_rad is not None:
            factor = self._factor(np.asarray(lost_motion_rad, dtype=float) * 0.5, self._new_half_gap)
            if not np.array_equal(factor, self.backlash_factor):
                self.backlash_factor = factor
                self._backlash.joints["half_gap"] = self._new_half_gap * factor
        if viscous_nms_per_rad is not None:
            factor = self._factor(viscous_nms_per_rad, self._new_viscous)
            if not np.array_equal(factor, self.viscous_factor):
                self.viscous_factor = factor
                self._friction.params["viscous"] = self._new_viscous * factor
        if delivered_share is not None:
            share = np.asarray(delivered_share, dtype=float)
            usable = share >= self.min_factor        # False for NaN too
            self.torque_share = np.where(usable, np.minimum(share, 1.0), 1.0)
            self.scales_torque = bool((self.torque_share < 1.0).any())

    def _factor(self, estimate, datasheet: np.ndarray) -> np.ndarray:
        estimate = np.asarray(estimate, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = estimate / datasheet
        usable = np.isfinite(ratio) & (datasheet > 0.0)
        return np.where(usable, np.clip(ratio, self.min_factor, self.max_factor), 1.0)
