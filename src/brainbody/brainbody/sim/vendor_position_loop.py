"""The robot vendor's joint position loop that ``position`` command mode hands the servo to
(UR ``servoj``, a Kinova or KUKA FRI position mode, Gazebo's JointPositionController).

Part of the simulated robot, not of the body: it runs every physics step, closes on the
motor encoder and compensates gravity with its own model of the bare arm (it does not know
the payload). Like ``servoj``, it moves from the current target to each new set-point
linearly over one command period, with that ramp's velocity fed forward: a late set-point
(the body missed a period) becomes a steeper ramp, not a step. Its gains are the vendor's:
the body neither sees nor shares them.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

# A stiff industrial position loop on the motor side (N m/rad, N m s/rad).
_KP = np.array([4000.0, 4000.0, 4000.0, 4000.0, 1500.0, 1000.0, 600.0])
_KD = np.array([120.0, 120.0, 120.0, 120.0, 40.0, 30.0, 20.0])


class VendorPositionLoop:
    """Motor torques (7,) that track motor-side position set-points.

    Args:
        effort_limit_nm: the drives' torque limits (7,).
        command_period_s: the period set-points are expected at (the interpolation time).
    """

    def __init__(self, effort_limit_nm: np.ndarray, command_period_s: float):
        self._limit = np.asarray(effort_limit_nm, dtype=float)
        self._period = float(command_period_s)
        self._from: Optional[np.ndarray] = None
        self._to: Optional[np.ndarray] = None
        self._t0 = 0.0

    def set_target(self, q_motor_rad: np.ndarray, time_s: float) -> None:
        """A new set-point, received at ``time_s``: ramp to it from where the target is now."""
        start = self._target(time_s)[0] if self._to is not None else np.asarray(q_motor_rad, dtype=float)
        self._from, self._to, self._t0 = start, np.asarray(q_motor_rad, dtype=float).copy(), time_s

    def hold(self, q_motor_rad: np.ndarray, time_s: float) -> None:
        """Before any command: hold where the motors are (a robot switched on in place)."""
        if self._to is None:
            q = np.asarray(q_motor_rad, dtype=float).copy()
            self._from, self._to, self._t0 = q, q, time_s

    def _target(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        s = (time_s - self._t0) / self._period
        if s >= 1.0:
            return self._to, np.zeros(7)
        s = max(s, 0.0)
        return self._from + s * (self._to - self._from), (self._to - self._from) / self._period

    def torque(self, q_motor_rad: np.ndarray, qd_motor_radps: np.ndarray, gravity_nm: np.ndarray,
               time_s: float) -> np.ndarray:
        target, rate = self._target(time_s)
        tau = _KP * (target - q_motor_rad) + _KD * (rate - qd_motor_radps) + gravity_nm
        return np.minimum(np.maximum(tau, -self._limit), self._limit)
