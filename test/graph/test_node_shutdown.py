"""Ctrl-C (SIGINT) or SIGTERM ends each node with status 0 and no traceback, on every
distribution (on Jazzy, rclpy.init is not a context manager)."""
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("rclpy")
pytestmark = pytest.mark.graph

READY = {"brainbody.ros.body_node": "body ready", "brainbody.ros.intent_node": "brain ready"}


@pytest.mark.parametrize("module", sorted(READY))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_node_stops_cleanly_on_a_signal(module, sig):
    proc = subprocess.Popen([sys.executable, "-m", module], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=os.environ.copy())
    lines = []
    deadline = time.monotonic() + 60.0
    try:
        for line in proc.stdout:
            lines.append(line)
            if READY[module] in line or time.monotonic() > deadline:
                break
        assert any(READY[module] in line for line in lines), "".join(lines)[-2000:]
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "".join(lines) + out
    assert proc.returncode == 0, text[-2000:]
    assert "Traceback" not in text


def _wait_for(proc, text: str, lines: list, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    for line in proc.stdout:
        lines.append(line)
        if text in line or time.monotonic() > deadline:
            break
    assert any(text in line for line in lines), "".join(lines)[-2000:]


def test_ctrl_c_mid_task_stops_brain_and_body_without_a_traceback():
    """A launch file's Ctrl-C reaches both nodes while the arm moves: the brain cancels its
    plan, the body brakes to a hold, and both exit 0 within the wind-down allowance."""
    env = os.environ.copy()
    procs = {"body": subprocess.Popen([sys.executable, "-m", "brainbody.ros.body_node", "--ros-args",
                                       "-p", "realtime_factor:=1.0"], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, env=env),
             "brain": subprocess.Popen([sys.executable, "-m", "brainbody.ros.intent_node"], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, env=env)}
    lines = {name: [] for name in procs}
    try:
        _wait_for(procs["body"], "body ready", lines["body"])
        _wait_for(procs["brain"], "brain ready", lines["brain"])
        send = subprocess.run([sys.executable, "-c", _SEND_GOAL], env=env, timeout=60, capture_output=True, text=True)
        assert send.returncode == 0, send.stderr[-2000:]
        _wait_for(procs["brain"], "plan", lines["brain"])   # published: the arm starts moving
        time.sleep(2.0)
        t0 = time.monotonic()
        for p in procs.values():
            p.send_signal(signal.SIGINT)
        outs = {name: "".join(lines[name]) + p.communicate(timeout=30)[0] for name, p in procs.items()}
        elapsed = time.monotonic() - t0
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
    for name, p in procs.items():
        assert p.returncode == 0, f"{name}: {outs[name][-2000:]}"
        assert "Traceback" not in outs[name], f"{name}: {outs[name][-2000:]}"
    assert "cancel" in outs["brain"].lower(), outs["brain"][-2000:]
    assert elapsed < 15.0


# Fire-and-forget "make coffee" on /brain/intent, repeated until the brain has heard it.
_SEND_GOAL = """
import time, rclpy
from std_msgs.msg import String
rclpy.init()
node = rclpy.create_node("shutdown_test_sender")
pub = node.create_publisher(String, "/brain/intent", 10)
deadline = time.monotonic() + 30.0
while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
    rclpy.spin_once(node, timeout_sec=0.1)
pub.publish(String(data="make coffee"))
time.sleep(0.5)
node.destroy_node()
rclpy.try_shutdown()
"""
