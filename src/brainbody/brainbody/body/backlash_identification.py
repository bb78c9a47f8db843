"""Online identification of each joint's lost motion from its two encoders.

Where a joint has a link-side encoder the body sees the gear's deflection directly: motor
angle minus link angle. Loaded on one flank, that deflection is half the gap plus the
elastic twist under the transmitted torque, signed like the torque:

    q_motor - q_link = sign(tau) * b / 2 + twist(tau)

With the twist taken off (the body's own stiffness estimate, ``body/compliance.py``), what
remains sits at +b/2 while the load pushes one way and at -b/2 while it pushes the other; the
gap is the distance between the two. Only samples with a clear load count (above ``min_load``
of the joint's torque limit, so that the link rests on a flank whatever the model's torque
error; below ``max_load``). Each flank's mean is a running mean that turns into an exponential
one with ``time_constant_s``, so the estimate follows a gap that grows with wear.

What it cannot remove: the stiffness estimate's error times the twist. At the light loads of
table-top work that is a few per cent of a precision gear's gap; under heavy loads it grows
(an 8 % stiffness error at a tenth of a 87 N m joint's limit is 0.15 arcmin a flank). Fitting
a line in the twist on each flank would remove a pure stiffness error, but on the honest plant
it did worse (6-15 % against 0-4 %): the torque it is fitted against is the model's estimate,
and that estimate's errors bias the slope.

A joint whose load never changes sign in the work it does (a shoulder always holding the arm
up against gravity) shows only one flank: its gap is not observable from normal motion, and
the estimate stays NaN until a drivetrain check gives one (:meth:`BacklashIdentification.adopt`).
Without link encoders nothing is observable this way.
"""
from __future__ import annotations

import numpy as np

from brainbody.body.compliance import ComplianceCompensation
from brainbody.jit import kernel


class BacklashIdentification:
    """Per-joint lost-motion estimates (7,), NaN until both flanks have been seen long enough.

    Args:
        compliance: the body's stiffness estimate (its twist under a torque).
        torque_limit_nm: each joint's torque limit (7,); the load bands scale with it.
        min_load, max_load: the band of |transmitted torque| that counts, as fractions of the limit.
        min_seen_s: time each flank must have been loaded before the estimate is given.
        time_constant_s: memory of the running means (how fast the estimate follows wear).
    """

    def __init__(self, compliance: ComplianceCompensation, torque_limit_nm: np.ndarray, *,
                 min_load: float = 0.01, max_load: float = 0.3, min_seen_s: float = 0.1,
                 time_constant_s: float = 60.0):
        limit = np.asarray(torque_limit_nm, dtype=float)
        if not (0.0 < min_load < max_load) or min_seen_s <= 0.0 or time_constant_s <= 0.0:
            raise ValueError("need 0 < min_load < max_load, min_seen_s > 0 and time_constant_s > 0")
        self._compliance = compliance
        self._lo, self._hi = min_load * limit, max_load * limit
        self._min_seen_s = float(min_seen_s)
        self._time_constant_s = float(time_constant_s)
        self._mean = np.zeros((2, len(limit)))     # flank +, flank -
        self._seen_s = np.zeros((2, len(limit)))
        self._checked = np.full(len(limit), np.nan)   # the last drivetrain check's fit

    def update(self, q_motor_rad: np.ndarray, q_link_rad: np.ndarray, torque_nm: np.ndarray, dt_s: float) -> None:
        """One sample: both encoders and the torque the gear transmits (the servo's estimate)."""
        torque = np.asarray(torque_nm, dtype=float)
        residual = (np.asarray(q_motor_rad, dtype=float) - np.asarray(q_link_rad, dtype=float)
                    - self._compliance.deflection_rad(torque))
        _flank_means(torque, residual, float(dt_s), self._lo, self._hi, self._time_constant_s,
                     self._mean, self._seen_s)

    def adopt(self, width_rad: np.ndarray) -> None:
        """A drivetrain check's fit (``body/drivetrain_check.py``, NaN where it gave none)
        becomes the estimate. Every running mean starts again: the samples before it (the
        check's own among them, light loads under the model's torque) no longer count. Where
        both flanks are loaded again the running mean is the estimate, as before."""
        self._checked = np.array(width_rad, dtype=float)
        self._mean[:] = 0.0
        self._seen_s[:] = 0.0

    @property
    def observed(self) -> np.ndarray:
        """Joints whose both flanks have been loaded for at least ``min_seen_s``."""
        return np.all(self._seen_s >= self._min_seen_s, axis=0)

    @property
    def width_rad(self) -> np.ndarray:
        """The identified lost motion per joint (rad): the running means where both flanks were
        seen, else the last check's fit, else NaN."""
        return np.where(self.observed, self._mean[0] - self._mean[1], self._checked)


@kernel
def _flank_means(torque, residual, dt, lo, hi, time_constant, mean, seen_s):
    """Each joint loaded within its band adds ``residual`` to its flank's running mean (1/n at
    first, a plain mean; then a fixed memory of ``time_constant``)."""
    for i in range(torque.shape[0]):
        magnitude = abs(torque[i])
        if not (lo[i] < magnitude < hi[i]) or not np.isfinite(residual[i]):
            continue
        side = 0 if torque[i] > 0.0 else 1
        seen = seen_s[side, i] + dt
        mean[side, i] += dt / min(seen, time_constant) * (residual[i] - mean[side, i])
        seen_s[side, i] = seen
