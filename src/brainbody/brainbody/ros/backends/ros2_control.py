"""The ros2_control backend: the body as a client of a running controller manager.

State from ``sensor_msgs/JointState`` on ``/joint_states`` (joint_state_broadcaster), matched
by joint name; commands as ``std_msgs/Float64MultiArray`` on ``/<controller>/commands``
(forward_command_controller / ``JointGroupEffortController``), ordered by the controller's
joint list: arm torques (N m) and finger forces (N, positive opens). Pad forces from one
``geometry_msgs/WrenchStamped`` per finger pad. This is the route to gz_ros2_control and to
vendor drivers that expose an effort command interface.

The loop runs on arriving state: :meth:`step` spins this backend's own node until a newer
state arrives or ``state_deadline_s`` of wall time passes. Malformed samples are refused
(counted, the last reason kept) and nothing moves on them.
"""
from __future__ import annotations

import time
from typing import Optional

import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy, HistoryPolicy, DurabilityPolicy

from geometry_msgs.msg import WrenchStamped
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray

from brainbody.body.hardware import CommandMode, HardwareCapabilities, HardwareState
from brainbody.body.joint_state_mapping import JointStateMapping
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS
from brainbody.exceptions import InvalidStateError, StaleStateError
from brainbody.node_params import BodyNodeConfig
from brainbody.ros.conversions import stamp_s

# ros2_control's broadcasters and forward command controllers use the system default QoS:
# reliable, volatile, keep last 10.
CONTROL_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                         durability=DurabilityPolicy.VOLATILE)
# The body reads state with the same reliability but keeps only the newest sample: a loop that
# fell behind takes the latest state, not a queue of old ones.
STATE_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                       durability=DurabilityPolicy.VOLATILE)


class Ros2ControlHardware:
    """:class:`brainbody.body.hardware.Hardware` over ros2_control topics.

    Args:
        config: topic names, joint list, rate and deadlines (``BodyNodeConfig``).
        context: the rclpy context (the default one when None).

    Raises:
        StaleStateError: no valid state arrived within ``config.state_wait_s``.
    """

    def __init__(self, config: BodyNodeConfig, *, context=None):
        self.config = config
        self.period_s = 1.0 / config.control_rate_hz
        self.capabilities = HardwareCapabilities(command_modes=frozenset({CommandMode.EFFORT}),
                                                 pad_force_3axis=True, finger_effort=True)
        self.mapping = JointStateMapping(ARM_JOINTS, FINGER_JOINTS, config.command_joints)
        self.node = rclpy.create_node("body_hardware", context=context)
        self._executor = SingleThreadedExecutor(context=context)
        self._executor.add_node(self.node)
        self._pads = np.zeros((2, 3))
        self._state: Optional[HardwareState] = None
        self._fresh = False
        # Wall time of the first command not yet answered by a newer state (None: answered).
        # Staleness is measured from there: the robot not answering, not the loop being busy.
        self._unanswered_since: Optional[float] = None
        self._arrived_wall_s: Optional[float] = None   # arrival of the state not yet answered
        self.latency_s = np.zeros(1000)                # state arrival -> command, ring buffer
        self.latencies = 0
        self.refused = 0
        self.last_refusal: Optional[InvalidStateError] = None
        self.stale_steps = 0
        # Pads first: when a state and its pad samples are ready together, the executor takes
        # them in creation order, so the state goes out with this period's pad forces.
        for i, topic in enumerate(config.pad_force_topics):
            self.node.create_subscription(WrenchStamped, topic, lambda m, i=i: self._on_pad(i, m), STATE_QOS)
        self.node.create_subscription(JointState, config.joint_states_topic, self._on_joint_state, STATE_QOS)
        self._command_pub = self.node.create_publisher(
            Float64MultiArray, f"/{config.controller_name}/commands", CONTROL_QOS)
        self._wait_first_state(config.state_wait_s)

    # -- subscriptions (run inside step(), on the control thread) ---------------------
    def _on_pad(self, index: int, msg: WrenchStamped) -> None:
        f = msg.wrench.force
        self._pads[index] = (f.x, f.y, f.z)

    def _on_joint_state(self, msg: JointState) -> None:
        try:
            state = self.mapping.state(stamp_s(msg.header.stamp), msg.name, msg.position, msg.velocity,
                                       pad_force_xyz_n=self._pads.copy())
        except InvalidStateError as exc:
            self.refused += 1
            self.last_refusal = exc
            return
        if state is not None:
            self._state, self._fresh = state, True
            self._unanswered_since = None
            self._arrived_wall_s = time.monotonic()

    def _wait_first_state(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._state is None and time.monotonic() < deadline:
            self._executor.spin_once(timeout_sec=0.05)
        if self._state is None:
            why = f"; last refused: {self.last_refusal}" if self.last_refusal else ""
            raise StaleStateError(f"no valid {self.config.joint_states_topic} within {timeout_s:g} s{why}")

    # -- Hardware ----------------------------------------------------------------------
    def activate(self) -> None:
        """The controller takes commands as they come; nothing to switch here."""

    def deactivate(self) -> None:
        """Leaves the controller as it is (its last command holds)."""

    def read(self) -> HardwareState:
        self._fresh = False
        return self._state

    def write(self, arm_torque_nm: np.ndarray, finger_force_n: np.ndarray) -> None:
        self._command_pub.publish(Float64MultiArray(data=self.mapping.command(arm_torque_nm, finger_force_n)))
        now = time.monotonic()
        if self._unanswered_since is None:
            self._unanswered_since = now
        if self._arrived_wall_s is not None:
            self.latency_s[self.latencies % len(self.latency_s)] = now - self._arrived_wall_s
            self.latencies += 1
            self._arrived_wall_s = None

    def latency_percentiles_s(self, *quantiles: float) -> list[float]:
        """State-arrival-to-command latency (wall) over the last 1000 commands."""
        filled = self.latency_s[:min(self.latencies, len(self.latency_s))]
        return [float(np.percentile(filled, 100 * q)) if len(filled) else 0.0 for q in quantiles]

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
            raise StaleStateError(f"no fresh {self.config.joint_states_topic} for {age * 1e3:.0f} ms "
                                  f"(limit {self.config.stale_hold_s * 1e3:.0f} ms): holding")

    def close(self) -> None:
        self._executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
