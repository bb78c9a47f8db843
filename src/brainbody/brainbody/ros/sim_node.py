"""sim_node: the MuJoCo scene with its drivetrain plant as a process of its own, speaking the
topics of a robot set-up so that the body's topic backends run against the same plant.

It publishes ``sensor_msgs/JointState`` (motor-encoder positions in output units,
velocities, applied efforts) on the profile's state topic and takes its commands
(``topic_layout.py``, ``sim_commands.py``): ``ros2_control`` (joint_state_broadcaster,
forward_command_controller arrays), ``gz`` (JointStatePublisher, a Float64 per joint) or
``topic_based`` (JointState both ways). It holds the last command, as Gazebo's
ApplyJointForce does. In ``position`` command mode the arm's commands are motor-side
set-points for the robot's own position loop (``sim/vendor_position_loop.py``).
Besides: ``/clock``, ``/world/objects``, a ``geometry_msgs/WrenchStamped`` per finger pad,
``/robot_description`` and ``/sim/ground_truth`` (tests and the demo report only).

Fault injection (tests only, ``test/graph/fault_harness.py``), taken between two physics steps:
``/sim/disturbance/cup_added_mass_kg`` (``std_msgs/Float64``: the cup gets that much heavier at
once) and ``/sim/disturbance/obstacle_drop`` (``geometry_msgs/Point``: the scene's obstacle box,
20 cm sides, 3 kg, parked out of reach, is released at rest with its bottom face centred at that
point, world frame, m, and falls; a non-finite point parks it again; ``sim/obstacle.py``). The
ground truth's ``obstacle`` entry then reports the robot's contact force on it (peak and now).

The ground truth also judges the safety envelope at the plant, for the fault-injection suite
(``test/graph/fault_harness.py``): ``unsafe_commands`` (command messages with a non-finite
value or one beyond the actuator's range, or beyond a joint's range for position set-points),
``joint_limit_periods`` (command periods that ended with a true link angle past its URDF range)
and ``workspace_periods`` (periods that ended with the true TCP outside the body's specified
workspace box), plus the fastest arm joint and the TCP now.

Pacing ``lockstep`` steps only once the command for the last published state has arrived,
so a run is deterministic whatever the machine's load; ``wall`` steps on the wall clock.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import threading
import time

import numpy as np
import rclpy
from rclpy.experimental import EventsExecutor

from geometry_msgs.msg import Point, WrenchStamped
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64, String

from brainbody_interfaces.msg import ObjectArray
from brainbody.body.body_config import BodyConfig
from brainbody.body.robot_model import RobotModel
from brainbody.node_params import SimNodeConfig
from brainbody.ros.backends.topic_backend import CONTROL_QOS
from brainbody.ros.body_node import LATCHED
from brainbody.ros.conversions import stamp_s, time_msg, world_to_msg
from brainbody.ros.middleware import middleware_label
from brainbody.ros.node_main import run_node
from brainbody.ros.parameters import declare_config
from brainbody.ros.qos_audit import AuditedNode, create_node
from brainbody.ros.sim_commands import SimCommandInputs
from brainbody.share_files import find_share_file
from brainbody.sim.scene import ARM_JOINTS, FINGER_JOINTS, PAD_BODIES, SceneConfig, default_urdf_path
from brainbody.runtime.kernel_warmup import warm_up
from brainbody.runtime.realtime import (make_current_thread_realtime, make_middleware_threads_realtime,
                                        prepare_process_for_control_loop)
from brainbody.sim.disturbance import set_body_mass
from brainbody.sim.path_error import PathErrorStats
from brainbody.sim.simulator import Simulator
from brainbody.sim.vendor_position_loop import VendorPositionLoop
from brainbody.world import load_object_database, merge_observations

# A position set-point may lead the link by the backlash offset and gear twist (the fuzz
# harness's allowance too); a set-point further past a joint's range is outside the envelope.
_POSITION_SLACK_RAD = 0.02
# A true link angle counts as past its range beyond this (MuJoCo's soft limit yields a little
# to a joint resting against it; anything the controller drove there goes well past).
_JOINT_LIMIT_TOLERANCE_RAD = 1e-3

# Lock-step: with no command for this long (wall), the last state is sent again so that a body
# that starts late, or lost a sample, still gets one.
_REPUBLISH_S = 0.2


class SimNode(AuditedNode):
    def __init__(self, **kwargs):
        super().__init__("sim_node", **kwargs)
        self._stop = threading.Event()
        self._thread = None
        self.config = cfg = declare_config(self, SimNodeConfig)
        # Every compiled kernel loaded before stepping starts, not at the first contact of the
        # run (loading holds the GIL, and the stepping thread would miss its periods).
        warm_up()
        urdf = default_urdf_path()
        self.scene_config = SceneConfig(seed=cfg.seed, drivetrain=tuple(cfg.sim_drivetrain), plant=cfg.plant,
                                        robot_seed=cfg.robot_seed)
        # The arm starts at the body's home pose, as a robot is switched on where it was parked.
        self.sim = Simulator(self.scene_config, home_q_rad=np.asarray(BodyConfig().home_q_rad), urdf_path=urdf)
        self._objects_db = load_object_database(find_share_file("config", "objects.yaml"))
        self._steps_per_command = max(int(round(1.0 / (cfg.command_rate_hz * self.sim.period_s))), 1)
        self.layout = cfg.topic_layout()
        self._vendor = (VendorPositionLoop(self.sim.arm_effort_limit_nm, self._steps_per_command * self.sim.period_s)
                        if cfg.command_mode == "position" else None)
        self._arm_effort = np.zeros(7)   # the arm torque last applied (the state's effort field)
        self._arm_updates_taken = 0

        # Publishers live on this node; the command subscription on an inner node that the
        # stepping thread spins itself (no hand-over between threads in the lock-step path).
        self._joint_pub = self.create_publisher(JointState, self.layout.state_topic, CONTROL_QOS)
        self._pad_pubs = [self.create_publisher(WrenchStamped, t, CONTROL_QOS) for t in cfg.pad_force_topics]
        self._clock_pub = self.create_publisher(Clock, "/clock", 10)
        self._world_pub = self.create_publisher(ObjectArray, "/world/objects", 10)
        self._truth_pub = self.create_publisher(String, "/sim/ground_truth", LATCHED)
        description = self.create_publisher(String, "/robot_description", LATCHED)
        description.publish(String(data=urdf.read_text(encoding="utf-8")))
        self._io = create_node("sim_node_io", context=self.context)
        self.commands = SimCommandInputs(self._io, self.layout, self._on_refused, limits=self._envelope())
        m = self.sim.model
        self._joint_range = np.asarray(m.jnt_range)[[m.joint(n).id for n in ARM_JOINTS]]
        spec = BodyConfig()
        self._workspace_m = (np.asarray(spec.workspace_min_m), np.asarray(spec.workspace_max_m))
        self._arm_dof = np.array([m.jnt_dofadr[m.joint(n).id] for n in ARM_JOINTS])
        self.joint_limit_periods = 0
        self.workspace_periods = 0
        # Ground truth only: the tool path error, the true TCP (MuJoCo's site) against the forward
        # kinematics of the set-point the body reports on /body/joint_setpoint, while it moves.
        # Each set-point is stamped with the state it answered; it is judged against the TCP
        # of that same instant (kept for the last second), not against a later one.
        self._judge_robot = RobotModel(urdf)
        self._tcp_site = self.sim.model.site("tcp").id
        self.path_error = PathErrorStats()
        self._tcp_history: collections.deque = collections.deque(maxlen=max(int(cfg.command_rate_hz), 10))
        self._io.create_subscription(JointState, "/body/joint_setpoint", self._on_setpoint, 10)
        # Fault injection only (test/graph/fault_harness.py): the cup gets this much heavier at
        # once, as a held cup that slips. Taken on the stepping thread, between two steps.
        self._io.create_subscription(Float64, "/sim/disturbance/cup_added_mass_kg", self._on_cup_mass, 10)
        # ... and the obstacle box is dropped into the arm's path (or parked again).
        self._io.create_subscription(Point, "/sim/disturbance/obstacle_drop", self._on_obstacle_drop, 10)
        # The events executor: a quarter of the single-threaded one's cost per sample taken.
        self._io_executor = EventsExecutor(context=self.context)
        self._io_executor.add_node(self._io)
        prepare_process_for_control_loop()
        self._thread = threading.Thread(target=self._run, name="sim_stepping", daemon=True)
        self._thread.start()
        self.get_logger().info(
            f"sim ready (profile {cfg.profile}, {cfg.command_mode} commands, {cfg.pacing} pacing, seed {cfg.seed}, "
            f"plant {', '.join(sorted(set(cfg.sim_drivetrain)))}, "
            f"{f'honest unit {cfg.robot_seed}' if cfg.plant == 'honest' else 'ideal'}): "
            f"state on {self.layout.state_topic} at "
            f"{cfg.command_rate_hz:g} Hz, commands on {_command_topics(self.layout)}; DDS {middleware_label()}")

    # -- commands ------------------------------------------------------------------------
    def _envelope(self) -> dict:
        """Joint name -> (low, high) of what the plant may be commanded (``unsafe_commands``)."""
        m = self.sim.model
        ctrl = np.asarray(m.actuator_ctrlrange)
        limits = {name: (float(ctrl[7 + i, 0]), float(ctrl[7 + i, 1])) for i, name in enumerate(FINGER_JOINTS)}
        for i, name in enumerate(ARM_JOINTS):
            if self.config.command_mode == "position":
                low, high = m.jnt_range[m.joint(name).id]
                limits[name] = (float(low) - _POSITION_SLACK_RAD, float(high) + _POSITION_SLACK_RAD)
            else:
                limits[name] = (float(ctrl[i, 0]), float(ctrl[i, 1]))
        return limits

    def _on_refused(self, why: str) -> None:
        n = self.commands.refused
        if n in (1, 10, 100) or n % 1000 == 0:
            self.get_logger().error(f"refused command #{n}: {why}")

    def _on_cup_mass(self, msg: Float64) -> None:
        cup = self.sim.model.body("cup").id
        mass_kg = float(self.sim.model.body_mass[cup]) + msg.data
        try:
            set_body_mass(self.sim.model, self.sim.data, cup, mass_kg)
        except ValueError as exc:
            self.get_logger().error(f"/sim/disturbance/cup_added_mass_kg {msg.data}: {exc}")
            return
        self.get_logger().warning(f"disturbance: the cup is now {mass_kg:.3f} kg")

    def _on_obstacle_drop(self, msg: Point) -> None:
        obstacle = self.sim.obstacle
        if not all(np.isfinite((msg.x, msg.y, msg.z))):
            obstacle.park()
            self.get_logger().warning("disturbance: the obstacle is parked out of reach")
            return
        try:
            obstacle.drop((msg.x, msg.y), msg.z)
        except ValueError as exc:
            self.get_logger().error(f"/sim/disturbance/obstacle_drop: {exc}")
            return
        self.get_logger().warning(f"disturbance: the obstacle is dropped at ({msg.x:.3f}, {msg.y:.3f}, {msg.z:.3f}) m")

    def _on_setpoint(self, msg: JointState) -> None:
        if not (list(msg.name) == list(ARM_JOINTS) and len(msg.position) == 7 and len(msg.velocity) == 7
                and any(msg.velocity)):
            return          # malformed, or not moving: a path error is sampled only along a motion
        stamp = stamp_s(msg.header.stamp)
        half_period = 0.5 * self._steps_per_command * self.sim.period_s
        for time_s, tcp_m in reversed(self._tcp_history):
            if abs(time_s - stamp) <= half_period:
                commanded_m, _ = self._judge_robot.tcp_pose(np.asarray(msg.position, dtype=float))
                self.path_error.add(commanded_m, tcp_m)
                return
            if time_s < stamp:
                return      # older than the history, or a stamp it never published

    # -- the stepping thread -------------------------------------------------------------
    def _run(self) -> None:
        why = make_current_thread_realtime(self.config.thread_priority)
        if not why:
            make_middleware_threads_realtime(self.config.thread_priority - 1)
        if why:
            self.get_logger().warning(f"stepping: {why}")
        try:
            if self.config.pacing == "lockstep":
                self._run_lockstep()
            else:
                self._run_wall()
        except Exception as exc:     # loud, never silent
            if rclpy.ok():
                self.get_logger().fatal(f"sim stepping stopped: {exc!r}")
                raise

    def _advance(self) -> None:
        sim, commands = self.sim, self.commands
        if self._vendor is None:
            self._arm_effort = commands.arm.copy()
            sim.write(self._arm_effort, commands.finger)
            for _ in range(self._steps_per_command):
                sim.step()
            return
        # Position mode: the robot's own loop turns the set-point into torques every step.
        q, _, _ = sim.motor_feedback()
        self._vendor.hold(q, sim.data.time)
        if commands.arm_updates != self._arm_updates_taken:
            self._arm_updates_taken = commands.arm_updates
            self._vendor.set_target(commands.arm, sim.data.time)
        for _ in range(self._steps_per_command):
            q, qd, bias = sim.motor_feedback()
            self._arm_effort = self._vendor.torque(q, qd, bias, sim.data.time)
            sim.write(self._arm_effort, commands.finger)
            sim.step()

    def _run_lockstep(self) -> None:
        self._publish()
        last_sent = time.monotonic()
        commands = self.commands
        while not self._stop.is_set():
            self._io_executor.spin_once(timeout_sec=_REPUBLISH_S)
            if commands.complete():
                # One step per published state: commands already queued behind this one (a
                # body that ticked again without a state) only replace it.
                while True:
                    queued = commands.received + commands.refused
                    self._io_executor.spin_once(timeout_sec=0.0)
                    if commands.received + commands.refused == queued:
                        break
                commands.new_period()
                self._advance()
                self._publish()
                last_sent = time.monotonic()
            elif time.monotonic() - last_sent > _REPUBLISH_S:
                self._publish()
                last_sent = time.monotonic()

    def _run_wall(self) -> None:
        period = self._steps_per_command * self.sim.period_s
        # Brakes on until the first command: a robot switched on does not drop its arm while
        # its controller is still starting (with zero effort held, the arm fell for seconds).
        while self.commands.received == 0 and not self._stop.is_set():
            self._publish()
            self._io_executor.spin_once(timeout_sec=_REPUBLISH_S)
        wall0, sim0 = time.monotonic(), self.sim.data.time
        while not self._stop.is_set():
            self._io_executor.spin_once(timeout_sec=0.0)
            self.commands.new_period()
            self._advance()
            self._publish()
            ahead = (self.sim.data.time - sim0) / self.config.realtime_factor - (time.monotonic() - wall0)
            if ahead > 0.0:
                # Commands that arrive while waiting are taken at once.
                deadline = time.monotonic() + ahead
                while (left := deadline - time.monotonic()) > 0.0:
                    self._io_executor.spin_once(timeout_sec=min(left, period))

    # -- publishing ------------------------------------------------------------------------
    def _publish(self) -> None:
        sim, cfg = self.sim, self.config
        state = sim.read()
        stamp = time_msg(state.time_s)
        self._clock_pub.publish(Clock(clock=stamp))
        pads = state.pad_force_xyz_n
        for i, pub in enumerate(self._pad_pubs):
            msg = WrenchStamped()
            msg.header.stamp, msg.header.frame_id = stamp, PAD_BODIES[i]
            msg.wrench.force.x, msg.wrench.force.y, msg.wrench.force.z = (float(v) for v in pads[i])
            pub.publish(msg)
        js = JointState(name=list(ARM_JOINTS) + list(FINGER_JOINTS),
                        position=[*map(float, state.q_rad), *map(float, state.finger_pos_m)],
                        velocity=[*map(float, state.qd_radps), *map(float, state.finger_vel_mps)],
                        effort=[*map(float, self._arm_effort), *map(float, state.finger_effort_n)])
        js.header.stamp = stamp
        self._joint_pub.publish(js)
        tcp_m = sim.data.site_xpos[self._tcp_site].copy()
        self._tcp_history.append((state.time_s, tcp_m))
        link = sim.link_angle_rad()
        tol = _JOINT_LIMIT_TOLERANCE_RAD
        self.joint_limit_periods += bool(np.any(link < self._joint_range[:, 0] - tol)
                                         or np.any(link > self._joint_range[:, 1] + tol))
        self.workspace_periods += bool(np.any(tcp_m < self._workspace_m[0]) or np.any(tcp_m > self._workspace_m[1]))
        ticks = int(round(state.time_s / (self._steps_per_command * sim.period_s)))
        if ticks % max(int(round(cfg.command_rate_hz / cfg.world_objects_rate_hz)), 1) == 0:
            objects = merge_observations(sim.observed_objects(), self._objects_db)
            self._world_pub.publish(world_to_msg(objects, stamp))
        if ticks % max(int(round(cfg.command_rate_hz / cfg.ground_truth_rate_hz)), 1) == 0:
            self.publish_ground_truth()

    def publish_ground_truth(self) -> None:
        truth = dataclasses.asdict(self.sim.verdict())
        truth["sim_time_s"] = float(self.sim.data.time)
        truth["sim_drivetrain"] = list(self.scene_config.drivetrain)
        truth["commands_received"] = self.commands.received
        truth["commands_refused"] = self.commands.refused
        truth["mujoco_warnings"] = self.sim.mujoco_warnings()
        truth["unsafe_commands"] = self.commands.unsafe
        truth["joint_limit_periods"] = self.joint_limit_periods
        truth["workspace_periods"] = self.workspace_periods
        truth["arm_speed_max_radps"] = float(np.max(np.abs(self.sim.data.qvel[self._arm_dof])))
        truth["tcp_m"] = [float(v) for v in self.sim.data.site_xpos[self._tcp_site]]
        truth["motors"] = self.sim.motor_thermal.ground_truth()    # temperatures, demagnetisation
        truth["reducers"] = self.sim.wear.ground_truth()              # life used, lost motion / new
        truth["obstacle"] = self.sim.obstacle.ground_truth()       # the robot's contact force on it
        truth.update(self.path_error.as_dict())
        self._truth_pub.publish(String(data=json.dumps(truth)))

    def wind_down(self) -> bool:
        """On shutdown: stop stepping; the last ground truth goes out."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
            if not self._thread.is_alive() and rclpy.ok():
                self.publish_ground_truth()
        return True

    def destroy_node(self):
        self.wind_down()
        self._io_executor.shutdown(timeout_sec=1.0)
        self._io.destroy_node()
        super().destroy_node()


def _command_topics(layout) -> str:
    if layout.joint_command_topics:
        first = next(iter(layout.joint_command_topics.values()))
        return f"{first.rsplit('/joint/', 1)[0]}/joint/<joint>/... (a Float64 each)"
    return ", ".join(t for t in (layout.arm_command_topic, layout.gripper_command_topic) if t)


def main(args=None) -> None:
    run_node(SimNode, args)


if __name__ == "__main__":
    main()
