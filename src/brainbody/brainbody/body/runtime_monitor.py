"""The runtime monitor: every tick, between the controller and ``Hardware.write()``, it checks
the measured state and the command about to be written against the body's safe set, and says
which check failed first (Simplex: the capable controller runs while this stays quiet).

It shares no code with the servo, the compensators or the grip loop it watches: it reads the
raw sensor sample, the URDF limits and dynamics of :class:`RobotModel` (the compiled chain of
``arm_dynamics.py``, placed in a workspace of its own: it never reads the servo's) and the
limits in :class:`BodyConfig`. A finite and fresh state is checked upstream
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
- temperatures: the motors' estimated winding and magnet temperatures (``body/motor_thermal.py``,
  effort mode) at most half-way into the margins the derating keeps (``winding_limit_c -
  winding_margin_c / 2``, ``magnet_limit_c - magnet_margin_c / 2``): derating should never let
  them get there, so a trip means it could not (a load the fallback holds, a housing already that
  hot, protection switched off). Trips with ``OVER_TEMPERATURE`` (206); a reset waits until they
  are 5 C under.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Optional

import numpy as np

from brainbody.body.arm_dynamics import inverse_dynamics, mass_matrix, new_pose, place, tool_motion
from brainbody.body.body_config import BodyConfig
from brainbody.body.hardware import GripForceSource, HardwareState
from brainbody.body.robot_model import RobotModel
from brainbody.exceptions import ErrorCode
from brainbody.jit import kernel, records

_TOOL_REST_SPEED_MPS = 0.001      # a tool slower than this is not "moving out" of the box
_SATURATED_FRACTION = 1.0 - 1e-6  # a command this close to the actuator limit is saturated
_COOLED_C = 5.0                   # a reset after an over-temperature trip waits until this far under it


# Per joint, one record (each record argument costs a kernel call about 0.15 us of numba's type
# dispatch): the limits (``lo``/``hi``: the margin band's inner edges), the monitor's state and
# the arm command acting on the plant now.
_JOINT = np.dtype([("lo", "f8"), ("hi", "f8"), ("max_speed", "f8"), ("saturated_nm", "f8"), ("collision_nm", "f8"),
                   ("saturated_s", "f8"), ("collision_s", "f8"), ("collision", "f8"), ("expected", "f8"),
                   ("residual", "f8"), ("lag", "f8"), ("applied", "f8")])
# The limits that are not per joint (the workspace box among them), and the monitor's scalar state.
_ARM = np.dtype([("deceleration", "f8"), ("rest_speed", "f8"), ("max_tool_speed", "f8"),
                 ("saturation_max_s", "f8"), ("observer_gain", "f8"), ("collision_confirm_s", "f8"),
                 ("lag_limit", "f8"), ("grip_margin", "f8"), ("grip_confirm_s", "f8"),
                 ("finger_friction", "f8"), ("pad_sensors", "b1"), ("effort_mode", "b1"),
                 ("winding_trip", "f8"), ("magnet_trip", "f8"), ("box_lo", "f8", (3,)), ("box_hi", "f8", (3,)),
                 ("primed", "b1"), ("has_applied", "b1"), ("grip_over_s", "f8"),
                 # This update's dynamics and tool motion, and the last update's mass matrix.
                 ("mass", "f8", (7, 7)), ("mass_before", "f8", (7, 7)), ("bias", "f8", (7,)),
                 ("tool", "f8", (3,)), ("tool_v", "f8", (3,))])
# The figures of one update, in this order (``margins`` names the first eight).
_MARGINS = ("joint_limit_margin_rad", "joint_speed_fraction", "workspace_margin_m", "tool_speed_mps",
            "torque_saturated_s", "collision_fraction", "grip_force_margin_n", "temperature_margin_c")
_TEMPERATURE_C, _LEAD_S, _GRIP_FORCE_N = 7, 8, 9


class MonitorCheck(str, enum.Enum):
    """What the monitor checks, in the order a trip is reported when several fail at once."""

    COLLISION = "collision"
    JOINT_LIMIT = "joint_limit"
    WORKSPACE = "workspace"
    JOINT_SPEED = "joint_speed"
    TOOL_SPEED = "tool_speed"
    TORQUE_SATURATION = "torque_saturation"
    GRIP_FORCE = "grip_force"
    OVER_TEMPERATURE = "over_temperature"


CHECK_CODES = {
    MonitorCheck.COLLISION: ErrorCode.COLLISION,
    MonitorCheck.JOINT_LIMIT: ErrorCode.JOINT_LIMIT,
    MonitorCheck.WORKSPACE: ErrorCode.WORKSPACE_LIMIT,
    MonitorCheck.JOINT_SPEED: ErrorCode.JOINT_SPEED,
    MonitorCheck.TOOL_SPEED: ErrorCode.TOOL_SPEED,
    MonitorCheck.TORQUE_SATURATION: ErrorCode.TORQUE_SATURATED,
    MonitorCheck.GRIP_FORCE: ErrorCode.GRIP_FORCE_EXCEEDED,
    MonitorCheck.OVER_TEMPERATURE: ErrorCode.OVER_TEMPERATURE,
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

    The arithmetic, the tool's motion and the arm's dynamics included, runs in one compiled
    kernel (:func:`_check`). Attributes:
        margins: the latest value of each check against its limit (for ``/diagnostics``);
            a positive margin is inside the safe set.
    """

    def __init__(self, config: BodyConfig, model: RobotModel, *, effort_mode: bool):
        self.model = model
        self._pose = new_pose()
        self.effort_mode = bool(effort_mode)
        self.lower_rad = model.lower_rad
        self.upper_rad = model.upper_rad
        self.margin_rad = config.monitor_joint_limit_margin_rad
        self.max_speed_radps = model.velocity_limit_radps * (1.0 + config.monitor_joint_speed_tolerance)
        self.effort_limit_nm = model.effort_limit_nm
        self.box_lo_m = np.asarray(config.workspace_min_m, dtype=float)
        self.box_hi_m = np.asarray(config.workspace_max_m, dtype=float)
        self.max_tool_speed_mps = config.monitor_max_tool_speed_mps
        self.saturation_max_s = config.monitor_torque_saturation_max_s
        self.collision_nm = np.asarray(config.monitor_collision_threshold_nm, dtype=float)
        self.lag_limit_rad = config.monitor_position_lag_limit_rad
        self.grip_margin_n = config.monitor_grip_force_margin_n
        j = self._joints = records(7, _JOINT)
        j["lo"], j["hi"] = self.lower_rad + self.margin_rad, self.upper_rad - self.margin_rad
        j["max_speed"] = self.max_speed_radps
        j["saturated_nm"] = _SATURATED_FRACTION * self.effort_limit_nm
        j["collision_nm"] = self.collision_nm
        a = self._arm = records(1, _ARM)
        a["box_lo"], a["box_hi"] = self.box_lo_m, self.box_hi_m
        a["deceleration"] = config.stop_deceleration_radps2
        a["rest_speed"] = config.reset_max_joint_speed_radps
        a["max_tool_speed"] = self.max_tool_speed_mps
        a["saturation_max_s"] = self.saturation_max_s
        a["observer_gain"] = config.monitor_observer_gain_per_s
        a["collision_confirm_s"] = config.monitor_collision_confirm_s
        a["lag_limit"] = self.lag_limit_rad
        a["grip_margin"] = self.grip_margin_n
        a["grip_confirm_s"] = config.monitor_grip_force_confirm_s
        a["finger_friction"] = config.finger_friction_estimate_n
        a["pad_sensors"] = GripForceSource(config.grip_force_source) is GripForceSource.PAD_SENSORS
        a["effort_mode"] = self.effort_mode
        self.winding_trip_c = config.winding_limit_c - 0.5 * config.winding_margin_c
        self.magnet_trip_c = config.magnet_limit_c - 0.5 * config.magnet_margin_c
        a["winding_trip"], a["magnet_trip"] = self.winding_trip_c, self.magnet_trip_c
        self.winding_c: Optional[np.ndarray] = None
        self.magnet_c: Optional[np.ndarray] = None
        self._figures = np.zeros(len(_MARGINS) + 2)
        self._applied = j["applied"]       # a view, taken once
        self._has_applied = False          # whether the record's has_applied is set
        self.torque_share = np.ones(7)     # of the torque written, what each joint gets (use_torque_share)
        self._none = np.zeros(0)
        self.grip_limit_n = float("inf")
        self.updates = 0

    @property
    def margins(self) -> dict[str, float]:
        if not self.updates:
            return {}
        # No temperatures given (position mode): no temperature margin either.
        return {k: v for k, v in zip(_MARGINS, self._figures.tolist()) if k != _MARGINS[_TEMPERATURE_C]
                or self.winding_c is not None}

    @property
    def tool_position_m(self) -> np.ndarray:
        """The tool's position (3,) at the last update, m, world frame."""
        return self._arm["tool"][0].copy()

    @property
    def tool_velocity_mps(self) -> np.ndarray:
        """The tool's linear velocity (3,) at the last update, m/s, world frame."""
        return self._arm["tool_v"][0].copy()

    @property
    def tool_speed_mps(self) -> float:
        return float(self._figures[3])

    @property
    def grip_force_n(self) -> float:
        return float(self._figures[_GRIP_FORCE_N])

    @property
    def residual_nm(self) -> np.ndarray:
        """External joint torque estimate (effort mode)."""
        return self._joints["residual"].copy()

    @property
    def lag_rad(self) -> np.ndarray:
        """The arm behind its set-point (position mode)."""
        return self._joints["lag"].copy()

    def wrote(self, arm: np.ndarray) -> None:
        """The arm torque just written as it reaches the joints (it acts until the next write)."""
        self._applied[:] = arm
        if not self._has_applied:          # a field write costs far more than this test
            self._arm["has_applied"] = self._has_applied = True

    def use_torque_share(self, share: np.ndarray) -> None:
        """Of the torque written, the part each joint's motor delivers (7,), where the body
        scales its commands up for weak (demagnetised) motors: such a drive is written its
        effort limit, and so saturated, while the joint gets that limit times the share."""
        self._joints["saturated_nm"] = _SATURATED_FRACTION * self.effort_limit_nm * share
        self.torque_share = np.array(share, dtype=float)

    def update(self, state: HardwareState, arm: Optional[np.ndarray], dt_s: float, *,
               grip_limit_n: float, winding_c: Optional[np.ndarray] = None,
               magnet_c: Optional[np.ndarray] = None) -> Optional[MonitorTrip]:
        """Check one fresh, finite ``state`` and the arm command about to be written (None when
        there is none).

        Args:
            dt_s: time since the previous sample (s).
            grip_limit_n: the most the object in (or closing on) the hand tolerates (N); the
                gripper's own maximum without one.
            winding_c, magnet_c: the motors' estimated temperatures (7,), C, or None (not checked).

        Returns:
            The first failed check in :class:`MonitorCheck` order, or None.
        """
        self.updates += 1
        q, qd = state.q_rad, state.qd_radps
        self.grip_limit_n = float(grip_limit_n)
        self.winding_c, self.magnet_c = winding_c, magnet_c
        effort = state.finger_effort_n
        check, joint = _check(
            q, qd, float(dt_s), self._none if arm is None else arm, self.model.chain, self._pose, state.pad_force_n,
            self._none if effort is None else np.asarray(effort, dtype=float), self.grip_limit_n,
            self._none if winding_c is None else winding_c, self._none if magnet_c is None else magnet_c,
            self._joints, self._arm, self._figures)
        if check < 0:
            return None
        return MonitorTrip(_CHECK_ORDER[check], self._trip_message(_CHECK_ORDER[check], joint, q, qd), state.time_s)

    def _trip_message(self, check: MonitorCheck, j: int, q: np.ndarray, qd: np.ndarray) -> str:
        f = self._figures
        if check is MonitorCheck.COLLISION:
            what = (f"external torque estimate {self._joints['residual'][j]:+.1f} N m on joint {j + 1} (threshold "
                    f"{self.collision_nm[j]:g} N m)" if self.effort_mode else
                    f"joint {j + 1} lags its set-point by {self._joints['lag'][j]:+.3f} rad "
                    f"(limit {self.lag_limit_rad:g} rad)")
            return f"collision: {what}"
        if check is MonitorCheck.JOINT_LIMIT:
            q_stop = q[j] + qd[j] * f[_LEAD_S]
            return (f"joint limit: joint {j + 1} at {q[j]:.3f} rad, {qd[j]:+.2f} rad/s would stop at {q_stop:.3f} "
                    f"rad, within {self.margin_rad:g} rad of its limits [{self.lower_rad[j]:.3f}, "
                    f"{self.upper_rad[j]:.3f}] rad")
        if check is MonitorCheck.WORKSPACE:
            tool, tool_v = self.tool_position_m, self.tool_velocity_mps
            tool_stop = tool + tool_v * f[_LEAD_S]
            return (f"workspace: tool at {np.round(tool, 3).tolist()} m moving {np.round(tool_v, 3).tolist()} m/s "
                    f"would stop at {np.round(tool_stop, 3).tolist()} m, outside the box {self.box_lo_m.tolist()}.."
                    f"{self.box_hi_m.tolist()} m")
        if check is MonitorCheck.JOINT_SPEED:
            return f"joint speed: joint {j + 1} at {qd[j]:+.2f} rad/s, limit {self.max_speed_radps[j]:.2f} rad/s"
        if check is MonitorCheck.TOOL_SPEED:
            return f"tool speed: {f[3]:.2f} m/s, limit {self.max_tool_speed_mps:g} m/s"
        if check is MonitorCheck.TORQUE_SATURATION:
            weak = (f" (its motor delivers {self.torque_share[j]:.0%} of the torque written: "
                    f"{self.effort_limit_nm[j] * self.torque_share[j]:.3g} N m at the joint)"
                    if self.torque_share[j] < 1.0 else "")
            return (f"torque saturation: joint {j + 1} commanded at its {self.effort_limit_nm[j]:g} N m limit{weak} for "
                    f"{self._joints['saturated_s'][j]:.3f} s (bound {self.saturation_max_s:g} s)")
        if check is MonitorCheck.GRIP_FORCE:
            return (f"grip force: {self.grip_force_n:.2f} N measured, the object's limit is {self.grip_limit_n:.2f} N "
                    f"(+{self.grip_margin_n:g} N margin)")
        return f"over temperature: {self._hot_motor(j)}"

    def _hot_motor(self, j: int) -> str:
        return (f"motor of joint {j + 1} estimated at {self.winding_c[j]:.1f} C winding (trip at "
                f"{self.winding_trip_c:g} C), {self.magnet_c[j]:.1f} C magnets (trip at {self.magnet_trip_c:g} C)")

    def unsafe_reason(self) -> Optional[str]:
        """Why the last checked state is not safe to resume from (a reset is refused then), or
        None: no external force above the collision threshold and the grip within the object's
        limit. (A joint in its margin or a tool outside the box does not block a reset: only a
        motion further out trips, so the arm can be driven back in.)"""
        if not self.updates:
            return None
        if self._figures[5] > 1.0:
            return ("the collision estimate is still above its threshold (the arm is pushed or blocked: "
                    "clear the obstacle)")
        if self._figures[6] < 0.0:
            return f"the grip force {self.grip_force_n:.2f} N is above the object's limit"
        if self._figures[_TEMPERATURE_C] < _COOLED_C:
            hottest = int(np.argmax(np.maximum(self.winding_c - self.winding_trip_c, self.magnet_c - self.magnet_trip_c)))
            return f"a motor is still too hot ({self._hot_motor(hottest)}): let it cool {_COOLED_C:g} C under"
        return None


_CHECK_ORDER = tuple(MonitorCheck)


@kernel
def _check(q, qd, dt, arm, chain, pose, pad_force, finger_effort, grip_limit, winding, magnet, joints, whole_arm,
           figures):
    """Every check of one update, in :class:`MonitorCheck` order (``joints``: :data:`_JOINT`,
    ``whole_arm``: :data:`_ARM`); the figures into ``figures``.

    Returns the index of the first failed check (-1: none) and the joint it concerns.
    """
    n = q.shape[0]
    a = whole_arm[0]
    place(chain, q, pose)
    tool, tool_v = a.tool, a.tool_v
    tool_motion(chain, pose, qd, tool, tool_v)
    if a.effort_mode:
        mass_matrix(chain, pose, a.mass)
        inverse_dynamics(chain, pose, qd, qd[:0], True, a.bias)    # at rest: C qd + g
    # Stopping: the fallback brakes every joint so that all reach rest together in
    # max|qd| / deceleration, each covering half its speed times that; plus one period before
    # the brake acts.
    top_speed, speed_fraction, speed_joint = 0.0, 0.0, 0
    for i in range(n):
        top_speed = max(top_speed, abs(qd[i]))
        fraction = abs(qd[i]) / joints[i].max_speed
        if fraction > speed_fraction:
            speed_fraction, speed_joint = fraction, i
    lead = 0.5 * top_speed / a.deceleration + dt
    joint_margin = np.inf
    for i in range(n):
        q_stop = q[i] + qd[i] * lead
        joint_margin = min(joint_margin, joints[i].hi - q_stop, q_stop - joints[i].lo)
    box_margin, tool_speed2 = np.inf, 0.0
    for k in range(3):
        stop = tool[k] + tool_v[k] * lead
        box_margin = min(box_margin, a.box_hi[k] - stop, stop - a.box_lo[k])
        tool_speed2 += tool_v[k] * tool_v[k]
    tool_speed = np.sqrt(tool_speed2)

    if arm.shape[0] == n and a.effort_mode:
        for i in range(n):
            joints[i].saturated_s = joints[i].saturated_s + dt if abs(arm[i]) >= joints[i].saturated_nm else 0.0
    _observe(q, qd, dt, a, joints)
    # Confirmed over a few ticks: gear impacts in free motion give single-tick spikes, a
    # contact pushes for longer.
    collision_max, collision_s_max, saturated_max = 0.0, 0.0, 0.0
    for i in range(n):
        st = joints[i]
        st.collision = abs(st.residual) / joints[i].collision_nm if a.effort_mode else abs(st.lag) / a.lag_limit
        st.collision_s = st.collision_s + dt if st.collision > 1.0 else 0.0
        collision_max = max(collision_max, st.collision)
        collision_s_max = max(collision_s_max, st.collision_s)
        saturated_max = max(saturated_max, st.saturated_s)

    # The larger pad's squeeze from the raw sensors: the pad sensors, else the finger drives'
    # closing effort less the datasheet friction (never the grip loop's own estimate).
    if a.pad_sensors or finger_effort.shape[0] == 0:
        grip_force = max(pad_force[0], pad_force[1])
    else:
        grip_force = max(-finger_effort[0], -finger_effort[1]) - a.finger_friction
    grip_margin = grip_limit + a.grip_margin - grip_force
    a.grip_over_s = a.grip_over_s + dt if grip_margin < 0.0 else 0.0

    figures[0], figures[1], figures[2], figures[3] = joint_margin, speed_fraction, box_margin, tool_speed
    # Motor temperatures (estimates; none given in position mode): the least room to the trip level.
    temperature_margin, hot_joint = np.inf, 0
    for i in range(winding.shape[0]):
        room = min(a.winding_trip - winding[i], a.magnet_trip - magnet[i])
        if room < temperature_margin:
            temperature_margin, hot_joint = room, i

    figures[4], figures[5], figures[6] = saturated_max, collision_max, grip_margin
    figures[7], figures[8], figures[9] = temperature_margin, lead, grip_force

    if collision_s_max >= a.collision_confirm_s:
        worst, j = -1.0, 0
        for i in range(n):
            if joints[i].collision_s >= a.collision_confirm_s and joints[i].collision > worst:
                worst, j = joints[i].collision, i
        return 0, j
    # Inside a margin band (or outside the box) trips only while moving further out: an arm at
    # rest in the margin (or a tool outside the box) may be reset and driven back in.
    if joint_margin < 0.0:
        worst, j = 0.0, 0
        for i in range(n):
            q_stop = q[i] + qd[i] * lead
            out = max(q_stop - joints[i].hi if qd[i] > a.rest_speed else 0.0,
                      joints[i].lo - q_stop if qd[i] < -a.rest_speed else 0.0)
            if out > worst:
                worst, j = out, i
        if worst > 0.0:
            return 1, j
    if box_margin < 0.0:
        for k in range(3):
            stop = tool[k] + tool_v[k] * lead
            if ((stop > a.box_hi[k] and tool_v[k] > _TOOL_REST_SPEED_MPS)
                    or (stop < a.box_lo[k] and tool_v[k] < -_TOOL_REST_SPEED_MPS)):
                return 2, 0
    if speed_fraction > 1.0:
        return 3, speed_joint
    if tool_speed > a.max_tool_speed:
        return 4, 0
    if saturated_max > a.saturation_max_s:
        worst, j = -1.0, 0
        for i in range(n):
            if joints[i].saturated_s > worst:
                worst, j = joints[i].saturated_s, i
        return 5, j
    if grip_margin < 0.0 and a.grip_over_s >= a.grip_confirm_s:
        return 6, 0
    if temperature_margin < 0.0:
        return 7, hot_joint
    return -1, 0


@kernel
def _observe(q, qd, dt, a, state):
    """Generalised-momentum observer (effort mode), or the lag behind the set-point (position).

    r = K (p - p0 - integral of (tau + C^T qd - g + r) dt), p = M(q) qd: r follows the external
    joint torque with time constant 1/K, needs no acceleration, and starts at zero. Since
    C^T qd = dM/dt qd - C qd, the integral's step is taken as (tau - b + r) dt + (M - M_before) qd
    with b = C qd + g (``a.bias``), M this update's mass matrix and M_before the last one's:
    the same to first order in the period, and no Coriolis matrix to compute.
    """
    n = q.shape[0]
    if not a.effort_mode:
        if a.has_applied:
            for i in range(n):
                state[i].lag = state[i].applied - q[i]
        return
    mass, before, bias = a.mass, a.mass_before, a.bias
    prime = not (a.primed and a.has_applied)
    for i in range(n):
        momentum = 0.0
        drift = 0.0
        for j in range(n):
            momentum += mass[i, j] * qd[j]
            drift += (mass[i, j] - before[i, j]) * qd[j]
        st = state[i]
        if prime:
            st.expected, st.residual = momentum, 0.0
        else:
            # The momentum the model expects: p0 plus the sum of what the model knows acts.
            st.expected += (st.applied - bias[i] + st.residual) * dt + drift
            st.residual = a.observer_gain * (momentum - st.expected)
    before[:, :] = mass
    a.primed = True
