"""Parameters of the two nodes that are not part of the core configs (plain dataclasses,
no rclpy, so documentation and tests can read them). The core's own parameters are in
``body/body_config.py`` (BodyConfig)."""
from __future__ import annotations

import dataclasses

from brainbody.params import param, validate


@dataclasses.dataclass(frozen=True)
class BodyNodeConfig:
    mode: str = param("sim", "sim (MuJoCo in-process) or hardware (no plugin yet)", read_only=True)
    seed: int = param(0, "sim: seed that places the cup", lo=0, hi=1_000_000, read_only=True)
    realtime_factor: float = param(0.0, "sim: 0 runs as fast as possible, 1 paces to the wall clock",
                                   lo=0.0, hi=100.0)
    joint_states_rate_hz: float = param(100.0, "rate of /joint_states and /clock in sim time", lo=1.0, hi=1000.0)
    world_objects_rate_hz: float = param(10.0, "rate of /world/objects in sim time", lo=0.1, hi=100.0)
    diagnostics_rate_hz: float = param(1.0, "rate of /diagnostics in sim time", lo=0.1, hi=10.0)

    def __post_init__(self):
        if self.mode not in ("sim", "hardware"):
            raise ValueError(f"mode must be 'sim' or 'hardware', got {self.mode!r}")
        validate(self)



@dataclasses.dataclass(frozen=True)
class IntentNodeConfig:
    skills_file: str = param("", "skill catalogue YAML; empty: config/skills.yaml of the package")
    body_server_timeout_s: float = param(10.0, "wait this long for /body/execute_primitive", lo=0.0, hi=600.0)
    primitive_result_margin_s: float = param(10.0, "wall time allowed beyond a primitive's timeout",
                                             lo=0.0, hi=600.0)

    def __post_init__(self):
        validate(self)

