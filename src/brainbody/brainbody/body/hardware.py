"""What the body needs from hardware, real or simulated.

The control loop only sees :class:`HardwareState` (what sensors report) and writes
joint torques and finger forces. ``sim/simulator.py`` implements this with MuJoCo;
a ros2_control topic plugin would implement it for a real arm.
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Protocol

import numpy as np


@dataclasses.dataclass
class HardwareState:
    """One sensor sample.

    Attributes:
        time_s: hardware clock (sim time in simulation).
        q_rad, qd_radps: arm joint positions and velocities (7,) from the motor-side
            encoders, in output units (the servo's feedback; blind to backlash and twist).
        finger_pos_m, finger_vel_mps: finger joint positions (opening per finger) (2,).
        pad_force_n: normal force measured on the left and right finger pad (2,).
        q_link_rad: output-side encoder angles (7,), or None when the arm has none.
        pad_force_xyz_n: 3-axis fingertip force of each pad in its own frame (2, 3): y normal
            to the pad face, x and z in its plane (zeros when the hand has no such sensor).
    """

    time_s: float
    q_rad: np.ndarray
    qd_radps: np.ndarray
    finger_pos_m: np.ndarray
    finger_vel_mps: np.ndarray
    pad_force_n: np.ndarray
    q_link_rad: Optional[np.ndarray] = None
    pad_force_xyz_n: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((2, 3)))


class Hardware(Protocol):
    """The hardware interface of the control loop (one period per :meth:`step`)."""

    period_s: float

    def read(self) -> HardwareState:
        """Latest sensor sample."""

    def write(self, arm_torque_nm: np.ndarray, finger_force_n: np.ndarray) -> None:
        """Command joint torques (7,) and finger forces (2,); positive finger force opens."""

    def step(self) -> None:
        """Advance one control period (simulation steps physics; hardware waits)."""
