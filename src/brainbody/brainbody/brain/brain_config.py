"""Parameters of the brain core: contract limits, intent layers, execution monitoring.

Declared once here with type, range and description (``params.param``); the intent node
declares them as ROS parameters from the same metadata, ``config/brain.yaml`` sets them,
and the README's table is generated from them. The contract limits are the brain's own
statement of what a primitive may ask; the body still checks its own envelope.
"""
from __future__ import annotations

import dataclasses

from brainbody.param_spec import param, validate


@dataclasses.dataclass(frozen=True)
class BrainConfig:
    # -- skill contracts: limits every primitive is checked against before it is sent
    max_grip_force_n: float = param(70.0, "largest grip force any grasp may ask (the hand's); "
                                    "each object's own limit applies too", lo=0.1, hi=200.0)
    max_speed_mps: float = param(0.5, "largest tool speed a primitive may ask", lo=0.01, hi=1.5)
    max_lift_height_m: float = param(0.3, "largest lift a primitive may ask", lo=0.01, hi=0.5)
    max_wait_s: float = param(120.0, "longest wait primitive", lo=0.1, hi=3600.0)
    max_timeout_s: float = param(300.0, "longest primitive timeout", lo=1.0, hi=3600.0)
    workspace_min_m: tuple = param((0.15, -0.7, -0.005), "lower corner of the box objects must be "
                                   "in to count as reachable", lo=-2.0, hi=2.0)
    workspace_max_m: tuple = param((0.8, 0.7, 0.7), "upper corner of the reachable box", lo=-2.0, hi=2.0)
    max_grasp_tilt_rad: float = param(0.35, "an object tilted more than this is not grasped "
                                      "(top-down grasps need it upright)", lo=0.0, hi=1.6)
    # -- postconditions, judged from /world/objects after each primitive
    grasp_tolerance_m: float = param(0.02, "after a grasp the object's axis lies this close to "
                                     "the tool centre (horizontally)", lo=0.001, hi=0.1)
    lift_fraction: float = param(0.5, "after a lift the object rose at least this fraction of "
                                 "the lift height", lo=0.0, hi=1.0)
    place_tolerance_m: float = param(0.03, "after a place the object is this close to the "
                                     "target (horizontally)", lo=0.001, hi=0.2)
    place_height_tolerance_m: float = param(0.02, "after a place the object's base is this close "
                                            "to the target surface", lo=0.001, hi=0.2)
    max_place_tilt_rad: float = param(0.35, "after a place the object stands within this tilt",
                                      lo=0.0, hi=1.6)
    world_wait_s: float = param(1.0, "wait this long for a /world/objects update after a "
                                "primitive before judging its postcondition; a failed one is judged again on "
                                "newer updates for this long (a lagging link)", lo=0.0, hi=10.0)
    # -- execution monitoring
    max_recovery_attempts: int = param(2, "re-approach/regrasp attempts per failed grasp or "
                                       "slip before the plan fails", lo=0, hi=5)
    default_timeout_s: float = param(30.0, "primitive timeout when the plan gives none", lo=1.0, hi=3600.0)
    # -- intent understanding
    semantic_enabled: bool = param(True, "use the offline sentence-embedding matcher when the "
                                   "parser does not understand a request")
    semantic_threshold: float = param(0.62, "cosine similarity a request needs to the nearest "
                                      "catalogue phrase; below it the brain refuses", lo=0.0, hi=1.0)
    semantic_unsafe_threshold: float = param(0.6, "a request nearest to an unsafe example is "
                                             "refused as unsafe from this similarity on", lo=0.0, hi=1.0)
    semantic_margin: float = param(0.03, "the best skill must beat the best other skill or "
                                   "refusal example by this much cosine", lo=0.0, hi=1.0)
    llm_enabled: bool = param(False, "ask an OpenAI-compatible endpoint when the offline layers "
                              "do not understand (its plans are validated like any other)")
    llm_url: str = param("", "base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1")
    llm_model: str = param("", "model name sent to the endpoint")
    llm_api_key_env: str = param("OPENAI_API_KEY", "environment variable holding the API key "
                                 "(the key itself is never in a file)")
    llm_timeout_s: float = param(10.0, "give up on the endpoint after this long", lo=0.1, hi=120.0)

    def __post_init__(self):
        validate(self)
        for name in ("workspace_min_m", "workspace_max_m"):
            if len(getattr(self, name)) != 3:
                raise ValueError(f"{name}: {getattr(self, name)!r} must hold 3 values (x, y, z)")
        if any(lo >= hi for lo, hi in zip(self.workspace_min_m, self.workspace_max_m)):
            raise ValueError(f"workspace_min_m {self.workspace_min_m} must lie below "
                             f"workspace_max_m {self.workspace_max_m}")
        if self.llm_enabled and not self.llm_url:
            raise ValueError("llm_enabled needs llm_url")
