"""Closed-loop grip force: approach, detect contact, ramp, regulate, release.

The parallel-jaw gripper is driven by a force per finger. Before contact the fingers
close at a set speed with the force capped to a fraction of the target; after contact
the target ramps up and an integral loop on the measured pad force regulates it. The
command never exceeds the object's limit (a paper cup crushes at a few newtons), and
if the measured force does, the command is cut at once.
"""
from __future__ import annotations

import enum

import numpy as np

from brainbody.body.body_config import BodyConfig


class GripMode(enum.Enum):
    POSITION = "position"    # fingers to an opening, no object expected
    APPROACH = "approach"    # closing towards an object, force capped
    REGULATE = "regulate"    # in contact, force loop active


class GripForceController:
    """Finger forces from the measured pad forces; one :meth:`update` per control tick."""

    def __init__(self, config: BodyConfig):
        self._c = config
        self.mode = GripMode.POSITION
        self.opening_target_m = config.finger_open_m
        self.target_force_n = 0.0
        self.limit_force_n = 0.0
        self._ramp_start_n = 0.0
        self._ramp_t0 = 0.0
        self._integral_n = 0.0
        self._settled_since: float | None = None
        self.contact_time_s: float | None = None
        self.measured_force_n = 0.0
        self.peak_force_n = 0.0

    # -- commands -------------------------------------------------------------
    def set_opening(self, opening_per_finger_m: float) -> None:
        self.mode = GripMode.POSITION
        self.opening_target_m = float(np.clip(opening_per_finger_m, 0.0, self._c.finger_open_m))
        self.target_force_n = 0.0
        self.contact_time_s = None

    def grasp(self, target_force_n: float, limit_force_n: float) -> None:
        """Start closing on an object; ``target_force_n`` is already capped by the caller."""
        self.mode = GripMode.APPROACH
        self.target_force_n = float(target_force_n)
        self.limit_force_n = float(limit_force_n)
        self._integral_n = 0.0
        self._settled_since = None
        self.contact_time_s = None

    def reset_peak(self) -> None:
        self.peak_force_n = 0.0

    def settled_for_s(self, time_s: float) -> float:
        """How long the regulated force has stayed within tolerance of the target."""
        if self.mode is not GripMode.REGULATE or self._settled_since is None:
            return 0.0
        return time_s - self._settled_since

    # -- control law ---------------------------------------------------------------
    def update(self, time_s: float, dt_s: float, finger_pos_m: np.ndarray,
               finger_vel_mps: np.ndarray, pad_force_n: np.ndarray) -> np.ndarray:
        """Finger forces (2,), positive opens."""
        c = self._c
        measured = float(0.5 * (pad_force_n[0] + pad_force_n[1]))
        self.measured_force_n = measured
        self.peak_force_n = max(self.peak_force_n, float(np.max(pad_force_n)))
        if self.mode is GripMode.POSITION:
            force = (c.finger_position_gain_npm * (self.opening_target_m - finger_pos_m)
                     - c.finger_damping_nspm * finger_vel_mps)
            return np.clip(force, -c.finger_position_force_limit_n, c.finger_position_force_limit_n)

        if self.mode is GripMode.APPROACH:
            # Capped to a fraction of the target, plus the same finger-friction allowance the
            # force loop gets: without it a light grasp (fraction x target below the finger
            # friction) never moves the fingers and always times out.
            cap = c.approach_force_fraction * self.target_force_n + c.finger_friction_allowance_n
            force = c.finger_damping_nspm * 4.0 * (-c.approach_speed_mps - finger_vel_mps)
            force = np.clip(force, -cap, cap)
            # Contact on both pads, or one pad pushing a light object into the other.
            if np.min(pad_force_n) > c.contact_threshold_n:
                self.mode = GripMode.REGULATE
                self.contact_time_s = time_s
                self._ramp_t0 = time_s
                self._ramp_start_n = min(measured, self.target_force_n)
                self._integral_n = 0.0
            return force

        # REGULATE: ramp the set-point, feed it forward, integrate the error.
        ramp = 1.0 if c.force_ramp_s <= 0 else min(1.0, (time_s - self._ramp_t0) / c.force_ramp_s)
        setpoint = self._ramp_start_n + (self.target_force_n - self._ramp_start_n) * ramp
        error = setpoint - measured
        self._integral_n += c.force_integral_gain_per_s * error * dt_s
        # Anti-windup: the integral may make up for finger friction (the command can
        # exceed the set-point by the friction allowance) and no more.
        self._integral_n = float(np.clip(self._integral_n, -setpoint, c.finger_friction_allowance_n))
        command = setpoint + self._integral_n
        if np.max(pad_force_n) > self.limit_force_n:
            # Reflex: a pad measures more than the object tolerates -> back off at once.
            command = min(command, self.target_force_n * 0.8)
            self._integral_n = min(self._integral_n, 0.0)
        if ramp >= 1.0 and abs(error) <= c.force_tolerance_n:
            if self._settled_since is None:
                self._settled_since = time_s
        else:
            self._settled_since = None
        # Closing force on both fingers; a little damping keeps the object centred.
        return -command - 0.5 * c.finger_damping_nspm * finger_vel_mps
