"""Per-joint servo: PID on the motor-side encoder plus model feed-forward and drivetrain
compensation, all 7 joints vectorised.

The encoder sits on the motor, so the servo regulates the motor; the link follows
through a gear with backlash and compliance. Each tick:

1. ``tau_link``: the torque the gear must transmit to move the link as desired —
   gravity (pinocchio), plus the link's inertia and Coriolis terms (RNEA on the desired
   velocity and acceleration) when ``inertia_feedforward`` is on, plus output-bearing
   friction when ``friction_compensation`` is on.
2. Motor set-point = link set-point + backlash offset (``backlash.py``, the flank
   ``tau_link`` pushes on) + elastic twist under ``tau_link`` (``compliance.py``).
3. Torque = PID on the motor set-point + ``tau_link`` + rotor inertia times the motor
   set-point's acceleration + motor-side friction (``friction_compensation.py``).

Every compensation has a switch in :class:`BodyConfig`; with all off (gravity on) this
is the plain PID baseline the benchmarks compare against, through the same code.

In ``position`` command mode a vendor loop owns the servo: :meth:`JointServo.motor_setpoint`
gives it steps 1 and 2 (the motor-side set-point, so the vendor loop, which regulates its
motor encoder too, lands the link) and step 3 is the vendor's. Friction compensation is off
there: the vendor loop closes on its own encoder and its integrator takes friction out.
"""
from __future__ import annotations

import math

import numpy as np

from brainbody.body.backlash import BacklashCompensation
from brainbody.body.body_config import BodyConfig
from brainbody.body.compliance import ComplianceCompensation
from brainbody.body.drivetrain_estimates import DrivetrainEstimates, load_estimates
from brainbody.body.friction_compensation import FrictionCompensation
from brainbody.body.robot_model import RobotModel
from brainbody.exceptions import ErrorCode, ExecutionError, InvalidStateError


def _finite(*arrays) -> bool:
    """All values finite: a NaN or inf anywhere makes the sum non-finite (one numpy call per
    check instead of one per array: this runs every tick)."""
    if len(arrays) == 1:
        return math.isfinite(float(np.sum(arrays[0])))
    return math.isfinite(float(np.concatenate([np.ravel(a) for a in arrays]).sum()))


class JointServo:
    """Torque command (7,) from set-points and measurements; clipped to the URDF effort limits."""

    def __init__(self, config: BodyConfig, model: RobotModel, period_s: float,
                 estimates: DrivetrainEstimates | None = None):
        self.config = config
        self.estimates = estimates if estimates is not None else load_estimates(config.drivetrain_estimates)
        self._kp = np.asarray(config.joint_stiffness_nm_per_rad, dtype=float)
        self._kd = np.asarray(config.joint_damping_nms_per_rad, dtype=float)
        self._ki = np.asarray(config.joint_integral_gain_nm_per_rad_s, dtype=float)
        self._i_limit = np.asarray(config.joint_integral_limit_nm, dtype=float)
        self._i_zone = config.joint_integral_zone_rad
        self._i_deadband = config.joint_integral_deadband_rad
        self.period_s = float(period_s)   # nominal; each tick may pass the measured one
        self._model = model
        self._limit = model.effort_limit_nm
        self._amax = config.max_feedforward_accel_radps2
        c = config
        self.gravity, self.inertia = c.gravity_feedforward, c.inertia_feedforward
        self.position_mode = c.command_mode == "position"
        self.friction_on, self.backlash_on, self.compliance_on = (
            c.friction_compensation and not self.position_mode, c.backlash_compensation, c.compliance_compensation)
        self.friction = FrictionCompensation(self.estimates, c.friction_smoothing_velocity_radps)
        self.compliance = ComplianceCompensation(self.estimates)
        self.backlash = BacklashCompensation(self.estimates, reversal_torque_nm=c.backlash_reversal_torque_nm,
                                             static_torque_nm=c.backlash_static_torque_nm,
                                             min_speed_radps=c.backlash_min_speed_radps,
                                             takeup_s=c.backlash_takeup_s)
        self._rotor = self.estimates.reflected_inertia_kgm2
        self._integral = np.zeros(7)
        self._qd_des_prev: np.ndarray | None = None
        self._qdd_des = np.zeros(7)
        self._zero = np.zeros(7)
        # Last tick's figures, for diagnostics.
        self.motor_setpoint_rad = np.zeros(7)
        self.motor_error_rad = np.zeros(7)
        self.transmitted_torque_nm = np.zeros(7)
        self.backlash_offset_rad = np.zeros(7)
        self.twist_offset_rad = np.zeros(7)

    @property
    def compensation_state(self) -> dict[str, bool]:
        return {"gravity": self.gravity, "inertia": self.inertia, "friction": self.friction_on,
                "backlash": self.backlash_on, "compliance": self.compliance_on}

    def start(self, q_motor_rad: np.ndarray) -> np.ndarray:
        """Prime the compensators for an arm at rest; returns the link set-point that
        keeps the motors exactly where they are (nothing moves when the body starts)."""
        still = np.zeros(7)
        self.torque(q_motor_rad, still, q_motor_rad, still)
        self.reset_integral()
        return self.link_estimate_rad(q_motor_rad)

    def link_estimate_rad(self, q_motor_rad: np.ndarray) -> np.ndarray:
        """Where the links are, estimated from the motor encoders and the last offsets; a
        hold set-point taken from this keeps the motors where they are."""
        return q_motor_rad - self.backlash_offset_rad - self.twist_offset_rad

    def reset_integral(self) -> None:
        self._integral[:] = 0.0

    def torque(self, q_des_rad: np.ndarray, qd_des_radps: np.ndarray,
               q_rad: np.ndarray, qd_radps: np.ndarray, dt_s: float | None = None) -> np.ndarray:
        """Joint torques (7,) in N m, always finite. ``dt_s``: the measured control period
        (default the nominal).

        Raises:
            InvalidStateError: a measured value is not finite; ExecutionError (INTERNAL): a
                set-point is not finite or the result would not be. The servo's state (integral,
                compensators) is left as it was: a NaN must not poison the ticks after it.
        """
        dt = self.period_s if dt_s is None else dt_s
        self._check_inputs(q_des_rad, qd_des_radps, q_rad, qd_radps, dt)
        q_m, qd_m, qdd_m, tau_link = self._motor_targets(q_des_rad, qd_des_radps, q_rad, dt)
        error = q_m - q_rad
        self.motor_error_rad = error
        size = np.abs(error)
        # Integrate only inside the zone and outside the deadband (booleans as 0/1 factors).
        gate = (size < self._i_zone) & (size > self._i_deadband)
        integral = np.minimum(np.maximum(self._integral + (self._ki * dt) * error * gate, -self._i_limit), self._i_limit)
        tau = self._kp * error + self._kd * (qd_m - qd_radps) + integral + tau_link
        if self.inertia:
            tau += self._rotor * qdd_m
        if self.friction_on:
            tau += self.friction.motor_side_nm(qd_m)
        # np.minimum/maximum pass NaN through, so the clamp alone is no guard.
        if not _finite(tau):
            raise ExecutionError(f"servo computed a non-finite torque {tau} from finite inputs", code=ErrorCode.INTERNAL)
        self._integral = integral
        return np.minimum(np.maximum(tau, -self._limit), self._limit)   # np.clip is slower on 7 values

    def motor_setpoint(self, q_des_rad: np.ndarray, qd_des_radps: np.ndarray, q_rad: np.ndarray,
                       dt_s: float | None = None) -> np.ndarray:
        """Position mode: the motor-side set-point (7,) for a vendor position loop, in output
        units (rad): link set-point + backlash offset + twist under the estimated load."""
        dt = self.period_s if dt_s is None else dt_s
        self._check_inputs(q_des_rad, qd_des_radps, q_rad, q_rad, dt)
        q_m, _, _, _ = self._motor_targets(q_des_rad, qd_des_radps, q_rad, dt)
        if not _finite(q_m):
            raise ExecutionError(f"servo computed a non-finite set-point {q_m} from finite inputs",
                                 code=ErrorCode.INTERNAL)
        self.motor_error_rad = q_m - q_rad
        return q_m

    @staticmethod
    def _check_inputs(q_des_rad, qd_des_radps, q_rad, qd_radps, dt) -> None:
        """Refuse non-finite inputs before any compensator integrates them."""
        if _finite(q_des_rad, qd_des_radps, q_rad, qd_radps, dt):
            return
        if not _finite(q_rad, qd_radps):
            raise InvalidStateError(f"non-finite joint state (q {q_rad}, qd {qd_radps}): no torque computed")
        raise ExecutionError(f"non-finite set-point (q {q_des_rad}, qd {qd_des_radps}) or period {dt}",
                             code=ErrorCode.INTERNAL)

    def _motor_targets(self, q_des_rad, qd_des_radps, q_rad, dt):
        """Steps 1 and 2: the torque the gear transmits and the motor set-point with its rate
        and acceleration."""
        # Desired acceleration by differencing the (smooth) desired velocity; clipped so a
        # set-point jump (a stop) does not turn into a torque spike.
        if self._qd_des_prev is None:
            self._qd_des_prev = qd_des_radps
        qdd = np.minimum(np.maximum((qd_des_radps - self._qd_des_prev) / dt, -self._amax), self._amax)
        self._qd_des_prev = qd_des_radps.copy()

        if self.inertia:
            tau_link = self._model.inverse_dynamics_nm(q_rad, qd_des_radps, qdd)
            if not self.gravity:
                tau_link -= self._model.gravity_nm(q_rad)
        elif self.gravity:
            tau_link = self._model.gravity_nm(q_rad)
        else:
            tau_link = self._zero.copy()
        if self.friction_on:
            tau_link += self.friction.output_side_nm(qd_des_radps)
        self.transmitted_torque_nm = tau_link

        q_m, qd_m, qdd_m = q_des_rad, qd_des_radps, qdd
        if self.backlash_on:
            offset, rate, accel = self.backlash.update(tau_link, qd_des_radps, dt)
            q_m, qd_m, qdd_m = q_m + offset, qd_m + rate, qdd_m + accel
            self.backlash_offset_rad = offset
        if self.compliance_on:
            twist = self.compliance.deflection_rad(tau_link)
            q_m = q_m + twist
            self.twist_offset_rad = twist
        self.motor_setpoint_rad = q_m
        return q_m, qd_m, qdd_m, tau_link
