"""The MuJoCo process's side of the command topics: what a robot's controllers take in each
topic profile (``topic_layout.py``), unpacked into the arm's and the fingers' values.

Each command topic is a channel; a period's command is complete once every channel has
spoken since the last state went out (the lock-step pacing waits for that). A malformed
message (wrong size, unknown or missing joint names, a non-finite value) is refused and the
last command stays applied, as a real controller keeps it.

For the fault-injection judge, every command message that arrives is also checked against the
plant's envelope (``limits``: per joint, the actuator's range, or the joint's range for
position set-points) and counted in ``unsafe`` when any value is non-finite or outside it,
whether it was then refused or taken.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Optional

import numpy as np

from sensor_msgs.msg import JointState
from std_msgs.msg import Float64, Float64MultiArray

from brainbody.ros.backends.topic_backend import CONTROL_QOS
from brainbody.sim.scene import ARM_JOINTS, FINGER_JOINTS
from brainbody.topic_layout import TopicLayout


class SimCommandInputs:
    """Subscriptions on ``node`` for ``layout``; ``on_refused(text)`` reports a refusal.
    ``limits`` maps a joint name to its (low, high) envelope for :attr:`unsafe`."""

    def __init__(self, node, layout: TopicLayout, on_refused: Callable[[str], None], *,
                 limits: Optional[Mapping[str, tuple[float, float]]] = None):
        self.layout = layout
        self.limits = dict(limits or {})
        self.unsafe = 0            # messages with a non-finite value or one outside ``limits``
        self.arm = np.zeros(7)
        self.finger = np.zeros(2)
        self.received = 0          # messages taken
        self.arm_updates = 0       # messages that set an arm joint
        self.refused = 0
        self._on_refused = on_refused
        self._heard: set[str] = set()
        self._channels: set[str] = set()
        if layout.profile == "gz":
            for joint, topic in layout.joint_command_topics.items():
                node.create_subscription(Float64, topic, lambda m, j=joint, t=topic: self._on_joint(t, j, m),
                                         CONTROL_QOS)
                self._channels.add(topic)
        elif layout.profile == "topic_based":
            node.create_subscription(JointState, layout.arm_command_topic, self._on_joint_state, CONTROL_QOS)
            self._channels.add(layout.arm_command_topic)
        else:
            joints = list(layout.arm_command_joints)
            node.create_subscription(Float64MultiArray, layout.arm_command_topic,
                                     lambda m: self._on_array(layout.arm_command_topic, joints, m), CONTROL_QOS)
            self._channels.add(layout.arm_command_topic)
            if layout.gripper_command_topic:
                fingers = list(layout.gripper_command_joints)
                node.create_subscription(Float64MultiArray, layout.gripper_command_topic,
                                         lambda m: self._on_array(layout.gripper_command_topic, fingers, m),
                                         CONTROL_QOS)
                self._channels.add(layout.gripper_command_topic)

    def complete(self) -> bool:
        """Every channel has spoken since :meth:`new_period`."""
        return self._heard >= self._channels

    def new_period(self) -> None:
        self._heard.clear()

    # -- unpacking ---------------------------------------------------------------------
    def _take(self, channel: str, values: dict) -> None:
        arm = False
        for joint, value in values.items():
            if joint in ARM_JOINTS:
                self.arm[ARM_JOINTS.index(joint)] = value
                arm = True
            elif joint in FINGER_JOINTS:
                self.finger[FINGER_JOINTS.index(joint)] = value
        self.arm_updates += arm
        self._heard.add(channel)
        self.received += 1

    def _judge(self, pairs) -> None:
        """Count a message whose (joint, value) pairs leave the envelope (before any refusal)."""
        for joint, value in pairs:
            value = float(value)
            low, high = self.limits.get(joint, (-math.inf, math.inf))
            if not (math.isfinite(value) and low <= value <= high):
                self.unsafe += 1
                return

    def _refuse(self, why: str) -> None:
        self.refused += 1
        self._on_refused(why)

    def _on_array(self, topic: str, joints: list, msg: Float64MultiArray) -> None:
        data = np.asarray(msg.data, dtype=float)
        self._judge(zip(joints, data) if len(data) == len(joints) else ((None, v) for v in data))
        if data.shape != (len(joints),) or not np.all(np.isfinite(data)):
            self._refuse(f"{topic}: {len(data)} values (need {len(joints)} finite ones)")
            return
        self._take(topic, dict(zip(joints, data)))

    def _on_joint(self, topic: str, joint: str, msg: Float64) -> None:
        self._judge([(joint, msg.data)])
        if not np.isfinite(msg.data):
            self._refuse(f"{topic}: non-finite command {msg.data}")
            return
        self._take(topic, {joint: float(msg.data)})

    def _on_joint_state(self, msg: JointState) -> None:
        topic = self.layout.arm_command_topic
        names, effort = list(msg.name), np.asarray(msg.effort, dtype=float)
        self._judge(zip(names, effort))
        missing = [n for n in ARM_JOINTS + FINGER_JOINTS if n not in names]
        if missing or len(effort) != len(names) or not np.all(np.isfinite(effort)):
            self._refuse(f"{topic}: {len(names)} names, {len(effort)} efforts"
                         + (f", lacks {missing}" if missing else "") + " (need finite efforts for every joint)")
            return
        self._take(topic, dict(zip(names, effort)))
