"""Parameters of the two nodes that are not part of the core configs (plain dataclasses,
no rclpy, so documentation and tests can read them). The core's own parameters are in
``body/body_config.py`` (BodyConfig)."""
from __future__ import annotations

import dataclasses

from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS
from brainbody.param_spec import param, validate
from brainbody.topic_layout import COMMAND_MODES, PROFILES, TopicLayout, topic_layout

# The body's hardware backends: in-process MuJoCo, or the topics of a robot driver or simulator.
BACKENDS = ("embedded",) + PROFILES


def _topic_params(who: str) -> dict:
    """The topic-name parameters body_node and sim_node share (empty: the profile's standard)."""
    return dict(
        controller_name=param("", f"ros2_control: {who} /<controller_name>/commands; empty: effort_controller "
                              "or position_controller by command mode", read_only=True),
        command_joints=param(ARM_JOINTS + FINGER_JOINTS, "ros2_control, topic_based: the controller's joint "
                             "list, the order of its command array (position mode: the finger joints go to "
                             "the gripper controller)", read_only=True),
        gripper_controller_name=param("gripper_controller", "ros2_control, position mode: the fingers' efforts "
                                      "on /<gripper_controller_name>/commands", read_only=True),
        gz_world=param("default", "gz: the world name in /world/<world>/model/<model>/joint_state",
                       read_only=True),
        gz_model=param("panda", "gz: the model name in the joint_state and /model/<model>/joint/... topics",
                       read_only=True),
        joint_states_topic=param("", "topic backends: the robot's sensor_msgs/JointState; empty: the profile's "
                                 "standard (/joint_states, /world/<world>/model/<model>/joint_state, "
                                 "/robot_joint_states)", read_only=True),
        joint_commands_topic=param("", "topic_based: the command sensor_msgs/JointState; empty: "
                                   "/robot_joint_commands", read_only=True),
        pad_force_topics=param(("/gripper/left_pad/force", "/gripper/right_pad/force"),
                               "geometry_msgs/WrenchStamped of the left and right finger pad (force in the pad "
                               "frame, y normal to the face)", read_only=True),
    )


def _layout(config, profile: str, command_mode: str) -> TopicLayout:
    return topic_layout(profile, command_mode, arm_joints=ARM_JOINTS, finger_joints=FINGER_JOINTS,
                        controller_name=config.controller_name, command_joints=config.command_joints,
                        gripper_controller_name=config.gripper_controller_name, gz_world=config.gz_world,
                        gz_model=config.gz_model, joint_states_topic=config.joint_states_topic,
                        joint_commands_topic=config.joint_commands_topic)


_BODY_TOPICS = _topic_params("commands go to")
_SIM_TOPICS = _topic_params("commands arrive on")


@dataclasses.dataclass(frozen=True)
class BodyNodeConfig:
    mode: str = param("sim", "sim (a simulator behind the backend) or hardware (a robot behind a topic "
                      "backend; the embedded backend is a simulator)", read_only=True)
    backend: str = param("embedded", "embedded (MuJoCo in-process), ros2_control (forward_command_controller "
                         "commands, joint_state_broadcaster state), gz (Gazebo through ros_gz_bridge: a Float64 "
                         "per joint, JointStatePublisher state) or topic_based (the JointState pair of the "
                         "topic_based hardware interface)", read_only=True)
    controller_name: str = _BODY_TOPICS["controller_name"]
    command_joints: tuple = _BODY_TOPICS["command_joints"]
    gripper_controller_name: str = _BODY_TOPICS["gripper_controller_name"]
    gz_world: str = _BODY_TOPICS["gz_world"]
    gz_model: str = _BODY_TOPICS["gz_model"]
    joint_states_topic: str = _BODY_TOPICS["joint_states_topic"]
    joint_commands_topic: str = _BODY_TOPICS["joint_commands_topic"]
    pad_force_topics: tuple = _BODY_TOPICS["pad_force_topics"]
    control_rate_hz: float = param(500.0, "topic backends: nominal control rate (the loop runs on arriving "
                                   "state; dt comes from the stamps)", lo=10.0, hi=2000.0, read_only=True)
    state_deadline_s: float = param(0.02, "topic backends: a state older than this (wall time) is stale: the "
                                    "loop ticks without it and the joints turn WARN", lo=0.001, hi=1.0)
    stale_hold_s: float = param(0.1, "topic backends: stale this long, the arm holds and the running primitive "
                                "fails with HARDWARE_STATE_STALE", lo=0.005, hi=5.0)
    state_wait_s: float = param(30.0, "topic backends: wait this long for the first state at start",
                                lo=0.1, hi=600.0, read_only=True)
    # 0.08 s meets the 100 ms on a quiet machine (test_commander_liveness_graph runs with it);
    # the default leaves room for a loaded 2-core machine, where a live Python brain's beats were
    # seen 81-85 ms apart (the demo's in-process brain, two hosts over a veth) and once 397 ms.
    commander_timeout_s: float = param(0.25, "a primitive whose goal names a commander_id fails with "
                                       "COMMANDER_LOST (209) and the arm brakes to a hold, the object kept in hand, "
                                       "once no heartbeat of that commander arrived on /body/commander_heartbeat for "
                                       "this long (wall time, every pacing)", lo=0.02, hi=10.0)
    thread_priority: int = param(50, "SCHED_FIFO priority of the control loop thread, as ros2_control's "
                                 "controller manager uses (0: normal scheduling; refused by the system: a "
                                 "warning, and normal scheduling)", lo=0, hi=99, read_only=True)
    seed: int = param(0, "sim: seed that places the cup", lo=0, hi=1_000_000, read_only=True)
    realtime_factor: float = param(0.0, "sim: 0 runs as fast as possible, 1 paces to the wall clock",
                                   lo=0.0, hi=100.0)
    joint_states_rate_hz: float = param(100.0, "rate of /joint_states and /clock in sim time", lo=1.0, hi=1000.0)
    world_objects_rate_hz: float = param(10.0, "rate of /world/objects in sim time", lo=0.1, hi=100.0)
    diagnostics_rate_hz: float = param(1.0, "rate of /diagnostics in sim time", lo=0.1, hi=10.0)
    joint_tracking_warn_rad: float = param(0.005, "a joint's /diagnostics status turns WARN when its link "
                                           "tracking error (set-point vs estimate) exceeds this", lo=1e-5, hi=1.0)
    sim_drivetrain: tuple = param(("harmonic",) * 7, "sim: the SIMULATED plant's drivetrain profile per arm "
                                  "joint (config/sim_drivetrain.yaml: harmonic, budget_planetary; or rigid); "
                                  "the controller's own belief is drivetrain_estimates", read_only=True)
    sim_plant: str = param("ideal", "sim: the simulated robot: ideal (its datasheet) or honest (a unit that "
                           "differs from it as a real one does: inertias, payload, friction model, sensor and drive "
                           "errors; the body is not told)", read_only=True)
    sim_robot_seed: int = param(0, "sim: which honest unit (its fixed deviations from the datasheet)", lo=0,
                                hi=1_000_000, read_only=True)
    sim_plant_process: bool = param(False, "sim: step the simulated robot in a process of its own, one control "
                                    "period ahead of the controller as a real drive is (a command acts from the "
                                    "period after its sample); it keeps a second core busy", read_only=True)
    sim_plant_own_cpu: bool = param(True, "sim: with sim_plant_process, that process gets a CPU of its own and "
                                    "this node's threads the others (on a machine with 2 or more; a ROS thread "
                                    "woken on its CPU stalls its step, and the control loop with it)", read_only=True)

    def __post_init__(self):
        if self.mode not in ("sim", "hardware"):
            raise ValueError(f"mode must be 'sim' or 'hardware', got {self.mode!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: unknown {self.backend!r}; known: {', '.join(BACKENDS)}")
        if self.mode == "hardware" and self.backend == "embedded":
            raise ValueError(f"mode 'hardware' needs a topic backend (backend: {', '.join(PROFILES)}); "
                             "embedded is the in-process simulator")
        validate(self)
        if len(self.pad_force_topics) != 2:
            raise ValueError(f"pad_force_topics needs the left and right pad topic, got {list(self.pad_force_topics)}")
        if len(self.sim_drivetrain) != 7:
            raise ValueError(f"sim_drivetrain needs a profile name for each of the 7 arm joints, "
                             f"got {len(self.sim_drivetrain)}: {list(self.sim_drivetrain)}")
        if self.backend == "embedded":
            from brainbody.sim.drivetrain import profile_names   # the plant's file; sim mode only
            _check_plant("sim_plant", self.sim_plant)
            known = profile_names()
            unknown: dict[str, list[str]] = {}
            for i, name in enumerate(self.sim_drivetrain):
                if name not in known:
                    unknown.setdefault(name, []).append(str(i + 1))
            if unknown:
                listed = "; ".join(f"{name!r} (joint {', '.join(joints)})" for name, joints in unknown.items())
                raise ValueError(f"sim_drivetrain: unknown profile {listed}; known: {', '.join(known)}")
        else:
            _layout(self, self.backend, "effort")    # refuses a joint list without every joint

    def topic_layout(self, command_mode: str) -> TopicLayout:
        """The topics of this backend in ``command_mode`` (a topic backend only)."""
        return _layout(self, self.backend, command_mode)


# Topic profiles the MuJoCo process speaks (the body's topic backends).
SIM_PROFILES = PROFILES
PACINGS = ("lockstep", "wall")


@dataclasses.dataclass(frozen=True)
class SimNodeConfig:
    profile: str = param("ros2_control", "the topics it speaks: ros2_control (joint_state_broadcaster state, "
                         "forward_command_controller commands), gz (ros_gz_bridge: JointStatePublisher state, a "
                         "Float64 per joint) or topic_based (JointState commands and state)", read_only=True)
    command_mode: str = param("effort", "effort: commands are joint efforts; position: the arm's are motor-side "
                              "position set-points its vendor position loop tracks (fingers stay on effort)",
                              read_only=True)
    seed: int = param(0, "seed that places the cup", lo=0, hi=1_000_000, read_only=True)
    sim_drivetrain: tuple = param(("harmonic",) * 7, "the simulated plant's drivetrain profile per arm joint "
                                  "(config/sim_drivetrain.yaml, or rigid)", read_only=True)
    plant: str = param("ideal", "the simulated robot: ideal (its datasheet) or honest (a unit that differs from "
                       "it as a real one does; sim/plant_realism.py)", read_only=True)
    robot_seed: int = param(0, "which honest unit (its fixed deviations from the datasheet)", lo=0, hi=1_000_000,
                            read_only=True)
    pacing: str = param("lockstep", "lockstep: step only once the command for the last published state has "
                        "arrived (deterministic); wall: step on the wall clock, holding the last command",
                        read_only=True)
    realtime_factor: float = param(1.0, "wall pacing: sim time per wall time", lo=0.01, hi=100.0)
    command_rate_hz: float = param(500.0, "state published and command expected at this rate (sim time); "
                                   "physics runs at 1 kHz in between", lo=10.0, hi=1000.0, read_only=True)
    thread_priority: int = param(50, "SCHED_FIFO priority of the stepping thread, as a robot's driver runs "
                                 "(0: normal scheduling)", lo=0, hi=99, read_only=True)
    controller_name: str = _SIM_TOPICS["controller_name"]
    command_joints: tuple = _SIM_TOPICS["command_joints"]
    gripper_controller_name: str = _SIM_TOPICS["gripper_controller_name"]
    gz_world: str = _SIM_TOPICS["gz_world"]
    gz_model: str = _SIM_TOPICS["gz_model"]
    joint_states_topic: str = _SIM_TOPICS["joint_states_topic"]
    joint_commands_topic: str = _SIM_TOPICS["joint_commands_topic"]
    pad_force_topics: tuple = _SIM_TOPICS["pad_force_topics"]
    world_objects_rate_hz: float = param(10.0, "rate of /world/objects in sim time", lo=0.1, hi=100.0)
    ground_truth_rate_hz: float = param(2.0, "rate of /sim/ground_truth in sim time", lo=0.1, hi=100.0)

    def __post_init__(self):
        if self.profile not in SIM_PROFILES:
            raise ValueError(f"profile: unknown {self.profile!r}; known: {', '.join(SIM_PROFILES)}")
        if self.command_mode not in COMMAND_MODES:
            raise ValueError(f"command_mode: unknown {self.command_mode!r}; known: {', '.join(COMMAND_MODES)}")
        if self.pacing not in PACINGS:
            raise ValueError(f"pacing: unknown {self.pacing!r}; known: {', '.join(PACINGS)}")
        validate(self)
        if len(self.sim_drivetrain) != 7:
            raise ValueError(f"sim_drivetrain needs 7 profile names, got {list(self.sim_drivetrain)}")
        _check_plant("plant", self.plant)
        _layout(self, self.profile, self.command_mode)

    def topic_layout(self) -> TopicLayout:
        return _layout(self, self.profile, self.command_mode)


def _check_plant(name: str, value: str) -> None:
    from brainbody.sim import PLANTS
    if value not in PLANTS:
        raise ValueError(f"{name}: unknown {value!r}; known: {', '.join(PLANTS)}")


@dataclasses.dataclass(frozen=True)
class IntentNodeConfig:
    skills_file: str = param("", "skill catalogue YAML; empty: config/skills.yaml of the package")
    body_server_timeout_s: float = param(10.0, "wait this long for /body/execute_primitive", lo=0.0, hi=600.0)
    primitive_result_margin_s: float = param(10.0, "wall time allowed beyond a primitive's timeout",
                                             lo=0.0, hi=600.0)
    heartbeat_period_s: float = param(0.01, "period (wall time) of this brain's heartbeat on "
                                      "/body/commander_heartbeat; a tenth or less of the body's commander_timeout_s, "
                                      "so that only many beats lost in a row look like a lost brain", lo=0.002,
                                      hi=1.0, read_only=True)
    heartbeat_thread_priority: int = param(60, "SCHED_FIFO priority of the heartbeat thread, so that load on "
                                           "the machine does not delay beats into a false loss; above the "
                                           "control threads (50) of a body or simulator on the same machine, "
                                           "which may keep both cores busy (0: normal "
                                           "scheduling; refused by the system: a warning, and normal scheduling)",
                                           lo=0, hi=99, read_only=True)

    def __post_init__(self):
        validate(self)

