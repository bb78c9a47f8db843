"""Skill contracts: what each primitive kind requires, allows and must achieve.

For every :class:`~brainbody.primitives.PrimitiveKind` a :class:`KindContract` states

* the **schema**: which numeric fields the kind uses, their SI unit and allowed range,
  and that fields it does not use stay zero (an LLM's "grip force on a press" or a typo
  is refused, not ignored);
* the **preconditions** against the world model and the gripper: object known, of the
  right kind, inside the reachable box, upright and graspable, grip force within the
  object's ``max_grip_force_n``; gripper empty before grasp/press/home, holding the named
  object before lift/place/pour;
* the **postcondition** judged after execution from the world state (``/world/objects``,
  i.e. the simulator or perception, never the body's own report): after a grasp the
  object sits between the fingers, after a lift it has risen, after a place it stands
  on its target within tolerance.

Plans from every source (parser, semantic matcher, LLM) go through the same checks
(:mod:`brainbody.brain.plan_validation`), and the executor re-checks preconditions and
judges postconditions while running (:mod:`brainbody.brain.plan_executor`).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Mapping, Optional

from brainbody.brain.brain_config import BrainConfig
from brainbody.exceptions import (ForceLimitError, InvalidPrimitiveError, OutOfRangeError,
                                  PreconditionError, UnknownObjectError, UnreachableError)
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.world import WorldModel, WorldObject

NUMERIC_FIELDS = ("grip_force_n", "lift_height_m", "max_speed_mps", "duration_s", "timeout_s")
"""The numeric fields of a primitive; each kind's contract says which it may set."""
POSE_ONLY = "<object at explicit pose>"
"""What the gripper holds after a grasp at an explicit pose (no object id)."""


class Gripper:
    """Gripper requirements of a kind before it runs."""

    ANY = "any"
    EMPTY = "empty"
    HOLDING = "holding"


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One numeric field: unit, inclusive range, and whether 0 ("body default") is allowed."""

    name: str
    unit: str
    lo: float
    hi: float
    required: bool = False     # must be > 0; otherwise 0 means "use the default"


@dataclasses.dataclass(frozen=True)
class KindContract:
    """The contract of one primitive kind; see the module docstring."""

    kind: PrimitiveKind
    summary: str
    fields: tuple[FieldSpec, ...]
    object_kinds: Optional[frozenset[str]] = None   # allowed world kinds of object_id; None: no object
    target_kinds: Optional[frozenset[str]] = None   # allowed world kinds of target_id; None: no target
    gripper: str = Gripper.ANY
    postcondition: str = ""

    def field(self, name: str) -> Optional[FieldSpec]:
        return next((f for f in self.fields if f.name == name), None)


_OBJECTS = frozenset({"container", "button", "object"})
_PLACES = frozenset({"place"})


def contracts(config: BrainConfig = BrainConfig()) -> Mapping[PrimitiveKind, KindContract]:
    """The contract of every primitive kind, with limits from ``config``."""
    speed = FieldSpec("max_speed_mps", "m/s", 0.0, config.max_speed_mps)
    timeout = FieldSpec("timeout_s", "s", 0.0, config.max_timeout_s)
    motion = (speed, timeout)
    k = PrimitiveKind
    table = [
        KindContract(k.REACH, "move the tool above an object", motion, object_kinds=_OBJECTS),
        KindContract(k.GRASP, "close on an object with grip_force_n", motion + (
            FieldSpec("grip_force_n", "N", 0.0, config.max_grip_force_n, required=True),),
            object_kinds=_OBJECTS, gripper=Gripper.EMPTY,
            postcondition="the object's axis is within grasp_tolerance_m of the tool centre and "
                          "the tool is between its base and top"),
        KindContract(k.LIFT, "raise the held object by lift_height_m", motion + (
            FieldSpec("lift_height_m", "m", 0.0, config.max_lift_height_m),),
            object_kinds=_OBJECTS, gripper=Gripper.HOLDING,
            postcondition="the object rose by at least lift_fraction of the lift height and is "
                          "still at the tool"),
        KindContract(k.PLACE, "carry the held object onto a place and release it", motion,
                     object_kinds=_OBJECTS, target_kinds=_PLACES, gripper=Gripper.HOLDING,
                     postcondition="the object stands upright within place_tolerance_m of the "
                                   "target, its base on the target's surface"),
        KindContract(k.PRESS, "push a button with the closed gripper", motion,
                     object_kinds=frozenset({"button"}), gripper=Gripper.EMPTY),
        KindContract(k.POUR, "tilt the held container over a target", motion,
                     object_kinds=_OBJECTS, target_kinds=_PLACES | _OBJECTS, gripper=Gripper.HOLDING),
        KindContract(k.WAIT, "hold still for duration_s", (
            FieldSpec("duration_s", "s", 0.0, config.max_wait_s, required=True), timeout)),
        KindContract(k.HOME, "go to the home configuration, gripper open", motion,
                     gripper=Gripper.EMPTY),
    ]
    return {c.kind: c for c in table}


# ------------------------------------------------------------------------------- schema

def check_schema(primitive: TaskPrimitive, config: BrainConfig = BrainConfig(), *,
                 table: Optional[Mapping[PrimitiveKind, KindContract]] = None) -> TaskPrimitive:
    """Check ``primitive`` against its kind's schema; returns it with the kind parsed.

    Raises:
        InvalidPrimitiveError: malformed, NaN, negative, a required field missing, a field
            the kind does not use set, or a reference the kind does not take.
        OutOfRangeError: a field above its contract limit (speed, lift, wait, timeout).
        ForceLimitError: a grip force above ``config.max_grip_force_n``.
    """
    primitive = primitive.check()
    contract = (table or contracts(config))[primitive.kind]
    name = primitive.kind.name.lower()
    for field in NUMERIC_FIELDS:
        value = float(getattr(primitive, field))
        spec = contract.field(field)
        if spec is None:
            if value != 0.0:
                raise InvalidPrimitiveError(
                    f"primitive {primitive.id!r}: {name} does not take {field} (got {value:g}); "
                    f"it takes: {', '.join(f.name for f in contract.fields) or 'nothing'}")
            continue
        if spec.required and value <= 0.0:
            raise InvalidPrimitiveError(f"primitive {primitive.id!r}: {name} needs {field} > 0 {spec.unit}")
        if value > spec.hi:
            error = ForceLimitError if field == "grip_force_n" else OutOfRangeError
            raise error(f"primitive {primitive.id!r}: {field} {value:g} {spec.unit} exceeds the "
                        f"contract limit {spec.hi:g} {spec.unit}")
    if primitive.object_id and contract.object_kinds is None:
        raise InvalidPrimitiveError(f"primitive {primitive.id!r}: {name} takes no object_id "
                                    f"(got {primitive.object_id!r})")
    if primitive.target_id and contract.target_kinds is None:
        raise InvalidPrimitiveError(f"primitive {primitive.id!r}: {name} takes no target_id "
                                    f"(got {primitive.target_id!r})")
    return primitive


# ------------------------------------------------------------------------ preconditions

def check_world_preconditions(primitive: TaskPrimitive, world: WorldModel,
                              config: BrainConfig = BrainConfig(), *,
                              table: Optional[Mapping[PrimitiveKind, KindContract]] = None) -> None:
    """Check the references of ``primitive`` against the world model.

    Raises:
        UnknownObjectError: object_id or target_id is not in the world model.
        PreconditionError: the object or target is of the wrong kind, not graspable, or
            tilted beyond ``max_grasp_tilt_rad`` for a grasp.
        UnreachableError: the object or target lies outside the reachable box.
        ForceLimitError: a grasp above the object's ``max_grip_force_n``.
    """
    contract = (table or contracts(config))[primitive.kind]
    name = primitive.kind.name.lower()
    for ref, kinds, role in ((primitive.object_id, contract.object_kinds, "object"),
                             (primitive.target_id, contract.target_kinds, "target")):
        if not ref:
            continue
        obj = world.get(ref)  # raises UnknownObjectError naming the known ids
        if kinds is not None and obj.kind not in kinds:
            raise PreconditionError(f"{primitive.id}: cannot {name} with {ref!r} as its {role}: it is "
                                    f"a {obj.kind}, expected {' or '.join(sorted(kinds))}")
        if not in_workspace(obj, config):
            x, y, z = obj.pose.position_m
            raise UnreachableError(f"{primitive.id}: {ref!r} at ({x:.2f}, {y:.2f}, {z:.2f}) m is "
                                   f"outside the reachable box {config.workspace_min_m}.."
                                   f"{config.workspace_max_m} m")
    if primitive.kind is PrimitiveKind.GRASP and primitive.object_id:
        obj = world.get(primitive.object_id)
        if not obj.graspable or obj.max_grip_force_n <= 0.0:
            raise PreconditionError(f"{primitive.id}: {obj.id!r} is not graspable")
        if primitive.grip_force_n > obj.max_grip_force_n:
            raise ForceLimitError(f"{primitive.id}: grip force {primitive.grip_force_n:g} N exceeds "
                                  f"the {obj.max_grip_force_n:g} N limit of {obj.id!r}")
        if tilt_rad(obj) > config.max_grasp_tilt_rad:
            raise PreconditionError(f"{primitive.id}: {obj.id!r} is tilted "
                                    f"{math.degrees(tilt_rad(obj)):.0f} deg; a top-down grasp needs "
                                    f"it upright (<= {math.degrees(config.max_grasp_tilt_rad):.0f} deg)")


def next_holding(primitive: TaskPrimitive, holding: str) -> str:
    """Gripper contents after ``primitive``, refusing steps the current contents forbid.

    ``holding`` is the id of the held object ("" if empty).

    Raises:
        PreconditionError: grasp, press or home while holding; lift, place or pour with an
            empty gripper or naming another object than the held one.
    """
    kind, name = primitive.kind, primitive.kind.name.lower()
    gripper = contracts()[kind].gripper
    if gripper == Gripper.EMPTY and holding:
        raise PreconditionError(
            f"{primitive.id}: cannot {name} while holding {holding!r}"
            + (" (home opens the gripper and would drop it)" if kind is PrimitiveKind.HOME else ""))
    if gripper == Gripper.HOLDING:
        if not holding:
            raise PreconditionError(f"{primitive.id}: cannot {name} with an empty gripper")
        if primitive.object_id and holding != POSE_ONLY and primitive.object_id != holding:
            raise PreconditionError(f"{primitive.id}: {name} names {primitive.object_id!r} but the "
                                    f"gripper holds {holding!r}")
    if kind is PrimitiveKind.GRASP:
        return primitive.object_id or POSE_ONLY
    if kind is PrimitiveKind.PLACE:
        return ""
    return holding


# ----------------------------------------------------------------------- postconditions

def check_postcondition(primitive: TaskPrimitive, *, before: Optional[WorldModel],
                        after: WorldModel, tool_position_m: Optional[tuple[float, float, float]],
                        config: BrainConfig = BrainConfig()) -> Optional[str]:
    """Judge from the world state whether ``primitive`` achieved what it is for.

    Args:
        before: world state when the primitive started (a lift compares heights).
        after: world state after it ended (fresh from ``/world/objects``).
        tool_position_m: measured tool centre at the end (the body's result), world frame.

    Returns:
        None when the postcondition holds (or the kind has none), else the reason.
    """
    kind = primitive.kind
    if kind not in (PrimitiveKind.GRASP, PrimitiveKind.LIFT, PrimitiveKind.PLACE) \
            or not primitive.object_id:
        return None
    if primitive.object_id not in after:
        return f"{primitive.object_id!r} is no longer seen in the world"
    obj = after.get(primitive.object_id)
    x, y, z = obj.pose.position_m
    if kind in (PrimitiveKind.GRASP, PrimitiveKind.LIFT):
        if tool_position_m is None:
            return "the body reported no tool position to check the grasp against"
        tx, ty, tz = tool_position_m
        off = math.hypot(x - tx, y - ty)
        if off > config.grasp_tolerance_m or not (z - 0.005 <= tz <= z + obj.size_m[2] + 0.005):
            return (f"{obj.id!r} is not between the fingers: its axis is {off * 100:.1f} cm from the "
                    f"tool centre (tolerance {config.grasp_tolerance_m * 100:.1f} cm), base at "
                    f"{z:.3f} m, tool at {tz:.3f} m")
        if kind is PrimitiveKind.LIFT and before is not None and primitive.object_id in before:
            z0 = before.get(primitive.object_id).pose.position_m[2]
            wanted = config.lift_fraction * (primitive.lift_height_m or 0.05)
            if z - z0 < wanted:
                return f"{obj.id!r} rose {(z - z0) * 100:.1f} cm, expected at least {wanted * 100:.1f} cm"
        return None
    # PLACE
    if primitive.target_id not in after:
        return f"target {primitive.target_id!r} is no longer seen in the world"
    target = after.get(primitive.target_id)
    gx, gy, gz = target.pose.position_m
    off = math.hypot(x - gx, y - gy)
    if off > config.place_tolerance_m:
        return (f"{obj.id!r} ended {off * 100:.1f} cm from {target.id!r} (tolerance "
                f"{config.place_tolerance_m * 100:.1f} cm)")
    if abs(z - gz) > config.place_height_tolerance_m:
        return f"{obj.id!r} base is at {z:.3f} m, the surface of {target.id!r} at {gz:.3f} m"
    if tilt_rad(obj) > config.max_place_tilt_rad:
        return f"{obj.id!r} is tilted {math.degrees(tilt_rad(obj)):.0f} deg after the place"
    return None


# ------------------------------------------------------------------------------ helpers

def in_workspace(obj: WorldObject, config: BrainConfig) -> bool:
    """Whether the object's base lies inside the reachable box."""
    return all(lo <= v <= hi for v, lo, hi in
               zip(obj.pose.position_m, config.workspace_min_m, config.workspace_max_m))


def tilt_rad(obj: WorldObject) -> float:
    """Angle between the object's z axis and the world's vertical."""
    w, x, y, z = obj.pose.quat_wxyz
    norm = math.sqrt(w * w + x * x + y * y + z * z) or 1.0
    zz = 1.0 - 2.0 * (x * x + y * y) / (norm * norm)   # world-z component of the body z axis
    return math.acos(max(-1.0, min(1.0, zz)))


def describe_contracts(config: BrainConfig = BrainConfig()) -> str:
    """A readable summary of every contract (``brainbody plan --contracts``, README)."""
    lines = []
    for c in contracts(config).values():
        fields = ", ".join(f"{f.name} [{f.lo:g}..{f.hi:g}] {f.unit}{' required' if f.required else ''}"
                           for f in c.fields)
        refs = []
        if c.object_kinds is not None:
            refs.append(f"object: {'/'.join(sorted(c.object_kinds))}")
        if c.target_kinds is not None:
            refs.append(f"target: {'/'.join(sorted(c.target_kinds))}")
        lines.append(f"{c.kind.name.lower():6s} {c.summary}; fields: {fields or 'none'}"
                     + (f"; {'; '.join(refs)}" if refs else "") + f"; gripper before: {c.gripper}"
                     + (f"; after: {c.postcondition}" if c.postcondition else ""))
    return "\n".join(lines)
