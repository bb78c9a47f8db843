"""Brain and body as separate processes over DDS: intent -> plan -> primitives -> result,
cancel mid-task, refusals that move nothing."""
from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import rclpy
from rclpy.executors import MultiThreadedExecutor  # noqa: E402
from rclpy.qos import qos_profile_sensor_data  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402

from brainbody_interfaces.action import ExecuteIntent, ExecutePrimitive  # noqa: E402
from brainbody_interfaces.msg import TaskPlan, TaskPrimitive  # noqa: E402
from brainbody.exceptions import ErrorCode  # noqa: E402
from brainbody.ros.action_client import BlockingActionClient, TaskResult  # noqa: E402
from brainbody.ros.body_node import LATCHED  # noqa: E402

from polling import stop_processes, stop_spinning  # noqa: E402

pytestmark = pytest.mark.graph


class Graph:
    """The test's own node: clients for both actions and the topics it watches."""

    def __init__(self):
        self.node = rclpy.create_node("graph_test")
        self.executor = MultiThreadedExecutor(num_threads=4)
        self.executor.add_node(self.node)
        self.plans: list[tuple[float, TaskPlan]] = []
        self.joint_states: list[JointState] = []
        self.node.create_subscription(TaskPlan, "/brain/plan", lambda m: self.plans.append((time.monotonic(), m)),
                                      LATCHED)
        self.node.create_subscription(JointState, "/joint_states", self.joint_states.append, qos_profile_sensor_data)
        self.intent = BlockingActionClient(self.node, ExecuteIntent, "/brain/execute_intent")
        self.body = BlockingActionClient(self.node, ExecutePrimitive, "/body/execute_primitive")
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def positions(self) -> np.ndarray:
        deadline = time.monotonic() + 5.0
        n = len(self.joint_states)
        while len(self.joint_states) <= n + 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        return np.array(self.joint_states[-1].position)

    def still(self, seconds: float = 0.3) -> float:
        """Largest joint motion (rad) over ``seconds`` of wall time."""
        before = self.positions()
        time.sleep(seconds)
        return float(np.max(np.abs(self.positions() - before)))


@pytest.fixture(scope="module")
def graph():
    env = os.environ.copy()
    procs = [subprocess.Popen([sys.executable, "-m", "brainbody.ros.body_node", "--ros-args",
                               "-p", "seed:=3", "-p", "realtime_factor:=0.0"], env=env),
             subprocess.Popen([sys.executable, "-m", "brainbody.ros.intent_node"], env=env)]
    rclpy.init()
    g = Graph()
    try:
        assert g.intent.wait_for_server(30.0), "intent_node did not come up"
        assert g.body.wait_for_server(30.0), "body_node did not come up"
        yield g
    finally:
        stop_spinning(g.executor, g._thread)
        rclpy.try_shutdown()
        stop_processes(procs)
        # SIGTERM ends each node cleanly within stop_processes' 10 s (killed, it would be -9).
        assert [p.returncode for p in procs] == [0, 0]


def test_intent_runs_plan_published_before_motion(graph):
    phases, progress_at = [], []
    start = time.monotonic()

    def on_feedback(fb) -> None:
        phases.append((fb.step, fb.total, fb.phase))
        if fb.phase not in ("check", "execute", "verify", "recover"):   # the body's own: it moves
            progress_at.append(time.monotonic())

    outcome, result = graph.intent.run(ExecuteIntent.Goal(intent="press the button"), timeout_s=120,
                                       on_feedback=on_feedback)
    assert outcome is TaskResult.SUCCEEDED, result.message if result else outcome
    assert result.success and result.error_code == 0
    kinds = [p.kind for p in result.plan.primitives]
    assert kinds == [TaskPrimitive.KIND_PRESS, TaskPrimitive.KIND_HOME]
    # The plan reached /brain/plan before the body reported any motion (the brain's own "check"
    # of step 1 may arrive first: it is sent just after the plan, on another topic).
    assert any(p.intent == "press the button" for _, p in graph.plans)
    first_plan = min(t for t, p in graph.plans if p.intent == "press the button")
    assert start <= first_plan <= min(progress_at)
    assert {s for s, _, _ in phases} >= {1, 2} and all(t == 2 for _, t, _ in phases)
    assert "descend" in {ph for _, _, ph in phases}


def test_dry_run_and_unknown_intent_move_nothing(graph):
    before = graph.positions()
    outcome, result = graph.intent.run(ExecuteIntent.Goal(intent="make coffee", dry_run=True), timeout_s=30)
    assert outcome is TaskResult.SUCCEEDED and len(result.plan.primitives) == 12
    outcome, result = graph.intent.run(ExecuteIntent.Goal(intent="make tea"), timeout_s=30)
    assert outcome is TaskResult.FAILED
    assert result.error_code == ErrorCode.UNKNOWN_INTENT and "make coffee" in result.message
    outcome, result = graph.intent.run(ExecuteIntent.Goal(intent="crush the cup"), timeout_s=30)
    assert outcome is TaskResult.FAILED and result.error_code == ErrorCode.UNSAFE_REQUEST
    assert np.max(np.abs(graph.positions() - before)) < 1e-3


@pytest.mark.parametrize("field, value, code", [
    ("max_speed_mps", math.nan, ErrorCode.INVALID_PRIMITIVE),
    ("grip_force_n", 50.0, ErrorCode.FORCE_LIMIT),
    ("grip_force_n", -1.0, ErrorCode.INVALID_PRIMITIVE),
    ("timeout_s", math.inf, ErrorCode.INVALID_PRIMITIVE),
])
def test_body_refuses_bad_primitives(graph, field, value, code):
    before = graph.positions()
    primitive = TaskPrimitive(id="bad", kind=TaskPrimitive.KIND_GRASP, object_id="cup", grip_force_n=3.0)
    setattr(primitive, field, value)
    outcome, result = graph.body.run(ExecutePrimitive.Goal(primitive=primitive), timeout_s=30)
    assert outcome is TaskResult.FAILED
    assert result.error_code == code, result.message
    assert result.message
    assert np.max(np.abs(graph.positions() - before)) < 1e-3


def test_body_refuses_unknown_kind_and_object(graph):
    for primitive, code in ((TaskPrimitive(id="k", kind=99), ErrorCode.INVALID_PRIMITIVE),
                            (TaskPrimitive(id="o", kind=TaskPrimitive.KIND_REACH, object_id="teapot"),
                             ErrorCode.UNKNOWN_OBJECT)):
        outcome, result = graph.body.run(ExecutePrimitive.Goal(primitive=primitive), timeout_s=30)
        assert outcome is TaskResult.FAILED and result.error_code == code, result.message


def test_cancel_mid_task_leaves_body_holding(graph):
    state = {"cancel": False}

    def on_feedback(fb):
        if fb.step >= 2 and fb.phase in ("transit", "descend"):
            state["cancel"] = True

    outcome, result = graph.intent.run(ExecuteIntent.Goal(intent="make coffee"), timeout_s=120,
                                       on_feedback=on_feedback, should_cancel=lambda: state["cancel"])
    assert state["cancel"], "never reached the reach step"
    assert outcome is TaskResult.CANCELED
    assert result.error_code == ErrorCode.CANCELED and "holding" in result.message
    # Expect: the arm brakes from its motion to a hold close to where it was canceled,
    # then stays there.
    at_cancel = graph.positions()
    deadline = time.monotonic() + 5.0
    while graph.still(0.2) > 1e-3:
        assert time.monotonic() < deadline, "the arm did not come to rest after cancel"
    assert np.max(np.abs(graph.positions() - at_cancel)) < 0.05
    assert graph.still(0.5) < 1e-3
    # The body accepts new work after a cancel.
    outcome, result = graph.intent.run(ExecuteIntent.Goal(intent="go home"), timeout_s=60)
    assert outcome is TaskResult.SUCCEEDED, result.message
