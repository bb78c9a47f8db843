"""Reducer wear, plant side: the gear stages age with the load cycles they carry.

Each geared joint uses up its reducer's rated life by the law gear makers publish for rated
life (the L10 of a strain-wave or planetary stage): at output torque ``T`` and speed ``n``

    life = rated_life * (rated_torque / T)^3 * (rated_speed / n)

so a second at ``(T, n)`` uses ``(T / rated_torque)^3 * (n / rated_speed) / rated_life`` of it.
A reducer standing still, or turning unloaded, does not wear. As its life is used, the teeth
and bearings wear and the stage loosens: its lost motion grows from new to
``lost_motion_at_end`` times new at the end of its rated life (linear in the life used,
continuing past it) and its friction (motor-side Coulomb, static and viscous) grows by
``friction_growth_at_end`` of its new value. ``acceleration`` makes the life pass that many
times faster, for soaks that age a robot in an hour.

Written apart from the body (``body/wear_monitor.py`` only sees the lost motion its own
identification measures from the encoders). :meth:`ReducerWear.ground_truth` is for tests
and benchmarks only.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np

from brainbody.jit import kernel


@dataclasses.dataclass(frozen=True)
class ReducerWearConfig:
    """How the simulated reducers age.

    Attributes:
        enabled: False: reducers stay as built.
        rated_life_h: the life at rated torque and speed (h).
        rated_torque_frac: the rated output torque as a fraction of each joint's torque limit.
        rated_speed_radps: the rated output speed (rad/s).
        acceleration: life passes this many times faster (1: real time).
        lost_motion_at_end: lost motion at the end of the rated life, in units of the new one.
        friction_growth_at_end: friction at the end of the rated life is ``1 +`` this times new.
        life_used: the fraction of the rated life each joint's reducer has already used (7).
    """

    enabled: bool = False
    rated_life_h: float = 6000.0
    rated_torque_frac: float = 0.3
    rated_speed_radps: float = 1.0
    acceleration: float = 1.0
    lost_motion_at_end: float = 3.0
    friction_growth_at_end: float = 0.5
    life_used: tuple = (0.0,) * 7

    def __post_init__(self):
        checks = (("rated_life_h", self.rated_life_h, 0.0, math.inf), ("rated_torque_frac", self.rated_torque_frac, 0.0, 1.0),
                  ("rated_speed_radps", self.rated_speed_radps, 0.0, math.inf),
                  ("acceleration", self.acceleration, 0.0, math.inf))
        for name, value, low, high in checks:
            if not (math.isfinite(value) and low < value <= high):
                raise ValueError(f"{name} must be in ({low:g}, {high:g}], got {value!r}")
        if not (math.isfinite(self.lost_motion_at_end) and self.lost_motion_at_end >= 1.0):
            raise ValueError(f"lost_motion_at_end must be >= 1 (the gap does not close), got {self.lost_motion_at_end!r}")
        if not (math.isfinite(self.friction_growth_at_end) and self.friction_growth_at_end >= 0.0):
            raise ValueError(f"friction_growth_at_end must be >= 0, got {self.friction_growth_at_end!r}")
        used = tuple(self.life_used)
        if len(used) != 7 or not all(math.isfinite(u) and u >= 0.0 for u in used):
            raise ValueError(f"life_used needs 7 fractions >= 0, got {self.life_used!r}")


@kernel
def _use_life(life_used, torque, speed, rated_torque, per_second, dt):
    """Adds one step's share of the rated life to ``life_used`` (per joint)."""
    for i in range(life_used.shape[0]):
        load = abs(torque[i]) / rated_torque[i]
        life_used[i] += load * load * load * abs(speed[i]) * per_second * dt


class ReducerWear:
    """The life used by each arm joint's reducer, and what that does to it.

    Args:
        config: the wear law and the reducers' age.
        torque_limit_nm: each joint's torque limit (7,); the rated torque scales with it.
        geared: which of the 7 joints have a reducer (a rigid joint never wears).
    """

    def __init__(self, config: ReducerWearConfig, torque_limit_nm: np.ndarray, geared: Sequence[bool]):
        self.config = config
        self.geared = np.asarray(geared, dtype=bool)
        self.rated_torque_nm = config.rated_torque_frac * np.asarray(torque_limit_nm, dtype=float)
        self.life_used = np.array(config.life_used, dtype=float) * self.geared
        self._per_second = config.acceleration / (config.rated_life_h * 3600.0 * config.rated_speed_radps)
        self._torque = np.zeros(7)

    def step(self, transmitted_torque_nm: np.ndarray, output_speed_radps: np.ndarray, dt_s: float) -> None:
        """One physics step at these torques (7; 0 on rigid joints) and speeds."""
        if self.config.enabled:
            _use_life(self.life_used, transmitted_torque_nm, output_speed_radps, self.rated_torque_nm,
                      self._per_second, float(dt_s))

    @property
    def lost_motion_factor(self) -> np.ndarray:
        """Lost motion now over new, per joint."""
        return 1.0 + (self.config.lost_motion_at_end - 1.0) * self.life_used

    @property
    def friction_factor(self) -> np.ndarray:
        """Friction now over new, per joint."""
        return 1.0 + self.config.friction_growth_at_end * self.life_used

    def life_to_factor(self, factor: float) -> np.ndarray:
        """The life fraction at which the lost motion reaches ``factor`` times new (7)."""
        return np.full(7, (factor - 1.0) / (self.config.lost_motion_at_end - 1.0)
                       if self.config.lost_motion_at_end > 1.0 else math.inf)

    def ground_truth(self) -> dict:
        return {"enabled": self.config.enabled, "life_used": [float(v) for v in self.life_used],
                "lost_motion_factor": [float(v) for v in self.lost_motion_factor],
                "friction_factor": [float(v) for v in self.friction_factor],
                "acceleration": self.config.acceleration}
