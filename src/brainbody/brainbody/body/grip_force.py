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
from brainbody.body.slip_detection import SlipDetector, SlipEstimate, SlipState
from brainbody.exceptions import ForceLimitError, InvalidPrimitiveError
from brainbody.jit import kernel


class GripMode(enum.Enum):
    POSITION = "position"    # fingers to an opening, no object expected
    APPROACH = "approach"    # closing towards an object, force capped
    REGULATE = "regulate"    # in contact, force loop active


# The members this module compares with, several every tick, looked up once: Python 3.11's Enum
# classes answer attribute lookups through a Python-level hook (60 ns, against 10 ns for a global).
_POSITION, _APPROACH, _REGULATE = GripMode.POSITION, GripMode.APPROACH, GripMode.REGULATE
_NO_SLIP = SlipState.NONE


class GripForceController:
    """Finger forces from the measured pad forces; one :meth:`update` per control tick."""

    def __init__(self, config: BodyConfig):
        self._c = config
        self.slip_detector = SlipDetector(config.pad_friction_estimate, config.grip_safety_margin)
        self.mode = GripMode.POSITION
        self.opening_target_m = config.finger_open_m
        self.target_force_n = 0.0
        self.limit_force_n = 0.0
        self.setpoint_n = 0.0
        self._ramp_start_n = 0.0
        self._ramp_t0 = 0.0
        self._integral_n = 0.0
        self._approach_integral_n = np.zeros(2)   # learned force to move each finger
        self._reflex_n = 0.0
        self._tared = False
        self._failing_since: Optional[float] = None
        self._settled_since: Optional[float] = None
        self.contact_time_s: Optional[float] = None
        self.measured_force_n = 0.0
        self.peak_force_n = 0.0
        self.slip = SlipEstimate()
        self.slip_detected_s: Optional[float] = None
        self.hold_failing = False

    # -- commands -------------------------------------------------------------
    def set_opening(self, opening_per_finger_m: float) -> None:
        self.mode = GripMode.POSITION
        self.opening_target_m = float(np.clip(opening_per_finger_m, 0.0, self._c.finger_open_m))
        self.target_force_n = 0.0
        self.setpoint_n = 0.0
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
        self.target_force_n = float(target_force_n)
        self.limit_force_n = limit
        self.setpoint_n = 0.0
        self._integral_n = 0.0
        self._approach_integral_n = np.zeros(2)
        self._settled_since = None
        self.contact_time_s = None
        self._tared = False
        self._reset_slip()

    @property
    def in_free_air(self) -> bool:
        """The fingers are positioning, or closing before contact: the pads touch nothing."""
        return self.mode is not _REGULATE

    def reset_peak(self) -> None:
        self.peak_force_n = 0.0

    def settled_for_s(self, time_s: float) -> float:
        """How long the regulated force has stayed within tolerance of the set-point."""
        if self.mode is not _REGULATE or self._settled_since is None:
            return 0.0
        return time_s - self._settled_since

    @property
    def reflex_active(self) -> bool:
        """The slip reflex holds the set-point above the primitive's target."""
        return self.mode is _REGULATE and self._reflex_n > self.target_force_n

    @property
    def hold_at_limit(self) -> bool:
        """Holding the load with the safety margin would need more than the object's limit."""
        return self.mode is _REGULATE and self.slip.required_force_n > self.limit_force_n

    def _reset_slip(self) -> None:
        self._reflex_n = 0.0
        self._failing_since = None
        self.slip = SlipEstimate()
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

        # REGULATE: ramp the set-point, raise it on slip, feed it forward, integrate the error.
        ramp = 1.0 if c.force_ramp_s <= 0 else min(1.0, (time_s - self._ramp_t0) / c.force_ramp_s)
        setpoint = self._ramp_start_n + (self.target_force_n - self._ramp_start_n) * ramp
        if pad_force_xyz_n is not None:
            setpoint = self._slip_reflex(time_s, dt_s, pad_force_xyz_n, setpoint)
        self.setpoint_n = setpoint
        error = setpoint - measured
        self._integral_n += c.force_integral_gain_per_s * error * dt_s
        # Anti-windup: the integral may make up for finger friction and no more.
        self._integral_n = min(max(self._integral_n, -setpoint - c.finger_friction_allowance_n),
                               c.finger_friction_allowance_n)
        closing = setpoint + self._integral_n
        if most > self.limit_force_n:
            # A pad measures more than the object tolerates: back off past the finger
            # friction at once (a command just under the limit would not move a finger).
            friction = float(np.mean(self._approach_integral_n))
            self._integral_n = min(self._integral_n, -friction - (most - self.limit_force_n))
            closing = setpoint + self._integral_n
        if ramp >= 1.0 and abs(error) <= c.force_tolerance_n:
            if self._settled_since is None:
                self._settled_since = time_s
        else:
            self._settled_since = None
        # Closing force on both fingers; a little damping keeps the object centred. (Plain
        # floats: this runs every tick while holding, and numpy is slow on two numbers.)
        damping = 0.5 * c.finger_damping_nspm
        left_mps, right_mps = np.asarray(finger_vel_mps, dtype=float).tolist()
        return np.array([-closing - damping * left_mps, -closing - damping * right_mps])

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
            self._ramp_t0 = time_s
            self._ramp_start_n = min(measured, self.target_force_n)
            self._integral_n = 0.0
        return -closing

    def _slip_reflex(self, time_s: float, dt_s: float, pad_force_xyz_n: np.ndarray, setpoint: float) -> float:
        c = self._c
        self.slip = estimate = self.slip_detector.update(pad_force_xyz_n)
        if estimate.state is not _NO_SLIP and self.slip_detected_s is None:
            self.slip_detected_s = time_s
        if not c.slip_reflex:
            return setpoint
        # Grip-load coupling: jump up at once, come down slowly.
        self._reflex_n = max(self._reflex_n - c.slip_force_decay_n_per_s * dt_s, estimate.required_force_n)
        if estimate.needed_force_n > self.limit_force_n:
            if self._failing_since is None:
                self._failing_since = time_s
            self.hold_failing = time_s - self._failing_since >= c.slip_confirm_s
        else:
            self._failing_since = None
            self.hold_failing = False
        return min(max(setpoint, self._reflex_n), self.limit_force_n)


@kernel
def _position_force(target, position, velocity, gain, damping, limit, force):
    """Each finger's force towards ``target`` opening: a PD law within +/- ``limit``, into
    ``force`` (made by the caller: cheaper than a new array returned from the kernel)."""
    for k in range(position.shape[0]):
        force[k] = min(max(gain * (target - position[k]) - damping * velocity[k], -limit), limit)
