"""What every topic backend shares: the robot's ``sensor_msgs/JointState`` read by joint name,
the pad wrenches, the state deadline and the latency record.

A backend (``ros2_control.py``, ``gz.py``, ``topic_based.py``) adds only how commands go out
(:meth:`TopicHardware._publish_command`). The loop runs on arriving state: :meth:`step` spins
the backend's own node until a newer state arrives or ``state_deadline_s`` of wall time passes.
Malformed samples are refused (counted, the last reason kept) and nothing moves on them.

A robot that publishes its last state again (same stamp) while our command for it is still
unanswered has not taken that command: a simulator in lock-step that waits for it (sim_node's
``lockstep`` pacing). The command goes out again then (counted in ``resent_commands``). Without
that, one command sample lost or held up on its way stalled a lock-step run until the
stale-state hold: the body answers only new states, and nothing else was written on the
command topics for the middleware to notice the gap by.
"""
from __future__ import annotations

import time
from typing import Optional

import numpy as np
from rclpy.experimental import EventsExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy, HistoryPolicy, DurabilityPolicy

from geometry_msgs.msg import WrenchStamped
from sensor_msgs.msg import JointState

from brainbody.body.hardware import CommandMode, GripForceSource, HardwareCapabilities, HardwareState
from brainbody.body.joint_state_mapping import JointStateMapping
from brainbody.body.timing_histogram import TimingHistogram
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS
from brainbody.exceptions import HardwareMismatchError, InvalidStateError, StaleStateError
from brainbody.node_params import BodyNodeConfig
from brainbody.ros.conversions import stamp_s
from brainbody.ros.qos_audit import create_node
from brainbody.topic_layout import TopicLayout

# ros2_control's broadcasters and forward command controllers, ros_gz_bridge and the
# topic_based interface use the system default QoS: reliable, volatile, keep last 10.
CONTROL_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                         durability=DurabilityPolicy.VOLATILE)
# The body reads state with the same reliability but keeps only the newest sample: a loop that
# fell behind takes the latest state, not a queue of old ones.
STATE_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                       durability=DurabilityPolicy.VOLATILE)
# A repeated state this long after our last send means the robot did not get that command.
_RESEND_AFTER_S = 0.05


class TopicHardware:
    """:class:`brainbody.body.hardware.Hardware` over a robot's topics (a base class).

    Args:
        config: topic names, joint list, rate and deadlines (``BodyNodeConfig``).
        command_mode: what the arm's commands are (a subclass lists the modes it carries).
        grip_force_source: the body's; with ``finger_effort`` a state without finger efforts
            is refused.
        context: the rclpy context (the default one when None).

    Raises:
        HardwareMismatchError: the backend does not carry ``command_mode``.
        StaleStateError: no valid state arrived within ``config.state_wait_s``.
    """

    command_modes: frozenset = frozenset({CommandMode.EFFORT})

    def __init__(self, config: BodyNodeConfig, command_mode: CommandMode = CommandMode.EFFORT, *,
                 grip_force_source: GripForceSource = GripForceSource.PAD_SENSORS, context=None):
        self.config = config
        self.command_mode = CommandMode(command_mode)
        if self.command_mode not in self.command_modes:
            # Checked again by check_capabilities; here so that no topic is made for a mode we lack.
            offered = ", ".join(sorted(m.value for m in self.command_modes))
            raise HardwareMismatchError(f"backend {config.backend!r} does not take command mode "
                                        f"{self.command_mode.value!r} (it offers: {offered})")
        self.layout: TopicLayout = config.topic_layout(self.command_mode.value)
        self.period_s = 1.0 / config.control_rate_hz
        self.capabilities = HardwareCapabilities(command_modes=self.command_modes, pad_force_3axis=True,
                                                 finger_effort=True)
        self.mapping = JointStateMapping(
            ARM_JOINTS, FINGER_JOINTS, ARM_JOINTS + FINGER_JOINTS,
            need_finger_effort=GripForceSource(grip_force_source) is GripForceSource.FINGER_EFFORT)
        self.node = create_node("body_hardware", context=context)
        # The events executor hands over a sample in ~40 us where the single-threaded one takes
        # ~160 us (measured on Jazzy and Kilted): at 500 Hz that is the loop's largest cost.
        self._executor = EventsExecutor(context=context)
        self._executor.add_node(self.node)
        self._pads = np.zeros((2, 3))
        self._state: Optional[HardwareState] = None
        self._fresh = False
        # Wall time of the first command not yet answered by a newer state (None: answered).
        # Staleness is measured from there: the robot not answering, not the loop being busy.
        self._unanswered_since: Optional[float] = None
        self._arrived_wall_s: Optional[float] = None   # arrival of the state not yet answered
        self.latency = TimingHistogram()               # state arrival -> command (wall), since start
        self.refused = 0
        self.last_refusal: Optional[InvalidStateError] = None
        self.stale_steps = 0
        self.resent_commands = 0                       # commands sent again to a robot that repeated its state
        self._last_command: Optional[tuple[np.ndarray, np.ndarray]] = None
        self._last_sent_s = -float("inf")              # wall time of the last command sent
        # Pads first: when a state and its pad samples are ready together, the executor takes
        # them in creation order, so the state goes out with this period's pad forces.
        for i, topic in enumerate(config.pad_force_topics):
            self.node.create_subscription(WrenchStamped, topic, lambda m, i=i: self._on_pad(i, m), STATE_QOS)
        self.node.create_subscription(JointState, self.layout.state_topic, self._on_joint_state, STATE_QOS)
        self._make_command_publishers()
        self._wait_first_state(config.state_wait_s)

    # -- what a backend adds ---------------------------------------------------------------
    def _make_command_publishers(self) -> None:
        raise NotImplementedError

    def _publish_command(self, arm_values: np.ndarray, finger_force_n: np.ndarray) -> None:
        """Send one command: arm torques (effort) or motor-side positions (position)."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where state comes from and commands go, for the start-up log line."""
        raise NotImplementedError

    # -- subscriptions (run inside step(), on the control thread) ---------------------
    def _on_pad(self, index: int, msg: WrenchStamped) -> None:
        f = msg.wrench.force
        self._pads[index] = (f.x, f.y, f.z)

    def _on_joint_state(self, msg: JointState) -> None:
        try:
            state = self.mapping.state(stamp_s(msg.header.stamp), msg.name, msg.position, msg.velocity,
                                       efforts=msg.effort, pad_force_xyz_n=self._pads.copy())
        except InvalidStateError as exc:
            self.refused += 1
            self.last_refusal = exc
            return
        if state is not None:
            self._state, self._fresh = state, True
            self._unanswered_since = None
            self._arrived_wall_s = time.monotonic()
        elif self._last_command is not None and self._unanswered_since is not None:
            # A repeat sent before our command could have arrived crossed it on the way: only
            # one published well after our last send says the command is missing.
            now = time.monotonic()
            if now - self._last_sent_s > _RESEND_AFTER_S:
                self.resent_commands += 1
                self._last_sent_s = now
                self._publish_command(*self._last_command)

    def _wait_first_state(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._state is None and time.monotonic() < deadline:
            self._executor.spin_once(timeout_sec=0.05)
        if self._state is None:
            why = f"; last refused: {self.last_refusal}" if self.last_refusal else ""
            raise StaleStateError(f"no valid {self.layout.state_topic} within {timeout_s:g} s{why}")

    # -- Hardware ----------------------------------------------------------------------
    def activate(self, command_mode: CommandMode) -> None:
        """The robot's controllers take commands as they come; nothing to switch here.

        Raises:
            HardwareMismatchError: ``command_mode`` is not the one this backend was built for.
        """
        if CommandMode(command_mode) is not self.command_mode:
            raise HardwareMismatchError(f"backend {self.config.backend!r} was connected for "
                                        f"{self.command_mode.value} commands, not {CommandMode(command_mode).value}")

    def deactivate(self) -> None:
        """Leaves the controllers as they are (their last command holds)."""

    def read(self) -> HardwareState:
        self._fresh = False
        return self._state

    def write(self, arm_values: np.ndarray, finger_force_n: np.ndarray) -> None:
        self._publish_command(arm_values, finger_force_n)
        now = time.monotonic()
        self._last_command = (np.array(arm_values, dtype=float), np.array(finger_force_n, dtype=float))
        self._last_sent_s = now
        if self._unanswered_since is None:
            self._unanswered_since = now
        if self._arrived_wall_s is not None:
            self.latency.add(now - self._arrived_wall_s)
            self._arrived_wall_s = None

    def step(self) -> None:
        """Wait for the next state, at most ``state_deadline_s`` of wall time."""
        deadline = time.monotonic() + self.config.state_deadline_s
        while not self._fresh:
            left = deadline - time.monotonic()
            if left <= 0.0:
                self.stale_steps += 1
                return
            self._executor.spin_once(timeout_sec=left)

    @property
    def state_age_s(self) -> float:
        """Wall time the robot has left our first unanswered command without a newer state."""
        since = self._unanswered_since
        return 0.0 if since is None else time.monotonic() - since

    def check_fresh(self) -> None:
        """Raises StaleStateError when the state is older than ``stale_hold_s``."""
        age = self.state_age_s
        if age > self.config.stale_hold_s:
            raise StaleStateError(f"no fresh {self.layout.state_topic} for {age * 1e3:.0f} ms "
                                  f"(limit {self.config.stale_hold_s * 1e3:.0f} ms): holding")

    def close(self) -> None:
        self._executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
