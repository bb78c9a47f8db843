"""Grip force from the finger drives' effort, for hands without force sensors in the pads.

Most parallel grippers (the Franka Hand, a Robotiq 2F without a wrist sensor) report only
what each finger's motor pushes with. Along the closing axis a finger at rest balances

    drive effort = squeeze from the object + drivetrain friction (+ damping x speed)

so the squeeze is the effort less a friction the body has to know. This estimator learns
that friction where it is the only load: while the finger moves freely at the approach
speed (the drive then pushes exactly against friction and damping), starting from the
datasheet value ``finger_friction_estimate_n``. What it cannot know is where inside the
stiction band a finger at rest sits: after a closing motion friction holds the finger
against the object (the estimate then reads low by the damping it learned with); a finger
that was pushed back open reads high. That is the accuracy this source costs against pad
sensors, measured by ``bench/grip.py``; and it has no tangential force, so no slip reflex.

A finger counts as touching only once it has closed freely and then stalled: a drive
pushing a finger that still moves (or one that never started) is accelerating it, not
squeezing anything, and a finger against its closed stop squeezes nothing either.
"""
from __future__ import annotations

import numpy as np

from brainbody.body.body_config import BodyConfig

# Learning: the drive's effort is friction (and damping) only while the finger moves freely
# at a steady speed; the approach speed band keeps accelerations and fast moves out.
_LEARN_SPEED_BAND = (0.5, 2.0)     # x approach_speed_mps
_LEARN_TIME_CONSTANT_S = 0.05
_STALL_FRACTION = 0.5              # slower than this x approach speed: the finger has stalled
_CLOSED_STOP_M = 0.001             # a finger this close to its closed stop squeezes nothing


class FingerEffortForce:
    """Squeeze (N, per finger, >= 0) from the finger drives' effort; one :meth:`update` per tick.

    Args:
        config: ``finger_friction_estimate_n`` (the starting friction) and
            ``approach_speed_mps`` (the speed the friction is learned at).
    """

    def __init__(self, config: BodyConfig):
        self._approach_mps = config.approach_speed_mps
        self.friction_n = np.full(2, config.finger_friction_estimate_n)
        self._closed_freely = np.zeros(2, dtype=bool)
        self.squeeze_n = np.zeros(2)
        self.touching = np.zeros(2, dtype=bool)   # closed freely, then stalled short of the stop
        self._touched = np.zeros(2, dtype=bool)   # touched since the finger last opened

    def update(self, dt_s: float, effort_n: np.ndarray, finger_pos_m: np.ndarray,
               finger_vel_mps: np.ndarray) -> np.ndarray:
        """The squeeze on each finger's pad (2,).

        Args:
            dt_s: time since the last sample (s).
            effort_n: each finger drive's measured effort (N, positive opens, the command's sign).
            finger_pos_m: opening per finger (m).
            finger_vel_mps: finger speeds (m/s, positive opens).
        """
        effort = np.asarray(effort_n, dtype=float)
        vel = np.asarray(finger_vel_mps, dtype=float)
        speed = np.abs(vel)
        lo, hi = _LEARN_SPEED_BAND
        # Once a finger has touched, its effort includes the object until it opens again.
        free = (speed > lo * self._approach_mps) & (speed < hi * self._approach_mps) & ~self._touched
        if np.any(free):
            # Moving freely the drive pushes along the motion against friction: effort . sign(v).
            pushed = effort * np.sign(vel)
            alpha = min(1.0, dt_s / _LEARN_TIME_CONSTANT_S)
            learn = free & (pushed > 0.0)
            self.friction_n[learn] += alpha * (pushed[learn] - self.friction_n[learn])
        stalled = speed < _STALL_FRACTION * self._approach_mps
        self._closed_freely |= vel < -_STALL_FRACTION * self._approach_mps
        opened = vel > _STALL_FRACTION * self._approach_mps
        self._closed_freely &= ~opened
        self.touching = self._closed_freely & stalled & (np.asarray(finger_pos_m) > _CLOSED_STOP_M)
        self._touched = (self._touched | self.touching) & ~opened
        self.squeeze_n = np.where(self.touching, np.maximum(-effort - self.friction_n, 0.0), 0.0)
        return self.squeeze_n
