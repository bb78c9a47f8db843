"""A brain killed (SIGKILL) while the arm carries the cup, body and brain as separate processes
over DDS: the body notices within its commander timeout of wall time, brakes to a hold with the
cup in hand (judged from /sim/ground_truth), latches nothing, and a newly started brain runs a new
goal; a client that names no commander is not watched. At the default pacing (as fast as the
machine goes) and paced to the wall clock."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import rclpy
from rclpy.action import ActionClient  # noqa: E402
from rclpy.executors import MultiThreadedExecutor  # noqa: E402
from rclpy.qos import qos_profile_sensor_data  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import String  # noqa: E402

from brainbody_interfaces.action import ExecuteIntent, ExecutePrimitive  # noqa: E402
from brainbody_interfaces.msg import TaskPrimitive  # noqa: E402
from brainbody.body.body_config import BodyConfig  # noqa: E402
from brainbody.body.robot_model import RobotModel  # noqa: E402
from brainbody.exceptions import ErrorCode  # noqa: E402
from brainbody.node_params import BodyNodeConfig  # noqa: E402
from brainbody.ros.action_client import BlockingActionClient, TaskResult  # noqa: E402
from brainbody.ros.body_node import LATCHED  # noqa: E402
from brainbody.sim.scene import default_urdf_path  # noqa: E402

from polling import wait_for, stop_spinning  # noqa: E402

pytestmark = pytest.mark.graph
# The figure: noticed within 100 ms. The body's default timeout is wider (a loaded
# machine); this test runs the body at 80 ms to show what the heartbeat achieves.
TIMEOUT_S = 0.08

# The issue asks for 100 ms. On a loaded 2-core CI machine three Python processes share the
# cores, so the assertion allows scheduling delay on top; the measured figure is printed.
DETECTION_LIMIT_S = 0.3
_LOG_TIME = re.compile(r"\[(\d+\.\d+)\] \[body_node\]")
_HELD_OFF = re.compile(r"this watch had not looked for (\d+) ms")


class BodyStalled(AssertionError):
    """The body noticed late and says why: its watch could not look for longer than the
    timeout, i.e. the whole process was stopped. Fast DDS does that when a reader process dies
    holding its shared-memory port's lock (ros/middleware.py; LOCALHOST discovery, as every
    test here runs, forces that transport on): a publish then waits 1 s with the GIL held."""


def repeated_once_if_the_body_stalled(run) -> None:
    """``run()``; if the body stalled (:class:`BodyStalled`), once more with fresh processes.
    A stall of our own making would come back and fail the second run."""
    try:
        run()
    except BodyStalled as stall:
        print(f"inconclusive, run again with fresh processes: {stall}")
        run()


class Process:
    """A node process whose output lines are collected as they arrive."""

    def __init__(self, module: str, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()

    def text(self) -> str:
        return "".join(self.lines)

    def line_with(self, text: str, timeout_s: float) -> str:
        assert wait_for(lambda: any(text in line for line in self.lines), timeout_s), self.text()[-3000:]
        return next(line for line in self.lines if text in line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Watcher:
    """The test's node: the intent and primitive clients, joint states and the ground truth."""

    def __init__(self):
        self.node = rclpy.create_node("liveness_test")
        self.executor = MultiThreadedExecutor(num_threads=3)
        self.executor.add_node(self.node)
        self.joint_states: list[tuple[float, np.ndarray]] = []
        self.truth: list[dict] = []
        self.feedback: list[ExecuteIntent.Feedback] = []
        self.node.create_subscription(JointState, "/joint_states", self._on_joints, qos_profile_sensor_data)
        self.node.create_subscription(String, "/sim/ground_truth", lambda m: self.truth.append(json.loads(m.data)),
                                      LATCHED)
        self.intent = ActionClient(self.node, ExecuteIntent, "/brain/execute_intent")
        self.intent_blocking = BlockingActionClient(self.node, ExecuteIntent, "/brain/execute_intent")
        self.body = BlockingActionClient(self.node, ExecutePrimitive, "/body/execute_primitive")
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def _on_joints(self, msg: JointState) -> None:
        self.joint_states.append((time.monotonic(), np.array(msg.position[:7])))

    def q_rad(self) -> np.ndarray:
        return self.joint_states[-1][1]

    def motion_over(self, seconds: float) -> float:
        """Largest joint motion (rad) over ``seconds`` of wall time."""
        before = self.q_rad()
        time.sleep(seconds)
        return float(np.max(np.abs(self.q_rad() - before)))

    def fresh_truth(self) -> dict:
        count = len(self.truth)
        assert wait_for(lambda: len(self.truth) > count, 10.0), "no /sim/ground_truth"
        return self.truth[-1]


@pytest.fixture
def watcher():
    rclpy.init()
    w = Watcher()
    try:
        yield w
    finally:
        stop_spinning(w.executor, w._thread)
        rclpy.try_shutdown()


def kill_brain_while_carrying_the_cup(watcher: Watcher, body: Process, brain: Process, realtime_factor: float,
                                      stale_servers: set):
    """Run "bring me the cup", SIGKILL the brain while the arm carries the cup across (step 4)
    and check that the body noticed in time and holds the cup in the air. ``stale_servers``:
    the intent servers on the graph before ``brain`` started."""
    watcher.feedback.clear()
    assert watcher.intent.wait_for_server(timeout_sec=60.0), brain.text()[-3000:]
    # A brain killed by an earlier run stays listed until its lease ends: wait for this one.
    assert wait_for(lambda: _intent_server_gids(watcher) - stale_servers, 30.0), "the brain's server was never seen"
    assert watcher.body.wait_for_server(60.0), body.text()[-3000:]
    watcher.intent.send_goal_async(ExecuteIntent.Goal(intent="bring me the cup"),
                                   feedback_callback=lambda fb: watcher.feedback.append(fb.feedback))
    wall0, sim0 = time.monotonic(), watcher.fresh_truth()["sim_time_s"]
    assert wait_for(lambda: any(fb.step == 4 and fb.phase == "transit" for fb in watcher.feedback), 120.0), \
        f"never carried the cup: {[(fb.step, fb.phase) for fb in watcher.feedback][-5:]}\n{body.text()[-2000:]}"
    q_at_kill = watcher.q_rad()
    killed_at = time.time()
    brain.proc.kill()
    sim_per_wall = (watcher.truth[-1]["sim_time_s"] - sim0) / (time.monotonic() - wall0)

    # Expect: the body abandons the place with COMMANDER_LOST, logged the moment it noticed.
    line = body.line_with(f"abandoned [{int(ErrorCode.COMMANDER_LOST)}]", 10.0)
    detection_s = float(_LOG_TIME.search(line).group(1)) - killed_at
    print(f"realtime_factor {realtime_factor} (sim/wall {sim_per_wall:.2f}): brain SIGKILL noticed after "
          f"{1e3 * detection_s:.0f} ms of wall time (commander_timeout_s "
          f"{TIMEOUT_S:g}); {line.strip()}")
    assert "lost: silent for" in line and "holding" in line
    held_off = _HELD_OFF.search(line)
    if detection_s >= DETECTION_LIMIT_S and held_off and float(held_off.group(1)) > 1e3 * TIMEOUT_S:
        raise BodyStalled(f"noticed after {detection_s:.3f} s: {line.strip()}")
    assert detection_s < DETECTION_LIMIT_S, f"noticed only after {detection_s:.3f} s"

    # Expect: the arm brakes to a hold close to where the brain died and stays there. "Close" in
    # sim time: until the body noticed (wall time x the pacing's sim/wall ratio) the arm may go on
    # at most at a planned motion's top speed, then it brakes at the controlled-stop deceleration.
    assert wait_for(lambda: watcher.motion_over(0.2) < 1e-3, 5.0), "the arm did not come to rest"
    config = BodyConfig()
    top_speed = RobotModel(default_urdf_path()).velocity_limit_radps * config.joint_speed_scale
    allowed = top_speed * detection_s * sim_per_wall + top_speed ** 2 / (2.0 * config.stop_deceleration_radps2)
    travel = np.abs(watcher.q_rad() - q_at_kill)
    assert np.all(travel <= allowed), f"moved {np.round(travel, 3)} rad, allowed {np.round(allowed, 3)}"
    assert watcher.motion_over(1.0) < 1e-3
    # Ground truth: the cup is still up in the hand, neither dropped nor crushed.
    truth = watcher.fresh_truth()
    assert not truth["dropped"] and not truth["crushed"], truth
    assert truth["final_position_m"][2] > 0.15, f"the cup is not in the air: {truth}"


def _intent_server_gids(watcher: Watcher) -> set:
    """The endpoints on the graph that publish the intent action's status (one per server)."""
    return {bytes(info.endpoint_gid) for info in
            watcher.node.get_publishers_info_by_topic("/brain/execute_intent/_action/status")}


def test_a_killed_brain_leaves_the_arm_holding_the_cup_and_a_new_brain_takes_over(watcher):
    """At the default pacing (realtime_factor 0: as fast as the machine goes)."""
    repeated_once_if_the_body_stalled(lambda: _kill_the_brain_then_start_a_new_one(watcher))


def _kill_the_brain_then_start_a_new_one(watcher: Watcher) -> None:
    stale = _intent_server_gids(watcher)
    body = Process("brainbody.ros.body_node", "--ros-args", "-p", "seed:=3", "-p", f"commander_timeout_s:={TIMEOUT_S}")
    brain = Process("brainbody.ros.intent_node")
    new_brain = None
    try:
        kill_brain_while_carrying_the_cup(watcher, body, brain, BodyNodeConfig().realtime_factor, stale)
        # A new brain takes over without any reset: home, the cup still in hand.
        dead = _intent_server_gids(watcher)     # the killed brain stays listed until its lease ends
        new_brain = Process("brainbody.ros.intent_node")
        new_brain.line_with("brain ready", 60.0)
        # A goal sent before this test has discovered the new server is lost (the killed one
        # still counts as ready): wait for an endpoint that was not there before.
        assert wait_for(lambda: _intent_server_gids(watcher) - dead, 30.0), "the new brain's server was never seen"
        outcome, result = watcher.intent_blocking.run(ExecuteIntent.Goal(intent="go home"), timeout_s=60.0)
        assert outcome is TaskResult.SUCCEEDED, (result.message if result else outcome, body.text()[-2000:])
        truth = watcher.fresh_truth()
        assert not truth["dropped"] and not truth["crushed"] and truth["final_position_m"][2] > 0.15, truth
        # A client naming no commander (it publishes no heartbeat) is not watched.
        wait = TaskPrimitive(id="unwatched", kind=TaskPrimitive.KIND_WAIT, duration_s=0.5)
        outcome, result = watcher.body.run(ExecutePrimitive.Goal(primitive=wait), timeout_s=30.0)
        assert outcome is TaskResult.SUCCEEDED, result.message if result else outcome
    finally:
        for process in (brain, new_brain, body):
            if process is not None:
                process.stop()
    assert "Traceback" not in body.text(), body.text()[-3000:]


@pytest.mark.soak     # the as-fast-as-possible case above runs in make test; this one adds ~25 s
def test_paced_to_the_wall_clock_a_killed_brain_is_noticed_as_fast(watcher):
    """The timeout is wall time whatever the pacing: realtime_factor 1."""
    def run():
        stale = _intent_server_gids(watcher)
        body = Process("brainbody.ros.body_node", "--ros-args", "-p", "seed:=3", "-p", "realtime_factor:=1.0",
                       "-p", f"commander_timeout_s:={TIMEOUT_S}")
        brain = Process("brainbody.ros.intent_node")
        try:
            kill_brain_while_carrying_the_cup(watcher, body, brain, 1.0, stale)
        finally:
            for process in (brain, body):
                process.stop()
        assert "Traceback" not in body.text(), body.text()[-3000:]
    repeated_once_if_the_body_stalled(run)
