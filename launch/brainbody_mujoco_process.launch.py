"""MuJoCo as a process of its own (sim_node) speaking one robot profile's topics, the body on
the backend of the same name, and the brain: the same three processes `brainbody demo
--backend <profile>` starts.

    ros2 launch brainbody brainbody_mujoco_process.launch.py
    ros2 launch brainbody brainbody_mujoco_process.launch.py pacing:=wall realtime_factor:=1.0
    ros2 launch brainbody brainbody_mujoco_process.launch.py profile:=gz command_mode:=position
    ros2 launch brainbody brainbody_mujoco_process.launch.py profile:=topic_based
    ros2 action send_goal /brain/execute_intent brainbody_interfaces/action/ExecuteIntent \
        "{intent: 'make coffee'}" --feedback

Lock-step pacing (the default) steps the simulator only once the body's command for the last
state has arrived: deterministic, and as fast as the three processes allow.
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
    body_params = os.path.join(share, "config", "body.yaml")
    brain_params = os.path.join(share, "config", "brain.yaml")
    use_sim_time = LaunchConfiguration("use_sim_time")

    profile = ParameterValue(LaunchConfiguration("profile"), value_type=str)
    command_mode = ParameterValue(LaunchConfiguration("command_mode"), value_type=str)
    controller_name = ParameterValue(LaunchConfiguration("controller_name"), value_type=str)

    arguments = [
        DeclareLaunchArgument("profile", default_value="ros2_control",
                              description="the topics sim_node speaks and the body's backend: ros2_control, gz "
                                          "or topic_based"),
        DeclareLaunchArgument("command_mode", default_value="effort",
                              description="effort (joint torques) or position (the arm's motor-side set-points); "
                                          "sim_node and body alike"),
        DeclareLaunchArgument("use_sim_time", default_value="true",
                              description="follow /clock published by sim_node"),
        DeclareLaunchArgument("seed", default_value="0", description="simulation seed (places the cup)"),
        DeclareLaunchArgument("pacing", default_value="lockstep",
                              description="lockstep (deterministic) or wall (paced by realtime_factor)"),
        DeclareLaunchArgument("realtime_factor", default_value="1.0",
                              description="wall pacing: sim time per wall time"),
        DeclareLaunchArgument("controller_name", default_value="",
                              description="ros2_control: commands on /<controller_name>/commands; empty: "
                                          "effort_controller or position_controller by command_mode"),
        # Lock-step over DDS: a state's wall age measures the machine's load, not the robot.
        DeclareLaunchArgument("state_deadline_s", default_value="0.5",
                              description="the body's state deadline (a real driver: a few periods)"),
        DeclareLaunchArgument("stale_hold_s", default_value="2.0",
                              description="stale this long, the body holds and fails the primitive"),
    ]
    sim = Node(
        package=PACKAGE, executable="sim_node", name="sim_node", output="screen", emulate_tty=True,
        parameters=[{
            "profile": profile,
            "command_mode": command_mode,
            "seed": ParameterValue(LaunchConfiguration("seed"), value_type=int),
            "pacing": LaunchConfiguration("pacing"),
            "realtime_factor": ParameterValue(LaunchConfiguration("realtime_factor"), value_type=float),
            "controller_name": controller_name,
        }],
    )
    body = Node(
        package=PACKAGE, executable="body_node", name="body_node", output="screen", emulate_tty=True,
        parameters=[body_params, {
            "use_sim_time": ParameterValue(use_sim_time, value_type=bool),
            "backend": profile,
            "command_mode": command_mode,
            "controller_name": controller_name,
            "state_deadline_s": ParameterValue(LaunchConfiguration("state_deadline_s"), value_type=float),
            "stale_hold_s": ParameterValue(LaunchConfiguration("stale_hold_s"), value_type=float),
        }],
    )
    brain = Node(
        package=PACKAGE, executable="intent_node", name="intent_node", output="screen", emulate_tty=True,
        parameters=[brain_params, {"use_sim_time": ParameterValue(use_sim_time, value_type=bool)}],
    )
    return LaunchDescription(arguments + [sim, body, brain])
