"""Each topic backend against a stand-in robot in the same process (real rclpy over DDS):
state matched by name whatever the robot's order (extra joints ignored), commands on the
profile's topics in the controller's order, malformed states refused with nothing taken,
a robot that goes quiet is reported stale, and one that repeats its state without taking the
last command (a lock-step simulator that lost it) gets that command again."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import rclpy
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import Float64, Float64MultiArray  # noqa: E402

from brainbody.body.hardware import CommandMode  # noqa: E402
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS  # noqa: E402
from brainbody.exceptions import ErrorCode, HardwareMismatchError, StaleStateError  # noqa: E402
from brainbody.node_params import BodyNodeConfig  # noqa: E402
from brainbody.ros.backends import topic_hardware  # noqa: E402
from brainbody.ros.backends.topic_backend import CONTROL_QOS  # noqa: E402

from polling import wait_for  # noqa: E402

pytestmark = pytest.mark.graph
JOINTS = list(ARM_JOINTS) + list(FINGER_JOINTS)
# The robot's own order (reversed, with a joint the body does not drive) and its readings.
ROBOT_ORDER = ["base_rail"] + JOINTS[::-1]
READING = {name: 0.01 * (i + 1) for i, name in enumerate(JOINTS)} | {"base_rail": 9.0}
# A controller joint list in an order of its own.
SHUFFLED = tuple(JOINTS[3:] + JOINTS[:3])


class StandInRobot:
    """Publishes joint states at 200 Hz (``self.kind`` picks good or malformed ones) and
    records every command it hears."""

    def __init__(self, layout):
        self.node = rclpy.create_node("stand_in_robot")
        self.kind, self.stamp = "good", 1.0
        self.with_effort = False    # JointState.effort empty ("not reported") unless set
        self.commands: dict[str, list] = {}
        self._pub = self.node.create_publisher(JointState, layout.state_topic, CONTROL_QOS)
        topics = [(t, Float64MultiArray) for t in (layout.arm_command_topic, layout.gripper_command_topic) if t]
        if layout.profile == "topic_based":
            topics = [(layout.arm_command_topic, JointState)]
        topics += [(t, Float64) for t in layout.joint_command_topics.values()]
        for topic, kind in topics:
            self.node.create_subscription(kind, topic, lambda m, t=topic: self.commands.setdefault(t, []).append(m),
                                          CONTROL_QOS)
        self.node.create_timer(0.005, self._publish)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        threading.Thread(target=self.executor.spin, daemon=True).start()

    def _publish(self) -> None:
        if self.kind == "quiet":
            return
        names, q = list(ROBOT_ORDER), [READING[n] for n in ROBOT_ORDER]
        qd = [0.0] * len(names)
        if self.kind == "missing":
            names, q, qd = names[:-1], q[:-1], qd[:-1]
        elif self.kind == "nan":
            q[3] = float("nan")
        elif self.kind == "sizes":
            qd = qd[:4]
        if self.kind != "frozen":       # frozen: the same state again, as a lock-step sim waiting
            self.stamp += 0.002
        stamp = self.stamp - 1.0 if self.kind == "backwards" else self.stamp
        msg = JointState(name=names, position=q, velocity=qd,
                         effort=[-10.0 * READING[n] for n in names] if self.with_effort else [])
        msg.header.stamp.sec, msg.header.stamp.nanosec = int(stamp), int((stamp % 1) * 1e9)
        self._pub.publish(msg)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()


@pytest.fixture
def ros():
    rclpy.init()
    yield
    rclpy.try_shutdown()


CASES = [("ros2_control", "effort"), ("ros2_control", "position"), ("gz", "effort"), ("gz", "position"),
         ("topic_based", "effort")]


@pytest.mark.parametrize("backend, mode", CASES)
def test_backend_maps_state_and_commands_by_name_and_refuses_bad_states(ros, backend, mode):
    config = BodyNodeConfig(backend=backend, command_joints=SHUFFLED, state_wait_s=10.0, state_deadline_s=0.02,
                            stale_hold_s=0.2)
    layout = config.topic_layout(mode)
    robot = StandInRobot(layout)
    hw = topic_hardware(config, CommandMode(mode))
    try:
        hw.activate(CommandMode(mode))
        hw.step()
        state = hw.read()
        np.testing.assert_allclose(state.q_rad, [READING[n] for n in ARM_JOINTS])
        np.testing.assert_allclose(state.finger_pos_m, [READING[n] for n in FINGER_JOINTS])

        arm, finger = np.arange(1.0, 8.0), np.array([-0.5, -0.7])
        hw.write(arm, finger)
        wanted = dict(zip(ARM_JOINTS, arm)) | dict(zip(FINGER_JOINTS, finger))
        assert wait_for(lambda: _heard(robot, layout) == wanted, 5.0), _heard(robot, layout)

        for kind, refusals in (("missing", "lacks"), ("nan", "non-finite"), ("sizes", "velocities"),
                               ("backwards", "went backwards")):
            robot.kind, before = kind, hw.refused
            # Samples arrive in order: once one is refused, every later one is of this kind.
            assert _spin_until(hw, lambda: hw.refused > before), kind
            last = hw.read().time_s
            assert _spin_until(hw, lambda: hw.refused > before + 3), kind
            assert refusals in str(hw.last_refusal)
            assert hw.last_refusal.code is ErrorCode.HARDWARE_STATE_INVALID
            assert hw.read().time_s == last, f"a {kind} state was taken"

        robot.kind, steps = "quiet", hw.stale_steps
        hw.write(arm, finger)
        assert _spin_until(hw, lambda: hw.state_age_s > config.stale_hold_s)
        assert hw.stale_steps > steps
        with pytest.raises(StaleStateError, match=f"no fresh {layout.state_topic}"):
            hw.check_fresh()
    finally:
        hw.close()
        robot.close()


def test_finger_effort_source_reads_the_finger_efforts_by_name_and_needs_them(ros):
    config = BodyNodeConfig(backend="ros2_control", state_wait_s=1.0)
    robot = StandInRobot(config.topic_layout("effort"))
    try:
        with pytest.raises(StaleStateError, match="reports no effort for"):
            topic_hardware(config, CommandMode.EFFORT, grip_force_source="finger_effort")
        robot.with_effort = True
        hw = topic_hardware(config, CommandMode.EFFORT, grip_force_source="finger_effort")
        try:
            np.testing.assert_allclose(hw.read().finger_effort_n, [-10.0 * READING[n] for n in FINGER_JOINTS])
        finally:
            hw.close()
    finally:
        robot.close()


def test_a_mode_the_backend_does_not_carry_is_refused_before_any_topic_is_made(ros):
    with pytest.raises(HardwareMismatchError, match="does not take command mode 'position'"):
        topic_hardware(BodyNodeConfig(backend="topic_based"), CommandMode.POSITION)


@pytest.mark.parametrize("backend", ["gz", "ros2_control", "topic_based"])
def test_a_robot_repeating_its_state_gets_the_unanswered_command_again(ros, backend):
    config = BodyNodeConfig(backend=backend, state_wait_s=10.0, state_deadline_s=0.02, stale_hold_s=5.0)
    layout = config.topic_layout("effort")
    robot = StandInRobot(layout)
    hw = topic_hardware(config, CommandMode.EFFORT)
    try:
        arm, finger = np.arange(1.0, 8.0), np.array([-0.5, -0.7])
        # A robot whose state moves on has answered the command: it goes out once.
        hw.write(arm, finger)
        _spin_until(hw, lambda: False, 0.3)
        assert hw.resent_commands == 0
        assert wait_for(lambda: _copies(robot, layout) == 1, 2.0), _copies(robot, layout)

        # The robot stops at one state: once the body has that state, its answer is sent
        # again while the robot keeps repeating it (every 50 ms at most), and no more once
        # the robot moves on.
        robot.kind = "frozen"
        last = robot.stamp
        # The stamp crosses the wire as whole nanoseconds (truncated): 1.1260000000000001 s of
        # summed 2 ms steps arrives as 1.126 s.
        assert _spin_until(hw, lambda: hw.read().time_s >= last - 1e-9), (hw.read().time_s, last, robot.stamp)
        hw.write(2 * arm, 2 * finger)
        _spin_until(hw, lambda: False, 0.5)
        assert 2 <= hw.resent_commands <= 11, hw.resent_commands
        wanted = dict(zip(ARM_JOINTS, 2 * arm)) | dict(zip(FINGER_JOINTS, 2 * finger))
        assert wait_for(lambda: _copies(robot, layout) == 2 + hw.resent_commands, 2.0)
        assert _heard(robot, layout) == wanted
        robot.kind = "good"
        assert _spin_until(hw, lambda: hw.read().time_s > last)
        resent = hw.resent_commands
        _spin_until(hw, lambda: False, 0.3)
        assert hw.resent_commands == resent
    finally:
        hw.close()
        robot.close()


def _copies(robot: StandInRobot, layout) -> int:
    """How many commands the robot heard on the arm's first command topic."""
    topic = layout.joint_command_topics[ARM_JOINTS[0]] if layout.profile == "gz" else layout.arm_command_topic
    return len(robot.commands.get(topic, []))


def _spin_until(hw, predicate, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        hw.step()
        hw.read()
    return predicate()


def _heard(robot: StandInRobot, layout) -> dict:
    """The last command the robot heard, by joint name."""
    out: dict = {}
    heard = robot.commands
    if layout.profile == "topic_based":
        if heard.get(layout.arm_command_topic):
            msg = heard[layout.arm_command_topic][-1]
            out.update(zip(msg.name, msg.effort))
    elif layout.profile == "gz":
        for joint, topic in layout.joint_command_topics.items():
            if heard.get(topic):
                out[joint] = heard[topic][-1].data
    else:
        for topic, joints in ((layout.arm_command_topic, layout.arm_command_joints),
                              (layout.gripper_command_topic, layout.gripper_command_joints)):
            if topic and heard.get(topic):
                out.update(zip(joints, heard[topic][-1].data))
    return {k: float(v) for k, v in out.items()}
