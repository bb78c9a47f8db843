"""The ros2_control backend: the body as a client of a running controller manager.

State from ``sensor_msgs/JointState`` on ``/joint_states`` (joint_state_broadcaster), matched
by joint name (``topic_backend.py``); commands as ``std_msgs/Float64MultiArray`` on
``/<controller>/commands`` (forward_command_controller), ordered by the controller's joint
list. Effort mode: one ``JointGroupEffortController`` over arm torques (N m) and finger forces
(N, positive opens). Position mode: a ``JointGroupPositionController`` takes the arm's
motor-side set-points and a gripper effort controller the finger forces. This is the route
to gz_ros2_control and to vendor drivers (Franka, UR, Kinova, KUKA).
"""
from __future__ import annotations

import numpy as np

from std_msgs.msg import Float64MultiArray

from brainbody.body.hardware import CommandMode
from brainbody.body.joint_state_mapping import JointStateMapping
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS
from brainbody.ros.backends.topic_backend import CONTROL_QOS, STATE_QOS, TopicHardware

__all__ = ["CONTROL_QOS", "STATE_QOS", "Ros2ControlHardware"]


class Ros2ControlHardware(TopicHardware):
    command_modes = frozenset({CommandMode.EFFORT, CommandMode.POSITION})

    def _make_command_publishers(self) -> None:
        layout = self.layout
        if self.command_mode is CommandMode.EFFORT:
            self._order = JointStateMapping(ARM_JOINTS, FINGER_JOINTS, layout.arm_command_joints)
        else:
            # The arm controller's joints are the arm joints in its own order; the fingers are
            # in the gripper controller's.
            self._arm_slots = np.array([list(layout.arm_command_joints).index(n) for n in ARM_JOINTS])
            self._arm_size = len(layout.arm_command_joints)
            self._finger_slots = np.array([list(layout.gripper_command_joints).index(n) for n in FINGER_JOINTS])
            self._gripper_pub = self.node.create_publisher(Float64MultiArray, layout.gripper_command_topic,
                                                           CONTROL_QOS)
        self._command_pub = self.node.create_publisher(Float64MultiArray, layout.arm_command_topic, CONTROL_QOS)

    def _publish_command(self, arm_values: np.ndarray, finger_force_n: np.ndarray) -> None:
        if self.command_mode is CommandMode.EFFORT:
            self._command_pub.publish(Float64MultiArray(data=self._order.command(arm_values, finger_force_n)))
            return
        fingers = np.zeros(len(self._finger_slots))
        fingers[self._finger_slots] = finger_force_n
        # Gripper first: the arm's command completes the period (a lock-step simulator waits for both).
        self._gripper_pub.publish(Float64MultiArray(data=fingers.tolist()))
        arm = np.zeros(self._arm_size)
        arm[self._arm_slots] = arm_values
        self._command_pub.publish(Float64MultiArray(data=arm.tolist()))

    def describe(self) -> str:
        layout = self.layout
        out = f"{layout.state_topic} -> {layout.arm_command_topic} ({self.command_mode.value})"
        if layout.gripper_command_topic:
            out += f", finger efforts -> {layout.gripper_command_topic}"
        return out
