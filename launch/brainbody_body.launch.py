"""The body alone, on any backend: pair it with the brain (brainbody_brain.launch.py) or with
a planner of your own (/body/execute_primitive, /body/joint_trajectory).

    ros2 launch brainbody brainbody_body.launch.py                          # embedded MuJoCo
    ros2 launch brainbody brainbody_body.launch.py backend:=ros2_control     # sim_node or Gazebo behind it
    ros2 launch brainbody brainbody_body.launch.py backend:=ros2_control mode:=hardware use_sim_time:=false

The other parameters come from config/body.yaml (pass your own with params_file:=...).
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

PACKAGE = "brainbody"


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    arguments = [
        DeclareLaunchArgument("backend", default_value="embedded",
                              description="embedded (MuJoCo in-process), ros2_control, gz or topic_based"),
        DeclareLaunchArgument("mode", default_value="sim",
                              description="sim (a simulator behind the backend) or hardware (a robot)"),
        DeclareLaunchArgument("command_mode", default_value="effort", description="effort or position"),
        DeclareLaunchArgument("use_sim_time", default_value="true",
                              description="follow /clock (a simulator); false on a robot"),
        DeclareLaunchArgument("params_file", default_value=os.path.join(share, "config", "body.yaml"),
                              description="the body's parameter file"),
    ]
    body = Node(
        package=PACKAGE, executable="body_node", name="body_node", output="screen", emulate_tty=True,
        parameters=[LaunchConfiguration("params_file"), {
            "use_sim_time": ParameterValue(LaunchConfiguration("use_sim_time"), value_type=bool),
            "backend": ParameterValue(LaunchConfiguration("backend"), value_type=str),
            "mode": ParameterValue(LaunchConfiguration("mode"), value_type=str),
            "command_mode": ParameterValue(LaunchConfiguration("command_mode"), value_type=str),
        }],
    )
    return LaunchDescription(arguments + [body])
