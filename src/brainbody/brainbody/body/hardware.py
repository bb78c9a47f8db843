"""What the body needs from hardware, real or simulated.

The control loop only sees :class:`HardwareState` (what sensors report, with the time it
was sampled) and writes joint torques and finger forces. Each backend declares what it
offers (:class:`HardwareCapabilities`); :func:`check_capabilities` refuses, before anything
moves, a configuration the backend cannot serve. ``sim/simulator.py`` implements this with
MuJoCo in-process.
"""
from __future__ import annotations

import dataclasses
import enum
from typing import Optional, Protocol

import numpy as np

from brainbody.exceptions import HardwareMismatchError


class CommandMode(str, enum.Enum):
    """How the body commands the joints.

    EFFORT: the body's own servo (PID + feed-forward + friction, backlash and compliance
        compensation) writes joint torques.
    POSITION: a vendor loop owns the servo; the body sends motor-side position set-points
        (link set-point + backlash offset + twist under the estimated load).
    """

    EFFORT = "effort"
    POSITION = "position"


class GripForceSource(str, enum.Enum):
    """Where the measured grip force comes from."""

    PAD_SENSORS = "pad_sensors"        # a force sensor in each finger pad (3-axis: slip detection)
    # A wrist force/torque sensor: declared so that a robot can say it has one, but the squeeze is
    # internal to the hand and never reaches the wrist, so the body refuses it as a grip source.
    WRIST_WRENCH = "wrist_wrench"
    FINGER_EFFORT = "finger_effort"    # the finger drives' effort less learned friction (no slip detection)


@dataclasses.dataclass(frozen=True)
class HardwareCapabilities:
    """What a backend offers.

    Attributes:
        command_modes: the command modes it accepts.
        link_encoders: output-side encoders behind the gears (``q_link_rad``).
        pad_force_3axis: a 3-axis force sensor in each finger pad.
        wrist_wrench: a wrist force/torque sensor.
        finger_effort: the finger drives report their effort.
        motor_housing_temperature: each arm joint reports its motor housing's temperature
            (``motor_housing_temp_c``); without it the body's thermal model starts from and
            cools to its configured ambient.
        drive_electrical: each arm drive reports the q-axis current it measures and the
            voltage it applies (``drive_current_a``, ``drive_voltage_v``); with them the
            winding's resistance corrects the thermal model.
    """

    command_modes: frozenset = frozenset({CommandMode.EFFORT})
    link_encoders: bool = False
    pad_force_3axis: bool = False
    wrist_wrench: bool = False
    finger_effort: bool = False
    motor_housing_temperature: bool = False
    drive_electrical: bool = False

    def grip_force_sources(self) -> frozenset:
        return frozenset(source for source, present in (
            (GripForceSource.PAD_SENSORS, self.pad_force_3axis),
            (GripForceSource.WRIST_WRENCH, self.wrist_wrench),
            (GripForceSource.FINGER_EFFORT, self.finger_effort)) if present)


def check_capabilities(capabilities: HardwareCapabilities, *, backend: str, command_mode: CommandMode,
                       grip_force_source: GripForceSource) -> None:
    """Refuse a configuration the backend cannot serve, in one sentence.

    Raises:
        HardwareMismatchError: the command mode or the grip force source is not offered.
    """
    if command_mode not in capabilities.command_modes:
        offered = ", ".join(sorted(m.value for m in capabilities.command_modes))
        raise HardwareMismatchError(f"backend {backend!r} does not take command mode {command_mode.value!r} "
                                    f"(it offers: {offered})")
    sources = capabilities.grip_force_sources()
    if grip_force_source not in sources:
        offered = ", ".join(sorted(s.value for s in sources)) or "none"
        raise HardwareMismatchError(f"backend {backend!r} has no {grip_force_source.value} for the grip force "
                                    f"(it has: {offered})")


@dataclasses.dataclass
class HardwareState:
    """One sensor sample.

    Attributes:
        time_s: when it was sampled, on the hardware clock (sim time in simulation).
        q_rad, qd_radps: arm joint positions and velocities (7,) from the motor-side
            encoders, in output units (the servo's feedback; blind to backlash and twist).
        finger_pos_m, finger_vel_mps: finger joint positions (opening per finger) (2,).
        pad_force_n: normal force measured on the left and right finger pad (2,).
        q_link_rad: output-side encoder angles (7,), or None when the arm has none.
        pad_force_xyz_n: 3-axis fingertip force of each pad in its own frame (2, 3): y normal
            to the pad face, x and z in its plane (zeros when the hand has no such sensor).
        finger_effort_n: the force each finger drive applies (2,), N, positive opens (the
            command's sign), or None when the hand does not report it.
        motor_housing_temp_c: each arm motor's housing temperature (7,), C, or None when the
            robot does not report one.
        drive_current_a, drive_voltage_v: each arm drive's measured q-axis current (A) and
            applied q-axis voltage (V) over the last period (7,), or None when the drives do
            not report them.
    """

    time_s: float
    q_rad: np.ndarray
    qd_radps: np.ndarray
    finger_pos_m: np.ndarray
    finger_vel_mps: np.ndarray
    pad_force_n: np.ndarray
    q_link_rad: Optional[np.ndarray] = None
    pad_force_xyz_n: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((2, 3)))
    finger_effort_n: Optional[np.ndarray] = None
    motor_housing_temp_c: Optional[np.ndarray] = None
    drive_current_a: Optional[np.ndarray] = None
    drive_voltage_v: Optional[np.ndarray] = None


class Hardware(Protocol):
    """The hardware interface of the control loop (one period per :meth:`step`).

    A backend is built inactive or active as its kind needs; the loop calls :meth:`activate`
    before its first write and :meth:`deactivate` when it stops (a real drive then holds on
    its brakes or its own position loop).
    """

    period_s: float
    capabilities: HardwareCapabilities

    def activate(self, command_mode: CommandMode) -> None:
        """Make the joints accept commands of ``command_mode`` (one of ``capabilities``)."""

    def deactivate(self) -> None:
        """Stop accepting commands."""

    def read(self) -> HardwareState:
        """Latest sensor sample."""

    def write(self, arm_values: np.ndarray, finger_force_n: np.ndarray) -> None:
        """Command the arm (7,): joint torques (N m) in effort mode, motor-side position
        set-points (rad, output units) in position mode; and the finger forces (2,) in
        either (positive opens)."""

    def step(self) -> None:
        """Advance one control period (simulation steps physics; hardware waits)."""
