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
