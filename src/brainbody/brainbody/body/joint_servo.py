"""Per-joint servo: PID on the motor-side encoder plus model feed-forward and drivetrain
compensation, all 7 joints vectorised.

The encoder sits on the motor, so the servo regulates the motor; the link follows
through a gear with backlash and compliance. Each tick:

1. ``tau_link``: the torque the gear must transmit to move the link as desired —
   gravity, plus the link's inertia and Coriolis terms (Newton-Euler on the desired
   velocity and acceleration, ``arm_dynamics.py``) when ``inertia_feedforward`` is on, plus
   output-bearing friction when ``friction_compensation`` is on.
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

from brainbody.body.arm_dynamics import inverse_dynamics, new_pose, place
from brainbody.body.backlash import BacklashCompensation, joint_take_up
from brainbody.body.body_config import BodyConfig
from brainbody.body.compliance import ComplianceCompensation, joint_deflection_rad
from brainbody.body.drivetrain_estimates import DrivetrainEstimates, load_estimates
from brainbody.body.friction_compensation import FrictionCompensation, joint_motor_side_nm, joint_output_side_nm
from brainbody.body.robot_model import RobotModel
from brainbody.exceptions import ErrorCode, ExecutionError, InvalidStateError
from brainbody.jit import all_finite, kernel, records

# Per joint: PID gains and limits, the rotor inertia and the feed-forward acceleration bound
# (parameters); the last set-point velocity and the integral (memory); the tick's desired
# acceleration and rigid-body torque (step 1 without friction; scratch); what the last tick
# produced (kept for diagnostics and the hold set-point). One record: each record argument
# costs a kernel call about 0.15 us of numba's type dispatch.
SERVO_JOINT = np.dtype([("kp", "f8"), ("kd", "f8"), ("ki", "f8"), ("i_limit", "f8"), ("i_zone", "f8"),
                        ("i_deadband", "f8"), ("effort_limit", "f8"), ("rotor", "f8"), ("max_accel", "f8"),
                        ("qd_des_prev", "f8"), ("integral", "f8"), ("qdd", "f8"), ("tau_rigid", "f8"),
                        ("command", "f8"), ("motor_setpoint", "f8"), ("motor_error", "f8"),
                        ("transmitted_torque", "f8"), ("backlash_offset", "f8"), ("twist_offset", "f8"),
                        ("next_integral", "f8")])
# The kernel's switches, one int (a bool argument costs twice an int's dispatch).
GRAVITY, INERTIA, FRICTION, BACKLASH, COMPLIANCE, PID, FIRST = 1, 2, 4, 8, 16, 32, 64
# What a tick of :func:`_step` says.
_DONE, _BAD_INPUT, _BAD_TORQUE = 0, 1, 2


@kernel
def _inputs_finite(q_des, qd_des, q, qd, dt) -> bool:
    return math.isfinite(dt) and all_finite(q_des) and all_finite(qd_des) and all_finite(q) and all_finite(qd)


@kernel
def _desired_acceleration(joints, q_des, qd_des, q, qd, dt, first) -> bool:
    """The desired velocity's rate of change into each joint's ``qdd``, clipped so a set-point
    jump (a stop) does not turn into a torque spike; each joint's ``qd_des_prev`` becomes
    ``qd_des`` (``first``: there is no previous one, the rate is zero). Checks every input
    first: False and nothing changed when one is not finite."""
    if not _inputs_finite(q_des, qd_des, q, qd, dt):
        return False
    for i in range(qd_des.shape[0]):
        j = joints[i]
        if first:
            j.qd_des_prev = qd_des[i]
        limit = j.max_accel
        j.qdd = min(max((qd_des[i] - j.qd_des_prev) / dt, -limit), limit)
        j.qd_des_prev = qd_des[i]
    return True


@kernel
def _step(joints, q_des, qd_des, q, qd, dt, switches, chain, pose, friction, backlash, compliance) -> int:
    """One tick: the desired acceleration, step 1's rigid-body torque at the measured
    configuration (with ``chain``, placed in ``pose``), then :func:`_servo`. ``switches``: the
    compensations on and the call's flags (``GRAVITY`` ... ``FIRST``). Returns ``_BAD_INPUT``
    (nothing changed), ``_BAD_TORQUE`` (see :func:`_servo`) or ``_DONE``."""
    if not _desired_acceleration(joints, q_des, qd_des, q, qd, dt, switches & FIRST != 0):
        return _BAD_INPUT
    qdd, tau = joints.qdd, joints.tau_rigid
    gravity_on, inertia_on = switches & GRAVITY != 0, switches & INERTIA != 0
    if inertia_on or gravity_on:
        place(chain, q, pose)
        if inertia_on:
            inverse_dynamics(chain, pose, qd_des, qdd, gravity_on, tau)
        else:                                        # gravity: no velocity, no acceleration
            inverse_dynamics(chain, pose, q[:0], q[:0], True, tau)
    else:
        tau[:] = 0.0
    if not _servo(joints, q_des, qd_des, q, qd, dt, switches, friction, backlash, compliance):
        return _BAD_TORQUE
    return _DONE


@kernel
def _servo(joints, q_des, qd_des, q, qd, dt, switches, friction, backlash, compliance) -> bool:
    """Steps 2 and 3 of the module docstring for every joint, into ``joints``' outputs, from
    each joint's ``qdd`` and ``tau_rigid`` (step 1 without friction: RNEA or gravity).
    Without ``PID`` in ``switches`` only the motor set-point is computed (position mode).
    False when a torque is not finite: the integral is then left as it was.
    """
    pid, inertia_on, friction_on = switches & PID != 0, switches & INERTIA != 0, switches & FRICTION != 0
    backlash_on, compliance_on = switches & BACKLASH != 0, switches & COMPLIANCE != 0
    finite = True
    for i in range(q_des.shape[0]):
        o = joints[i]
        tau_link = o.tau_rigid
        if friction_on:
            tau_link += joint_output_side_nm(friction[i], qd_des[i])
        q_m, qd_m, qdd_m = q_des[i], qd_des[i], o.qdd
        if backlash_on:
            offset, rate, accel = joint_take_up(backlash[i], tau_link, qd_des[i], dt)
            q_m, qd_m, qdd_m = q_m + offset, qd_m + rate, qdd_m + accel
            o.backlash_offset = offset
        if compliance_on:
            twist = joint_deflection_rad(compliance[i], tau_link)
            q_m += twist
            o.twist_offset = twist
        o.transmitted_torque = tau_link
        o.motor_setpoint = q_m
        error = q_m - q[i]
        o.motor_error = error
        if not pid:
            o.command = q_m
            finite = finite and math.isfinite(q_m)
            continue
        size = abs(error)
        gate = 1.0 if (size < o.i_zone and size > o.i_deadband) else 0.0   # inside the zone, outside the deadband
        o.next_integral = min(max(o.integral + (o.ki * dt) * error * gate, -o.i_limit), o.i_limit)
        tau = o.kp * error + o.kd * (qd_m - qd[i]) + o.next_integral + tau_link
        if inertia_on:
            tau += o.rotor * qdd_m
        if friction_on:
            tau += joint_motor_side_nm(friction[i], qd_m)
        finite = finite and math.isfinite(tau)
        o.command = min(max(tau, -o.effort_limit), o.effort_limit)
    if finite and pid:
        for i in range(q_des.shape[0]):
            joints[i].integral = joints[i].next_integral
    return finite


class JointServo:
    """Torque command (7,) from set-points and measurements; clipped to the URDF effort limits.

    A tick runs in one compiled kernel (:func:`_step`): the arm's rigid-body dynamics
    (``arm_dynamics.py``), then the per-joint arithmetic (:func:`_servo`), which calls the
    compensators' per-joint kernels.
    """

    def __init__(self, config: BodyConfig, model: RobotModel, period_s: float,
                 estimates: DrivetrainEstimates | None = None):
        self.config = config
        self.estimates = estimates if estimates is not None else load_estimates(config.drivetrain_estimates)
        self.period_s = float(period_s)   # nominal; each tick may pass the measured one
        self._model = model
        c = config
        p = self._joints = records(7, SERVO_JOINT)
        p["kp"], p["kd"] = c.joint_stiffness_nm_per_rad, c.joint_damping_nms_per_rad
        p["ki"], p["i_limit"] = c.joint_integral_gain_nm_per_rad_s, c.joint_integral_limit_nm
        p["i_zone"], p["i_deadband"] = c.joint_integral_zone_rad, c.joint_integral_deadband_rad
        p["effort_limit"] = model.effort_limit_nm
        p["rotor"] = self.estimates.reflected_inertia_kgm2
        p["max_accel"] = c.max_feedforward_accel_radps2
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
        # The compensations' switches, fixed at construction (the kernel takes them as one int).
        self._switches = ((GRAVITY if self.gravity else 0) | (INERTIA if self.inertia else 0)
                          | (FRICTION if self.friction_on else 0) | (BACKLASH if self.backlash_on else 0)
                          | (COMPLIANCE if self.compliance_on else 0))
        self._integral = p["integral"]           # views, taken once
        self._command = p["command"]             # the tick returns a copy of it
        self._has_qd_des_prev = False            # a set-point velocity came before (FIRST until then)
        self._pose = new_pose()

    # Last tick's figures, for diagnostics (copies: the kernel rewrites them every tick).
    @property
    def motor_setpoint_rad(self) -> np.ndarray:
        return self._joints["motor_setpoint"].copy()

    @property
    def motor_error_rad(self) -> np.ndarray:
        return self._joints["motor_error"].copy()

    @property
    def transmitted_torque_nm(self) -> np.ndarray:
        return self._joints["transmitted_torque"].copy()

    @property
    def backlash_offset_rad(self) -> np.ndarray:
        return self._joints["backlash_offset"].copy()

    @property
    def twist_offset_rad(self) -> np.ndarray:
        return self._joints["twist_offset"].copy()

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
        joints = self._joints
        return q_motor_rad - joints["backlash_offset"] - joints["twist_offset"]

    def reset_integral(self) -> None:
        self._integral[:] = 0.0

    def torque(self, q_des_rad: np.ndarray, qd_des_radps: np.ndarray,
               q_rad: np.ndarray, qd_radps: np.ndarray, dt_s: float | None = None) -> np.ndarray:
        """Joint torques (7,) in N m, always finite. ``dt_s``: the measured control period
        (default the nominal).

        Raises:
            InvalidStateError: a measured value is not finite; ExecutionError (INTERNAL): a
                set-point is not finite or the result would not be. The servo's integral is left
                as it was: a NaN must not poison the ticks after it.
        """
        return self._run(q_des_rad, qd_des_radps, q_rad, qd_radps, dt_s, pid=True)

    def motor_setpoint(self, q_des_rad: np.ndarray, qd_des_radps: np.ndarray, q_rad: np.ndarray,
                       dt_s: float | None = None) -> np.ndarray:
        """Position mode: the motor-side set-point (7,) for a vendor position loop, in output
        units (rad): link set-point + backlash offset + twist under the estimated load."""
        return self._run(q_des_rad, qd_des_radps, q_rad, q_rad, dt_s, pid=False)

    def _run(self, q_des_rad, qd_des_radps, q_rad, qd_radps, dt_s, *, pid: bool) -> np.ndarray:
        dt = self.period_s if dt_s is None else float(dt_s)
        f = np.asarray     # four calls, not a generator of them: this runs every tick
        q_des, qd_des = f(q_des_rad, dtype=float), f(qd_des_radps, dtype=float)
        q, qd = f(q_rad, dtype=float), f(qd_radps, dtype=float)
        switches = self._switches | (PID if pid else 0) | (0 if self._has_qd_des_prev else FIRST)
        outcome = _step(self._joints, q_des, qd_des, q, qd, dt, switches, self._model.chain, self._pose,
                        self.friction.params, self.backlash.joints, self.compliance.params)
        if outcome == _BAD_INPUT:
            self._raise_non_finite(q_des, qd_des, q, qd, dt)
        self._has_qd_des_prev = True
        if outcome == _BAD_TORQUE:
            what = "torque" if pid else "set-point"
            raise ExecutionError(f"servo computed a non-finite {what} {self._command} from finite inputs",
                                 code=ErrorCode.INTERNAL)
        return self._command.copy()

    @staticmethod
    def _raise_non_finite(q_des_rad, qd_des_radps, q_rad, qd_radps, dt) -> None:
        """Refuse non-finite inputs (before any compensator integrates them), naming which."""
        if not (all_finite(q_rad) and all_finite(qd_radps)):
            raise InvalidStateError(f"non-finite joint state (q {q_rad}, qd {qd_radps}): no torque computed")
        raise ExecutionError(f"non-finite set-point (q {q_des_rad}, qd {qd_des_radps}) or period {dt}",
                             code=ErrorCode.INTERNAL)
