"""Where the grip loop's measured force comes from (``BodyConfig.grip_force_source``).

- ``pad_sensors``: a force sensor in each finger pad, 3-axis (the normal force and the
  tangential load for the slip reflex). The most accurate; what the grip benchmark's
  targets are set for.
- ``finger_effort``: the finger drives' effort less their learned friction
  (``body/finger_effort.py``): no sensor in the hand, no tangential force (no slip reflex),
  and the squeeze is known only to within the finger friction the body failed to learn.
- ``wrist_wrench`` is refused: a wrist force/torque sensor measures what the hand carries,
  not the squeeze inside it (the two pad forces cancel before they reach the wrist).

Each source turns one :class:`~brainbody.body.hardware.HardwareState` into the pad forces,
the 3-axis forces (or None) and the contact flags (or None) that
:meth:`GripForceController.update` takes.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.finger_effort import FingerEffortForce
from brainbody.body.hardware import GripForceSource, HardwareState
from brainbody.exceptions import ForceLimitError, HardwareMismatchError, InvalidStateError

Measurement = tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]


class PadSensorForce:
    """The pads' own sensors, as they report."""

    source = GripForceSource.PAD_SENSORS
    uncertainty_n = 0.0      # the loop closes on the squeeze itself (bench/grip.py measures how well)

    def measure(self, state: HardwareState, dt_s: float) -> Measurement:
        return state.pad_force_n, state.pad_force_xyz_n, None


class FingerEffortSource:
    """The squeeze estimated from the finger drives' effort; contact from a stalled finger."""

    source = GripForceSource.FINGER_EFFORT

    def __init__(self, config: BodyConfig):
        self.estimator = FingerEffortForce(config)

    @property
    def uncertainty_n(self) -> float:
        """How far the true squeeze may lie above the estimate: a finger at rest sits anywhere
        in its stiction band, as wide as the friction (the larger finger's, as learned)."""
        return float(np.max(self.estimator.friction_n))

    def measure(self, state: HardwareState, dt_s: float) -> Measurement:
        """Raises InvalidStateError when the sample carries no finger effort."""
        if state.finger_effort_n is None:
            raise InvalidStateError("the hardware reports no finger effort, which grip_force_source "
                                    "finger_effort needs")
        squeeze = self.estimator.update(dt_s, state.finger_effort_n, state.finger_pos_m, state.finger_vel_mps)
        return squeeze, None, self.estimator.touching


def grip_force_source(config: BodyConfig):
    """The source ``config.grip_force_source`` names.

    Raises:
        HardwareMismatchError: ``wrist_wrench`` (it cannot measure the squeeze).
    """
    source = GripForceSource(config.grip_force_source)
    if source is GripForceSource.PAD_SENSORS:
        return PadSensorForce()
    if source is GripForceSource.FINGER_EFFORT:
        return FingerEffortSource(config)
    raise HardwareMismatchError("grip_force_source 'wrist_wrench' cannot close the grip loop: a wrist "
                                "force/torque sensor does not see the squeeze between the fingers (use "
                                "pad_sensors or finger_effort)")


def check_grip_margin(source, grip_force_n: float, limit_n: float, object_id: str) -> None:
    """Refuse a grasp whose force, plus what the source cannot see, could exceed the object's limit.

    Raises:
        ForceLimitError: ``grip_force_n + source.uncertainty_n > limit_n``.
    """
    margin = source.uncertainty_n
    if margin > 0.0 and grip_force_n + margin > limit_n:
        raise ForceLimitError(
            f"grip_force_n {grip_force_n:.2f} N on {object_id!r}: with the grip force from "
            f"{source.source.value} the squeeze is known only to +{margin:.2f} N (finger friction), and "
            f"{grip_force_n + margin:.2f} N would exceed its limit of {limit_n:.2f} N; ask for at most "
            f"{max(limit_n - margin, 0.0):.2f} N or use a hand with pad sensors")
