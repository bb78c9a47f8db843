"""Message <-> core dataclass conversions. Malformed messages raise typed core errors (a malformed
``/world/objects`` entry is left out instead: see :func:`world_from_msg`)."""
from __future__ import annotations

import math
import time
from typing import Callable, Optional

import rclpy.logging

from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Pose as PoseMsg, Quaternion, Vector3

from brainbody_interfaces.msg import ObjectArray, TaskPlan as TaskPlanMsg, TaskPrimitive as TaskPrimitiveMsg
from brainbody_interfaces.msg import WorldObject as WorldObjectMsg
from brainbody.primitives import Pose, PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.world import WorldObject


def time_msg(seconds: float) -> Time:
    sec = int(math.floor(seconds))
    return Time(sec=sec, nanosec=int((seconds - sec) * 1e9))


def fill_time(stamp: Time, seconds: float) -> None:
    """Set ``stamp`` in place to ``seconds`` (a message reused every publish is not rebuilt)."""
    sec = int(math.floor(seconds))
    stamp.sec, stamp.nanosec = sec, int((seconds - sec) * 1e9)


def stamp_s(stamp: Time) -> float:
    """A ``builtin_interfaces/Time`` in seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def duration_s(duration) -> float:
    """A ``builtin_interfaces/Duration`` in seconds."""
    return duration.sec + duration.nanosec * 1e-9


def pose_to_msg(pose: Pose) -> PoseMsg:
    w, x, y, z = pose.quat_wxyz
    return PoseMsg(position=Point(x=float(pose.position_m[0]), y=float(pose.position_m[1]),
                                  z=float(pose.position_m[2])),
                   orientation=Quaternion(w=float(w), x=float(x), y=float(y), z=float(z)))


def pose_from_msg(msg: PoseMsg) -> Pose:
    o = msg.orientation
    return Pose((msg.position.x, msg.position.y, msg.position.z), (o.w, o.x, o.y, o.z))


def primitive_to_msg(p: TaskPrimitive) -> TaskPrimitiveMsg:
    msg = TaskPrimitiveMsg(id=p.id, kind=int(PrimitiveKind.parse(p.kind)), object_id=p.object_id,
                           target_id=p.target_id, use_pose=p.pose is not None,
                           grip_force_n=float(p.grip_force_n), lift_height_m=float(p.lift_height_m),
                           max_speed_mps=float(p.max_speed_mps), duration_s=float(p.duration_s),
                           timeout_s=float(p.timeout_s))
    if p.pose is not None:
        msg.pose = pose_to_msg(p.pose)
    return msg


def primitive_from_msg(msg: TaskPrimitiveMsg) -> TaskPrimitive:
    """Build and structurally check a primitive.

    Raises:
        InvalidPrimitiveError: unknown kind, NaN, negative values, missing references.
    """
    return TaskPrimitive(id=msg.id, kind=PrimitiveKind.parse(int(msg.kind)), object_id=msg.object_id,
                         target_id=msg.target_id, pose=pose_from_msg(msg.pose) if msg.use_pose else None,
                         grip_force_n=msg.grip_force_n, lift_height_m=msg.lift_height_m,
                         max_speed_mps=msg.max_speed_mps, duration_s=msg.duration_s,
                         timeout_s=msg.timeout_s).check()


def plan_to_msg(plan: TaskPlan, stamp: Time | None = None) -> TaskPlanMsg:
    msg = TaskPlanMsg(plan_id=plan.plan_id, intent=plan.intent,
                      primitives=[primitive_to_msg(p) for p in plan.primitives])
    msg.header.frame_id = "world"
    if stamp is not None:
        msg.header.stamp = stamp
    return msg


def world_to_msg(objects, stamp: Time) -> ObjectArray:
    msg = ObjectArray()
    msg.header.stamp, msg.header.frame_id = stamp, "world"
    for o in objects:
        msg.objects.append(WorldObjectMsg(
            id=o.id, kind=o.kind, pose=pose_to_msg(o.pose),
            size_m=Vector3(x=float(o.size_m[0]), y=float(o.size_m[1]), z=float(o.size_m[2])),
            mass_kg=float(o.mass_kg), max_grip_force_n=float(o.max_grip_force_n), graspable=bool(o.graspable)))
    return msg


def world_from_msg(msg: ObjectArray, on_refused: Optional[Callable[[str], None]] = None) -> list[WorldObject]:
    """The well-formed objects of an ``ObjectArray``.

    An entry with an empty or repeated id, a non-finite position, a quaternion that is not unit
    length, or a size, mass or grip force limit that is negative or not finite is left out (the
    body then refuses a primitive naming it as an unknown object) and reported to
    ``on_refused`` (default: an error on the ROS logger, at most once a second). Never raises:
    it runs inside subscription callbacks, where an exception would stop the node.
    """
    objects, seen = [], set()
    for o in msg.objects:
        why = _malformed_object(o, seen)
        if why:
            (on_refused or _log_refused_object)(f"/world/objects entry {o.id!r:.60} left out: {why}")
            continue
        seen.add(o.id)
        objects.append(WorldObject(id=o.id, kind=o.kind, pose=pose_from_msg(o.pose),
                                   size_m=(o.size_m.x, o.size_m.y, o.size_m.z), mass_kg=o.mass_kg,
                                   max_grip_force_n=o.max_grip_force_n, graspable=o.graspable))
    return objects


def _malformed_object(o: WorldObjectMsg, seen: set) -> str:
    """Why a world object entry must not be used ('' when it may)."""
    if not o.id.strip():
        return "empty id"
    if o.id in seen:
        return "repeated id"
    p, q, size = o.pose.position, o.pose.orientation, o.size_m
    if not all(math.isfinite(v) for v in (p.x, p.y, p.z)):
        return "position not finite"
    norm_sq = q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z
    if not (math.isfinite(norm_sq) and abs(norm_sq - 1.0) <= 2e-3):
        return "quaternion not unit length"
    for name, value in (("size_m.x", size.x), ("size_m.y", size.y), ("size_m.z", size.z),
                        ("mass_kg", o.mass_kg), ("max_grip_force_n", o.max_grip_force_n)):
        if not (math.isfinite(value) and value >= 0.0):
            return f"{name} is {value}"
    return ""


_REFUSAL_LOG_PERIOD_S = 1.0     # a perception node publishing garbage at 20 Hz must not flood the log
_last_refusal_log_s = -math.inf


def _log_refused_object(why: str) -> None:
    global _last_refusal_log_s
    now = time.monotonic()
    if now - _last_refusal_log_s >= _REFUSAL_LOG_PERIOD_S:
        _last_refusal_log_s = now
        rclpy.logging.get_logger("brainbody.world").error(why)
