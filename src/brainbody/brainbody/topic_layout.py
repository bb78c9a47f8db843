"""Which topics each topic profile speaks, with the names the standard set-ups use.

One place for the names both sides use: the body's topic backends (``ros/backends/``) and
the MuJoCo process (``ros/sim_node.py``), the launch files and their static checks. Plain
Python: no rclpy.

- ``ros2_control``: ``sensor_msgs/JointState`` on ``/joint_states`` (joint_state_broadcaster);
  ``std_msgs/Float64MultiArray`` on ``/<controller>/commands`` (forward_command_controller),
  ordered by the controller's joint list. Effort mode: one controller over arm and fingers.
  Position mode: the arm's position controller, and the fingers' efforts on a gripper
  controller (a forward command controller takes one interface).
- ``gz``: Gazebo through ros_gz_bridge: state from the JointStatePublisher topic
  ``/world/<world>/model/<model>/joint_state``; one ``std_msgs/Float64`` per joint on
  ``/model/<model>/joint/<joint>/cmd_force`` (ApplyJointForce) or, for the arm in position
  mode, ``/model/<model>/joint/<joint>/cmd_pos``, which the bridge maps to the
  JointPositionController's gz topic ``/model/<model>/joint/<joint>/0/cmd_pos`` (a ROS name
  may not have a token that starts with a digit).
- ``topic_based``: the ``sensor_msgs/JointState`` pair of ros2_control's topic_based
  hardware interface: efforts on ``/robot_joint_commands``, state on ``/robot_joint_states``.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

PROFILES = ("ros2_control", "gz", "topic_based")
COMMAND_MODES = ("effort", "position")
# Which command modes each profile carries.
# topic_based: a JointState command applies one interface to every joint it names, and the
# fingers stay on force, so it carries efforts only.
PROFILE_MODES = {"ros2_control": ("effort", "position"), "gz": ("effort", "position"),
                 "topic_based": ("effort",)}


@dataclasses.dataclass(frozen=True)
class TopicLayout:
    """Resolved topic names of one profile and command mode.

    Attributes:
        profile, command_mode: what was resolved.
        state_topic: the robot's ``sensor_msgs/JointState``.
        arm_command_topic: ros2_control: the arm (and, in effort mode, finger) controller's
            ``commands``; topic_based: the command ``JointState``; gz: None (per joint).
        arm_command_joints: the order of that command array (ros2_control).
        gripper_command_topic: ros2_control position mode: the fingers' effort controller.
        gripper_command_joints: the order of its command array.
        joint_command_topics: gz: ``{joint: Float64 topic}`` for every arm and finger joint.
        gz_joint_command_topics: gz: the Gazebo-side topic the bridge maps each one to.
    """

    profile: str
    command_mode: str
    state_topic: str
    arm_command_topic: Optional[str] = None
    arm_command_joints: tuple = ()
    gripper_command_topic: Optional[str] = None
    gripper_command_joints: tuple = ()
    joint_command_topics: dict = dataclasses.field(default_factory=dict)
    gz_joint_command_topics: dict = dataclasses.field(default_factory=dict)


def topic_layout(profile: str, command_mode: str, *, arm_joints, finger_joints, controller_name: str = "",
                 command_joints=(), gripper_controller_name: str = "gripper_controller",
                 gz_world: str = "default", gz_model: str = "panda", joint_states_topic: str = "",
                 joint_commands_topic: str = "") -> TopicLayout:
    """The topics of ``profile`` in ``command_mode``; empty names take the standard ones.

    ``controller_name`` empty: ``effort_controller`` or ``position_controller`` by mode.
    ``command_joints`` empty: arm then finger joints.

    Raises:
        ValueError: an unknown profile or mode, or a command joint list without every joint.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    if command_mode not in PROFILE_MODES[profile]:
        raise ValueError(f"profile {profile!r} has no command mode {command_mode!r}; "
                         f"known: {', '.join(PROFILE_MODES[profile])}")
    arm, fingers = tuple(arm_joints), tuple(finger_joints)
    joints = tuple(command_joints) or arm + fingers
    missing = [n for n in arm + fingers if n not in joints]
    if missing:
        raise ValueError(f"command_joints lacks {missing} (it has {list(joints)})")
    if profile == "ros2_control":
        controller = controller_name or f"{command_mode}_controller"
        state = joint_states_topic or "/joint_states"
        if command_mode == "effort":
            return TopicLayout(profile, command_mode, state, f"/{controller}/commands", joints)
        return TopicLayout(profile, command_mode, state, f"/{controller}/commands",
                           tuple(n for n in joints if n not in fingers),
                           f"/{gripper_controller_name}/commands", fingers)
    if profile == "gz":
        state = joint_states_topic or f"/world/{gz_world}/model/{gz_model}/joint_state"
        position = command_mode == "position"
        topics = {n: f"/model/{gz_model}/joint/{n}/{'cmd_pos' if position else 'cmd_force'}" for n in arm}
        topics.update({n: f"/model/{gz_model}/joint/{n}/cmd_force" for n in fingers})
        gz_topics = {n: f"/model/{gz_model}/joint/{n}/0/cmd_pos" if position and n in arm else t
                     for n, t in topics.items()}
        return TopicLayout(profile, command_mode, state, joint_command_topics=topics,
                           gz_joint_command_topics=gz_topics)
    return TopicLayout(profile, command_mode, joint_states_topic or "/robot_joint_states",
                       joint_commands_topic or "/robot_joint_commands", joints)
