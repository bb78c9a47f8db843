"""The topic_based backend: the ``sensor_msgs/JointState`` command/state pair of ros2_control's
topic_based hardware interface, which Isaac Sim and other simulators speak.

State on ``/robot_joint_states`` (``topic_backend.py``); commands on ``/robot_joint_commands``:
one JointState naming the controller's joints with their efforts. Effort only: a JointState
command applies one interface to every joint it names, and the fingers must stay on force
while a position-mode arm would not.
"""
from __future__ import annotations

import numpy as np

from sensor_msgs.msg import JointState

from brainbody.body.hardware import CommandMode
from brainbody.body.joint_state_mapping import JointStateMapping
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS
from brainbody.ros.backends.topic_backend import CONTROL_QOS, TopicHardware
from brainbody.ros.conversions import time_msg


class TopicBasedHardware(TopicHardware):
    command_modes = frozenset({CommandMode.EFFORT})

    def _make_command_publishers(self) -> None:
        self._order = JointStateMapping(ARM_JOINTS, FINGER_JOINTS, self.layout.arm_command_joints)
        self._names = list(self.layout.arm_command_joints)
        self._command_pub = self.node.create_publisher(JointState, self.layout.arm_command_topic, CONTROL_QOS)

    def _publish_command(self, arm_values: np.ndarray, finger_force_n: np.ndarray) -> None:
        msg = JointState(name=self._names, effort=self._order.command(arm_values, finger_force_n))
        msg.header.stamp = time_msg(self._state.time_s)    # the state this command answers
        self._command_pub.publish(msg)

    def describe(self) -> str:
        return f"{self.layout.state_topic} -> {self.layout.arm_command_topic} (efforts)"
