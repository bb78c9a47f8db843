"""Mapping a robot's joint state and command arrays onto the body's joints, by name.

Topic backends (ros2_control's joint_state_broadcaster and forward_command_controller,
Gazebo's JointStatePublisher, the topic_based hardware interface) report joints in their own
order and may report more joints than the body drives. This matches them by name, refuses a
sample that must not move the arm (a missing joint, arrays of the wrong size, non-finite
values, a stamp that went backwards) and orders commands by the controller's joint list.
Plain numpy: the ROS adapters only unpack messages.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from brainbody.body.hardware import HardwareState
from brainbody.exceptions import InvalidStateError


class JointStateMapping:
    """Joint names of the body and of the robot's interfaces.

    Args:
        arm_joints: the 7 arm joints, in the body's order.
        finger_joints: the 2 finger joints, in the body's order.
        command_joints: the controller's joint list (the order of its command array); every
            arm and finger joint must be in it.
        need_finger_effort: refuse samples without finite finger efforts (the grip force
            comes from them).

    Raises:
        ValueError: a joint of the body is missing from ``command_joints`` or a name repeats.
    """

    def __init__(self, arm_joints: Sequence[str], finger_joints: Sequence[str], command_joints: Sequence[str], *,
                 need_finger_effort: bool = False):
        self.arm_joints, self.finger_joints = tuple(arm_joints), tuple(finger_joints)
        self.body_joints = self.arm_joints + self.finger_joints
        self.command_joints = tuple(command_joints)
        if len(set(self.command_joints)) != len(self.command_joints):
            raise ValueError(f"command joints repeat a name: {list(self.command_joints)}")
        missing = [n for n in self.body_joints if n not in self.command_joints]
        if missing:
            raise ValueError(f"the controller's joint list lacks {missing} (it has {list(self.command_joints)})")
        index = {n: i for i, n in enumerate(self.command_joints)}
        self._arm_slots = np.array([index[n] for n in self.arm_joints])
        self._finger_slots = np.array([index[n] for n in self.finger_joints])
        self.need_finger_effort = need_finger_effort
        self._last_stamp_s = -math.inf
        self._order_cache: tuple[tuple[str, ...], np.ndarray] | None = None

    def _order(self, names: Sequence[str]) -> np.ndarray:
        """Index into the message's arrays of each body joint (cached: names rarely change)."""
        key = tuple(names)
        if self._order_cache is not None and self._order_cache[0] == key:
            return self._order_cache[1]
        position = {n: i for i, n in enumerate(key)}
        if len(position) != len(key):
            raise InvalidStateError(f"joint state repeats a joint name: {list(key)}")
        missing = [n for n in self.body_joints if n not in position]
        if missing:
            raise InvalidStateError(f"joint state lacks {missing}")
        order = np.array([position[n] for n in self.body_joints])
        self._order_cache = (key, order)
        return order

    def state(self, stamp_s: float, names: Sequence[str], positions: Sequence[float], velocities: Sequence[float],
              *, efforts: Sequence[float] = (), pad_force_xyz_n: Optional[np.ndarray] = None,
              q_link_rad: Optional[np.ndarray] = None) -> Optional[HardwareState]:
        """A :class:`HardwareState` from one joint state sample; None for a repeat of the last stamp.

        ``efforts`` may be empty (JointState's convention for "not reported"); otherwise it has
        one value per name, and the fingers' go into ``finger_effort_n``.
        ``pad_force_xyz_n`` (2, 3): each pad's force in its own frame, y along the face normal
        (its sign depends on the pad's frame; the normal force is its magnitude).

        Raises:
            InvalidStateError: a missing joint, arrays of the wrong size, a non-finite value,
                or a stamp older than the last one accepted.
        """
        if not math.isfinite(stamp_s):
            raise InvalidStateError(f"joint state stamp is not finite ({stamp_s})")
        if stamp_s < self._last_stamp_s:
            raise InvalidStateError(f"joint state stamp went backwards: {stamp_s:.6f} s after "
                                    f"{self._last_stamp_s:.6f} s")
        if stamp_s == self._last_stamp_s:
            return None
        n = len(names)
        if len(positions) != n or len(velocities) != n:
            raise InvalidStateError(f"joint state has {n} names but {len(positions)} positions and "
                                    f"{len(velocities)} velocities")
        order = self._order(names)
        q = np.asarray(positions, dtype=float)[order]
        qd = np.asarray(velocities, dtype=float)[order]
        if not (np.all(np.isfinite(q)) and np.all(np.isfinite(qd))):
            bad = [self.body_joints[i] for i in np.flatnonzero(~(np.isfinite(q) & np.isfinite(qd)))]
            raise InvalidStateError(f"joint state has non-finite values for {bad}")
        finger_effort = None
        if len(efforts):
            if len(efforts) != n:
                raise InvalidStateError(f"joint state has {n} names but {len(efforts)} efforts")
            finger_effort = np.asarray(efforts, dtype=float)[order][len(self.arm_joints):]
            if not np.all(np.isfinite(finger_effort)):
                raise InvalidStateError(f"joint state has non-finite efforts for {list(self.finger_joints)}")
        elif self.need_finger_effort:
            raise InvalidStateError(f"joint state reports no effort for {list(self.finger_joints)}, which the "
                                    "grip force source finger_effort needs")
        pads = np.zeros((2, 3)) if pad_force_xyz_n is None else np.asarray(pad_force_xyz_n, dtype=float)
        if pads.shape != (2, 3) or not np.all(np.isfinite(pads)):
            raise InvalidStateError("pad forces must be two finite 3-vectors")
        self._last_stamp_s = stamp_s
        na = len(self.arm_joints)
        return HardwareState(time_s=float(stamp_s), q_rad=q[:na], qd_radps=qd[:na], finger_pos_m=q[na:],
                             finger_vel_mps=qd[na:], pad_force_n=np.abs(pads[:, 1]), q_link_rad=q_link_rad,
                             pad_force_xyz_n=pads, finger_effort_n=finger_effort)

    def command(self, arm_values: np.ndarray, finger_values: np.ndarray) -> list[float]:
        """One command array in the controller's joint order (joints the body does not drive: 0)."""
        out = np.zeros(len(self.command_joints))
        out[self._arm_slots] = arm_values
        out[self._finger_slots] = finger_values
        return out.tolist()
