"""body_node: the body's control loop on ROS 2.

In ``sim`` mode MuJoCo runs in-process as the hardware, stepped in lock-step with the
1 kHz controller on a thread of its own; ``/clock`` carries the sim time. ROS callbacks
only convert messages and call the thread-safe :class:`BodyController` API.
"""
from __future__ import annotations

import array
import contextlib
import itertools
import json
import threading
from typing import Optional

import numpy as np
import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.clock import Clock as RosClock, ClockType
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import WrenchStamped
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from brainbody_interfaces.action import ExecutePrimitive
from brainbody_interfaces.msg import ObjectArray
from brainbody.body.body_config import BodyConfig
from brainbody.body.control_loop import STALL_S, ControlLoop
from brainbody.body.controller import BodyController
from brainbody.body.diagnostics import BodyDiagnostics, compensation_label, hardware_status
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS, RobotModel
from brainbody.exceptions import BrainBodyError, ErrorCode, StaleStateError
from brainbody.lifecycle import Status
from brainbody.node_params import BodyNodeConfig
from brainbody.primitives import Pose
from brainbody.ros.action_client import RESULT_KEPT_S
from brainbody.ros.backends import topic_hardware
from brainbody.ros.commander_heartbeat import CommanderWatch
from brainbody.ros.conversions import (duration_s, fill_time, pose_to_msg, primitive_from_msg, stamp_s,
                                        time_msg, world_from_msg, world_to_msg)
from brainbody.ros.events_thread import EventsThread
from brainbody.ros.middleware import middleware_label
from brainbody.ros.node_main import run_node
from brainbody.ros.parameters import declare_config
from brainbody.ros.qos_audit import AuditedNode
from brainbody.sim.scene import SceneConfig, default_urdf_path
from brainbody.runtime.sim_session import SimSession
from brainbody.runtime.kernel_warmup import warm_up
from brainbody.runtime.realtime import (make_current_thread_realtime, make_middleware_threads_realtime,
                                        prepare_process_for_control_loop, scheduling_label)

LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
_FEEDBACK_PERIOD_S = 0.05
SETPOINT_PERIOD_S = 0.01   # /body/joint_setpoint on topic backends (hardware time)
_FIRST_WORLD_WAIT_S = 2.0  # wall clock: how long a goal waits for the body's first world model


class BodyNode(AuditedNode):
    def __init__(self, *, session: Optional[SimSession] = None, **kwargs):
        super().__init__("body_node", **kwargs)
        # Set first: if a parameter is refused below, rclpy still destroys this half-built node.
        self._stop = threading.Event()
        self._winding_down = threading.Event()   # on shutdown: cancel the running primitive
        self._executing, self._executing_lock = 0, threading.Lock()  # running execute callbacks
        self._loop: Optional[threading.Thread] = None
        self._commanders: Optional[CommanderWatch] = None
        self.hardware = None
        self.session: Optional[SimSession] = None
        self._scheduling = "normal"
        self.body: Optional[BodyController] = None
        self._world_seen = threading.Event()     # the body's world model has objects to act on
        self.node_config = declare_config(self, BodyNodeConfig)
        body_config = declare_config(self, BodyConfig)
        cfg = self.node_config
        group = ReentrantCallbackGroup()
        # Every compiled kernel loaded now, before the first goal: loading them holds the GIL for
        # about 0.5 s, which in the middle of a primitive delays the control loop and the
        # commander watch alike.
        kernels_s = warm_up()
        if cfg.backend == "embedded":
            self.session = session or SimSession(
                seed=cfg.seed, body_config=body_config, sim_drivetrain=cfg.sim_drivetrain,
                scene_config=SceneConfig(plant=cfg.sim_plant, robot_seed=cfg.sim_robot_seed),
                plant_process=cfg.sim_plant_process, plant_own_cpu=cfg.sim_plant_own_cpu)
            if self.session.cpu_refusal:
                self.get_logger().warning(f"the simulated robot's process shares the CPUs: {self.session.cpu_refusal}")
            self.session.loop.realtime_factor = cfg.realtime_factor
            self.body, self.loop = self.session.body, self.session.loop
            self._world_seen.set()                  # the session fills it from the simulator
        else:
            # A topic backend: the robot's driver (or the MuJoCo process) owns /joint_states,
            # /clock and /world/objects; the body reads them.
            self.session = None
            robot = RobotModel(default_urdf_path())
            # What the body commands, for a simulator's ground-truth path error (and for RViz).
            self._setpoint_pub = self.create_publisher(JointState, "/body/joint_setpoint", 10)
            # 10 Hz of sim time from the simulator (more in wall time when it runs fast): taken by
            # an events executor of its own, beside the control loop, not by this node's executor.
            self._world_io = EventsThread(f"{self.get_name()}_world", context=self.context)
            self._world_io.node.create_subscription(ObjectArray, "/world/objects", self._on_world, 10)
            self._world_io.start()
            self._stale_fault = False

        self._wrench_pub = self.create_publisher(WrenchStamped, "/body/gripper/wrench", 10)
        self._wrench_msg = WrenchStamped()
        self._wrench_msg.header.frame_id = "panda_tcp"
        self._diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        if self.session is not None:
            self._joint_pub = self.create_publisher(JointState, "/joint_states", qos_profile_sensor_data)
            self._world_pub = self.create_publisher(ObjectArray, "/world/objects", 10)
            self._clock_pub = self.create_publisher(Clock, "/clock", 10)
            # Published from the loop at 100 Hz of sim time (1 kHz of wall time at 10x): built
            # once, refilled each time (rclpy serialises on publish; a float64[] field takes an
            # array('d') without checking each value).
            self._joint_msg = JointState(name=list(ARM_JOINTS) + list(FINGER_JOINTS))
            self._clock_msg = Clock()
            self._joint_values = np.empty(len(ARM_JOINTS) + len(FINGER_JOINTS))
            self._truth_pub = self.create_publisher(String, "/sim/ground_truth", LATCHED)
            description = self.create_publisher(String, "/robot_description", LATCHED)
            description.publish(String(data=self.session.urdf_text()))
        self.create_subscription(JointTrajectory, "/body/joint_trajectory", self._on_trajectory, 10,
                                 callback_group=group)
        self.create_subscription(Bool, "/body/estop", self._on_estop, LATCHED, callback_group=group)
        self.create_service(Trigger, "/body/reset", self._on_reset, callback_group=group)
        self.create_service(Trigger, "/body/check_drivetrain", self._on_check_drivetrain, callback_group=group)
        self.create_service(Trigger, "/body/weigh_payload", self._on_weigh_payload, callback_group=group)
        self.create_service(Trigger, "/body/check_friction", self._on_check_friction, callback_group=group)
        self._action = ActionServer(self, ExecutePrimitive, "/body/execute_primitive",
                                    execute_callback=self._execute, goal_callback=lambda _: GoalResponse.ACCEPT,
                                    cancel_callback=lambda _: CancelResponse.ACCEPT, callback_group=group,
                                    result_timeout=RESULT_KEPT_S)
        if self.session is None:
            # On the steady clock, also under use_sim_time: when the robot's clock stops (a dead
            # driver or simulator stops /clock), diagnostics must not.
            self.create_timer(1.0 / cfg.diagnostics_rate_hz, self._publish_diagnostics, callback_group=group,
                              clock=RosClock(clock_type=ClockType.STEADY_TIME))
        prepare_process_for_control_loop()
        if self.session is None:
            # Connected last: from its first state on the robot waits for commands (a simulator
            # holds the last one, zero), so the loop must start at once.
            self.hardware = topic_hardware(cfg, body_config.command_mode,
                                           grip_force_source=body_config.grip_force_source, context=self.context)
            self.body = BodyController(body_config, robot, self.hardware, backend=cfg.backend)
            self.loop = ControlLoop(self.body)
        self._diagnostics = BodyDiagnostics(self.body, joint_tracking_warn_rad=cfg.joint_tracking_warn_rad)
        # A watchdog above what it watches: at realtime_factor 0 the control loop never sleeps.
        self._commanders = CommanderWatch(self.body, timeout_s=cfg.commander_timeout_s, context=self.context,
                                          priority=min(cfg.thread_priority + 1, 99) if cfg.thread_priority else 0,
                                          logger=self.get_logger())
        self._loop = threading.Thread(target=self._run_loop, name="body_control_loop", daemon=True)
        self._loop.start()
        servo = self.body.servo
        where = (f"embedded sim, seed {cfg.seed}, realtime_factor {cfg.realtime_factor}; simulated drivetrain "
                 f"{_names(self.session.scene_config.drivetrain)}, {_plant(self.session.scene_config)}"
                 f"{', in a process of its own one period ahead' if cfg.sim_plant_process else ''}"
                 f"{f' on CPU {self.session.plant_cpu} alone' if self.session.plant_cpu is not None else ''}"
                 if self.session is not None else
                 f"backend {cfg.backend} ({cfg.mode}): {self.hardware.describe()} at {cfg.control_rate_hz:g} Hz "
                 f"nominal, grip force from {body_config.grip_force_source}")
        self.get_logger().info(f"body ready ({where}); estimates {_names(servo.estimates.names)}, "
                               f"servo {compensation_label(servo.compensation_state)}; kernels loaded in "
                               f"{kernels_s:.2f} s; DDS {middleware_label()}")

    # -- the control loop thread ------------------------------------------------------
    def _run_loop(self) -> None:
        priority = self.node_config.thread_priority
        if self.session is not None and self.node_config.realtime_factor <= 0.0 and priority > 0:
            # As fast as possible the loop never sleeps: under SCHED_FIFO the kernel's real-time
            # throttling would then stop every real-time thread on its core (the heartbeat
            # receivers and the commander watchdog among them) for 50 ms each second, and a live
            # brain would look lost. Sim time has no deadline to meet; the watchdog still has one.
            raised = make_middleware_threads_realtime(priority - 1)
            self._scheduling = (f"normal (as fast as possible: no real-time deadline), {raised} middleware "
                                f"threads at {priority - 1}")
            why = None
        else:
            why = make_current_thread_realtime(priority)
            self._scheduling = scheduling_label(priority, why)
            if not why:
                raised = make_middleware_threads_realtime(priority - 1)
                self._scheduling += f", {raised} middleware threads at {priority - 1}"
        if why:
            self.get_logger().warning(f"control loop: {why}")
        try:
            self._loop_body()
        except Exception as exc:  # a dead control loop must be loud, not silent
            self.get_logger().fatal(f"control loop stopped: {exc!r}")
            raise

    def _loop_body(self) -> None:
        cfg, loop = self.node_config, self.loop
        if self.session is not None:
            loop.every(1.0 / cfg.world_objects_rate_hz, self._publish_world)
            loop.every(1.0 / cfg.joint_states_rate_hz, self._publish_state)
            loop.every(1.0 / cfg.diagnostics_rate_hz, self._publish_diagnostics)
        else:
            loop.every(0.0, self._watch_state)
            loop.every(1.0 / cfg.joint_states_rate_hz, self._publish_wrench)
            loop.every(SETPOINT_PERIOD_S, self._publish_setpoint)
        # rclpy.ok() takes the context's lock (about a microsecond, 2 % of a tick): looked at
        # every 64th period: 64 ms at most in real time, a few ms run as fast as possible.
        periods = itertools.count()
        loop.run_until(lambda: next(periods) % 64 == 0 and not rclpy.ok(), stop=self._stop)

    def _publish_setpoint(self) -> None:
        msg = JointState(name=list(ARM_JOINTS), position=[*map(float, self.body.q_cmd_rad)],
                         velocity=[*map(float, self.body.qd_cmd_radps)])
        msg.header.stamp = self._stamp()
        self._setpoint_pub.publish(msg)

    def _watch_state(self) -> None:
        """Topic backends: a state stale beyond ``stale_hold_s`` holds the arm and fails the
        running primitive (once per stale spell)."""
        try:
            self.hardware.check_fresh()
            self._stale_fault = False
        except StaleStateError as exc:
            if not self._stale_fault:
                self._stale_fault = True
                self.body.fault(exc)
                self.get_logger().error(f"[{int(exc.code)}] {exc}")

    def _stamp(self) -> Time:
        return time_msg(self.body.time_s)

    # The 100 Hz topics are volatile: a reader not matched now would not get this message
    # anyway, so with none matched there is nothing to fill and serialise (about 12 us a
    # publish, 10-30 % of a tick's cost at these rates).
    def _publish_state(self) -> None:
        state, now = self.body.state, self.body.time_s
        if self._clock_pub.get_subscription_count():
            fill_time(self._clock_msg.clock, now)
            self._clock_pub.publish(self._clock_msg)
        if self._joint_pub.get_subscription_count():
            msg, values, n = self._joint_msg, self._joint_values, len(ARM_JOINTS)
            values[:n], values[n:] = state.q_rad, state.finger_pos_m
            msg.position = array.array("d", values.tobytes())
            values[:n], values[n:] = state.qd_radps, state.finger_vel_mps
            msg.velocity = array.array("d", values.tobytes())
            fill_time(msg.header.stamp, now)
            self._joint_pub.publish(msg)
        self._publish_wrench()

    def _publish_wrench(self) -> None:
        if not self._wrench_pub.get_subscription_count():
            return
        wrench = self._wrench_msg
        fill_time(wrench.header.stamp, self.body.time_s)
        # Squeeze between the jaws, along the finger axis (tool y).
        wrench.wrench.force.y = float(self.body.grip.measured_force_n)
        self._wrench_pub.publish(wrench)

    def _publish_world(self) -> None:
        # The cup's verdict, motors, reducers, the plant's drivetrain, the tool path error (sim
        # only). A plant in a process of its own answers between its steps: asked for first, it
        # answers while the world message is built and published, then collected without a wait.
        # Spinning for it after the publish instead, a subscriber in this process (the brain's,
        # in the demo) woke on the message and took the GIL after the switch interval: 0.85 ms a
        # call (median), against 0.16 ms asked and collected before the publish.
        self.session.request_ground_truth()
        self._world_pub.publish(world_to_msg(self.body.world.objects().values(), self._stamp()))
        truth = self.session.ground_truth()
        truth["sim_time_s"] = self.body.time_s
        self._truth_pub.publish(String(data=json.dumps(truth)))

    def _publish_diagnostics(self) -> None:
        msg = DiagnosticArray()
        msg.header.stamp = self._stamp()
        with self.body.lock:     # consistent figures while the loop runs on
            statuses = self._diagnostics.statuses(self.loop.timing, self._scheduling)
        msg.status = [DiagnosticStatus(level=bytes([int(st.level)]), name=st.name, hardware_id=st.hardware_id,
                                       message=st.message, values=[KeyValue(key=k, value=v) for k, v in st.values])
                      for st in statuses]
        if self.hardware is not None:
            hw, cfg = self.hardware, self.node_config
            st = hardware_status(self.node_config.backend, hw.state_age_s, deadline_s=cfg.state_deadline_s,
                                 hold_s=cfg.stale_hold_s, refused=hw.refused, last_refusal=hw.last_refusal,
                                 stale_steps=hw.stale_steps, latency=hw.latency,
                                 resent_commands=hw.resent_commands)
            msg.status.append(DiagnosticStatus(level=bytes([int(st.level)]), name=st.name,
                                               hardware_id=st.hardware_id, message=st.message,
                                               values=[KeyValue(key=k, value=v) for k, v in st.values]))
        self._diag_pub.publish(msg)

    # -- ROS inputs ---------------------------------------------------------------------
    def _on_estop(self, msg: Bool) -> None:
        if msg.data:
            self.body.estop()
            self.get_logger().error("emergency stop LATCHED: braking to a hold, refusing motion until /body/reset")
        elif self.body.stop_latch.active:
            self.get_logger().warning("/body/estop false does not clear a latched stop: call /body/reset")

    def _on_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        state_error = None
        if self.hardware is not None:
            try:
                self.hardware.check_fresh()
            except StaleStateError as exc:
                state_error = str(exc)
        outcome = self.body.reset(state_error=state_error)
        # One severity per call site: rclpy refuses a logging call whose severity changes.
        if outcome.success:
            self.get_logger().info(f"/body/reset: {outcome.message}")
        else:
            self.get_logger().warning(f"/body/reset: {outcome.message}")
        response.success, response.message = outcome.success, outcome.message
        return response

    def _on_check_drivetrain(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        """Starts the drivetrain check (body/drivetrain_check.py); a refusal says why, with its code."""
        return self._start_routine(
            "/body/check_drivetrain", response, lambda: self.body.check_drivetrain(),
            lambda duration: (f"drivetrain check started: {duration:.0f} s of motion; lost motion per joint on "
                              "/diagnostics (backlash_identified_arcmin)"))

    def _on_weigh_payload(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        """Starts weighing the hand's load with the drives (body/payload_weighing.py): a tare
        with the hand empty, else the held object; a refusal says why, with its code."""
        return self._start_routine(
            "/body/weigh_payload", response, lambda: self.body.weigh_payload(),
            lambda duration: (f"{self.body.drive_weighing.message}: {duration:.0f} s of motion; the result on "
                              "/diagnostics (payload_weighing, payload_weighed_kg)"))

    def _on_check_friction(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        """Starts the friction check (body/friction_check.py); a refusal says why, with its code."""
        return self._start_routine(
            "/body/check_friction", response, lambda: self.body.check_friction(),
            lambda duration: (f"friction check started: {duration:.0f} s of motion; Coulomb and viscous friction per "
                              "joint on /diagnostics (friction_coulomb_checked_nm, friction_viscous_checked_nms_per_rad)"))

    def _start_routine(self, service: str, response: Trigger.Response, start, started) -> Trigger.Response:
        """A Trigger service that starts one of the body's routines: ``start()`` returns its
        duration (s) or raises the refusal, whose code goes into the message; ``started(duration)``
        says what began."""
        if self.body is None:
            response.success, response.message = False, "refused: still connecting to the robot"
            return response
        try:
            duration = start()
        except BrainBodyError as exc:
            response.success, response.message = False, f"refused [{int(exc.code)}]: {exc}"
            self.get_logger().warning(f"{service} {response.message}")
            return response
        response.success, response.message = True, started(duration)
        self.get_logger().info(f"{service}: {response.message}")
        return response

    def _on_trajectory(self, msg: JointTrajectory) -> None:
        try:
            count = self.body.command_trajectory(
                msg.joint_names, stamp_s(msg.header.stamp),
                [(duration_s(p.time_from_start), p.positions, p.velocities) for p in msg.points])
            self.get_logger().info(f"following a joint trajectory of {count} points")
        except BrainBodyError as exc:
            self.get_logger().error(f"/body/joint_trajectory refused [{int(exc.code)}]: {exc}")

    def _on_world(self, msg: ObjectArray) -> None:
        if self.body is None:        # still connecting to the robot: the next message (10 Hz) counts
            return
        self.body.update_world(world_from_msg(msg))
        self._world_seen.set()

    def _execute(self, goal_handle) -> ExecutePrimitive.Result:
        with self._executing_count():
            return self._execute_one(goal_handle)

    def _execute_one(self, goal_handle) -> ExecutePrimitive.Result:
        result = ExecutePrimitive.Result()
        # A goal can arrive as soon as the action server is discoverable, before the first
        # /world/objects: wait for it briefly rather than refuse every object as unknown.
        if not self._world_seen.wait(_FIRST_WORLD_WAIT_S):
            self.get_logger().warning(f"no /world/objects within {_FIRST_WORLD_WAIT_S:g} s; the primitive is "
                                      "checked against an empty world")
        if self.body is None:
            message = "the body is still connecting to the robot (no state yet); nothing moved"
            self.get_logger().error(f"refused primitive {goal_handle.request.primitive.id!r} "
                                    f"[{int(ErrorCode.BODY_UNAVAILABLE)}]: {message}")
            goal_handle.abort()
            result.success, result.error_code, result.message = False, int(ErrorCode.BODY_UNAVAILABLE), message
            return result
        try:
            primitive = primitive_from_msg(goal_handle.request.primitive)
            execution = self.body.execute(primitive)
        except BrainBodyError as exc:
            self.get_logger().error(f"refused primitive {goal_handle.request.primitive.id!r} "
                                    f"[{int(exc.code)}]: {exc}")
            goal_handle.abort()
            result.success, result.error_code, result.message = False, int(exc.code), str(exc)
            return result
        # A goal naming its commander is watched until it ends (ros/commander_heartbeat.py); one
        # naming none (a user's own client, MoveIt) is not: such a client cancels its goal itself.
        self._commanders.watch(execution, goal_handle.request.commander_id)
        feedback = ExecutePrimitive.Feedback()
        while not execution.status.done:
            if goal_handle.is_cancel_requested or self._winding_down.is_set():
                self.body.cancel()
                break
            feedback.phase, feedback.progress = execution.phase, float(execution.progress)
            feedback.grip_force_n = float(self.body.grip.measured_force_n)
            goal_handle.publish_feedback(feedback)
            # Feedback at wall-clock 20 Hz (more only steals the GIL from the control loop); the
            # end wakes this at once, so the result leaves without waiting for the next poll.
            execution.wait(_FEEDBACK_PERIOD_S)
        report = self.body.report(execution)
        result.success = report.status is Status.SUCCEEDED
        result.error_code, result.message = report.error_code, report.message
        result.duration_s, result.peak_grip_force_n = report.duration_s, report.peak_grip_force_n
        result.final_grip_force_n = report.final_grip_force_n
        result.tool_pose = pose_to_msg(Pose(report.tool_position_m))
        if report.status is Status.SUCCEEDED:
            goal_handle.succeed()
        elif report.status is Status.CANCELED and goal_handle.is_cancel_requested:
            goal_handle.canceled()
        elif report.status is Status.CANCELED and self.body.stop_latch.active and not self._winding_down.is_set():
            # Canceled by an e-stop, not by its client: the goal aborts with the stop's code and
            # reason (it was reported as "body shutting down").
            refusal = self.body.stop_latch.refusal()
            result.error_code, result.message = int(refusal.code), f"stopped: {refusal}"
            self.get_logger().error(f"primitive {primitive.id!r} stopped [{result.error_code}]: {refusal}")
            goal_handle.abort()
        elif report.status is Status.CANCELED:   # shutting down: no client asked, so the goal aborts
            result.message = f"body shutting down: {result.message}"
            goal_handle.abort()
        else:
            self.get_logger().error(f"primitive {primitive.id!r} failed [{report.error_code}]: {report.message}")
            goal_handle.abort()
        return result

    @contextlib.contextmanager
    def _executing_count(self):
        with self._executing_lock:
            self._executing += 1
        try:
            yield
        finally:
            with self._executing_lock:
                self._executing -= 1

    def wind_down(self) -> bool:
        """On shutdown: cancel the running primitive (brake to a hold); True once none runs."""
        self._winding_down.set()
        with self._executing_lock:
            return self._executing == 0

    def stop_loop(self) -> None:
        """Stop the control loop thread (it publishes, so before the executor goes away)."""
        self._stop.set()
        if self._loop is not None and self._loop.is_alive() and self._loop is not threading.current_thread():
            self._loop.join(timeout=5.0)

    def destroy_node(self):
        self.stop_loop()
        loop = getattr(self, "loop", None)
        if loop is not None and loop.timing.count:
            timing = loop.timing
            self.get_logger().info(f"control loop: {timing.count} periods; longest wall gap between periods "
                                   f"{timing.wall_gap_max_s * 1e3:.1f} ms, {timing.stalls} over "
                                   f"{STALL_S * 1e3:.0f} ms")
        if self._commanders is not None:
            self._commanders.close()
        world_io = getattr(self, "_world_io", None)
        if world_io is not None:
            world_io.close()
        if self.hardware is not None and not (self._loop is not None and self._loop.is_alive()):
            self.hardware.close()      # its node and executor; only once the loop no longer spins them
        if self.session is not None and not (self._loop is not None and self._loop.is_alive()):
            self.session.close()       # a plant process, if it has one
        super().destroy_node()


def _plant(scene: SceneConfig) -> str:
    return f"honest plant (unit {scene.robot_seed})" if scene.honest else "ideal plant"


def _names(per_joint) -> str:
    """``harmonic x7`` for seven equal names, else the list."""
    names = list(per_joint)
    return f"{names[0]} x{len(names)}" if len(set(names)) == 1 else ", ".join(names)


def main(args=None) -> None:
    run_node(BodyNode, args)


if __name__ == "__main__":
    main()
