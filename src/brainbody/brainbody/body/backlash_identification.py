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

The torque: where the body commands it, the drive's (``body/drive_torque.py``: the command
less the motor's own friction and its rotor's acceleration), and a sample counts only with the
motor moving and where the model's torque (rigid-body dynamics on the desired motion) puts the
load on the same flank. The model's torque alone was the first choice (and is what position
mode still uses); its light-load errors on honest units (a link its bearing holds, the servo's
lag, the arm's mass errors) put the estimate up to 12.5 % off, 6.3 % on the drive's. The drive's
alone puts joints on a flank they are not on where its own errors dominate (the hand joint,
whose rotor takes nearly all of its torque; joints held up by gravity, by rotor transients): the
two must agree.

What it cannot remove: the stiffness estimate's error times the twist. At the light loads of
table-top work that is a few per cent of a precision gear's gap; under heavy loads it grows
(an 8 % stiffness error at a tenth of a 87 N m joint's limit is 0.15 arcmin a flank). The
drivetrain check's fit (``body/drivetrain_check.py``) carries a line in the torque for it.

A joint whose load never changes sign in the work it does (a shoulder always holding the arm
up against gravity) shows only one flank: its gap is not observable from normal motion, and
the estimate stays NaN until a drivetrain check gives one (:meth:`BacklashIdentification.adopt`).
Without link encoders nothing is observable this way.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from brainbody.body.compliance import ComplianceCompensation, joint_deflection_rad
from brainbody.body.drive_torque import DriveTorque
from brainbody.jit import kernel


class BacklashIdentification:
    """Per-joint lost-motion estimates (7,), NaN until both flanks have been seen long enough.

    Args:
        compliance: the body's stiffness estimate (its twist under a torque).
        torque_limit_nm: each joint's torque limit (7,); the load bands scale with it.
        drive: the drive's torque (``body/drive_torque.py``) for the twist and the load band,
            where the body commands the torque; None: the model's torque alone (position mode).
        min_speed_radps: on the drive's torque, the least motor speed a sample counts at.
        min_load, max_load: the band of |transmitted torque| that counts, as fractions of the limit.
        min_seen_s: time each flank must have been loaded before the estimate is given.
        time_constant_s: memory of the running means (how fast the estimate follows wear).
    """

    def __init__(self, compliance: ComplianceCompensation, torque_limit_nm: np.ndarray,
                 drive: Optional[DriveTorque] = None, *, min_load: float = 0.01, max_load: float = 0.3,
                 min_speed_radps: float = 0.1, min_seen_s: float = 0.1, time_constant_s: float = 60.0):
        limit = np.asarray(torque_limit_nm, dtype=float)
        if not (0.0 < min_load < max_load) or min_seen_s <= 0.0 or time_constant_s <= 0.0 or min_speed_radps < 0.0:
            raise ValueError("need 0 < min_load < max_load, min_seen_s > 0, time_constant_s > 0 and "
                             "min_speed_radps >= 0")
        self._compliance = compliance
        self._drive = drive
        self._lo, self._hi = min_load * limit, max_load * limit
        self._min_speed_radps = float(min_speed_radps)
        self._min_seen_s = float(min_seen_s)
        self._time_constant_s = float(time_constant_s)
        self._mean = np.zeros((2, len(limit)))     # flank +, flank -
        self._seen_s = np.zeros((2, len(limit)))
        self._checked = np.full(len(limit), np.nan)   # the last drivetrain check's fit

    def update(self, q_motor_rad: np.ndarray, q_link_rad: np.ndarray, torque_nm: np.ndarray, dt_s: float, *,
               time_s: float = 0.0, velocity_radps: Optional[np.ndarray] = None,
               command_nm: Optional[np.ndarray] = None) -> None:
        """One sample: both encoders and the model's torque on the gear (the servo's estimate).
        Given a drive's torque source, also the sample's time, the motors' speed and the torque
        commanded: the sample then counts half a window late (see the module's text)."""
        if self._drive is None:
            torque = np.asarray(torque_nm, dtype=float)
            residual = (np.asarray(q_motor_rad, dtype=float) - np.asarray(q_link_rad, dtype=float)
                        - self._compliance.deflection_rad(torque))
        else:
            if velocity_radps is None or command_nm is None:
                raise ValueError("lost-motion identification on the drive's torque needs the speed and the command")
            out = self._drive.add(time_s, velocity_radps, command_nm,
                                  # the deflection is a new array; the model's torque is the servo's buffer
                                  (np.asarray(q_motor_rad, dtype=float) - np.asarray(q_link_rad, dtype=float),
                                   np.array(torque_nm, dtype=float)))
            if out is None:
                return
            (deflection, model), velocity, torque = out
            _drive_flank_means(torque, deflection, model, velocity, self._compliance.params, self._min_speed_radps,
                               float(dt_s), self._lo, self._hi, self._time_constant_s, self._mean, self._seen_s)
            return
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
def _flank_step(i, torque, residual, dt, lo, hi, time_constant, mean, seen_s):
    """Joint ``i`` loaded within its band adds ``residual`` to its flank's running mean (1/n at
    first, a plain mean; then a fixed memory of ``time_constant``)."""
    if not (lo[i] < abs(torque) < hi[i]) or not math.isfinite(residual):
        return
    side = 0 if torque > 0.0 else 1
    seen = seen_s[side, i] + dt
    mean[side, i] += dt / min(seen, time_constant) * (residual - mean[side, i])
    seen_s[side, i] = seen


@kernel
def _flank_means(torque, residual, dt, lo, hi, time_constant, mean, seen_s):
    """Every joint's sample on the model's torque (:func:`_flank_step`)."""
    for i in range(torque.shape[0]):
        _flank_step(i, torque[i], residual[i], dt, lo, hi, time_constant, mean, seen_s)


@kernel
def _drive_flank_means(torque, deflection, model, velocity, compliance, min_speed, dt, lo, hi, time_constant, mean,
                       seen_s):
    """Every joint's sample on the drive's torque: the encoders' ``deflection`` less the gear's
    twist at that torque (``compliance``: :data:`COMPLIANCE_PARAMS`). A flank counts only where
    the model's torque agrees on it and the motor moves."""
    for i in range(torque.shape[0]):
        agree = (model[i] > 0.0 and torque[i] > 0.0) or (model[i] < 0.0 and torque[i] < 0.0)
        if not (agree and abs(model[i]) > lo[i] and abs(velocity[i]) > min_speed):
            continue
        residual = deflection[i] - joint_deflection_rad(compliance[i], torque[i])
        _flank_step(i, torque[i], residual, dt, lo, hi, time_constant, mean, seen_s)
