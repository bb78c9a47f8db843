"""launch_testing: launch/brainbody_gazebo.launch.py (server only) brings up Gazebo with the
coffee world, spawns the Panda and bridges its topics: /clock advances, the JointStatePublisher's
state arrives as sensor_msgs/JointState with every joint, the pad wrenches flow, the body
subscribes to every joint's cmd_force and the brain serves its action.

Skipped where launch_testing is not installed (the development machines), and where ros_gz
or robot_state_publisher is not (apt: ros-$ROS_DISTRO-ros-gz ros-$ROS_DISTRO-robot-state-publisher).
"""
import os
import unittest

import pytest

pytest.importorskip("launch_testing")

import launch  # noqa: E402
import launch_testing.actions  # noqa: E402
import rclpy.action  # noqa: E402
from ament_index_python.packages import PackageNotFoundError, get_package_share_directory  # noqa: E402
from geometry_msgs.msg import WrenchStamped  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
from rosgraph_msgs.msg import Clock  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402

from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS  # noqa: E402
from brainbody.node_params import BodyNodeConfig  # noqa: E402
from brainbody_interfaces.action import ExecuteIntent  # noqa: E402
from launch_waits import Probe  # noqa: E402

STARTUP_S = 120.0       # Gazebo's first start compiles shaders and loads physics plugins
REQUIRED = ("ros_gz_sim", "ros_gz_bridge", "robot_state_publisher")


def _missing(packages):
    missing = []
    for package in packages:
        try:
            get_package_share_directory(package)
        except PackageNotFoundError:
            missing.append(package)
    return missing


MISSING = _missing(REQUIRED)


# A skip here, not at import: an exception while launch_testing imports the module would
# skip every launch test of the directory.
@pytest.mark.launch_test
@pytest.mark.skipif(bool(MISSING), reason=f"not installed: {', '.join(MISSING)}")
def generate_test_description():
    path = os.path.join(get_package_share_directory("brainbody"), "launch", "brainbody_gazebo.launch.py")
    return launch.LaunchDescription([
        launch.actions.IncludeLaunchDescription(PythonLaunchDescriptionSource(path),
                                                launch_arguments={"gui": "false"}.items()),
        launch_testing.actions.ReadyToTest(),
    ])


class TestGazeboLaunch(unittest.TestCase):

    def setUp(self):
        self.probe = Probe("gazebo_launch_probe")
        self.config = BodyNodeConfig(backend="gz")

    def tearDown(self):
        self.probe.close()

    def test_the_clock_advances(self):
        first = self.probe.first_message(Clock, "/clock", STARTUP_S)
        self.assertIsNotNone(first, "no /clock from Gazebo through the bridge")
        later = self.probe.first_message(Clock, "/clock", 10.0,
                                         accept=lambda m: (m.clock.sec, m.clock.nanosec) >
                                         (first.clock.sec, first.clock.nanosec))
        self.assertIsNotNone(later, "/clock does not advance: is the world paused?")

    def test_the_joint_state_names_every_joint(self):
        topic = self.config.topic_layout("effort").state_topic
        msg = self.probe.first_message(JointState, topic, STARTUP_S,
                                       accept=lambda m: set(ARM_JOINTS + FINGER_JOINTS) <= set(m.name))
        self.assertIsNotNone(msg, f"no JointState with every joint on {topic}")

    def test_the_pad_wrenches_arrive(self):
        for topic in self.config.pad_force_topics:
            self.assertIsNotNone(self.probe.first_message(WrenchStamped, topic, STARTUP_S), topic)

    def test_the_body_commands_every_joint_force_topic(self):
        topics = list(self.config.topic_layout("effort").joint_command_topics.values())
        # The body publishes and the bridge subscribes: one of each per topic.
        self.assertTrue(self.probe.spin_until(
            lambda: all(self.probe.node.count_publishers(t) >= 1 and self.probe.node.count_subscribers(t) >= 1
                        for t in topics), STARTUP_S), topics)

    def test_the_brain_serves_execute_intent(self):
        client = rclpy.action.ActionClient(self.probe.node, ExecuteIntent, "/brain/execute_intent")
        self.assertTrue(client.wait_for_server(timeout_sec=STARTUP_S))
