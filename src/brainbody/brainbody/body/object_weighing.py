"""Weighing the held object with the fingertip sensors.

A grasped object hangs on the pads' friction: at rest, the tangential forces the two pads
measure add up to its weight, while their normal forces cancel. Every grasp the executor plans
has the hand pointing down, so gravity lies in the pads' plane (x and z of each pad's frame;
the pads share one orientation). The in-plane load summed over both pads and averaged while
the arm stands still is then ``m * g``, whatever the hand's own mass. Joint torques cannot
weigh a 12 g paper cup: they scatter by newton-metres (``payload_identification.py``). The
pads feel the cup directly.

The zero is the pads' free-air reading as the grip force source learned it
(``grip_force_source.PadSensorForce``) at the moment the grasp's approach began. The source
goes on learning while a light touch stays under its contact threshold, so a zero taken later
would already carry part of the object's load.

The body weighs when a lift ends. By then the object is clear of its support and the arm has
come to rest at the lifted pose, so the mean over the ticks at rest since the arm last moved
is the weight. It refines that mean for as long as the arm stays at rest there, and keeps the
last value once the arm moves on. Before the lift, or while placing, the object stands on
something and the pads carry only part of it: no other moment counts.
"""
from __future__ import annotations

import math

import numpy as np

from brainbody.jit import kernel

STANDARD_GRAVITY_MPS2 = 9.80665

# The running window: in-plane load sums (x, z) over both pads, samples, seconds at rest.
_SUM_X, _SUM_Z, _COUNT, _SECONDS = range(4)


@kernel
def _accumulate(qd, rest_speed, pads_xyz, dt, window) -> bool:
    """Add one sample to the window while every joint is slower than ``rest_speed`` (True); a
    moving joint empties it (False: the mean must hold no acceleration)."""
    for i in range(qd.shape[0]):
        if abs(qd[i]) > rest_speed:
            window[:] = 0.0
            return False
    for p in range(pads_xyz.shape[0]):
        window[_SUM_X] += pads_xyz[p, 0]
        window[_SUM_Z] += pads_xyz[p, 2]
    window[_COUNT] += 1.0
    window[_SECONDS] += dt
    return True


class ObjectWeighing:
    """The held object's mass (kg) from the 3-axis pad sensors, weighed at the end of a lift.

    Args:
        rest_speed_radps: the arm counts as at rest while every joint is slower than this.
        min_rest_s: at rest at least this long before the weighing; a shorter rest gives no
            weight (NaN) rather than one that carries the lift's deceleration.

    Attributes:
        mass_kg: the last weighing of the object now held (NaN: none held, or not weighed yet).
        weighed_at_s: when it was last refined (hardware clock; NaN: not weighed).
        rest_s: how long the arm had been at rest then (s).
        weighing: True from the end of a lift until the arm moves on (the weight is being refined).
    """

    def __init__(self, *, rest_speed_radps: float = 0.02, min_rest_s: float = 0.02):
        if not (rest_speed_radps > 0.0 and math.isfinite(rest_speed_radps)):
            raise ValueError(f"rest_speed_radps must be positive, got {rest_speed_radps!r}")
        if not (min_rest_s > 0.0 and math.isfinite(min_rest_s)):
            raise ValueError(f"min_rest_s must be positive, got {min_rest_s!r}")
        self.rest_speed_radps = float(rest_speed_radps)
        self.min_rest_s = float(min_rest_s)
        self._zero_xz_n = np.zeros(2)
        self._window = np.zeros(4)
        self._approaching = False
        self.weighing = False
        self.mass_kg = math.nan
        self.weighed_at_s = math.nan
        self.rest_s = 0.0

    def update(self, time_s: float, dt_s: float, approaching: bool, free_air_zero_xyz_n: np.ndarray,
               qd_radps: np.ndarray, pad_force_xyz_n: np.ndarray) -> None:
        """One tick during a grasp or while holding: ``approaching`` (the fingers closing on an
        object), the grip source's learned free-air zero (2, 3), the joint speeds and the pads'
        raw 3-axis readings (2, 3)."""
        if approaching and not self._approaching:
            # A new grasp: the zero is the free-air reading now, before any touch.
            zero = np.asarray(free_air_zero_xyz_n, dtype=float).reshape(-1, 3)
            self._zero_xz_n[:] = zero[:, 0].sum(), zero[:, 2].sum()
            self._window[:] = 0.0
            self.weighing = False
            self.mass_kg = self.weighed_at_s = math.nan
            self.rest_s = 0.0
        self._approaching = approaching
        # Contiguous: one compiled layout whatever the backend hands over.
        at_rest = _accumulate(np.ascontiguousarray(qd_radps, dtype=float), self.rest_speed_radps,
                              np.ascontiguousarray(pad_force_xyz_n, dtype=float).reshape(-1, 3), float(dt_s),
                              self._window)
        if self.weighing:
            if at_rest:
                self._weigh(float(time_s))
            else:
                self.weighing = False      # the arm moved on: the last weight stands

    def weigh(self, time_s: float) -> float:
        """Start weighing (the object lifted clear, the arm come to rest): the in-plane load's
        mean since the arm stopped, less the zero, over g, refined on every tick the arm stays
        at rest. NaN while the arm has rested less than ``min_rest_s``."""
        self.weighing = True
        return self._weigh(float(time_s))

    def _weigh(self, time_s: float) -> float:
        w = self._window
        self.rest_s = float(w[_SECONDS])
        if not (w[_COUNT] > 0.0 and w[_SECONDS] >= self.min_rest_s):
            self.mass_kg = math.nan
            self.weighed_at_s = time_s
            return self.mass_kg
        load_x = w[_SUM_X] / w[_COUNT] - self._zero_xz_n[0]
        load_z = w[_SUM_Z] / w[_COUNT] - self._zero_xz_n[1]
        self.mass_kg = math.hypot(load_x, load_z) / STANDARD_GRAVITY_MPS2
        self.weighed_at_s = time_s
        return self.mass_kg
