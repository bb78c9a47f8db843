"""A robot whose driver already runs (its controller manager with a joint_state_broadcaster
and a forward command controller): the body on its `ros2_control` backend in hardware mode,
and the brain. Wall clock (use_sim_time false).

    ros2 launch brainbody brainbody_hardware.launch.py
    ros2 launch brainbody brainbody_hardware.launch.py controller_name:=my_effort_controller \
        command_joints:="[j1, j2, j3, j4, j5, j6, j7, finger_left, finger_right]"
    ros2 launch brainbody brainbody_hardware.launch.py command_mode:=position

Effort mode: one controller over the 7 arm joints and the 2 fingers (efforts, in the order of
`command_joints`). Position mode: `controller_name` takes the arm's positions and
`gripper_controller_name` the fingers' efforts. config/controllers.yaml is a template for
the controller manager. The body learns the objects from /world/objects (a perception node).
"""
import os
from typing import List

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

PACKAGE = "brainbody"
PANDA_JOINTS = "[" + ", ".join([f"panda_joint{i}" for i in range(1, 8)]
                               + ["panda_finger_joint1", "panda_finger_joint2"]) + "]"


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    arguments = [
        DeclareLaunchArgument("command_mode", default_value="effort",
                              description="effort (joint torques) or position (motor-side set-points for the "
                                          "driver's position loop)"),
        DeclareLaunchArgument("controller_name", default_value="",
                              description="commands on /<controller_name>/commands; empty: effort_controller "
                                          "or position_controller by command_mode"),
        DeclareLaunchArgument("gripper_controller_name", default_value="gripper_controller",
                              description="position mode: the fingers' efforts on "
                                          "/<gripper_controller_name>/commands"),
        DeclareLaunchArgument("command_joints", default_value=PANDA_JOINTS,
                              description="the controller's joint list (YAML list): 7 arm joints, 2 fingers"),
        DeclareLaunchArgument("joint_states_topic", default_value="/joint_states",
                              description="the robot's sensor_msgs/JointState"),
    ]
    body = Node(
        package=PACKAGE, executable="body_node", name="body_node", output="screen", emulate_tty=True,
        parameters=[os.path.join(share, "config", "body.yaml"), {
            "use_sim_time": False,
            "mode": "hardware",
            "backend": "ros2_control",
            "command_mode": ParameterValue(LaunchConfiguration("command_mode"), value_type=str),
            "controller_name": ParameterValue(LaunchConfiguration("controller_name"), value_type=str),
            "gripper_controller_name": ParameterValue(LaunchConfiguration("gripper_controller_name"),
                                                      value_type=str),
            "command_joints": ParameterValue(LaunchConfiguration("command_joints"), value_type=List[str]),
            "joint_states_topic": ParameterValue(LaunchConfiguration("joint_states_topic"), value_type=str),
        }],
    )
    brain = Node(
        package=PACKAGE, executable="intent_node", name="intent_node", output="screen", emulate_tty=True,
        parameters=[os.path.join(share, "config", "brain.yaml"), {"use_sim_time": False}],
    )
    return LaunchDescription(arguments + [body, brain])
