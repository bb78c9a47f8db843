"""Parameters of the two nodes that are not part of the core configs (plain dataclasses,
no rclpy, so documentation and tests can read them). The core's own parameters are in
``body/body_config.py`` (BodyConfig)."""
from __future__ import annotations

import dataclasses

from brainbody.param_spec import param, validate


@dataclasses.dataclass(frozen=True)
class BodyNodeConfig:
    mode: str = param("sim", "sim (MuJoCo in-process) or hardware (no plugin yet)", read_only=True)
    seed: int = param(0, "sim: seed that places the cup", lo=0, hi=1_000_000, read_only=True)
    realtime_factor: float = param(0.0, "sim: 0 runs as fast as possible, 1 paces to the wall clock",
                                   lo=0.0, hi=100.0)
    joint_states_rate_hz: float = param(100.0, "rate of /joint_states and /clock in sim time", lo=1.0, hi=1000.0)
    world_objects_rate_hz: float = param(10.0, "rate of /world/objects in sim time", lo=0.1, hi=100.0)
    diagnostics_rate_hz: float = param(1.0, "rate of /diagnostics in sim time", lo=0.1, hi=10.0)
    joint_tracking_warn_rad: float = param(0.005, "a joint's /diagnostics status turns WARN when its link "
                                           "tracking error (set-point vs estimate) exceeds this", lo=1e-5, hi=1.0)
    sim_drivetrain: tuple = param(("harmonic",) * 7, "sim: the SIMULATED plant's drivetrain profile per arm "
                                  "joint (config/sim_drivetrain.yaml: harmonic, budget_planetary; or rigid); "
                                  "the controller's own belief is drivetrain_estimates", read_only=True)

    def __post_init__(self):
        if self.mode not in ("sim", "hardware"):
            raise ValueError(f"mode must be 'sim' or 'hardware', got {self.mode!r}")
        validate(self)
        if len(self.sim_drivetrain) != 7:
            raise ValueError(f"sim_drivetrain needs a profile name for each of the 7 arm joints, "
                             f"got {len(self.sim_drivetrain)}: {list(self.sim_drivetrain)}")
        if self.mode == "sim":
            from brainbody.sim.drivetrain import profile_names   # the plant's file; sim mode only
            known = profile_names()
            unknown: dict[str, list[str]] = {}
            for i, name in enumerate(self.sim_drivetrain):
                if name not in known:
                    unknown.setdefault(name, []).append(str(i + 1))
            if unknown:
                listed = "; ".join(f"{name!r} (joint {', '.join(joints)})" for name, joints in unknown.items())
                raise ValueError(f"sim_drivetrain: unknown profile {listed}; known: {', '.join(known)}")



@dataclasses.dataclass(frozen=True)
class IntentNodeConfig:
    skills_file: str = param("", "skill catalogue YAML; empty: config/skills.yaml of the package")
    body_server_timeout_s: float = param(10.0, "wait this long for /body/execute_primitive", lo=0.0, hi=600.0)
    primitive_result_margin_s: float = param(10.0, "wall time allowed beyond a primitive's timeout",
                                             lo=0.0, hi=600.0)

    def __post_init__(self):
        validate(self)

