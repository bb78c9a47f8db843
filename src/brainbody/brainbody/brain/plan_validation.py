"""Validation of a :class:`~brainbody.primitives.TaskPlan`, whoever produced it.

The planner runs every plan through :func:`validate_plan`; the intent node runs plans
from other sources through it too. It checks structure (each primitive's ``check()``,
unique ids), references and force limits against a world model, and the gripper
sequence: grasp only with an empty gripper, lift/place/pour only while holding, and
neither press nor home while holding (home opens the gripper and would drop the object).
The body still checks every primitive against its own envelope.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from brainbody.exceptions import (ForceLimitError, InvalidPrimitiveError, PreconditionError)
from brainbody.primitives import PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.world import WorldModel

_NEEDS_HOLD = {PrimitiveKind.LIFT, PrimitiveKind.PLACE, PrimitiveKind.POUR}
_NEEDS_EMPTY = {PrimitiveKind.GRASP, PrimitiveKind.PRESS, PrimitiveKind.HOME}
_POSE_ONLY = "<object at explicit pose>"


def validate_plan(plan: TaskPlan, world: Optional[WorldModel] = None, *,
                  holding: str = "") -> TaskPlan:
    """Check ``plan`` and return it with every primitive's kind parsed to the enum.

    Parameters
    ----------
    plan : the plan to check.
    world : when given, every ``object_id``/``target_id`` must exist in it and each grasp
        must name a graspable object with ``grip_force_n`` (newtons) at most its
        ``max_grip_force_n``.
    holding : id of the object already in the gripper when the plan starts ("" if empty).

    Raises
    ------
    InvalidPrimitiveError : not a TaskPlan, empty, a malformed primitive or a duplicate id.
    UnknownObjectError : a reference the world model does not know.
    ForceLimitError : a grasp above the object's limit.
    PreconditionError : a grasp of a non-graspable object, or a step the gripper state
        does not allow.
    """
    if not isinstance(plan, TaskPlan):
        raise InvalidPrimitiveError(f"expected a TaskPlan, got {type(plan).__name__}")
    if not isinstance(plan.plan_id, str) or not plan.plan_id.strip():
        raise InvalidPrimitiveError("plan_id must be a non-empty string")
    if not plan.primitives:
        raise InvalidPrimitiveError(f"plan {plan.plan_id!r} has no primitives")
    checked: list[TaskPrimitive] = []
    seen: set[str] = set()
    for primitive in plan.primitives:
        if not isinstance(primitive, TaskPrimitive):
            raise InvalidPrimitiveError(
                f"plan {plan.plan_id!r}: expected TaskPrimitive, got {type(primitive).__name__}")
        primitive = primitive.check()
        if primitive.id in seen:
            raise InvalidPrimitiveError(
                f"plan {plan.plan_id!r}: primitive id {primitive.id!r} is used twice")
        seen.add(primitive.id)
        if world is not None:
            _check_against_world(primitive, world)
        holding = _next_holding(primitive, holding)
        checked.append(primitive)
    return dataclasses.replace(plan, primitives=tuple(checked))


def _check_against_world(primitive: TaskPrimitive, world: WorldModel) -> None:
    for ref in (primitive.object_id, primitive.target_id):
        if ref:
            world.get(ref)  # raises UnknownObjectError naming the known ids
    if primitive.kind is PrimitiveKind.GRASP and primitive.object_id:
        obj = world.get(primitive.object_id)
        if not obj.graspable:
            raise PreconditionError(f"{primitive.id}: {obj.id!r} is not graspable")
        if primitive.grip_force_n > obj.max_grip_force_n:
            raise ForceLimitError(
                f"{primitive.id}: grip force {primitive.grip_force_n:g} N exceeds the "
                f"{obj.max_grip_force_n:g} N limit of {obj.id!r}")


def _next_holding(primitive: TaskPrimitive, holding: str) -> str:
    """Gripper contents after ``primitive``, refusing steps the current contents forbid."""
    kind, name = primitive.kind, primitive.kind.name.lower()
    if kind in _NEEDS_EMPTY and holding:
        raise PreconditionError(
            f"{primitive.id}: cannot {name} while holding {holding!r}"
            + (" (home opens the gripper and would drop it)" if kind is PrimitiveKind.HOME else ""))
    if kind in _NEEDS_HOLD:
        if not holding:
            raise PreconditionError(f"{primitive.id}: cannot {name} with an empty gripper")
        if primitive.object_id and holding != _POSE_ONLY and primitive.object_id != holding:
            raise PreconditionError(
                f"{primitive.id}: {name} names {primitive.object_id!r} but the gripper holds "
                f"{holding!r}")
    if kind is PrimitiveKind.GRASP:
        return primitive.object_id or _POSE_ONLY
    if kind is PrimitiveKind.PLACE:
        return ""
    return holding
