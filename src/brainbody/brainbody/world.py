"""The world model shared by brain and body: objects and named places.

Mirrors ``brainbody_interfaces/msg/WorldObject``. The simulator (or a perception
node) fills it; the brain binds plan references to it; the body resolves poses and
force limits from it.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Mapping

from brainbody.exceptions import UnknownObjectError
from brainbody.primitives import Pose


@dataclasses.dataclass(frozen=True)
class WorldObject:
    """An object or named place.

    Attributes:
        id: unique name, e.g. ``cup``, ``tray``, ``dispense_spot``.
        kind: ``container``, ``button``, ``place``, ...
        pose: pose of the object's base (bottom centre) in the world frame.
        size_m: bounding box extents (x, y, z) in metres.
        mass_kg: current mass (0 for places).
        max_grip_force_n: largest grip force the object tolerates (0: not graspable).
        graspable: whether the gripper may close on it.
    """

    id: str
    kind: str
    pose: Pose
    size_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    mass_kg: float = 0.0
    max_grip_force_n: float = 0.0
    graspable: bool = False


class WorldModel:
    """A snapshot of known objects keyed by id."""

    def __init__(self, objects: Iterable[WorldObject] = ()):
        self._objects: dict[str, WorldObject] = {o.id: o for o in objects}

    def update(self, objects: Iterable[WorldObject]) -> None:
        self._objects = {o.id: o for o in objects}

    def get(self, object_id: str) -> WorldObject:
        """Return the object named ``object_id``.

        Raises:
            UnknownObjectError: no such object or place.
        """
        try:
            return self._objects[object_id]
        except KeyError:
            known = ", ".join(sorted(self._objects)) or "none"
            raise UnknownObjectError(
                f"unknown object or place {object_id!r}; known: {known}") from None

    def __contains__(self, object_id: str) -> bool:
        return object_id in self._objects

    def objects(self) -> Mapping[str, WorldObject]:
        return dict(self._objects)


@dataclasses.dataclass(frozen=True)
class ObjectProperties:
    """What the body knows of an object that perception does not report."""

    graspable: bool = False
    max_grip_force_n: float = 0.0
    mass_kg: float = 0.0

    def __post_init__(self):
        if not (0.0 <= self.max_grip_force_n < 1000.0) or not (0.0 <= self.mass_kg < 100.0):
            raise ValueError(f"object properties out of range: {self}")


def load_object_database(path) -> dict[str, ObjectProperties]:
    """Read ``config/objects.yaml``: ``objects: {id: {graspable, max_grip_force_n, mass_kg}}``."""
    import yaml
    from brainbody.share_files import dataclass_from_mapping
    with open(path, encoding="utf-8") as stream:
        document = yaml.safe_load(stream) or {}
    return {name: dataclass_from_mapping(ObjectProperties, values or {}, source=f"{path}: objects.{name}")
            for name, values in (document.get("objects") or {}).items()}


def merge_observation(object_id: str, kind: str, pose: Pose, size_m, database: Mapping[str, ObjectProperties]
                      ) -> WorldObject:
    """A perceived object plus its database properties; unknown objects are never graspable."""
    props = database.get(object_id, ObjectProperties())
    return WorldObject(id=object_id, kind=kind, pose=pose, size_m=tuple(float(v) for v in size_m),
                       mass_kg=props.mass_kg, max_grip_force_n=props.max_grip_force_n,
                       graspable=props.graspable)


def merge_observations(observed, database: Mapping[str, ObjectProperties]) -> list[WorldObject]:
    """Perceived objects (each with ``id``, ``kind``, ``position_m``, ``quat_wxyz``, ``size_m``)
    plus their database properties."""
    return [merge_observation(o.id, o.kind, Pose(o.position_m, o.quat_wxyz), o.size_m, database) for o in observed]
