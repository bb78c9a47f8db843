"""The robot vendor's joint position loop that ``position`` command mode hands the servo to
(UR ``servoj``, a Kinova or KUKA FRI position mode, Gazebo's JointPositionController).

Part of the simulated robot, not of the body: it runs every physics step, closes on the
motor encoder, feeds forward the set-point's velocity (differenced between set-points, as a
vendor interpolator does) and compensates gravity with its own model of the bare arm (it
does not know the payload). Its gains are the vendor's: the body neither sees nor shares them.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

# A stiff industrial position loop on the motor side (N m/rad, N m s/rad).
_KP = np.array([4000.0, 4000.0, 4000.0, 4000.0, 1500.0, 1000.0, 600.0])
_KD = np.array([120.0, 120.0, 120.0, 120.0, 40.0, 30.0, 20.0])


class VendorPositionLoop:
    """Motor torques (7,) that track motor-side position set-points."""

    def __init__(self, effort_limit_nm: np.ndarray):
        self._limit = np.asarray(effort_limit_nm, dtype=float)
        self._target: Optional[np.ndarray] = None
        self._target_rate = np.zeros(7)
        self._target_time_s: Optional[float] = None

    def set_target(self, q_motor_rad: np.ndarray, time_s: float) -> None:
        """A new set-point, received at ``time_s``; its rate feeds forward until the next."""
        q = np.asarray(q_motor_rad, dtype=float)
        if self._target is not None and self._target_time_s is not None and time_s > self._target_time_s:
            self._target_rate = (q - self._target) / (time_s - self._target_time_s)
        self._target, self._target_time_s = q.copy(), time_s

    def hold(self, q_motor_rad: np.ndarray, time_s: float) -> None:
        """Before any command: hold where the motors are (a robot switched on in place)."""
        if self._target is None:
            self._target, self._target_time_s = np.asarray(q_motor_rad, dtype=float).copy(), time_s

    def torque(self, q_motor_rad: np.ndarray, qd_motor_radps: np.ndarray, gravity_nm: np.ndarray) -> np.ndarray:
        tau = _KP * (self._target - q_motor_rad) + _KD * (self._target_rate - qd_motor_radps) + gravity_nm
        return np.minimum(np.maximum(tau, -self._limit), self._limit)
