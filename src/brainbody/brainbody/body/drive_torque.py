"""The torque a drive passes on to its gear, as a drive's current reports it: the torque
commanded less what the motor itself takes, its friction at the measured speed and its rotor's
acceleration.

The acceleration is the motor speed's difference across a window of samples centred on the
one it is for, so each sample comes out ``window // 2`` samples late, with whatever was sent
along with it. The two identifications of lost motion use it (``body/drivetrain_check.py``
every tick, ``body/backlash_identification.py`` every few): the rigid-body model's torque on
the desired motion is off by 0.5-1 N m at light loads on an honest unit (a link its bearing
holds while the model expects a torque, the servo's lag, the arm's mass errors), a quarter of
a precision gear's gap on the big joints.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Optional

import numpy as np


class DriveTorque:
    """Gear torque (7,) from the commands written, one window's half late.

    Args:
        motor_friction: the body's motor-side friction at a speed (7,) -> (7,).
        rotor_inertia_kgm2: each motor's rotor inertia reflected to the joint (7,).
        window: samples the acceleration is taken across (odd, >= 3).
    """

    def __init__(self, motor_friction: Callable[[np.ndarray], np.ndarray], rotor_inertia_kgm2: np.ndarray,
                 window: int):
        if window < 3 or window % 2 == 0:
            raise ValueError(f"the acceleration window must be odd and at least 3 samples, not {window}")
        self._motor_friction = motor_friction
        self._rotor = np.asarray(rotor_inertia_kgm2, dtype=float)
        self._window: deque = deque(maxlen=int(window))

    def add(self, time_s: float, velocity_radps: np.ndarray, command_nm: np.ndarray,
            carried: Any = None) -> Optional[tuple[Any, np.ndarray, np.ndarray]]:
        """One sample: the motors' speeds and the torque commanded, with ``carried`` (anything
        the caller wants back with the result). Returns the sample from half a window ago as
        ``(carried, velocity, gear torque)``; None until the window is full, or when its
        samples do not advance in time."""
        self._window.append((float(time_s), np.array(velocity_radps, dtype=float),
                             np.array(command_nm, dtype=float), carried))
        if len(self._window) < self._window.maxlen:
            return None
        first, last = self._window[0], self._window[-1]
        span = last[0] - first[0]
        if not span > 0.0:
            return None
        _, velocity, command, carried = self._window[len(self._window) // 2]
        torque = command - self._motor_friction(velocity) - self._rotor * (last[1] - first[1]) / span
        return carried, velocity, torque
