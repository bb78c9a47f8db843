"""launch_testing: launch/brainbody_mujoco_process.launch.py starts sim_node, the body on
ros2_control and the brain; the brain's action server comes up, the robot's joint states
flow, and a dry-run "make coffee" is planned against the simulated world. Skipped where
launch_testing is not installed (the development machines: no ROS install)."""
import os
import unittest

import pytest

pytest.importorskip("launch_testing")

import launch  # noqa: E402
import launch_testing.actions  # noqa: E402
import launch_testing.asserts  # noqa: E402
import rclpy.action  # noqa: E402
from ament_index_python.packages import get_package_share_directory  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402

from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS  # noqa: E402
from brainbody_interfaces.action import ExecuteIntent  # noqa: E402
from launch_waits import Probe  # noqa: E402

STARTUP_S = 60.0


@pytest.mark.launch_test
def generate_test_description():
    path = os.path.join(get_package_share_directory("brainbody"), "launch", "brainbody_mujoco_process.launch.py")
    return launch.LaunchDescription([
        launch.actions.IncludeLaunchDescription(PythonLaunchDescriptionSource(path),
                                                launch_arguments={"pacing": "wall"}.items()),
        launch_testing.actions.ReadyToTest(),
    ])


class TestMujocoProcessLaunch(unittest.TestCase):

    def setUp(self):
        self.probe = Probe("mujoco_process_launch_probe")

    def tearDown(self):
        self.probe.close()

    def test_joint_states_name_every_arm_and_finger_joint(self):
        msg = self.probe.first_message(JointState, "/joint_states", STARTUP_S,
                                       accept=lambda m: set(ARM_JOINTS + FINGER_JOINTS) <= set(m.name))
        self.assertIsNotNone(msg, "no /joint_states with every Panda joint")

    def test_the_brain_serves_execute_intent_and_plans_coffee(self):
        client = rclpy.action.ActionClient(self.probe.node, ExecuteIntent, "/brain/execute_intent")
        self.assertTrue(client.wait_for_server(timeout_sec=STARTUP_S), "/brain/execute_intent never came up")
        goal = client.send_goal_async(ExecuteIntent.Goal(intent="make coffee", dry_run=True))
        self.assertTrue(self.probe.spin_until(goal.done, STARTUP_S))
        handle = goal.result()
        self.assertTrue(handle.accepted)
        result = handle.get_result_async()
        self.assertTrue(self.probe.spin_until(result.done, STARTUP_S))
        answer = result.result().result
        self.assertTrue(answer.success, answer.message)
        self.assertGreater(len(answer.plan.primitives), 0)


@launch_testing.post_shutdown_test()
class TestMujocoProcessShutdown(unittest.TestCase):

    def test_every_process_exits_cleanly(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info)
