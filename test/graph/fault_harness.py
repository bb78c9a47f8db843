"""Fault injection against brain, body and the MuJoCo process, three processes over DDS, judged
by the simulator's ground truth (issue 9, section 3). Shared by ``bench/faults.py`` (every case,
``make bench BENCH=faults``) and ``test_fault_injection_graph.py`` (the quickest ones).

Each case starts ``sim_node`` (MuJoCo, ``topic_based`` profile, lock-step pacing, as
``brainbody demo --backend topic_based`` starts it), ``body_node`` and ``intent_node`` as
processes, plus this process's own node (the injector and the judge), injects one fault and
judges the outcome from ``/sim/ground_truth`` (``ros/sim_node.py``):

- ``dropped``, ``crushed``: the cup judge's verdict (MuJoCo contacts).
- ``unsafe_commands``: command messages that reached the MuJoCo process with a non-finite value
  or one beyond the plant's actuator range, counted there before it refuses or applies them.
- ``joint_limit_periods``, ``workspace_periods``: command periods that ended with a true link
  angle past its URDF range, or the true TCP outside the body's specified workspace box.
- ``reaction_ms``: wall time from the injection to the body's observable reaction: the log line
  in which it reports the fault (its logger's own timestamp), a refusal's answer, or the
  ``/diagnostics`` count that shows a refused sample (published at 10 Hz, so within 100 ms).
  For the obstacle in the arm's path it is sim time from the first touch (ground truth) to the
  body's collision trip (``/diagnostics`` ``tripped_at_s``): the contact is physics, in lock-step.
- the obstacle case's contact force: the robot's on the box (``obstacle`` in the ground truth,
  ``sim/obstacle.py``), its peak and what remains once the arm is at rest, against the bounds
  there (ISO/TS 15066's transient value for the hand; resting on the box, not pressing it).

A case survives when the cup was neither dropped nor crushed, nothing unsafe reached the
plant, no limit or workspace period was seen, the body reacted as the case expects and the
nodes that should live are alive without a traceback.

    python fault_harness.py CASE [--seed N]    # one case; prints its result as one JSON line

The link case (:func:`run_across_link`) puts the brain on one "host" and body, MuJoCo and this
judge on another (network namespaces, ``two_hosts.py``), joined through ``lossy_wire.py``.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import rclpy
from rclpy.executors import MultiThreadedExecutor

from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import Point, Pose as PoseMsg, Quaternion, WrenchStamped
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from brainbody_interfaces.action import ExecuteIntent, ExecutePrimitive
from brainbody_interfaces.msg import TaskPrimitive
from brainbody.body.body_config import BodyConfig
from brainbody.cli import demo_body_parameters, demo_sim_parameters, ros_args
from brainbody.node_params import BodyNodeConfig
from brainbody.ros.action_client import BlockingActionClient, TaskResult
from brainbody.ros.backends.topic_backend import CONTROL_QOS
from brainbody.ros.body_node import LATCHED
from brainbody.sim.obstacle import HELD_CONTACT_LIMIT_N, TRANSIENT_CONTACT_LIMIT_N
from brainbody.sim.scene import ARM_JOINTS, FINGER_JOINTS, SceneConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from polling import stop_processes, wait_for  # noqa: E402

BACKEND = "topic_based"
# Lock-step over DDS on a loaded 2-core machine: a state later than this is a deadline miss, and
# this long without one the body holds (304). The demo allows 2 s; a frozen simulator must be
# noticed well within the ~1 s it is frozen here. 0.4 s was exceeded (0.48, 0.52 s) while three
# nodes started next to a test run and a CI run on the same 2 cores.
BODY_DEADLINES = {"state_deadline_s": 0.1, "stale_hold_s": 0.6}
# Across the lossy link: the frames pass a user-space relay (lossy_wire.py) that two real-time
# lock-step threads (sim and body) starve on 2 cores; a live brain's beats were seen 358 ms apart.
LINK_BODY = {"commander_timeout_s": 0.5}
REST_SPEED_RADPS = 0.01        # the arm is at rest when no joint moves faster (ground truth)
REACTION_LIMIT_S = 1.0         # a reaction later than this (wall) fails the case
FREEZE_S = 1.0
# The obstacle case: the robot's contact force on the box is judged against the bounds of
# sim/obstacle.py (TRANSIENT_CONTACT_LIMIT_N at the impact, HELD_CONTACT_LIMIT_N after the stop).
OBSTACLE_REACTION_LIMIT_S = 0.1      # sim time from the first touch to the body's collision trip
_LOG = re.compile(r"\[(\d+\.\d+)\] \[(\w+)\]: (.*)")
_HANDOVER_TOLERANCE_M = 0.03


@dataclasses.dataclass
class CaseResult:
    """One case's outcome; ``failures`` says why it did not survive (empty when it did)."""

    fault: str
    survived: bool = False
    dropped: bool = False
    crushed: bool = False
    unsafe_commands: int = 0
    reaction_ms: Optional[float] = None
    reaction: str = ""
    joint_limit_periods: int = 0
    workspace_periods: int = 0
    outcome: str = ""
    notes: list = dataclasses.field(default_factory=list)
    failures: list = dataclasses.field(default_factory=list)
    wall_time_s: float = 0.0

    def check(self, ok: bool, why: str) -> bool:
        if not ok:
            self.failures.append(why)
        return ok


class NodeProcess:
    """A node as a process of its own; its log lines are collected as they arrive."""

    def __init__(self, module: str, params: dict, *, prefix: tuple = ()):
        self.name = module.rsplit(".", 1)[1]
        self.proc = subprocess.Popen([*prefix, sys.executable, "-m", module, *ros_args(params)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=os.environ.copy())
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()

    def text(self) -> str:
        return "".join(self.lines)

    def logged_at(self, text: str, *, after_s: float, timeout_s: float) -> Optional[float]:
        """Wall time (the logger's stamp) of the first line containing ``text`` logged after
        ``after_s``, waiting up to ``timeout_s``; None if none came."""
        def find():
            for line in list(self.lines):
                match = _LOG.search(line)
                if match and text in line and float(match.group(1)) >= after_s:
                    return float(match.group(1))
            return None
        found = find()
        if found is None and timeout_s > 0.0:
            wait_for(lambda: find() is not None, timeout_s)
            found = find()
        return found

    def alive(self) -> bool:
        return self.proc.poll() is None


class Rig:
    """MuJoCo, body and brain as processes, and the injector/judge node in this process.

    Args:
        seed: places the cup.
        body_overrides: body_node parameters on top of the demo's and :data:`BODY_DEADLINES`.
        brain_prefix: command prefix of the brain's process (``ip netns exec NS``).
    """

    def __init__(self, *, seed: int = 1, body_overrides: Optional[dict] = None, brain_prefix: tuple = ()):
        args = argparse.Namespace(backend=BACKEND, command_mode="effort", seed=seed, drivetrain="harmonic",
                                  realtime_factor=0.0, control_rate_hz=500.0, plain=False,
                                  grip_force_source="pad_sensors", plant="ideal", robot_seed=0)
        self.seed = seed
        self.processes: list[NodeProcess] = []
        self.sim = self._start("brainbody.ros.sim_node", {**demo_sim_parameters(args), "ground_truth_rate_hz": 20.0})
        self.body = self._start("brainbody.ros.body_node", {**demo_body_parameters(args), **BODY_DEADLINES,
                                                             "diagnostics_rate_hz": 10.0, **(body_overrides or {})})
        self.brain = self._start("brainbody.ros.intent_node", {}, prefix=brain_prefix)
        self.layout = BodyNodeConfig(backend=BACKEND).topic_layout("effort")
        self.context = rclpy.Context()
        self.context.init()
        self.node = rclpy.create_node("fault_injector", context=self.context)
        self.truth: list[tuple[float, dict]] = []
        self.feedback: list[tuple[float, int, str]] = []
        self.diagnostics: dict[str, dict] = {}
        node = self.node
        node.create_subscription(String, "/sim/ground_truth",
                                 lambda m: self.truth.append((time.time(), json.loads(m.data))), LATCHED)
        node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 50)
        self.intent = BlockingActionClient(node, ExecuteIntent, "/brain/execute_intent")
        self.primitive = BlockingActionClient(node, ExecutePrimitive, "/body/execute_primitive")
        self.estop = node.create_publisher(Bool, "/body/estop", LATCHED)
        self.trajectory = node.create_publisher(JointTrajectory, "/body/joint_trajectory", 10)
        self.state = node.create_publisher(JointState, self.layout.state_topic, CONTROL_QOS)
        self.pad = node.create_publisher(WrenchStamped, BodyNodeConfig().pad_force_topics[0], CONTROL_QOS)
        self.reset_client = node.create_client(Trigger, "/body/reset")
        self.cup_mass = node.create_publisher(Float64, "/sim/disturbance/cup_added_mass_kg", 10)
        self.obstacle = node.create_publisher(Point, "/sim/disturbance/obstacle_drop", 10)
        self.grip: list[tuple[float, float]] = []      # (wall, the body's measured grip force N)
        node.create_subscription(WrenchStamped, "/body/gripper/wrench",
                                 lambda m: self.grip.append((time.time(), m.wrench.force.y)), 10)
        self.executor = MultiThreadedExecutor(num_threads=3, context=self.context)
        self.executor.add_node(node)
        self._closing = threading.Event()
        self._spinner = threading.Thread(target=self._spin, daemon=True)
        self._spinner.start()
        self._intent_thread: Optional[threading.Thread] = None
        self.intent_outcome: Optional[tuple] = None

    def _start(self, module: str, params: dict, *, prefix: tuple = ()) -> NodeProcess:
        process = NodeProcess(module, params, prefix=prefix)
        self.processes.append(process)
        return process

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            values = {kv.key: kv.value for kv in status.values}
            values["_message"] = status.message
            self.diagnostics[status.name] = values

    def ready(self, timeout_s: float = 90.0) -> None:
        """Every node up: the brain's action, the body's, the ground truth and a body diagnostic."""
        assert self.intent.wait_for_server(timeout_s), self.tails()
        assert self.primitive.wait_for_server(timeout_s), self.tails()
        assert self.reset_client.wait_for_service(timeout_sec=timeout_s), self.tails()
        assert wait_for(lambda: self.truth and "body/hardware" in self.diagnostics, timeout_s), self.tails()
        # A stale state while three nodes start on a busy machine latches a 304 before any fault
        # is injected; it is cleared here (and noted in the result), as an operator would.
        self.startup = self.reset().message

    def tails(self, chars: int = 1500) -> str:
        return "\n".join(f"--- {p.name} (alive {p.alive()}):\n{p.text()[-chars:]}" for p in self.processes)

    # -- the brain's goal ----------------------------------------------------------------------
    def start_intent(self, text: str, timeout_s: float = 240.0) -> None:
        self.feedback.clear()
        self.intent_outcome = None

        def run():
            self.intent_outcome = self.intent.run(
                ExecuteIntent.Goal(intent=text), timeout_s=timeout_s,
                on_feedback=lambda fb: self.feedback.append((time.time(), fb.step, fb.phase)))
        self._intent_thread = threading.Thread(target=run, daemon=True)
        self._intent_thread.start()

    def intent_ended(self, timeout_s: float) -> Optional[tuple]:
        """(TaskResult, result) once the goal ended, None after ``timeout_s``."""
        self._intent_thread.join(timeout=timeout_s)
        return None if self._intent_thread.is_alive() else self.intent_outcome

    def wait_step(self, step: int, phase: str, timeout_s: float = 120.0) -> bool:
        """True once the brain's goal reports ``step`` in ``phase``; False if it ends first."""
        wait_for(lambda: self._at(step, phase) or not self._intent_thread.is_alive(), timeout_s)
        return self._at(step, phase)

    def _at(self, step: int, phase: str) -> bool:
        return any(s == step and p == phase for _, s, p in self.feedback)

    # -- ground truth ----------------------------------------------------------------------------
    def fresh_truth(self, timeout_s: float = 10.0) -> Optional[dict]:
        count = len(self.truth)
        return self.truth[-1][1] if wait_for(lambda: len(self.truth) > count, timeout_s) else None

    def last_truth(self) -> dict:
        return self.truth[-1][1]

    def wait_rest(self, timeout_s: float, hold_s: float = 0.3) -> Optional[float]:
        """Wall time at which the arm came to rest (no joint faster than REST_SPEED_RADPS for
        ``hold_s`` of wall time, by ground truth), or None."""
        def resting_since():
            since = None
            for wall, truth in self.truth:
                if truth["arm_speed_max_radps"] < REST_SPEED_RADPS:
                    since = wall if since is None else since
                else:
                    since = None
            return since if since is not None and self.truth[-1][0] - since >= hold_s else None
        return self.truth and wait_for(lambda: resting_since() is not None, timeout_s) and resting_since() or None

    def reset(self, timeout_s: float = 10.0) -> Trigger.Response:
        """Call /body/reset until it succeeds (the body wants the arm at rest) or time runs out."""
        deadline, response = time.monotonic() + timeout_s, None
        while time.monotonic() < deadline:
            future = self.reset_client.call_async(Trigger.Request())
            if wait_for(future.done, 5.0):
                response = future.result()
                if response.success:
                    return response
            time.sleep(0.2)
        return response or Trigger.Response(success=False, message="no answer from /body/reset")

    def diag(self, name: str, key: str, default: str = "0") -> str:
        return self.diagnostics.get(name, {}).get(key, default)

    # -- judging ---------------------------------------------------------------------------------
    def judge_safety(self, result: CaseResult, *, body_alive: bool = True) -> None:
        """Fill the ground-truth figures from the latest sample and check the common criteria."""
        truth = self.last_truth()
        result.dropped, result.crushed = bool(truth["dropped"]), bool(truth["crushed"])
        result.unsafe_commands = int(truth["unsafe_commands"])
        result.joint_limit_periods = int(truth["joint_limit_periods"])
        result.workspace_periods = int(truth["workspace_periods"])
        result.check(not result.dropped, "cup dropped")
        result.check(not result.crushed, f"cup crushed (peak {truth['peak_squeeze_n']:.2f} N)")
        result.check(result.unsafe_commands == 0, f"{result.unsafe_commands} unsafe commands at the plant")
        result.check(result.joint_limit_periods == 0, f"{result.joint_limit_periods} periods past a joint limit")
        result.check(result.workspace_periods == 0, f"{result.workspace_periods} periods outside the workspace")
        if body_alive:
            result.check(self.body.alive(), "body_node died")
        for process in self.processes:
            result.check("Traceback" not in process.text(), f"traceback in {process.name}")

    def check_delivered(self, result: CaseResult, ended: Optional[tuple], what: str = "the goal") -> bool:
        """``ended`` (from :meth:`intent_ended`) succeeded and the cup stands at the handover."""
        self.fresh_truth()
        ok = ended is not None and ended[0] is TaskResult.SUCCEEDED
        result.check(ok, f"{what} did not succeed: {ended and (ended[0], ended[1] and ended[1].message)}")
        result.check(self.cup_at_handover(), f"cup not at the handover: {self.last_truth()['final_position_m']}")
        return ok

    def cup_at_handover(self) -> bool:
        x, y, _ = self.last_truth()["final_position_m"]
        hx, hy = SceneConfig(seed=self.seed).handover_xy_m
        return math.hypot(x - hx, y - hy) < _HANDOVER_TOLERANCE_M and self.last_truth()["upright"]

    def cup_in_hand(self) -> bool:
        """The cup is up in the air and at the tool (ground truth)."""
        truth = self.last_truth()
        cup, tcp = np.asarray(truth["final_position_m"]), np.asarray(truth["tcp_m"])
        return cup[2] > 0.12 and float(np.linalg.norm(cup[:2] - tcp[:2])) < 0.03

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 - only while closing, below
            if not self._closing.is_set():
                raise
            # Closing: a callback still running touched a handle shutdown() had destroyed
            # (rclpy's InvalidHandle); the rig is going away, nothing is lost.

    def close(self) -> None:
        self._closing.set()
        self.executor.shutdown(timeout_sec=2.0)
        self._spinner.join(timeout=5.0)
        self.node.destroy_node()
        self.context.try_shutdown()
        # The brain first: it must not see the body go and start recovering.
        stop_processes([self.brain.proc, self.body.proc, self.sim.proc])


def _reaction(result: CaseResult, t0: float, t1: Optional[float], what: str) -> None:
    result.reaction = what
    if t1 is None:
        result.failures.append(f"no reaction: {what}")
        return
    result.reaction_ms = round(1e3 * (t1 - t0), 1)
    result.check(t1 - t0 <= REACTION_LIMIT_S, f"{what} only after {result.reaction_ms:.0f} ms")


# -- the cases ----------------------------------------------------------------------------------
def brain_kill(rig: Rig, *, intent: str = "make coffee", step: int = 11) -> CaseResult:
    """SIGKILL the brain while the arm carries the cup (by default the full one, onto the tray):
    the body notices its commander's silence, brakes to a hold and keeps the cup in hand."""
    result = CaseResult(f"brain SIGKILL while carrying the {'full ' if step > 7 else ''}cup ({intent!r}, "
                        f"step {step})")
    rig.start_intent(intent)
    if not result.check(rig.wait_step(step, "transit", 180.0), f"never reached step {step}'s transit"):
        return result
    killed = time.time()
    rig.brain.proc.send_signal(signal.SIGKILL)
    _reaction(result, killed, rig.body.logged_at("abandoned [209]", after_s=killed, timeout_s=5.0),
              "body abandons the primitive (COMMANDER_LOST 209) and holds")
    rest = rig.wait_rest(10.0)
    result.check(rest is not None, "the arm did not come to rest")
    time.sleep(1.0)                      # it must stay held
    rig.fresh_truth()
    result.check(rig.last_truth()["arm_speed_max_radps"] < REST_SPEED_RADPS, "the arm moved again")
    result.check(rig.cup_in_hand(), f"cup not in hand: {rig.last_truth()['final_position_m']}")
    result.outcome = (f"held at rest {1e3 * (rest - killed):.0f} ms after the kill" if rest else "never at rest") + \
        f", cup {rig.last_truth()['fill_fraction']:.0%} full"
    rig.judge_safety(result)
    return result


def estop_reset_resume(rig: Rig, *, intent: str = "bring me the cup", step: int = 1) -> CaseResult:
    """/body/estop mid-motion, /body/reset once at rest, then the same goal again, to its end."""
    result = CaseResult(f"e-stop mid-motion ({intent!r}, step {step}), reset at rest, goal resumed")
    rig.start_intent(intent)
    if not result.check(rig.wait_step(step, "transit", 120.0), f"never reached step {step}'s transit"):
        return result
    # Transit starts from rest: press once the arm is really under way (it accelerates along a
    # quintic, so the first ground-truth sample of the phase can still show it nearly still).
    result.check(wait_for(lambda: (rig.fresh_truth() or {}).get("arm_speed_max_radps", 0.0) > 0.05, 10.0),
                 "the arm was not moving at the e-stop")
    pressed = time.time()
    rig.estop.publish(Bool(data=True))
    _reaction(result, pressed, rig.body.logged_at("emergency stop LATCHED", after_s=pressed, timeout_s=5.0),
              "body latches the e-stop and brakes")
    result.check(rig.wait_rest(15.0) is not None, "the arm did not come to rest")
    first = rig.intent_ended(60.0)
    rig.estop.publish(Bool(data=False))   # the panel's button released; clears nothing by itself
    response = rig.reset()
    result.check(response.success, f"reset refused: {response.message}")
    rig.start_intent(intent)
    ok = rig.check_delivered(result, rig.intent_ended(240.0), "the resumed goal")
    result.outcome = (f"first goal {first[0].value if first else 'no end'}"
                      f"{' (' + first[1].message + ')' if first and first[1] else ''}; reset: {response.message}; "
                      f"resumed goal {'succeeded' if ok else 'failed'}")
    rig.judge_safety(result)
    return result


def _primitive(kind: int, **fields) -> TaskPrimitive:
    return TaskPrimitive(id="injected", kind=kind, **fields)


def _trajectory(q_rad, *, stamp_s: float = 0.0, duration_s: float = 1.0) -> JointTrajectory:
    msg = JointTrajectory(joint_names=list(ARM_JOINTS))
    msg.header.stamp.sec, msg.header.stamp.nanosec = int(stamp_s), int(stamp_s % 1 * 1e9)
    msg.points = [JointTrajectoryPoint(positions=[float(v) for v in q_rad],
                                       time_from_start=Duration(sec=int(duration_s),
                                                                nanosec=int(duration_s % 1 * 1e9)))]
    return msg


BAD_PRIMITIVES = (   # (what, goal) — NaN and out-of-range values the body must refuse with a code
    ("grasp with NaN force", _primitive(TaskPrimitive.KIND_GRASP, object_id="cup", grip_force_n=math.nan)),
    ("grasp with 50 N (cup: 3.4 N)", _primitive(TaskPrimitive.KIND_GRASP, object_id="cup", grip_force_n=50.0)),
    ("reach at inf m/s", _primitive(TaskPrimitive.KIND_REACH, object_id="cup", max_speed_mps=math.inf)),
    ("reach a pose 5 m away", _primitive(TaskPrimitive.KIND_REACH, use_pose=True,
                                         pose=PoseMsg(position=Point(x=5.0, y=0.0, z=0.3),
                                                      orientation=Quaternion(w=1.0)))),
    ("reach a NaN pose", _primitive(TaskPrimitive.KIND_REACH, use_pose=True,
                                    pose=PoseMsg(position=Point(x=math.nan, y=0.0, z=0.3),
                                                 orientation=Quaternion(w=1.0)))),
    ("wait -1 s", _primitive(TaskPrimitive.KIND_WAIT, duration_s=-1.0)),
    ("lift by 1e300 m", _primitive(TaskPrimitive.KIND_LIFT, object_id="cup", lift_height_m=1e300)),
)


def nan_commands(rig: Rig, *, intent: str = "bring me the cup", step: int = 4) -> CaseResult:
    """NaN and out-of-range primitives at rest (each refused with a code, nothing moves), then
    NaN, out-of-range and future-stamped trajectories while the arm carries the cup (each
    refused; the brain's goal goes on to its end)."""
    result = CaseResult("NaN / out-of-range primitives (at rest) and trajectories (while carrying)")
    reactions, notes = [], []
    tcp0 = np.asarray(rig.fresh_truth()["tcp_m"])
    for what, primitive in BAD_PRIMITIVES:
        sent = time.time()
        outcome, answer = rig.primitive.run(ExecutePrimitive.Goal(primitive=primitive), timeout_s=10.0)
        reactions.append(time.time() - sent)
        refused = outcome is TaskResult.FAILED and answer is not None and answer.error_code != 0
        result.check(refused, f"primitive '{what}' not refused with a code: {outcome.value}"
                     f"{' ' + answer.message if answer else ''}")
        if answer is not None:
            notes.append(f"{what}: {answer.error_code}")
    rig.fresh_truth()
    moved = float(np.linalg.norm(np.asarray(rig.last_truth()["tcp_m"]) - tcp0))
    result.check(moved < 1e-3, f"the tool moved {moved * 1e3:.1f} mm on refused primitives")

    rig.start_intent(intent)
    if not result.check(rig.wait_step(step, "transit", 120.0), f"never reached step {step}'s transit"):
        return result
    q = np.asarray(BodyConfig().home_q_rad)
    body_now = float(rig.last_truth()["sim_time_s"])
    trajectories = (("NaN position", _trajectory(np.r_[math.nan, q[1:]])),
                    ("joint 1 at 3.5 rad (limit 2.9)", _trajectory(np.r_[3.5, q[1:]])),
                    ("stamped 1000 s ahead", _trajectory(q, stamp_s=body_now + 1000.0)))
    for what, msg in trajectories:
        sent = time.time()
        rig.trajectory.publish(msg)
        logged = rig.body.logged_at("/body/joint_trajectory refused", after_s=sent, timeout_s=5.0)
        result.check(logged is not None, f"trajectory '{what}' not refused")
        if logged is not None:
            reactions.append(logged - sent)
        time.sleep(0.1)
    ok = rig.check_delivered(result, rig.intent_ended(240.0))
    result.reaction = "every refusal (primitive answer with a code, trajectory refusal in the body's log); worst"
    result.reaction_ms = round(1e3 * max(reactions), 1) if reactions else None
    result.outcome = (f"{len(BAD_PRIMITIVES)} primitives refused ({', '.join(notes)}); "
                      f"trajectories refused {rig.diag('body/commands', 'trajectories_refused')}; "
                      f"goal {'succeeded' if ok else 'failed'}")
    rig.judge_safety(result)
    return result


_NAN_SENDS = 3          # sends of one bad state sample at most (the topic keeps the last sample only)


def nan_sensors(rig: Rig, *, intent: str = "bring me the cup", step: int = 4, count: int = 5) -> CaseResult:
    """NaN and inf joint states on the robot's state topic and a NaN pad force while the arm
    carries the cup: every bad state refused (nothing acts on it), the goal goes on to its end.

    The state topic keeps the last sample only (as robot drivers publish it), so a bad sample the
    robot's next one overtakes before the body's executor takes it is never seen, and nothing
    acts on it either: each is sent again until the body has counted it (at most a few times),
    and the reaction counts from the send of the last one that arrived."""
    result = CaseResult("NaN / inf joint states and a NaN pad force on the sensor topics while carrying")
    rig.start_intent(intent)
    if not result.check(rig.wait_step(step, "transit", 120.0), f"never reached step {step}'s transit"):
        return result
    before = int(rig.diag("body/hardware", "refused_states"))
    names = list(ARM_JOINTS) + list(FINGER_JOINTS)
    overtaken = 0
    sent = seen = None
    for i in range(count):
        msg = JointState(name=names, position=[math.nan if i % 2 == 0 else 0.1] * 9,
                         velocity=[0.0 if i % 2 == 0 else math.inf] * 9, effort=[0.0] * 9)
        for attempt in range(_NAN_SENDS):
            overtaken += bool(attempt)
            msg.header.stamp.sec = int(rig.last_truth()["sim_time_s"])
            sent = time.time()          # the reaction counts from the last bad state
            rig.state.publish(msg)
            # /diagnostics comes at 10 Hz: a sample the body took shows within a few of them.
            if wait_for(lambda: int(rig.diag("body/hardware", "refused_states")) > before + i, 0.5):
                seen = time.time()
                break
        else:
            seen = None
            break
    wrench = WrenchStamped()
    wrench.wrench.force.x = wrench.wrench.force.y = wrench.wrench.force.z = math.nan
    rig.pad.publish(wrench)
    _reaction(result, sent, seen,
              f"body refuses the {count} bad states (/diagnostics refused_states at 10 Hz), from the last")
    ok = rig.check_delivered(result, rig.intent_ended(240.0))
    result.outcome = (f"refused states {before} -> {rig.diag('body/hardware', 'refused_states')} "
                      f"({overtaken} sent again, overtaken by the robot's next sample); "
                      f"goal {'succeeded' if ok else 'failed'}")
    rig.judge_safety(result)
    return result


def sim_freeze(rig: Rig, *, intent: str = "bring me the cup", step: int = 4) -> CaseResult:
    """SIGSTOP the MuJoCo process for FREEZE_S while the arm carries the cup, then SIGCONT: the
    body reports the stale state (304) and holds; afterwards the arm rests with the cup in hand
    and a reset (state fresh again, at rest) is accepted."""
    result = CaseResult(f"MuJoCo process frozen (SIGSTOP {FREEZE_S:g} s, SIGCONT) while carrying")
    rig.start_intent(intent)
    if not result.check(rig.wait_step(step, "transit", 120.0), f"never reached step {step}'s transit"):
        return result
    frozen = time.time()
    rig.sim.proc.send_signal(signal.SIGSTOP)
    _reaction(result, frozen, rig.body.logged_at("[304]", after_s=frozen, timeout_s=FREEZE_S + 2.0),
              "body reports the stale state (304) and holds")
    time.sleep(max(0.0, frozen + FREEZE_S - time.time()))
    rig.sim.proc.send_signal(signal.SIGCONT)
    rest = rig.wait_rest(10.0)
    result.check(rest is not None, "the arm did not come to rest after the freeze")
    result.check(rig.cup_in_hand(), f"cup not in hand: {rig.last_truth()['final_position_m']}")
    ended = rig.intent_ended(60.0)
    response = rig.reset()
    result.check(response.success, f"reset refused after the freeze: {response.message}")
    goal = f"{ended[0].value} ({ended[1].message if ended[1] else ''})" if ended else "no end"
    result.outcome = f"goal {goal}; reset: {response.message}"
    rig.judge_safety(result)
    return result


def sim_kill(rig: Rig, *, intent: str = "bring me the cup", step: int = 4) -> CaseResult:
    """SIGKILL the MuJoCo process while the arm carries the cup: the body reports the stale
    state (304), stays up, refuses motion with a code and refuses a reset while the state is
    stale. The plant is gone, so the cup is judged from the last ground truth before the kill."""
    result = CaseResult("MuJoCo process killed (SIGKILL) while carrying")
    rig.start_intent(intent)
    if not result.check(rig.wait_step(step, "transit", 120.0), f"never reached step {step}'s transit"):
        return result
    rig.fresh_truth()
    killed = time.time()
    rig.sim.proc.send_signal(signal.SIGKILL)
    _reaction(result, killed, rig.body.logged_at("[304]", after_s=killed, timeout_s=5.0),
              "body reports the stale state (304) and holds")
    time.sleep(2.0)
    outcome, answer = rig.primitive.run(ExecutePrimitive.Goal(primitive=_primitive(TaskPrimitive.KIND_WAIT,
                                                                                    duration_s=0.5)),
                                        timeout_s=10.0)
    result.check(outcome is TaskResult.FAILED and answer is not None and answer.error_code != 0,
                 f"a primitive was not refused after the kill: {outcome.value}")
    response = rig.reset(timeout_s=1.0)
    result.check(not response.success, "reset accepted without a simulator")
    ended = rig.intent_ended(30.0)
    result.outcome = (f"goal {ended[0].value if ended else 'no end'}; then a primitive refused "
                      f"[{answer.error_code if answer else '-'}] {answer.message if answer else ''}; "
                      f"reset refused: {response.message}")
    rig.judge_safety(result)
    return result


def obstacle_in_path(rig: Rig, *, intent: str = "bring me the cup", step: int = 4) -> CaseResult:
    """While the arm carries the cup to the hand-over spot, a 3 kg box of 20 cm sides is dropped
    (``/sim/disturbance/obstacle_drop``) on the table beside the spot, in the path of the hand
    as it lowers the cup there: the hand is 20 cm wide along the fingers, the cup 6 cm, so the
    hand's edge lands on the box's top (20 cm up) at about 0.2 m/s, the cup's bottom 10 cm above
    the table and cup and fingers clear of the box. The body's collision estimate trips, the primitive and the goal fail with
    COLLISION (220), the arm yields and holds at rest with the cup in hand; judged by the robot's
    contact force on the box (peak and after the stop) and the cup, from ground truth.
    ``reaction_ms`` is sim time, first touch to the trip (the physics runs in lock-step)."""
    result = CaseResult(f"an obstacle in the path: a 3 kg box dropped beside the hand-over spot while the cup is "
                        f"carried there ({intent!r}, step {step})")
    hx, hy = SceneConfig(seed=rig.seed).handover_xy_m
    rig.start_intent(intent)
    if not result.check(rig.wait_step(step, "transit", 120.0), f"never reached step {step}'s transit"):
        return result
    dropped = time.time()
    # The box's near face 6.5 cm from the spot's centre: past the finger (5 cm), inside the hand's 10 cm.
    rig.obstacle.publish(Point(x=hx, y=hy + 0.065 + 0.1, z=0.005))
    result.check(rig.sim.logged_at("disturbance: the obstacle is dropped", after_s=dropped, timeout_s=5.0)
                 is not None, "the simulator did not drop the obstacle")
    ended = rig.intent_ended(120.0)
    rest = rig.wait_rest(15.0)
    result.check(rest is not None, "the arm did not come to rest")
    time.sleep(1.0)                                 # it must stay held, and stop pressing
    truth = rig.fresh_truth() or rig.last_truth()
    box = truth["obstacle"]
    result.check(truth["arm_speed_max_radps"] < REST_SPEED_RADPS, "the arm moved again")
    touched = box["first_contact_s"] is not None
    result.check(touched, f"the arm never touched the obstacle (box at {box['position_m']})")
    result.check(not box["held_object_contact"], "the cup hit the obstacle (the case wants the hand to)")
    result.check(box["peak_contact_force_n"] <= TRANSIENT_CONTACT_LIMIT_N,
                 f"peak contact force {box['peak_contact_force_n']:.0f} N > {TRANSIENT_CONTACT_LIMIT_N:g} N")
    result.check(box["contact_force_n"] <= HELD_CONTACT_LIMIT_N,
                 f"the arm still presses on the obstacle with {box['contact_force_n']:.0f} N "
                 f"(> {HELD_CONTACT_LIMIT_N:g} N) after the stop")
    result.check(rig.cup_in_hand(), f"cup not in hand: {truth['final_position_m']}")
    code = ended[1].error_code if ended and ended[1] else None
    result.check(ended is not None and ended[0] is TaskResult.FAILED and code == 220,
                 f"the goal did not fail with COLLISION (220): {ended and (ended[0].value, code)}")
    result.check(rig.diag("body/monitor", "tripped_code") == "220",
                 f"/diagnostics body/monitor shows no collision trip: {rig.diagnostics.get('body/monitor')}")
    tripped = rig.diag("body/monitor", "tripped_at_s", "")
    result.reaction = "the body's collision trip (/diagnostics tripped_at_s) after the first touch, sim time"
    if touched and tripped:
        result.reaction_ms = round(1e3 * (float(tripped) - box["first_contact_s"]), 1)
        result.check(0.0 <= result.reaction_ms <= 1e3 * OBSTACLE_REACTION_LIMIT_S,
                     f"collision tripped {result.reaction_ms:.0f} ms (sim) after the first touch")
    else:
        result.failures.append("no reaction: no collision trip on /diagnostics body/monitor")
    # At rest and no longer pushed, the body accepts a reset (refused while the estimate is high).
    response = rig.reset()
    result.check(response.success, f"reset refused at rest against the obstacle: {response.message}")
    peak_after_ms = 1e3 * ((box["peak_at_s"] or 0.0) - (box["first_contact_s"] or 0.0))
    result.outcome = (f"goal {ended[0].value if ended else 'no end'} [{code}]; contact force peak "
                      f"{box['peak_contact_force_n']:.0f} N ({peak_after_ms:.0f} ms after the touch), "
                      f"{box['contact_force_n']:.1f} N held after the stop; cup in hand "
                      f"{rig.cup_in_hand()}; reset: {response.message}")
    rig.judge_safety(result)
    return result


def cup_slip(rig: Rig, *, intent: str = "make coffee", step: int = 11, added_kg: float = 0.2) -> CaseResult:
    """The full cup, carried to the tray, gets ``added_kg`` heavier at once (the simulator's
    disturbance hook) and slips: the body's slip reflex holds it within its force limit, or the
    body sets it down under control; either way it is neither dropped nor crushed and ends
    upright and at rest on a surface (the tray, if the goal still got there)."""
    result = CaseResult(f"the full cup slips: {added_kg:g} kg heavier at once while carried ({intent!r}, "
                        f"step {step})")
    rig.start_intent(intent)
    if not result.check(rig.wait_step(step, "transit", 180.0), f"never reached step {step}'s transit"):
        return result
    added = time.time()
    grip_before_n = rig.grip[-1][1] if rig.grip else 0.0
    rig.cup_mass.publish(Float64(data=added_kg))
    result.check(rig.sim.logged_at("disturbance: the cup is now", after_s=added, timeout_s=5.0) is not None,
                 "the simulator did not apply the disturbance")
    ended = rig.intent_ended(240.0)
    set_down = [wall for wall, _, phase in rig.feedback if wall >= added and phase == "set down"]
    squeezed = [wall for wall, force_n in list(rig.grip) if wall >= added and force_n > grip_before_n + 0.2]
    result.check(rig.wait_rest(10.0) is not None, "the arm did not come to rest")
    truth = rig.fresh_truth() or rig.last_truth()
    resting = truth["upright"] and not rig.cup_in_hand() and truth["final_position_m"][2] < 0.12
    result.check(truth["on_tray"] or resting, f"the cup is neither on the tray nor set down upright: "
                 f"{truth['final_position_m']}, upright {truth['upright']}")
    if set_down:
        _reaction(result, added, set_down[0], "body sets the slipping cup down (feedback phase 'set down')")
    else:
        _reaction(result, added, squeezed[0] if squeezed else None,
                  f"slip reflex: the body's grip force rises 0.2 N over its {grip_before_n:.2f} N "
                  "(/body/gripper/wrench); no set-down")
    goal = f"{ended[0].value} ({ended[1].message if ended[1] else ''})" if ended else "no end"
    result.outcome = (f"goal {goal}; cup {'on the tray' if truth['on_tray'] else 'set down'} at "
                      f"{[round(v, 3) for v in truth['final_position_m']]}, upright {truth['upright']}, "
                      f"peak squeeze {truth['peak_squeeze_n']:.2f} N")
    rig.judge_safety(result)
    return result


def lossy_link(rig: Rig, *, intent: str = "bring me the cup", loss: float = 0.2, delay_ms: float = 50.0
               ) -> CaseResult:
    """The brain across a link that loses ``loss`` of the frames each way and delays the rest by
    ``delay_ms`` (set up by :func:`run_across_link`): reliable DDS repairs the losses, the
    heartbeat's beats survive them, and the goal ends with the cup at the handover."""
    result = CaseResult(f"{loss:.0%} frame loss and {delay_ms:g} ms added latency on the brain-body link "
                        f"({intent!r})")
    rig.start_intent(intent, timeout_s=400.0)
    ok = rig.check_delivered(result, rig.intent_ended(420.0))
    lost = rig.body.logged_at("[209]", after_s=0.0, timeout_s=0.0)
    result.check(lost is None, "the body took the live brain for lost (209)")
    result.reaction = "none needed: the body carries on (no commander lost, no stale state)"
    result.outcome = f"goal {'succeeded' if ok else 'failed'} across the link"
    rig.judge_safety(result)
    return result


CASES: dict[str, Callable[[Rig], CaseResult]] = {
    "brain_kill": brain_kill,
    "estop_reset_resume": estop_reset_resume,
    "nan_commands": nan_commands,
    "nan_sensors": nan_sensors,
    "sim_freeze": sim_freeze,
    "sim_kill": sim_kill,
    "cup_slip": cup_slip,                                       # the slip reflex holds it
    "cup_slip_set_down": functools.partial(cup_slip, added_kg=0.4),   # beyond its limit: set down
    "obstacle_in_path": obstacle_in_path,
    "lossy_link": lossy_link,     # inside namespaces: run_across_link
}


_warm = []


def warm_kernels() -> None:
    """Compile the kernels once per process (cached on disk; a second of loading once cached):
    after an edit of the package a node would otherwise compile them on its first goal and miss
    its state deadline while it does (seen here: a 304 at the first reach)."""
    if not _warm:
        subprocess.run([sys.executable, "-m", "brainbody.runtime.kernel_warmup"], check=True, env=os.environ.copy(),
                       stdout=subprocess.DEVNULL)
        _warm.append(True)


def run_across_link(*, loss: float = 0.2, delay_ms: float = 50.0, seed: int = 1) -> CaseResult:
    """Run :func:`lossy_link` with the brain in namespace ``a`` and body, MuJoCo and the judge in
    ``b``, every frame between them through ``lossy_wire.py``. Needs root (``ip netns``); where
    namespaces cannot be made, the result says so and counts as not survived."""
    import pytest    # two_hosts reports "cannot make namespaces here" as a pytest failure
    from two_hosts import make_two_hosts
    try:
        hosts = make_two_hosts(wire=True)
    except pytest.fail.Exception as exc:
        return CaseResult("lossy_link", failures=[f"not run: {exc}"])
    try:
        hosts.start_wire(loss=loss, delay_ms=delay_ms, seed=seed)
        proc = subprocess.run(["ip", "netns", "exec", hosts.b, sys.executable, __file__, "lossy_link",
                               "--seed", str(seed), "--brain-netns", hosts.a, "--loss", str(loss),
                               "--delay-ms", str(delay_ms)],
                              capture_output=True, text=True, env=hosts.env(), timeout=900)
    finally:
        hosts.remove()
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return CaseResult("lossy_link", failures=[f"exit {proc.returncode}: {(proc.stdout + proc.stderr)[-2000:]}"])
    return CaseResult(**json.loads(lines[-1]))


def run_case(name: str, *, seed: int = 1, brain_netns: str = "", **options) -> CaseResult:
    """Start the rig, run case ``name`` (``options`` go to it), stop the rig; never raises for a
    failed case: the failure is in the result. ``brain_netns``: start the brain in that network
    namespace."""
    warm_kernels()
    wall0 = time.monotonic()
    rig = Rig(seed=seed, brain_prefix=("ip", "netns", "exec", brain_netns) if brain_netns else (),
              body_overrides=LINK_BODY if name == "lossy_link" else None)
    try:
        rig.ready()
        result = CASES[name](rig, **options)
        if not rig.startup.startswith("nothing latched"):
            result.notes.append(f"cleared at start-up, before the injection: {rig.startup}")
    except Exception as exc:    # a harness or start-up failure is a failed case, with its reason
        result = CaseResult(name, failures=[f"{type(exc).__name__}: {exc}"[:3000]])
    finally:
        rig.close()
    result.survived = not result.failures
    result.wall_time_s = round(time.monotonic() - wall0, 1)
    if not result.survived:
        result.failures.append("logs: " + rig.tails(800))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--brain-netns", default="", help="start the brain in this network namespace")
    parser.add_argument("--loss", type=float, default=0.2, help="lossy_link: the wire's loss (for the label)")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="lossy_link: the wire's delay (for the label)")
    args = parser.parse_args(argv)
    options = {"loss": args.loss, "delay_ms": args.delay_ms} if args.case == "lossy_link" else {}
    result = run_case(args.case, seed=args.seed, brain_netns=args.brain_netns, **options)
    print(json.dumps(dataclasses.asdict(result)), flush=True)
    return 0 if result.survived else 1


if __name__ == "__main__":
    sys.exit(main())
