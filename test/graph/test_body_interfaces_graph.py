"""The body's safety interfaces over DDS, the body node in its own process (embedded sim paced
to the wall clock): /body/estop latches and `false` does not clear it, /body/reset refuses
while the arm moves and clears at rest with the reason in its response, a refused
/body/joint_trajectory is visible on /diagnostics (body/commands), not only in a log, and
/body/check_drivetrain starts the drivetrain check or says with a code why not, and
/body/weigh_payload starts a weighing and refuses a second one while it runs."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import rclpy
import std_srvs.srv as std_srvs
from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor  # noqa: E402
from rclpy.qos import QoSProfile, qos_profile_sensor_data  # noqa: E402
from builtin_interfaces.msg import Duration  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray  # noqa: E402
from geometry_msgs.msg import WrenchStamped  # noqa: E402
from rosgraph_msgs.msg import Clock  # noqa: E402
from sensor_msgs.msg import JointState  # noqa: E402
from std_msgs.msg import Bool  # noqa: E402
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint  # noqa: E402

from brainbody.body.robot_model import ARM_JOINTS  # noqa: E402
from brainbody.exceptions import ErrorCode  # noqa: E402
from brainbody.ros.body_node import LATCHED  # noqa: E402

from polling import spin_in_thread, stop_processes, stop_spinning, wait_for  # noqa: E402

pytestmark = pytest.mark.graph

Trigger = std_srvs.Trigger
# A slow controlled stop (0.35 rad/s takes about 2 s to brake at this rate), so the arm is
# still moving when the reset request arrives, whatever the machine's load.
STOP_DECELERATION = 0.2


class Operator:
    """The test's node: what an operator panel and a motion planner would use."""

    def __init__(self):
        self.node = rclpy.create_node("body_interfaces_test")
        self.joint_states: list[JointState] = []
        self.diagnostics: list[DiagnosticArray] = []
        self.node.create_subscription(JointState, "/joint_states", self.joint_states.append, qos_profile_sensor_data)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 50)
        self.estop = self.node.create_publisher(Bool, "/body/estop", LATCHED)
        self.trajectory = self.node.create_publisher(JointTrajectory, "/body/joint_trajectory", 10)
        self.reset_client = self.node.create_client(Trigger, "/body/reset")
        self.check_client = self.node.create_client(Trigger, "/body/check_drivetrain")
        self.weigh_client = self.node.create_client(Trigger, "/body/weigh_payload")
        self.friction_client = self.node.create_client(Trigger, "/body/check_friction")
        self.executor = MultiThreadedExecutor(num_threads=2)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def commands(self) -> dict:
        """The latest body/commands status values (message under ``_message``, level ``_level``)."""
        return self.status("body/commands")

    def status(self, name: str) -> dict:
        """The latest values of the /diagnostics status ``name`` (as :meth:`commands`)."""
        for msg in reversed(self.diagnostics):
            for status in msg.status:
                if status.name == name:
                    values = {kv.key: kv.value for kv in status.values}
                    values["_message"] = status.message
                    values["_level"] = status.level[0] if isinstance(status.level, bytes) else status.level
                    return values
        return {}

    def fresh_commands(self, predicate, timeout_s: float = 10.0) -> dict:
        """Wait for a body/commands status published from now on that satisfies ``predicate``."""
        self.diagnostics.clear()
        assert wait_for(lambda: (c := self.commands()) and predicate(c), timeout_s), self.commands()
        return self.commands()

    def position(self) -> np.ndarray:
        return np.array(self.joint_states[-1].position[:7])

    def speed(self) -> float:
        return float(np.max(np.abs(self.joint_states[-1].velocity[:7])))

    def still(self) -> bool:
        """At rest for 0.3 s of wall time (the brake's last milliseconds creep below any speed
        threshold before the body reports the brake done)."""
        if self.speed() >= 0.002:
            return False
        time.sleep(0.3)
        return self.speed() < 0.002

    def send(self, delta_rad: float, duration_s: float = 2.0, stamp: tuple[int, int] = (0, 0)) -> None:
        goal = self.position()
        goal[0] += delta_rad
        msg = JointTrajectory(joint_names=list(ARM_JOINTS))
        msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
        msg.points = [JointTrajectoryPoint(positions=[float(v) for v in goal],
                                           time_from_start=Duration(sec=int(duration_s),
                                                                    nanosec=int(duration_s % 1 * 1e9)))]
        self.trajectory.publish(msg)

    def reset(self) -> Trigger.Response:
        future = self.reset_client.call_async(Trigger.Request())
        assert wait_for(future.done, 10.0), "no answer from /body/reset"
        return future.result()

    def check_drivetrain(self) -> Trigger.Response:
        future = self.check_client.call_async(Trigger.Request())
        assert wait_for(future.done, 10.0), "no answer from /body/check_drivetrain"
        return future.result()

    def check_friction(self) -> Trigger.Response:
        future = self.friction_client.call_async(Trigger.Request())
        assert wait_for(future.done, 10.0), "no answer from /body/check_friction"
        return future.result()

    def weigh_payload(self) -> Trigger.Response:
        future = self.weigh_client.call_async(Trigger.Request())
        assert wait_for(future.done, 10.0), "no answer from /body/weigh_payload"
        return future.result()


@pytest.fixture(scope="module")
def operator():
    args = ["--ros-args", "-p", "seed:=3", "-p", "realtime_factor:=1.0", "-p", "diagnostics_rate_hz:=10.0",
            "-p", f"stop_deceleration_radps2:={STOP_DECELERATION}"]
    proc = subprocess.Popen([sys.executable, "-m", "brainbody.ros.body_node", *args], env=os.environ.copy())
    rclpy.init()
    op = Operator()
    try:
        assert op.reset_client.wait_for_service(timeout_sec=60.0), "body_node offers no /body/reset"
        assert wait_for(lambda: op.joint_states and op.commands(), 30.0), "body_node publishes no state"
        yield op
    finally:
        stop_spinning(op.executor, op._thread)
        # The latched /body/estop writer must go with the node: left to the garbage collector
        # (Jazzy's Fast DDS keeps the participant until then), its last sample would latch the
        # stop in the next module's body.
        op.node.destroy_node()
        rclpy.try_shutdown()
        stop_processes([proc])


def test_estop_latches_false_does_not_clear_and_reset_needs_the_arm_at_rest(operator):
    op = operator
    assert op.reset().success                         # nothing latched yet: a no-op that says so
    op.send(0.5, duration_s=2.0)
    assert wait_for(lambda: op.speed() > 0.2, 10.0), "the streamed trajectory did not move the arm"
    op.estop.publish(Bool(data=True))
    latched = op.fresh_commands(lambda c: c["estop_latched"] == "true")
    assert "emergency stop" in latched["_message"] and latched["_level"] == 1     # WARN
    # Braking at STOP_DECELERATION: still moving when the reset arrives.
    assert op.speed() > 0.02
    response = op.reset()
    assert not response.success
    assert "reset refused" in response.message and ("not at rest" in response.message
                                                    or "braking" in response.message), response.message
    # `false` on /body/estop clears nothing: the latch holds and motion is refused with 109.
    op.estop.publish(Bool(data=False))
    refused_before = int(op.commands()["trajectories_refused"])
    time.sleep(0.3)
    op.send(0.1)
    status = op.fresh_commands(lambda c: int(c["trajectories_refused"]) > refused_before)
    assert status["estop_latched"] == "true"
    assert status["last_refusal_code"] == str(int(ErrorCode.ESTOP_ACTIVE)), status
    # At rest the reset clears the stop and says so; motion is accepted again.
    assert wait_for(op.still, 20.0), "the arm did not come to rest"
    response = op.reset()
    assert response.success and "cleared emergency stop" in response.message, response.message
    op.fresh_commands(lambda c: c["estop_latched"] == "false")
    accepted = int(op.commands()["trajectories_accepted"])
    op.send(-0.1, duration_s=1.0)
    op.fresh_commands(lambda c: int(c["trajectories_accepted"]) > accepted)


def test_a_trajectory_stamped_on_the_wall_clock_is_refused_observably(operator):
    op = operator
    assert wait_for(op.still, 20.0)
    before, refused = op.position(), int(op.commands()["trajectories_refused"])
    now = time.time()        # the body runs on sim time (seconds since its start): this is far ahead
    op.send(0.2, stamp=(int(now), int(now % 1 * 1e9)))
    status = op.fresh_commands(lambda c: int(c["trajectories_refused"]) > refused)
    assert status["last_refusal_code"] == str(int(ErrorCode.OUT_OF_RANGE))
    assert "ahead of the body's clock" in status["last_refusal_message"]
    assert status["_level"] == 1 and "refused" in status["_message"]
    time.sleep(0.5)
    assert np.max(np.abs(op.position() - before)) < 1e-3      # nothing moved


def test_the_drivetrain_check_service_starts_the_check_and_refuses_it_with_a_code_under_a_stop(operator):
    op = operator
    assert wait_for(op.still, 20.0)
    response = op.check_drivetrain()
    assert response.success and "drivetrain check started" in response.message, response.message
    assert wait_for(lambda: op.speed() > 0.05, 10.0), "the check did not move the arm"
    op.estop.publish(Bool(data=True))
    op.fresh_commands(lambda c: c["estop_latched"] == "true")
    response = op.check_drivetrain()
    assert not response.success and f"[{int(ErrorCode.ESTOP_ACTIVE)}]" in response.message, response.message
    assert wait_for(op.still, 20.0), "the arm did not come to rest"
    op.estop.publish(Bool(data=False))   # the panel's button released, as an operator would
    assert op.reset().success


def test_the_weigh_payload_service_tares_and_refuses_a_second_weighing_while_one_runs(operator):
    op = operator
    assert wait_for(op.still, 20.0)
    response = op.weigh_payload()
    assert response.success and "taring with the hand empty" in response.message, response.message
    response = op.weigh_payload()
    assert not response.success and f"[{int(ErrorCode.BUSY)}]" in response.message, response.message
    assert wait_for(lambda: op.speed() > 0.01, 10.0), "the weighing did not move the arm"
    # About 8 s of motion at the wall clock's pace; then the tare is on /diagnostics.
    assert wait_for(lambda: op.status("body/gripper").get("payload_weighing", "").startswith("tared"), 30.0), \
        op.status("body/gripper")
    assert op.status("body/gripper")["payload_weighed_kg"].startswith("not weighed yet")


def test_the_friction_check_service_starts_the_check_refuses_a_second_and_an_estop_interrupts_it(operator):
    op = operator
    assert wait_for(op.still, 30.0)
    response = op.check_friction()
    assert response.success and "friction check started" in response.message, response.message
    response = op.check_friction()
    assert not response.success and f"[{int(ErrorCode.BUSY)}]" in response.message, response.message
    assert wait_for(lambda: op.speed() > 0.05, 10.0), "the check did not move the arm"
    op.estop.publish(Bool(data=True))
    op.fresh_commands(lambda c: c["estop_latched"] == "true")
    assert wait_for(op.still, 20.0), "the arm did not come to rest"
    op.estop.publish(Bool(data=False))
    assert op.reset().success
    # Stopped before its end: nothing concluded, and /diagnostics says so per joint.
    joint = "body/joint/panda_joint1"
    assert wait_for(lambda: op.status(joint).get("friction_check", "").startswith("interrupted"), 10.0), \
        op.status(joint)
    assert op.status(joint)["friction_viscous_checked_nms_per_rad"] == "not checked"


def test_late_subscribers_get_the_100_hz_topics_at_their_rate(operator):
    """/clock, /joint_states and /body/gripper/wrench are filled only while someone listens
    (body_node.py): a subscriber that joins a running body gets each at 100 Hz of sim time
    (the body paced to the wall clock here)."""
    stamps: dict[str, list[float]] = {"clock": [], "joints": [], "wrench": []}

    def seconds(t) -> float:
        return t.sec + t.nanosec * 1e-9

    # A reader of its own, on its own thread, with two seconds of history: what is judged is what
    # the body sends. On the operator's executor, behind its 10 Hz diagnostics and its own
    # /joint_states, these subscriptions went unserved for up to a second on a slow CI machine
    # (gaps of 1.08 s between the /clock stamps taken), and a 10-deep history lost what came
    # meanwhile (a median period of 0.02 s).
    reader = rclpy.create_node("late_subscriber")
    second = QoSProfile(depth=200)
    reader.create_subscription(Clock, "/clock", lambda m: stamps["clock"].append(seconds(m.clock)), second)
    reader.create_subscription(JointState, "/joint_states", lambda m: stamps["joints"].append(seconds(m.header.stamp)),
                               QoSProfile(depth=200, reliability=qos_profile_sensor_data.reliability))
    reader.create_subscription(WrenchStamped, "/body/gripper/wrench",
                               lambda m: stamps["wrench"].append(seconds(m.header.stamp)), second)
    executor = SingleThreadedExecutor()
    executor.add_node(reader)
    thread = spin_in_thread(executor)
    try:
        assert wait_for(lambda: all(len(s) >= 60 for s in stamps.values()), 20.0), \
            {k: len(v) for k, v in stamps.items()}
    finally:
        stop_spinning(executor, thread)
        executor.remove_node(reader)
        reader.destroy_node()
    for name, seen in stamps.items():
        periods = np.diff(seen[10:60])
        assert np.median(periods) == pytest.approx(0.01, abs=0.002), (name, periods)
