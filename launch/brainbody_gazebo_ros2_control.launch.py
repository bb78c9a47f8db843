"""Gazebo with gz_ros2_control: the coffee world, the Panda with its <ros2_control> block
(urdf/panda_gz_ros2_control.urdf, controllers from config/controllers.yaml), the controller
spawners, a bridge for /clock and the pad sensors, the body on its `ros2_control` backend and
the brain.

    ros2 launch brainbody brainbody_gazebo_ros2_control.launch.py
    ros2 launch brainbody brainbody_gazebo_ros2_control.launch.py command_mode:=position

Order: Gazebo and robot_state_publisher start, the robot is spawned; once that is done the
joint_state_broadcaster is spawned, then the controllers of the command mode (effort:
effort_controller; position: position_controller and gripper_controller); once they are
active the body and the brain start. Needs ros_gz, gz_ros2_control, ros2_controllers and
robot_state_publisher (apt: ros-$ROS_DISTRO-ros-gz, ros-$ROS_DISTRO-gz-ros2-control,
ros-$ROS_DISTRO-ros2-controllers, ros-$ROS_DISTRO-robot-state-publisher). The body learns the
objects from /world/objects, which nothing here publishes: run a perception node that does.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, OpaqueFunction, RegisterEventHandler
from launch.event_handlers import OnProcessExit
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = "brainbody"
ROBOT_URDF = "panda_gz_ros2_control.urdf"
# The URDF names the controllers file as xacro would; resolved here without xacro.
SHARE_TOKEN = "$(find brainbody)"
CONTROLLERS = {"effort": ["effort_controller"], "position": ["position_controller", "gripper_controller"]}
PAD_TOPICS = ("/gripper/left_pad/force", "/gripper/right_pad/force")   # the body's pad_force_topics
BRIDGED = ["/clock@rosgraph_msgs/msg/Clock[gz.msgs.Clock"] + [
    f"{topic}@geometry_msgs/msg/WrenchStamped[gz.msgs.Wrench" for topic in PAD_TOPICS]


def launch_setup(context):
    share = get_package_share_directory(PACKAGE)
    value = {name: LaunchConfiguration(name).perform(context)
             for name in ("world", "gz_world", "gz_model", "command_mode", "gui")}
    if value["command_mode"] not in CONTROLLERS:
        raise RuntimeError(f"command_mode must be one of {', '.join(CONTROLLERS)}, "
                           f"got {value['command_mode']!r}")
    controllers_file = os.path.join(share, "config", "controllers.yaml")
    with open(os.path.join(share, "urdf", ROBOT_URDF), encoding="utf-8") as stream:
        robot_description = stream.read().replace(SHARE_TOKEN, share)

    gz_args = f"-r -v 3 {value['world']}" + ("" if value["gui"] == "true" else " -s")
    gazebo = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(get_package_share_directory("ros_gz_sim"),
                                                   "launch", "gz_sim.launch.py")),
        launch_arguments={"gz_args": gz_args, "on_exit_shutdown": "true"}.items(),
    )
    state_publisher = Node(
        package="robot_state_publisher", executable="robot_state_publisher", name="robot_state_publisher",
        output="screen", parameters=[{"robot_description": robot_description, "use_sim_time": True}],
    )
    spawn = Node(
        package="ros_gz_sim", executable="create", name="spawn_panda", output="screen",
        arguments=["-world", value["gz_world"], "-name", value["gz_model"], "-topic", "robot_description"],
    )
    bridge = Node(
        package="ros_gz_bridge", executable="parameter_bridge", name="gz_bridge", output="screen",
        arguments=BRIDGED, parameters=[{"use_sim_time": True}],
    )

    def spawner(names, node_name):
        return Node(package="controller_manager", executable="spawner", name=node_name, output="screen",
                    arguments=names + ["--param-file", controllers_file,
                                       "--controller-manager", "/controller_manager"])

    broadcaster = spawner(["joint_state_broadcaster"], "spawn_joint_state_broadcaster")
    controllers = spawner(CONTROLLERS[value["command_mode"]], "spawn_controllers")
    body = Node(
        package=PACKAGE, executable="body_node", name="body_node", output="screen", emulate_tty=True,
        parameters=[os.path.join(share, "config", "body.yaml"), {
            "use_sim_time": True,
            "backend": "ros2_control",
            "command_mode": value["command_mode"],
            "controller_name": CONTROLLERS[value["command_mode"]][0],
        }],
    )
    brain = Node(
        package=PACKAGE, executable="intent_node", name="intent_node", output="screen", emulate_tty=True,
        parameters=[os.path.join(share, "config", "brain.yaml"), {"use_sim_time": True}],
    )
    return [
        gazebo, state_publisher, spawn, bridge,
        RegisterEventHandler(OnProcessExit(target_action=spawn, on_exit=[broadcaster])),
        RegisterEventHandler(OnProcessExit(target_action=broadcaster, on_exit=[controllers])),
        RegisterEventHandler(OnProcessExit(target_action=controllers, on_exit=[body, brain])),
    ]


def generate_launch_description():
    share = get_package_share_directory(PACKAGE)
    return LaunchDescription([
        DeclareLaunchArgument("world", default_value=os.path.join(share, "worlds", "brainbody_coffee.sdf"),
                              description="the Gazebo world file"),
        DeclareLaunchArgument("gz_world", default_value="default",
                              description="the world's name inside that file"),
        DeclareLaunchArgument("gz_model", default_value="panda", description="the robot's model name in Gazebo"),
        DeclareLaunchArgument("command_mode", default_value="effort",
                              description="effort (effort_controller) or position (position_controller + "
                                          "gripper_controller); the body's command_mode"),
        DeclareLaunchArgument("gui", default_value="true", description="false: Gazebo server only"),
        OpaqueFunction(function=launch_setup),
    ])
