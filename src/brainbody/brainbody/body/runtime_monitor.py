"""The runtime monitor: every tick, between the controller and ``Hardware.write()``, it checks
the measured state and the command about to be written against the body's safe set, and says
which check failed first (Simplex: the capable controller runs while this stays quiet).

It shares no code with the servo, the compensators or the grip loop it watches: it reads the
raw sensor sample, the URDF limits and dynamics of :class:`RobotModel` (its own pinocchio
workspace) and the limits in :class:`BodyConfig`. A finite and fresh state is checked upstream
(``stop_latch.state_problem`` and the adapters' stale-state fault): the monitor only ever sees
finite samples.

Checks (each has a parameter and an error code):

- joint limits: the position where each joint would come to rest if the fallback braked now
  (``stop_deceleration_radps2``, all joints stopping together) stays ``monitor_joint_limit_margin_rad``
  inside the URDF limits; switching on the prediction is what brakes *before* the limit.
- joint speed below the URDF velocity limits (plus ``monitor_joint_speed_tolerance``).
- tool: its predicted stop inside the workspace box, and its speed below ``monitor_max_tool_speed_mps``.
  Position and workspace trips need a motion *outward*: an arm at rest in the margin (or a
  tool outside the box) may be reset and driven back in.
- torque saturation: a command at the actuator limit for longer than ``monitor_torque_saturation_max_s``.
- collision: in effort mode a generalised-momentum observer (De Luca) estimates the external
  joint torque from the torques written and the model's dynamics, compared with
  ``monitor_collision_threshold_nm``; in position mode (the torques are the vendor loop's) the
  lag of the arm behind the set-point written, compared with ``monitor_position_lag_limit_rad``.
  Either must stay over its threshold for ``monitor_collision_confirm_s`` to trip.
- grip force: the pads' measured force at most the object's limit plus ``monitor_grip_force_margin_n``
  (over it for ``monitor_grip_force_confirm_s``).
- temperatures: not monitored yet. The thermal model is a later issue; its check belongs in
  :meth:`RuntimeMonitor.update` and trips with ``OVER_TEMPERATURE`` (206). Diagnostics say
  ``temperature_monitored: false`` until then.
"""
from __future__ import annotations

import dataclasses
import enum
import math
from typing import Optional

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.hardware import GripForceSource, HardwareState
from brainbody.body.robot_model import RobotModel
from brainbody.exceptions import ErrorCode

_TOOL_REST_SPEED_MPS = 0.001      # a tool slower than this is not "moving out" of the box
_SATURATED_FRACTION = 1.0 - 1e-6  # a command this close to the actuator limit is saturated


class MonitorCheck(str, enum.Enum):
    """What the monitor checks, in the order a trip is reported when several fail at once."""

    COLLISION = "collision"
    JOINT_LIMIT = "joint_limit"
    WORKSPACE = "workspace"
    JOINT_SPEED = "joint_speed"
    TOOL_SPEED = "tool_speed"
    TORQUE_SATURATION = "torque_saturation"
    GRIP_FORCE = "grip_force"


CHECK_CODES = {
    MonitorCheck.COLLISION: ErrorCode.COLLISION,
    MonitorCheck.JOINT_LIMIT: ErrorCode.JOINT_LIMIT,
    MonitorCheck.WORKSPACE: ErrorCode.WORKSPACE_LIMIT,
    MonitorCheck.JOINT_SPEED: ErrorCode.JOINT_SPEED,
    MonitorCheck.TOOL_SPEED: ErrorCode.TOOL_SPEED,
    MonitorCheck.TORQUE_SATURATION: ErrorCode.TORQUE_SATURATED,
    MonitorCheck.GRIP_FORCE: ErrorCode.GRIP_FORCE_EXCEEDED,
}


@dataclasses.dataclass(frozen=True)
class MonitorTrip:
    """A failed check: which, its error code, a sentence and the hardware time."""

    check: MonitorCheck
    message: str
    time_s: float

    @property
    def code(self) -> ErrorCode:
        return CHECK_CODES[self.check]


class RuntimeMonitor:
    """Per-tick safety checks; :meth:`update` once per fresh sample, :meth:`wrote` after each write.

    Args:
        config: the limits and thresholds (``monitor_*``, ``workspace_*``, ``stop_deceleration_radps2``).
        model: URDF limits, tool kinematics and arm dynamics.
        effort_mode: the arm command is joint torques (else position set-points).

    Attributes:
        margins: the latest value of each check against its limit (for ``/diagnostics``);
            a positive margin is inside the safe set.
    """

    def __init__(self, config: BodyConfig, model: RobotModel, *, effort_mode: bool):
        self.model = model
        self._data = model.new_data()
        self.effort_mode = bool(effort_mode)
        self.lower_rad = model.lower_rad
        self.upper_rad = model.upper_rad
        self.margin_rad = config.monitor_joint_limit_margin_rad
        self._lo_rad = self.lower_rad + self.margin_rad      # the margin band's inner edges
        self._hi_rad = self.upper_rad - self.margin_rad
        self.max_speed_radps = model.velocity_limit_radps * (1.0 + config.monitor_joint_speed_tolerance)
        self.effort_limit_nm = model.effort_limit_nm
        self._saturated_nm = _SATURATED_FRACTION * self.effort_limit_nm
        self.deceleration_radps2 = config.stop_deceleration_radps2
        self.rest_speed_radps = config.reset_max_joint_speed_radps
        self.box_lo_m = np.asarray(config.workspace_min_m, dtype=float)
        self.box_hi_m = np.asarray(config.workspace_max_m, dtype=float)
        self.max_tool_speed_mps = config.monitor_max_tool_speed_mps
        self.saturation_max_s = config.monitor_torque_saturation_max_s
        self.collision_nm = np.asarray(config.monitor_collision_threshold_nm, dtype=float)
        self.observer_gain = config.monitor_observer_gain_per_s
        self.collision_confirm_s = config.monitor_collision_confirm_s
        self._collision_s = np.zeros(7)
        self.lag_limit_rad = config.monitor_position_lag_limit_rad
        self.grip_margin_n = config.monitor_grip_force_margin_n
        self.grip_confirm_s = config.monitor_grip_force_confirm_s
        self._grip_over_s = 0.0
        self.pad_sensors = GripForceSource(config.grip_force_source) is GripForceSource.PAD_SENSORS
        self.finger_friction_n = config.finger_friction_estimate_n
        self._applied: Optional[np.ndarray] = None      # the arm command acting on the plant now
        self._saturated_s = np.zeros(7)
        self._expected: Optional[np.ndarray] = None     # observer: model-predicted momentum
        self.residual_nm = np.zeros(7)                   # external torque estimate (effort mode)
        self.lag_rad = np.zeros(7)                       # arm behind its set-point (position mode)
        self.grip_force_n = 0.0
        self.grip_limit_n = float("inf")
        self.tool_position_m = np.zeros(3)
        self.tool_speed_mps = 0.0
        self.margins: dict[str, float] = {}
        self.updates = 0

    def wrote(self, arm: np.ndarray) -> None:
        """The arm command just written (it acts until the next write)."""
        self._applied = arm

    def update(self, state: HardwareState, arm: Optional[np.ndarray], dt_s: float, *,
               grip_limit_n: float) -> Optional[MonitorTrip]:
        """Check one fresh, finite ``state`` and the arm command about to be written (None when
        there is none).

        Args:
            dt_s: time since the previous sample (s).
            grip_limit_n: the most the object in (or closing on) the hand tolerates (N); the
                gripper's own maximum without one.

        Returns:
            The first failed check in :class:`MonitorCheck` order, or None.
        """
        self.updates += 1
        q, qd = state.q_rad, state.qd_radps
        speed = np.abs(qd)
        speed_fraction = float((speed / self.max_speed_radps).max())
        # Stopping: the fallback brakes every joint so that all reach rest together in
        # max|qd| / deceleration, each covering half its speed times that; plus one period
        # before the brake acts.
        lead_s = 0.5 * float(speed.max()) / self.deceleration_radps2 + dt_s
        q_stop = q + qd * lead_s
        joint_margin = np.minimum(self._hi_rad - q_stop, q_stop - self._lo_rad)
        joint_margin_rad = float(joint_margin.min())

        tool, tool_v = self.model.tool_motion(q, qd, self._data)
        self.tool_position_m, self.tool_speed_mps = tool, math.sqrt(float(tool_v @ tool_v))
        tool_stop = tool + tool_v * lead_s
        above, below = tool_stop - self.box_hi_m, self.box_lo_m - tool_stop
        box_margin_m = -float(np.maximum(above, below).max())

        if arm is not None and self.effort_mode:
            saturated = np.abs(arm) >= self._saturated_nm
            self._saturated_s = (self._saturated_s + dt_s) * saturated
        self._observe(state, dt_s)
        collision = (np.abs(self.residual_nm) / self.collision_nm if self.effort_mode
                     else np.abs(self.lag_rad) / self.lag_limit_rad)
        # Confirmed over a few ticks: gear impacts in free motion give single-tick spikes, a
        # contact pushes for longer.
        self._collision_s = (self._collision_s + dt_s) * (collision > 1.0)

        self.grip_limit_n = float(grip_limit_n)
        self.grip_force_n = self._grip_force_n(state)
        grip_margin = self.grip_limit_n + self.grip_margin_n - self.grip_force_n
        self._grip_over_s = self._grip_over_s + dt_s if grip_margin < 0.0 else 0.0

        saturated_s, collision_s = float(self._saturated_s.max()), float(self._collision_s.max())
        self.margins = {
            "joint_limit_margin_rad": joint_margin_rad,
            "joint_speed_fraction": speed_fraction,
            "workspace_margin_m": box_margin_m,
            "tool_speed_mps": self.tool_speed_mps,
            "torque_saturated_s": saturated_s,
            "collision_fraction": float(collision.max()),
            "grip_force_margin_n": grip_margin,
        }
        t = state.time_s
        if collision_s >= self.collision_confirm_s:
            j = int(np.argmax(np.where(self._collision_s >= self.collision_confirm_s, collision, 0.0)))
            what = (f"external torque estimate {self.residual_nm[j]:+.1f} N m on joint {j + 1} (threshold "
                    f"{self.collision_nm[j]:g} N m)" if self.effort_mode else
                    f"joint {j + 1} lags its set-point by {self.lag_rad[j]:+.3f} rad (limit {self.lag_limit_rad:g} rad)")
            return MonitorTrip(MonitorCheck.COLLISION, f"collision: {what}", t)
        # Inside a margin band (or outside the box) trips only while moving further out; the
        # direction is looked at only then (most ticks are far from every limit).
        rest = self.rest_speed_radps
        joint_out = (-1.0 if joint_margin_rad >= 0.0 else
                     np.maximum((q_stop - self._hi_rad) * (qd > rest), (self._lo_rad - q_stop) * (qd < -rest)))
        if np.max(joint_out) > 0.0:
            j = int(np.argmax(joint_out))
            return MonitorTrip(MonitorCheck.JOINT_LIMIT, (
                f"joint limit: joint {j + 1} at {q[j]:.3f} rad, {qd[j]:+.2f} rad/s would stop at {q_stop[j]:.3f} rad, "
                f"within {self.margin_rad:g} rad of its limits [{self.lower_rad[j]:.3f}, {self.upper_rad[j]:.3f}] rad"), t)
        box_out = (-1.0 if box_margin_m >= 0.0 else
                   np.maximum(above * (tool_v > _TOOL_REST_SPEED_MPS), below * (tool_v < -_TOOL_REST_SPEED_MPS)))
        if np.max(box_out) > 0.0:
            return MonitorTrip(MonitorCheck.WORKSPACE, (
                f"workspace: tool at {np.round(tool, 3).tolist()} m moving {np.round(tool_v, 3).tolist()} m/s would "
                f"stop at {np.round(tool_stop, 3).tolist()} m, outside the box {self.box_lo_m.tolist()}.."
                f"{self.box_hi_m.tolist()} m"), t)
        if speed_fraction > 1.0:
            j = int(np.argmax(speed / self.max_speed_radps))
            return MonitorTrip(MonitorCheck.JOINT_SPEED, (
                f"joint speed: joint {j + 1} at {qd[j]:+.2f} rad/s, limit {self.max_speed_radps[j]:.2f} rad/s"), t)
        if self.tool_speed_mps > self.max_tool_speed_mps:
            return MonitorTrip(MonitorCheck.TOOL_SPEED, (
                f"tool speed: {self.tool_speed_mps:.2f} m/s, limit {self.max_tool_speed_mps:g} m/s"), t)
        if saturated_s > self.saturation_max_s:
            j = int(np.argmax(self._saturated_s))
            return MonitorTrip(MonitorCheck.TORQUE_SATURATION, (
                f"torque saturation: joint {j + 1} commanded at its {self.effort_limit_nm[j]:g} N m limit for "
                f"{self._saturated_s[j]:.3f} s (bound {self.saturation_max_s:g} s)"), t)
        if grip_margin < 0.0 and self._grip_over_s >= self.grip_confirm_s:
            return MonitorTrip(MonitorCheck.GRIP_FORCE, (
                f"grip force: {self.grip_force_n:.2f} N measured, the object's limit is {self.grip_limit_n:.2f} N "
                f"(+{self.grip_margin_n:g} N margin)"), t)
        return None

    def unsafe_reason(self) -> Optional[str]:
        """Why the last checked state is not safe to resume from (a reset is refused then), or
        None: no external force above the collision threshold and the grip within the object's
        limit. (A joint in its margin or a tool outside the box does not block a reset: only a
        motion further out trips, so the arm can be driven back in.)"""
        if not self.margins:
            return None
        if self.margins["collision_fraction"] > 1.0:
            return ("the collision estimate is still above its threshold (the arm is pushed or blocked: "
                    "clear the obstacle)")
        if self.margins["grip_force_margin_n"] < 0.0:
            return f"the grip force {self.grip_force_n:.2f} N is above the object's limit"
        return None

    # -- the estimates -------------------------------------------------------------------------
    def _observe(self, state: HardwareState, dt_s: float) -> None:
        """Generalised-momentum observer (effort mode), or the lag behind the set-point (position).

        r = K (p - p0 - integral of (tau + C^T qd - g + r) dt), p = M(q) qd: r follows the external
        joint torque with time constant 1/K, needs no acceleration, and starts at zero.
        """
        q, qd = state.q_rad, state.qd_radps
        if not self.effort_mode:
            if self._applied is not None:
                self.lag_rad = self._applied - q
            return
        mass, coriolis_t_qd, gravity = self.model.momentum_terms(q, qd, self._data)
        momentum = mass @ qd
        if self._expected is None or self._applied is None:
            self._expected, self.residual_nm = momentum, np.zeros(7)
            return
        # The momentum the model expects: p0 plus the integral of what the model knows acts.
        self._expected = self._expected + (self._applied + coriolis_t_qd - gravity + self.residual_nm) * dt_s
        self.residual_nm = self.observer_gain * (momentum - self._expected)

    def _grip_force_n(self, state: HardwareState) -> float:
        """The larger pad's squeeze from the raw sensors: the pad sensors, else the finger drives'
        closing effort less the datasheet friction (never the grip loop's own estimate)."""
        if self.pad_sensors or state.finger_effort_n is None:
            return float(state.pad_force_n.max())
        return float(np.max(-np.asarray(state.finger_effort_n))) - self.finger_friction_n
