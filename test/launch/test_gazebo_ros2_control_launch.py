"""launch_testing: launch/brainbody_gazebo_ros2_control.launch.py (server only) spawns the Panda
with gz_ros2_control; the joint_state_broadcaster publishes /joint_states with every joint,
the effort_controller listens on /effort_controller/commands and the body, started once the
controllers are active, commands it.

Skipped where launch_testing is not installed (the development machines), and where ros_gz,
gz_ros2_control, ros2_controllers or robot_state_publisher is not.
"""
import os
import unittest

import pytest

pytest.importorskip("launch_testing")

import launch  # noqa: E402
import launch_testing.actions  # noqa: E402
from ament_index_python.packages import PackageNotFoundError, get_package_share_directory  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402

from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS  # noqa: E402
from launch_waits import Probe  # noqa: E402

STARTUP_S = 120.0
REQUIRED = ("ros_gz_sim", "ros_gz_bridge", "gz_ros2_control", "controller_manager", "forward_command_controller",
            "joint_state_broadcaster", "robot_state_publisher")


def _missing(packages):
    missing = []
    for package in packages:
        try:
            get_package_share_directory(package)
        except PackageNotFoundError:
            missing.append(package)
    return missing


MISSING = _missing(REQUIRED)


@pytest.mark.launch_test
@pytest.mark.skipif(bool(MISSING), reason=f"not installed: {', '.join(MISSING)}")
def generate_test_description():
    path = os.path.join(get_package_share_directory("brainbody"), "launch",
                        "brainbody_gazebo_ros2_control.launch.py")
    return launch.LaunchDescription([
        launch.actions.IncludeLaunchDescription(PythonLaunchDescriptionSource(path),
                                                launch_arguments={"gui": "false"}.items()),
        launch_testing.actions.ReadyToTest(),
    ])


class TestGazeboRos2ControlLaunch(unittest.TestCase):

    def setUp(self):
        self.probe = Probe("gazebo_ros2_control_launch_probe")

    def tearDown(self):
        self.probe.close()

    def test_the_broadcaster_publishes_every_joint(self):
        msg = self.probe.first_message(JointState, "/joint_states", STARTUP_S,
                                       accept=lambda m: set(ARM_JOINTS + FINGER_JOINTS) <= set(m.name))
        self.assertIsNotNone(msg, "no /joint_states with every joint from joint_state_broadcaster")

    def test_the_body_commands_the_active_effort_controller(self):
        topic = "/effort_controller/commands"
        self.assertTrue(self.probe.spin_until(
            lambda: self.probe.node.count_subscribers(topic) >= 1 and self.probe.node.count_publishers(topic) >= 1,
            STARTUP_S), f"{topic}: no controller listening or no body commanding")
