"""Validation of a :class:`~brainbody.primitives.TaskPlan`, whoever produced it.

The planner runs every plan through :func:`validate_plan`, and so do plans from the LLM
backend and any other source: each primitive against its kind's contract
(:mod:`brainbody.brain.skill_contracts`: schema, limits, world references) and the
gripper sequence (grasp only with an empty gripper, lift/place/pour only while holding,
neither press nor home while holding: home opens the gripper and would drop the object).
The body still checks every primitive against its own envelope.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.skill_contracts import check_schema, check_world_preconditions, contracts, next_holding
from brainbody.exceptions import InvalidPrimitiveError
from brainbody.primitives import TaskPlan, TaskPrimitive
from brainbody.world import WorldModel


def validate_plan(plan: TaskPlan, world: Optional[WorldModel] = None, *,
                  holding: str = "", config: BrainConfig = BrainConfig()) -> TaskPlan:
    """Check ``plan`` and return it with every primitive's kind parsed to the enum.

    Parameters
    ----------
    plan : the plan to check.
    world : when given, every ``object_id``/``target_id`` must exist in it, be of the kind
        the contract asks, lie in the reachable box, and each grasp must name an upright,
        graspable object with ``grip_force_n`` (newtons) at most its ``max_grip_force_n``.
    holding : id of the object already in the gripper when the plan starts ("" if empty).
    config : the contract limits (speed, lift, wait, timeout, grip force, workspace).

    Raises
    ------
    InvalidPrimitiveError : not a TaskPlan, empty, a malformed primitive, a field its kind
        does not take, or a duplicate id.
    OutOfRangeError : a field above its contract limit.
    UnknownObjectError : a reference the world model does not know.
    UnreachableError : a reference outside the reachable box.
    ForceLimitError : a grasp above the object's or the hand's limit.
    PreconditionError : a grasp of a non-graspable or tilted object, a reference of the
        wrong kind, or a step the gripper state does not allow.
    """
    if not isinstance(plan, TaskPlan):
        raise InvalidPrimitiveError(f"expected a TaskPlan, got {type(plan).__name__}")
    if not isinstance(plan.plan_id, str) or not plan.plan_id.strip():
        raise InvalidPrimitiveError("plan_id must be a non-empty string")
    if not plan.primitives:
        raise InvalidPrimitiveError(f"plan {plan.plan_id!r} has no primitives")
    table = contracts(config)
    checked: list[TaskPrimitive] = []
    seen: set[str] = set()
    for primitive in plan.primitives:
        if not isinstance(primitive, TaskPrimitive):
            raise InvalidPrimitiveError(
                f"plan {plan.plan_id!r}: expected TaskPrimitive, got {type(primitive).__name__}")
        primitive = check_schema(primitive, config, table=table)
        if primitive.id in seen:
            raise InvalidPrimitiveError(
                f"plan {plan.plan_id!r}: primitive id {primitive.id!r} is used twice")
        seen.add(primitive.id)
        if world is not None:
            check_world_preconditions(primitive, world, config, table=table)
        holding = next_holding(primitive, holding)
        checked.append(primitive)
    return dataclasses.replace(plan, primitives=tuple(checked))
