"""The body on its ros2_control backend against MuJoCo as a separate process (sim_node)
speaking ros2_control's topics: three processes over DDS, judged by simulator ground truth.
Also: the simulator killed mid-motion (the body holds, fails the primitive with
HARDWARE_STATE_STALE and reports ERROR) and malformed joint states (refused, nothing moves)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import rclpy
from rclpy.executors import MultiThreadedExecutor  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402

from brainbody_interfaces.action import ExecutePrimitive  # noqa: E402
from brainbody_interfaces.msg import ObjectArray, TaskPrimitive  # noqa: E402
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS  # noqa: E402
from brainbody.exceptions import ErrorCode  # noqa: E402
from brainbody.ros.action_client import BlockingActionClient, TaskResult  # noqa: E402
from brainbody.ros.backends.ros2_control import CONTROL_QOS  # noqa: E402

from polling import wait_for, stop_spinning  # noqa: E402

pytestmark = pytest.mark.graph


def test_make_coffee_over_ros2_control_in_effort_mode():
    """`brainbody demo` starts sim_node, body_node (backend ros2_control) and intent_node; its
    exit status and report are judged from the simulator's ground truth."""
    proc = subprocess.run([sys.executable, "-m", "brainbody.cli", "demo", "make coffee", "--backend", "ros2_control",
                           "--seed", "2"], capture_output=True, text=True, timeout=400, env=os.environ.copy())
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "started sim_node, body_node, intent_node" in out
    assert "on tray True, upright True, filled 100%, crushed False, dropped False" in out
    assert "SUCCESS" in out and "Traceback" not in out


class Robot:
    """The test's node: the body's action client, /diagnostics, and a publisher that plays a
    robot driver sending malformed joint states."""

    def __init__(self):
        self.node = rclpy.create_node("ros2_control_graph_test")
        self.diagnostics: list[DiagnosticArray] = []
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 50)
        self.world: list[ObjectArray] = []
        self.node.create_subscription(ObjectArray, "/world/objects", self.world.append, 10)
        self.fake_states = self.node.create_publisher(JointState, "/joint_states", CONTROL_QOS)
        self.body = BlockingActionClient(self.node, ExecutePrimitive, "/body/execute_primitive")
        self.executor = MultiThreadedExecutor(num_threads=3)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def status(self, name: str):
        for msg in reversed(self.diagnostics):
            for st in msg.status:
                if st.name == name:
                    return st
        return None

    def wait_for(self, predicate, timeout_s: float = 20.0) -> bool:
        return wait_for(predicate, timeout_s)


def _values(status) -> dict:
    return {kv.key: kv.value for kv in status.values}


def test_sim_killed_mid_motion_holds_fails_with_stale_and_refuses_bad_states():
    env = os.environ.copy()
    sim = subprocess.Popen([sys.executable, "-m", "brainbody.ros.sim_node"], env=env)
    # Deadlines wide enough that a loaded 2-core machine never looks like a dead simulator
    # (lock-step: a busy sim answers late); a killed one still trips them within 2 s.
    body = subprocess.Popen([sys.executable, "-m", "brainbody.ros.body_node", "--ros-args", "-p",
                             "backend:=ros2_control", "-p", "state_deadline_s:=0.2", "-p", "stale_hold_s:=1.5",
                             "-p", "diagnostics_rate_hz:=10.0",
                             # On sim time, as the launch files run it: /clock stops with the sim,
                             # the diagnostics that report it must not.
                             "-p", "use_sim_time:=true"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    rclpy.init()
    robot = Robot()
    try:
        assert robot.body.wait_for_server(60.0), "body_node did not come up"
        # The body learns the world from sim_node's /world/objects (10 Hz): let it hear a few.
        assert robot.wait_for(lambda: len(robot.world) >= 3)
        result: dict = {}
        moving = threading.Event()

        def on_feedback(feedback) -> None:
            if feedback.progress >= 0.05:
                moving.set()

        def reach() -> None:
            goal = ExecutePrimitive.Goal(primitive=TaskPrimitive(id="reach", kind=TaskPrimitive.KIND_REACH,
                                                                 object_id="cup", timeout_s=60.0))
            result["outcome"], result["result"] = robot.body.run(goal, timeout_s=120.0, on_feedback=on_feedback)

        runner = threading.Thread(target=reach)
        runner.start()
        # The arm on its way to the cup (lock-step: how soon depends on the machine, not on a sleep)
        assert moving.wait(60.0), f"no progress on the reach: {result}"
        assert runner.is_alive(), f"reach ended before the sim was killed: {result}"
        sim.send_signal(signal.SIGKILL)
        sim.wait(timeout=10)
        runner.join(timeout=30.0)
        assert not runner.is_alive()
        assert result["outcome"] is TaskResult.FAILED
        assert result["result"].error_code == int(ErrorCode.HARDWARE_STATE_STALE)
        assert "no fresh /joint_states" in result["result"].message

        assert robot.wait_for(lambda: (st := robot.status("body/hardware")) is not None
                              and st.level == DiagnosticStatus.ERROR)
        # Holding: the set-point no longer moves.
        robot.diagnostics.clear()
        assert robot.wait_for(lambda: len(robot.diagnostics) >= 3)
        setpoints = [_values(s)["link_setpoint_rad"] for m in robot.diagnostics for s in m.status
                     if s.name == f"body/joint/{ARM_JOINTS[0]}"]
        assert len(set(setpoints)) == 1, setpoints

        # A "driver" now sends malformed states: each is refused with a code, none is taken.
        names = list(ARM_JOINTS) + list(FINGER_JOINTS)
        bad = [JointState(name=names[:-1], position=[0.0] * 8, velocity=[0.0] * 8),
               JointState(name=names, position=[float("nan")] * 9, velocity=[0.0] * 9),
               JointState(name=names, position=[0.0] * 9, velocity=[0.0] * 3)]
        for i, msg in enumerate(bad):
            msg.header.stamp.sec = 1000 + i
            robot.fake_states.publish(msg)
            time.sleep(0.05)
        assert robot.wait_for(lambda: int(_values(robot.status("body/hardware"))["refused_states"]) >= 3)
        hardware = robot.status("body/hardware")
        assert _values(hardware)["last_refusal_code"] == str(int(ErrorCode.HARDWARE_STATE_INVALID))
        assert hardware.level == DiagnosticStatus.ERROR     # still stale: nothing was accepted
    finally:
        stop_spinning(robot.executor, robot._thread)
        rclpy.try_shutdown()
        for p in (sim, body):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        out = body.communicate(timeout=30)[0]
        if sim.poll() is None:
            sim.kill()
    assert body.returncode == 0 and "Traceback" not in out, out[-3000:]
