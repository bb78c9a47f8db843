"""Brain and body in simulation: the body node runs MuJoCo in-process (its hardware) and
publishes /clock; the intent node serves /brain/execute_intent.

    ros2 launch brainbody brainbody_sim.launch.py
    ros2 launch brainbody brainbody_sim.launch.py seed:=3 realtime_factor:=0
    ros2 launch brainbody brainbody_sim.launch.py \
        sim_drivetrain:="[budget_planetary, budget_planetary, budget_planetary, budget_planetary,
                          budget_planetary, budget_planetary, budget_planetary]"
    ros2 action send_goal /brain/execute_intent brainbody_interfaces/action/ExecuteIntent \
        "{intent: 'make coffee'}" --feedback

Parameters come from config/body.yaml and config/brain.yaml in the package share
directory; the launch arguments below override them. The body node reads the robot
from urdf/panda.urdf of the same share directory itself.
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
HARMONIC_X7 = "[" + ", ".join(["harmonic"] * 7) + "]"


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    body_params = os.path.join(share, "config", "body.yaml")
    brain_params = os.path.join(share, "config", "brain.yaml")

    use_sim_time = LaunchConfiguration("use_sim_time")
    seed = LaunchConfiguration("seed")
    realtime_factor = LaunchConfiguration("realtime_factor")
    sim_drivetrain = LaunchConfiguration("sim_drivetrain")
    drivetrain_estimates = LaunchConfiguration("drivetrain_estimates")

    arguments = [
        DeclareLaunchArgument("use_sim_time", default_value="true",
                              description="follow /clock published by the simulated body"),
        DeclareLaunchArgument("seed", default_value="0",
                              description="simulation seed (places the cup)"),
        DeclareLaunchArgument("realtime_factor", default_value="1.0",
                              description="1.0 paces the simulation to the wall clock, "
                                          "0 runs it as fast as possible"),
        DeclareLaunchArgument("sim_drivetrain", default_value=HARMONIC_X7,
                              description="the simulated plant's gearbox per arm joint, a YAML list of 7 "
                                          "profiles of config/sim_drivetrain.yaml (harmonic, "
                                          "budget_planetary, rigid)"),
        DeclareLaunchArgument("drivetrain_estimates", default_value=HARMONIC_X7,
                              description="the servo's drivetrain estimates per arm joint, a YAML list of 7 "
                                          "sets of config/drivetrain_estimates.yaml"),
    ]

    body = Node(
        package=PACKAGE,
        executable="body_node",
        name="body_node",
        output="screen",
        emulate_tty=True,
        parameters=[
            body_params,
            {
                "use_sim_time": ParameterValue(use_sim_time, value_type=bool),
                "seed": ParameterValue(seed, value_type=int),
                "realtime_factor": ParameterValue(realtime_factor, value_type=float),
                "sim_drivetrain": ParameterValue(sim_drivetrain, value_type=List[str]),
                "drivetrain_estimates": ParameterValue(drivetrain_estimates, value_type=List[str]),
            },
        ],
    )
    brain = Node(
        package=PACKAGE,
        executable="intent_node",
        name="intent_node",
        output="screen",
        emulate_tty=True,
        parameters=[
            brain_params,
            {"use_sim_time": ParameterValue(use_sim_time, value_type=bool)},
        ],
    )
    return LaunchDescription(arguments + [body, brain])
