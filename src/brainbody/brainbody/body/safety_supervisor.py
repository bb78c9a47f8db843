"""The safety supervisor: every primitive is checked against the body's own envelope
before any motion, whatever the brain says (runtime assurance, Simplex style).

It refuses with a typed error (code + sentence) and never moves anything itself.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.exceptions import (EstopActiveError, ForceLimitError, OutOfRangeError,
                                  PreconditionError, UnsupportedError)
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.world import WorldModel, WorldObject


@dataclasses.dataclass(frozen=True)
class CheckedPrimitive:
    """A primitive the supervisor accepted, with defaults filled in and references resolved."""

    primitive: TaskPrimitive
    kind: PrimitiveKind
    obj: Optional[WorldObject]
    target: Optional[WorldObject]
    grip_force_n: float
    grip_limit_n: float
    speed_mps: float
    lift_height_m: float
    timeout_s: float


class SafetySupervisor:
    def __init__(self, config: BodyConfig):
        self._c = config
        self.estop_active = False

    def check(self, primitive: TaskPrimitive, world: WorldModel, *, holding: Optional[str]) -> CheckedPrimitive:
        """Validate ``primitive``; returns it resolved.

        Raises:
            RequestError subclasses: invalid fields, out of envelope, unknown object,
            force above the object's limit, unsupported kind, failed precondition, e-stop.
        """
        c = self._c
        primitive = primitive.check()
        kind = primitive.kind
        if self.estop_active:
            raise EstopActiveError("a stop is latched; call /body/reset once the arm is at rest")
        if kind is PrimitiveKind.POUR:
            raise UnsupportedError("pour is not supported by this body yet (the simulated cup has no liquid model)")
        speed = primitive.max_speed_mps or c.default_tool_speed_mps
        if speed > c.max_tool_speed_mps:
            raise OutOfRangeError(f"max_speed_mps {speed} exceeds the body's limit {c.max_tool_speed_mps} m/s")
        lift = primitive.lift_height_m or c.default_lift_height_m
        if lift > c.max_lift_height_m:
            raise OutOfRangeError(f"lift_height_m {lift} exceeds the body's limit {c.max_lift_height_m} m")
        if primitive.duration_s > c.max_wait_s:
            raise OutOfRangeError(f"duration_s {primitive.duration_s} exceeds the limit {c.max_wait_s} s")
        timeout = primitive.timeout_s or c.default_timeout_s
        if timeout > c.max_timeout_s:
            raise OutOfRangeError(f"timeout_s {timeout} exceeds the limit {c.max_timeout_s} s")

        obj = world.get(primitive.object_id) if primitive.object_id else None
        target = world.get(primitive.target_id) if primitive.target_id else None
        for ref in (obj, target):
            if ref is not None:
                self._check_world_entry(ref)
                self._check_workspace(ref.id, np.asarray(ref.pose.position_m, dtype=float))
        if primitive.pose is not None:
            self._check_workspace("explicit pose", np.asarray(primitive.pose.position_m))

        grip_force = grip_limit = 0.0
        if kind is PrimitiveKind.GRASP:
            if holding:
                raise PreconditionError(f"cannot grasp {primitive.object_id!r}: already holding {holding!r}")
            if obj is None or not obj.graspable:
                raise PreconditionError(f"{primitive.object_id or 'the pose'!r} is not a graspable object")
            grip_limit = min(obj.max_grip_force_n, c.gripper_max_force_n)
            if primitive.grip_force_n > grip_limit:
                raise ForceLimitError(
                    f"grip_force_n {primitive.grip_force_n:.2f} N exceeds the limit of {obj.id!r} "
                    f"({grip_limit:.2f} N)")
            grip_force = primitive.grip_force_n
        if kind in (PrimitiveKind.LIFT, PrimitiveKind.PLACE) and not holding:
            raise PreconditionError(f"{kind.name.lower()} needs a held object; the gripper is empty")
        if kind is PrimitiveKind.PLACE and primitive.object_id and holding and primitive.object_id != holding:
            raise PreconditionError(f"place names {primitive.object_id!r} but the gripper holds {holding!r}")
        if kind is PrimitiveKind.PRESS and holding:
            raise PreconditionError(f"cannot press while holding {holding!r}; place it first")
        if kind is PrimitiveKind.REACH and holding:
            raise PreconditionError(f"reach opens the gripper; place {holding!r} first")
        return CheckedPrimitive(primitive, kind, obj, target, grip_force, grip_limit, speed, lift, timeout)

    @staticmethod
    def _check_world_entry(ref: WorldObject) -> None:
        """The world model comes from perception or a topic: sizes and force limits that are not
        finite and non-negative would pass every comparison below (NaN compares false)."""
        try:
            size = np.asarray(ref.size_m, dtype=float)
            position = np.asarray(ref.pose.position_m, dtype=float)
            limit = float(ref.max_grip_force_n)
        except (TypeError, ValueError) as exc:
            raise PreconditionError(f"the world model's entry for {ref.id!r} is malformed ({exc})") from None
        if (size.shape != (3,) or position.shape != (3,) or not np.all(np.isfinite(size)) or np.any(size < 0.0)
                or not math.isfinite(limit) or limit < 0.0):
            raise PreconditionError(f"the world model's entry for {ref.id!r} is malformed: size {ref.size_m} m, "
                                    f"position {ref.pose.position_m} m, max grip force {ref.max_grip_force_n} N")

    def _check_workspace(self, name: str, position_m: np.ndarray) -> None:
        lo, hi = np.asarray(self._c.workspace_min_m), np.asarray(self._c.workspace_max_m)
        if not np.all(np.isfinite(position_m)) or np.any(position_m < lo) or np.any(position_m > hi):
            raise OutOfRangeError(
                f"{name} at {np.round(position_m, 3).tolist()} m is outside the workspace "
                f"{list(lo)}..{list(hi)} m")
