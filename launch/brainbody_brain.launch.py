"""The brain alone (intent_node): serves /brain/execute_intent and sends primitives to a body
on /body/execute_primitive (brainbody_body.launch.py, or a body of your own).

    ros2 launch brainbody brainbody_brain.launch.py
    ros2 launch brainbody brainbody_brain.launch.py use_sim_time:=false    # a robot on the wall clock
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
        DeclareLaunchArgument("use_sim_time", default_value="true",
                              description="follow /clock (a simulator); false on a robot"),
        DeclareLaunchArgument("params_file", default_value=os.path.join(share, "config", "brain.yaml"),
                              description="the brain's parameter file"),
    ]
    brain = Node(
        package=PACKAGE, executable="intent_node", name="intent_node", output="screen", emulate_tty=True,
        parameters=[LaunchConfiguration("params_file"),
                    {"use_sim_time": ParameterValue(LaunchConfiguration("use_sim_time"), value_type=bool)}],
    )
    return LaunchDescription(arguments + [brain])
