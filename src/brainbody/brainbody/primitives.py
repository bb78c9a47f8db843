"""Task primitives: the typed vocabulary between brain and body.

A :class:`TaskPrimitive` mirrors ``brainbody_interfaces/msg/TaskPrimitive`` field for
field (SI units in the names). :meth:`TaskPrimitive.check` is the structural schema
check shared by both halves: it rejects missing fields, NaN/inf and negative values.
The body additionally checks every primitive against its own envelope
(``body/safety_supervisor.py``) whatever the brain says.
"""
from __future__ import annotations

import dataclasses
import enum
import math
import numbers
from typing import Optional, Sequence

from brainbody.exceptions import InvalidPrimitiveError


class PrimitiveKind(enum.IntEnum):
    """Primitive kinds; values equal the ``KIND_*`` constants of the message."""

    REACH = 1     # move the tool above an object or place (pre-grasp pose)
    GRASP = 2     # close on an object and regulate grip force to grip_force_n
    LIFT = 3      # raise the held object by lift_height_m
    PLACE = 4     # carry the held object onto a place, release it and retreat
    PRESS = 5     # push a button with the closed gripper and retreat
    POUR = 6      # tilt a held container (declared; not supported by the sim body yet)
    WAIT = 7      # hold still for duration_s
    HOME = 8      # go to the home joint configuration, gripper open

    @classmethod
    def parse(cls, value: "PrimitiveKind | int | str") -> "PrimitiveKind":
        """Accept an enum, its integer value or its name (case-insensitive)."""
        if isinstance(value, PrimitiveKind):
            return value
        try:
            if isinstance(value, str):
                return cls[value.strip().upper()]
            # Only whole numbers: a bool, 2.7 or NaN is not a kind (int() would make them one
            # or raise something other than a refusal).
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != int(value):
                raise ValueError(value)
            return cls(int(value))
        except (KeyError, ValueError, TypeError, OverflowError) as exc:
            names = ", ".join(k.name.lower() for k in cls)
            raise InvalidPrimitiveError(
                f"unknown primitive kind {value!r:.80}; expected one of: {names}") from exc


# Which references each kind needs. The body resolves object_id/target_id through
# its world model; an explicit pose (use_pose) replaces the target.
NEEDS_OBJECT = {PrimitiveKind.REACH, PrimitiveKind.GRASP, PrimitiveKind.PRESS}
NEEDS_TARGET = {PrimitiveKind.PLACE}


@dataclasses.dataclass(frozen=True)
class Pose:
    """A pose in the world frame: position in metres, quaternion in w, x, y, z order."""

    position_m: tuple[float, float, float]
    quat_wxyz: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)


@dataclasses.dataclass(frozen=True)
class TaskPrimitive:
    """One step of a plan.

    Zero in an optional numeric field means "use the body's default" (the message
    cannot carry None); negative and non-finite values are always invalid.
    """

    id: str
    kind: PrimitiveKind
    object_id: str = ""
    target_id: str = ""
    pose: Optional[Pose] = None
    grip_force_n: float = 0.0
    lift_height_m: float = 0.0
    max_speed_mps: float = 0.0
    duration_s: float = 0.0
    timeout_s: float = 0.0

    def check(self) -> "TaskPrimitive":
        """Structural validation; returns the primitive with its kind parsed, its numbers as
        floats and its pose as tuples, so calls chain.

        Raises:
            InvalidPrimitiveError: a field is missing, of the wrong type, NaN/inf or negative.
        """
        if not isinstance(self.id, str) or not self.id.strip():
            raise InvalidPrimitiveError("primitive id must be a non-empty string")
        try:
            kind = PrimitiveKind.parse(self.kind)
        except InvalidPrimitiveError as exc:
            raise InvalidPrimitiveError(f"primitive {self.id!r}: {exc}") from None
        for name in ("object_id", "target_id"):
            if not isinstance(getattr(self, name), str):
                raise InvalidPrimitiveError(f"primitive {self.id!r}: {name} must be a string, "
                                            f"got {getattr(self, name)!r:.80}")
        values = {name: _finite(self.id, name, getattr(self, name)) for name in _NUMERIC_FIELDS}
        for name, value in values.items():
            if value < 0.0:
                raise InvalidPrimitiveError(
                    f"primitive {self.id!r}: {name} must not be negative, got {value}")
        pose = self.pose
        if pose is not None:
            if not isinstance(pose, Pose):
                raise InvalidPrimitiveError(f"primitive {self.id!r}: pose must be a Pose, got {pose!r:.80}")
            position = _vector(self.id, "pose position_m", pose.position_m, 3)
            quat = _vector(self.id, "pose quat_wxyz", pose.quat_wxyz, 4)
            norm = math.sqrt(sum(v * v for v in quat))
            if abs(norm - 1.0) > 1e-3:
                raise InvalidPrimitiveError(
                    f"primitive {self.id!r}: pose quaternion must be unit length, norm is {norm:.4f}")
            pose = Pose(position, quat)
        if kind in NEEDS_OBJECT and not self.object_id and self.pose is None:
            raise InvalidPrimitiveError(
                f"primitive {self.id!r}: {kind.name.lower()} needs object_id or an explicit pose")
        if kind in NEEDS_TARGET and not self.target_id and self.pose is None:
            raise InvalidPrimitiveError(
                f"primitive {self.id!r}: {kind.name.lower()} needs target_id or an explicit pose")
        if kind is PrimitiveKind.GRASP and values['grip_force_n'] <= 0.0:
            raise InvalidPrimitiveError(
                f"primitive {self.id!r}: grasp needs grip_force_n > 0 (newtons)")
        if kind is PrimitiveKind.WAIT and values['duration_s'] <= 0.0:
            raise InvalidPrimitiveError(f"primitive {self.id!r}: wait needs duration_s > 0")
        # Plain floats and tuples from here on: numpy scalars or lists cannot surprise the body.
        plain = dataclasses.replace(self, kind=kind, pose=pose, **values)
        return self if repr(plain) == repr(self) else plain

    def describe(self) -> str:
        """One human-readable line, e.g. ``grasp cup with 3.0 N``."""
        kind = PrimitiveKind.parse(self.kind)
        words = [kind.name.lower()]
        if self.object_id:
            words.append(self.object_id)
        if self.target_id:
            words += ["onto" if kind is PrimitiveKind.PLACE else "at", self.target_id]
        if self.pose is not None:
            x, y, z = self.pose.position_m
            words.append(f"at ({x:.3f}, {y:.3f}, {z:.3f}) m")
        if kind is PrimitiveKind.GRASP:
            words.append(f"with {self.grip_force_n:.1f} N")
        if kind is PrimitiveKind.LIFT and self.lift_height_m:
            words.append(f"by {self.lift_height_m * 100:.0f} cm")
        if kind is PrimitiveKind.WAIT:
            words.append(f"{self.duration_s:.1f} s")
        return " ".join(words)


_NUMERIC_FIELDS = ("grip_force_n", "lift_height_m", "max_speed_mps", "duration_s", "timeout_s")


def _finite(primitive_id: str, name: str, value) -> float:
    """``value`` as a finite float, or an InvalidPrimitiveError naming the field."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidPrimitiveError(f"primitive {primitive_id!r}: {name} must be a number, got {value!r:.80}")
    try:
        number = float(value)
    except (OverflowError, ValueError):      # an int beyond any float
        number = math.inf
    if not math.isfinite(number):
        raise InvalidPrimitiveError(f"primitive {primitive_id!r}: {name} is {value!r:.40} (not finite)")
    return number


def _vector(primitive_id: str, name: str, values, size: int) -> tuple[float, ...]:
    """``values`` as ``size`` finite floats, or an InvalidPrimitiveError."""
    try:
        items = tuple(values)
    except TypeError:
        items = ()
    if len(items) != size:
        raise InvalidPrimitiveError(f"primitive {primitive_id!r}: {name} must hold {size} finite numbers, "
                                    f"got {values!r:.80}")
    return tuple(_finite(primitive_id, name, v) for v in items)


@dataclasses.dataclass(frozen=True)
class TaskPlan:
    """An ordered list of primitives produced for one intent."""

    plan_id: str
    intent: str
    primitives: Sequence[TaskPrimitive]

    def describe(self) -> str:
        lines = [f"plan {self.plan_id} for {self.intent!r}: {len(self.primitives)} steps"]
        lines += [f"  {i + 1:2d}. {p.describe()}" for i, p in enumerate(self.primitives)]
        return "\n".join(lines)
