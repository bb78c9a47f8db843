"""The gz backend: Gazebo without ros2_control, through ros_gz_bridge.

State from the JointStatePublisher system's ``/world/<world>/model/<model>/joint_state``
bridged to ``sensor_msgs/JointState`` (``topic_backend.py``); one ``std_msgs/Float64`` per
joint: ``/model/<model>/joint/<joint>/cmd_force`` (the ApplyJointForce system: efforts, which
it holds until the next) or, for the arm in position mode, ``/model/<model>/joint/<joint>/0/cmd_pos``
(the JointPositionController system). The fingers always take forces: the grip loop is the body's.
"""
from __future__ import annotations

import numpy as np

from std_msgs.msg import Float64

from brainbody.body.hardware import CommandMode
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS
from brainbody.ros.backends.topic_backend import CONTROL_QOS, TopicHardware


class GzHardware(TopicHardware):
    command_modes = frozenset({CommandMode.EFFORT, CommandMode.POSITION})

    def _make_command_publishers(self) -> None:
        topics = self.layout.joint_command_topics
        self._arm_pubs = [self.node.create_publisher(Float64, topics[n], CONTROL_QOS) for n in ARM_JOINTS]
        self._finger_pubs = [self.node.create_publisher(Float64, topics[n], CONTROL_QOS) for n in FINGER_JOINTS]

    def _publish_command(self, arm_values: np.ndarray, finger_force_n: np.ndarray) -> None:
        # Fingers first, the arm's last joint last: a lock-step simulator steps once all arrived.
        for pub, value in zip(self._finger_pubs, finger_force_n):
            pub.publish(Float64(data=float(value)))
        for pub, value in zip(self._arm_pubs, arm_values):
            pub.publish(Float64(data=float(value)))

    def describe(self) -> str:
        topics = self.layout.joint_command_topics
        return (f"{self.layout.state_topic} -> {topics[ARM_JOINTS[0]].replace(ARM_JOINTS[0], '<joint>')} "
                f"({self.command_mode.value}; fingers on cmd_force)")
