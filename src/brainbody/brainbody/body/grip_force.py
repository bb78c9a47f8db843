"""Closed-loop grip force: approach, detect contact, ramp, regulate, slip reflex, release.

The parallel-jaw gripper is driven by a force per finger (positive opens).

- APPROACH: the fingers close at ``approach_speed_mps`` under a speed loop whose integral
  learns the force it takes to move each finger (its drivetrain friction). The closing
  force is capped at that learned force plus ``approach_force_fraction`` of the target, so
  the pads meet the object with little more than a fraction of the target whatever the
  finger friction is.
- Contact (both pads above ``contact_threshold_n``) starts REGULATE: the set-point ramps
  from the measured force to the target in ``force_ramp_s``; the command is the set-point
  plus an integral of the force error, which makes up for the finger friction. The ramp
  approaches the target from below, so a finger held by friction never has to back off
  against it.
- Slip reflex (``body/slip_detection.py``): while regulating, the 3-axis pad forces give the
  tangential load; the set-point rises at once to the normal force that holds that load
  with a margin (grip-load coupling) and decays back to the primitive's target when the
  load goes. It never exceeds the object's limit: when holding would need more,
  :attr:`GripForceController.hold_failing` tells the executor to set the object down.
- Whatever happens, a pad measuring more than the object's limit makes the fingers back off.
"""
from __future__ import annotations

import enum
import math
from typing import Optional

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.slip_detection import (MIN_NORMAL_N, NO_CONTACT, SlipDetector, SlipEstimate, not_finite, pad_sample,
                                           slip_figures)
from brainbody.exceptions import ForceLimitError, InvalidPrimitiveError
from brainbody.jit import kernel, records


class GripMode(enum.Enum):
    POSITION = "position"    # fingers to an opening, no object expected
    APPROACH = "approach"    # closing towards an object, force capped
    REGULATE = "regulate"    # in contact, force loop active


# The members this module compares with, several every tick, looked up once: Python 3.11's Enum
# classes answer attribute lookups through a Python-level hook (60 ns, against 10 ns for a global).
_POSITION, _APPROACH, _REGULATE = GripMode.POSITION, GripMode.APPROACH, GripMode.REGULATE

# The regulating law's constants and state, as its compiled tick (:func:`_regulate`) reads them.
# Times not yet set are NaN (the Python attributes they stand for were None).
_LAW = np.dtype([("ramp_s", "f8"), ("integral_gain", "f8"), ("allowance", "f8"), ("tolerance", "f8"),
                 ("half_damping", "f8"), ("slip_reflex", "b1"), ("decay", "f8"), ("confirm_s", "f8"),
                 ("mu", "f8"), ("margin", "f8"), ("min_normal", "f8")])
_STATE = np.dtype([("target", "f8"), ("limit", "f8"), ("ramp_start", "f8"), ("ramp_t0", "f8"),
                   ("setpoint", "f8"), ("integral", "f8"), ("friction", "f8"), ("reflex", "f8"),
                   ("failing_since", "f8"), ("hold_failing", "b1"), ("settled_since", "f8")])
# What _regulate returns besides the slip reading's code (slip_detection.py) in its low bits.
_CODE = 7                 # the reading: none, incipient, slipping, no contact
_HOLD_FAILING = 8         # holding needs more than the limit, confirmed
_AT_LIMIT = 16            # holding with the margin needs more than the limit
_NO_PADS = np.zeros((2, 3))    # what _regulate gets without 3-axis pads (it reads none)


class GripForceController:
    """Finger forces from the measured pad forces; one :meth:`update` per control tick."""

    def __init__(self, config: BodyConfig):
        self._c = config
        self.slip_detector = detector = SlipDetector(config.pad_friction_estimate, config.grip_safety_margin)
        law = self._law = records(1, _LAW)
        law["ramp_s"], law["integral_gain"] = config.force_ramp_s, config.force_integral_gain_per_s
        law["allowance"], law["tolerance"] = config.finger_friction_allowance_n, config.force_tolerance_n
        law["half_damping"] = 0.5 * config.finger_damping_nspm
        law["slip_reflex"], law["decay"] = config.slip_reflex, config.slip_force_decay_n_per_s
        law["confirm_s"] = config.slip_confirm_s
        law["mu"], law["margin"], law["min_normal"] = detector.friction_estimate, detector.safety_margin, MIN_NORMAL_N
        self._state = records(1, _STATE)
        self._state["settled_since"] = math.nan
        self._figures = np.zeros(6)               # the last slip reading's figures (slip_detection.py)
        self.mode = GripMode.POSITION
        self.opening_target_m = config.finger_open_m
        self._approach_integral_n = np.zeros(2)   # learned force to move each finger
        self._tared = False
        self.contact_time_s: Optional[float] = None
        self.measured_force_n = 0.0
        self.peak_force_n = 0.0
        self._slip: Optional[SlipEstimate] = SlipEstimate()
        self._slip_code = NO_CONTACT
        self._at_limit = False
        self.slip_detected_s: Optional[float] = None
        self.hold_failing = False

    # -- commands -------------------------------------------------------------
    def set_opening(self, opening_per_finger_m: float) -> None:
        self.mode = GripMode.POSITION
        self.opening_target_m = float(np.clip(opening_per_finger_m, 0.0, self._c.finger_open_m))
        self._state["target"] = 0.0
        self._state["setpoint"] = 0.0
        self.contact_time_s = None
        self._reset_slip()

    def grasp(self, target_force_n: float, limit_force_n: float) -> None:
        """Start closing on an object.

        Args:
            target_force_n: grip force per pad to regulate to (N).
            limit_force_n: the most the object tolerates (N), from the world model; the
                set-point never exceeds it, nor the gripper's own maximum.

        Raises:
            InvalidPrimitiveError: a force that is not a positive finite number.
            ForceLimitError: the target exceeds the object's or the gripper's limit.
        """
        for name, value in (("target_force_n", target_force_n), ("limit_force_n", limit_force_n)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value <= 0.0:
                raise InvalidPrimitiveError(f"grasp: {name} must be a positive number of newtons, got {value!r}")
        limit = min(float(limit_force_n), self._c.gripper_max_force_n)
        if target_force_n > limit:
            raise ForceLimitError(f"grasp: target {target_force_n:.2f} N exceeds the limit {limit:.2f} N")
        self.mode = GripMode.APPROACH
        state = self._state
        state["target"], state["limit"] = float(target_force_n), limit
        state["setpoint"], state["integral"], state["settled_since"] = 0.0, 0.0, math.nan
        self._approach_integral_n = np.zeros(2)
        self.contact_time_s = None
        self._tared = False
        self._reset_slip()

    @property
    def in_free_air(self) -> bool:
        """The fingers are positioning, or closing before contact: the pads touch nothing."""
        return self.mode is not _REGULATE

    def reset_peak(self) -> None:
        self.peak_force_n = 0.0

    @property
    def target_force_n(self) -> float:
        """The primitive's grip force per pad (N; 0 when positioning)."""
        return float(self._state["target"][0])

    @property
    def limit_force_n(self) -> float:
        """The most the object being grasped tolerates, within the gripper's maximum (N)."""
        return float(self._state["limit"][0])

    @property
    def setpoint_n(self) -> float:
        """The force the loop regulates to this tick (ramp, slip reflex), per pad (N)."""
        return float(self._state["setpoint"][0])

    @property
    def slip(self) -> SlipEstimate:
        """The slip detector's last reading while regulating (built when asked: few ticks do)."""
        if self._slip is None:
            self._slip = self.slip_detector.estimate_from(self._slip_code, self._figures)
        return self._slip

    def settled_for_s(self, time_s: float) -> float:
        """How long the regulated force has stayed within tolerance of the set-point."""
        settled_since = float(self._state["settled_since"][0])
        if self.mode is not _REGULATE or math.isnan(settled_since):
            return 0.0
        return time_s - settled_since

    @property
    def reflex_active(self) -> bool:
        """The slip reflex holds the set-point above the primitive's target."""
        return self.mode is _REGULATE and float(self._state["reflex"][0]) > self.target_force_n

    @property
    def hold_at_limit(self) -> bool:
        """Holding the load with the safety margin would need more than the object's limit."""
        return self.mode is _REGULATE and self._at_limit

    def _reset_slip(self) -> None:
        state = self._state
        state["reflex"], state["failing_since"], state["hold_failing"] = 0.0, math.nan, False
        self._slip, self._slip_code, self._at_limit = SlipEstimate(), NO_CONTACT, False
        self.slip_detector.reset()
        self.slip_detected_s = None
        self.hold_failing = False

    # -- control law ---------------------------------------------------------------
    def update(self, time_s: float, dt_s: float, finger_pos_m: np.ndarray, finger_vel_mps: np.ndarray,
               pad_force_n: np.ndarray, pad_force_xyz_n: Optional[np.ndarray] = None,
               touching: Optional[np.ndarray] = None) -> np.ndarray:
        """Finger forces (2,), positive opens.

        ``pad_force_xyz_n`` (2, 3), the pads' 3-axis forces, feeds the slip reflex; without
        it the loop regulates the normal force only. ``touching`` (2,) bool: contact as a
        source without pad sensors detects it (a stalled finger, ``body/finger_effort.py``);
        without it contact is a pad force above ``contact_threshold_n``.
        """
        c = self._c
        left, right = float(pad_force_n[0]), float(pad_force_n[1])
        measured = 0.5 * (left + right)
        most = left if left > right else right
        self.measured_force_n = measured
        if most > self.peak_force_n:
            self.peak_force_n = most
        if self.mode is _POSITION:
            position = np.asarray(finger_pos_m, dtype=float)
            force = np.empty(position.shape[0])
            _position_force(self.opening_target_m, position, np.asarray(finger_vel_mps, dtype=float),
                            c.finger_position_gain_npm, c.finger_damping_nspm, c.finger_position_force_limit_n, force)
            return force

        if self.mode is _APPROACH:
            return self._approach(time_s, dt_s, finger_vel_mps, pad_force_n, pad_force_xyz_n, measured, touching)

        # REGULATE: one compiled pass (_regulate). Written with numpy and Python objects it
        # cost 6.5 us a tick, on every tick an object is held.
        if pad_force_xyz_n is None:
            pads, with_slip = _NO_PADS, False
        else:
            pads, with_slip = pad_sample(pad_force_xyz_n), True
        left_mps, right_mps = np.asarray(finger_vel_mps, dtype=float).tolist()
        force = np.empty(2)
        code = _regulate(self._law, self._state, time_s, dt_s, measured, most, left_mps, right_mps,
                         pads, self.slip_detector.offset_n, with_slip, self._figures, force)
        if code < 0:
            raise not_finite(pads)
        if with_slip:
            self._slip, self._slip_code = None, code & _CODE
            if 0 < self._slip_code < NO_CONTACT and self.slip_detected_s is None:
                self.slip_detected_s = time_s
            self.hold_failing, self._at_limit = bool(code & _HOLD_FAILING), bool(code & _AT_LIMIT)
        return force

    def _approach(self, time_s, dt_s, finger_vel_mps, pad_force_n, pad_force_xyz_n, measured,
                  touching) -> np.ndarray:
        c = self._c
        if not self._tared and pad_force_xyz_n is not None:
            self.slip_detector.tare(pad_force_xyz_n)     # pads still free: zero the sensors
            self._tared = True
        speed_error = c.approach_speed_mps + np.asarray(finger_vel_mps)    # closing is negative velocity
        self._approach_integral_n = np.minimum(np.maximum(
            self._approach_integral_n + c.approach_integral_gain_npm * speed_error * dt_s, 0.0),
            c.finger_friction_allowance_n)
        cap = self._approach_integral_n + c.approach_force_fraction * self.target_force_n
        closing = np.minimum(np.maximum(c.approach_speed_gain_nspm * speed_error + self._approach_integral_n, -cap),
                             cap)
        # Contact on both pads, or one pad pushing a light object into the other. (A stalled
        # finger squeezes with only the approach cap's fraction of the target: below the
        # threshold for small targets, so a source that sees stalls says so itself.)
        if (touching is not None and bool(np.all(touching))) or \
                min(float(pad_force_n[0]), float(pad_force_n[1])) > c.contact_threshold_n:
            self.mode = GripMode.REGULATE
            self.contact_time_s = time_s
            state = self._state
            state["ramp_t0"], state["ramp_start"] = time_s, min(measured, self.target_force_n)
            state["integral"] = 0.0
            # The force it takes to move a finger, learned while closing: what backing off must overcome.
            state["friction"] = float(np.mean(self._approach_integral_n))
        return -closing


@kernel
def _position_force(target, position, velocity, gain, damping, limit, force):
    """Each finger's force towards ``target`` opening: a PD law within +/- ``limit``, into
    ``force`` (made by the caller: cheaper than a new array returned from the kernel)."""
    for k in range(position.shape[0]):
        force[k] = min(max(gain * (target - position[k]) - damping * velocity[k], -limit), limit)


@kernel
def _min(a, b):
    """Python's ``min`` of two floats (the first when neither is smaller), NaN included."""
    return b if b < a else a


@kernel
def _max(a, b):
    """Python's ``max`` of two floats (the first when neither is larger), NaN included."""
    return b if b > a else a


@kernel
def _regulate(law, state, time_s, dt_s, measured, most, left_mps, right_mps, pads, offset, with_slip,
              figures, force):
    """One regulating tick (``law``: :data:`_LAW`, ``state``: :data:`_STATE`, advanced in place):
    ramp the set-point, raise it on slip (the pads' reading into ``figures`` when ``with_slip``),
    feed it forward, integrate the error; the finger forces into ``force``. Returns the slip
    reading's code with :data:`_HOLD_FAILING` and :data:`_AT_LIMIT` (``NOT_FINITE`` for a
    non-finite pad sample: then nothing changed)."""
    p, s = law[0], state[0]
    ramp = 1.0 if p.ramp_s <= 0 else _min(1.0, (time_s - s.ramp_t0) / p.ramp_s)
    setpoint = s.ramp_start + (s.target - s.ramp_start) * ramp
    flags = 0
    if with_slip:
        code = slip_figures(pads, offset, p.mu, p.margin, p.min_normal, figures)
        if code < 0:
            return code
        required = needed = 0.0
        if code != NO_CONTACT:
            load = figures[3]
            required, needed = p.margin * load / p.mu, load / p.mu
        if p.slip_reflex:
            # Grip-load coupling: jump up at once, come down slowly.
            s.reflex = _max(s.reflex - p.decay * dt_s, required)
            if needed > s.limit:
                if math.isnan(s.failing_since):
                    s.failing_since = time_s
                s.hold_failing = time_s - s.failing_since >= p.confirm_s
            else:
                s.failing_since = math.nan
                s.hold_failing = False
            setpoint = _min(_max(setpoint, s.reflex), s.limit)
        flags = code | (_HOLD_FAILING if s.hold_failing else 0) | (_AT_LIMIT if required > s.limit else 0)
    s.setpoint = setpoint
    error = setpoint - measured
    s.integral += p.integral_gain * error * dt_s
    # Anti-windup: the integral may make up for finger friction and no more.
    s.integral = _min(_max(s.integral, -setpoint - p.allowance), p.allowance)
    closing = setpoint + s.integral
    if most > s.limit:
        # A pad measures more than the object tolerates: back off past the finger friction at
        # once (a command just under the limit would not move a finger).
        s.integral = _min(s.integral, -s.friction - (most - s.limit))
        closing = setpoint + s.integral
    if ramp >= 1.0 and abs(error) <= p.tolerance:
        if math.isnan(s.settled_since):
            s.settled_since = time_s
    else:
        s.settled_since = math.nan
    # Closing force on both fingers; a little damping keeps the object centred.
    force[0] = -closing - p.half_damping * left_mps
    force[1] = -closing - p.half_damping * right_mps
    return flags
