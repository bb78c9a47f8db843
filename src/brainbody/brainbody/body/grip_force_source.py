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
from brainbody.jit import kernel
from brainbody.exceptions import ForceLimitError, HardwareMismatchError, InvalidStateError

Measurement = tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]

_NO_XYZ = np.zeros((0, 3))     # no 3-axis pads: nothing to learn there


class PadSensorForce:
    """The pads' own sensors, zeroed in free air.

    A real fingertip sensor reads a few hundredths of a newton with nothing on it (offset,
    drift with temperature), which would stay in the regulated squeeze and hide a light
    contact. While the fingers move in free air (``free``: positioning, or closing before
    contact) and every reading is under the contact threshold, the offset is learned with
    ``pad_tare_time_constant_s``; in contact it is held. It is capped at half the contact
    threshold, so a zero learned from a creeping touch can never hide a squeeze that matters
    (the crush margin is far larger).
    """

    source = GripForceSource.PAD_SENSORS
    uncertainty_n = 0.0      # the loop closes on the squeeze itself (bench/grip.py measures how well)

    def __init__(self, config: BodyConfig):
        self._time_constant_s = config.pad_tare_time_constant_s
        self._contact_n = config.contact_threshold_n
        self._cap_n = 0.5 * config.contact_threshold_n
        self.offset_n = np.zeros(2)
        self.offset_xyz_n = np.zeros((2, 3))

    def measure(self, state: HardwareState, dt_s: float, free: bool = False) -> Measurement:
        pads, pads_xyz = state.pad_force_n, state.pad_force_xyz_n
        if not (free and self._time_constant_s > 0.0 and dt_s > 0.0):      # the offsets held
            return pads - self.offset_n, None if pads_xyz is None else pads_xyz - self.offset_xyz_n, None
        # Learning: the offsets and the zeroed readings in one compiled pass (numpy took 1.9 us).
        gain = min(dt_s / self._time_constant_s, 1.0)
        xyz = _NO_XYZ if pads_xyz is None else pads_xyz
        zeroed, zeroed_xyz = np.empty(2), np.empty((0 if pads_xyz is None else 2, 3))
        try:        # the usual sample, float arrays as they come
            fits = _zeroed(pads, self.offset_n, xyz, self.offset_xyz_n, gain, self._cap_n, self._contact_n,
                           zeroed, zeroed_xyz)
        except TypeError:    # another type or layout: converted (a ragged list raises here)
            pads, xyz = np.ascontiguousarray(pads, dtype=float), np.ascontiguousarray(xyz, dtype=float)
            fits = pads.ndim == 1 and xyz.ndim == 2 and _zeroed(pads, self.offset_n, xyz, self.offset_xyz_n, gain,
                                                                self._cap_n, self._contact_n, zeroed, zeroed_xyz)
        if not fits:
            raise ValueError(f"pad sensors: need 2 normal forces and (2, 3) 3-axis forces, got {np.shape(pads)} "
                             f"and {np.shape(pads_xyz)}")
        return zeroed, None if pads_xyz is None else zeroed_xyz, None


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

    def measure(self, state: HardwareState, dt_s: float, free: bool = False) -> Measurement:
        """Raises InvalidStateError when the sample carries no finger effort. (``free``: the
        estimator learns the finger friction itself; nothing to tare.)"""
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
        return PadSensorForce(config)
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


@kernel
def _learn_offsets(pads, offset, pads_xyz, offset_xyz, gain, cap, contact):
    """While every pad reads under ``contact``: each offset moves ``gain`` of the way to its
    reading, capped to +/- ``cap`` (in place; the 3-axis offsets only for the rows given)."""
    for k in range(pads.shape[0]):
        if not abs(pads[k]) < contact:     # also NaN: learn nothing
            return
    for k in range(pads.shape[0]):
        offset[k] = min(max(offset[k] + gain * (pads[k] - offset[k]), -cap), cap)
    for k in range(pads_xyz.shape[0]):
        for a in range(3):
            value = offset_xyz[k, a] + gain * (pads_xyz[k, a] - offset_xyz[k, a])
            offset_xyz[k, a] = min(max(value, -cap), cap)


# Typed: an array of another type or layout is a TypeError (converted by the caller), never a
# compilation in the middle of a run.
@kernel(signature="boolean(float64[::1], float64[::1], float64[:, ::1], float64[:, ::1], float64, float64, float64, "
                  "float64[::1], float64[:, ::1])")
def _zeroed(pads, offset, pads_xyz, offset_xyz, gain, cap, contact, out, out_xyz) -> bool:
    """The readings less their offsets into ``out`` and ``out_xyz`` (the 3-axis ones for the rows
    given), the offsets first learned from them when ``gain`` > 0 (:func:`_learn_offsets`).
    False, and nothing done, when the readings do not match the offsets' shapes."""
    if (pads.shape[0] != offset.shape[0] or out.shape[0] != pads.shape[0] or out_xyz.shape[0] != pads_xyz.shape[0]
            or (pads_xyz.shape[0] != 0 and pads_xyz.shape[0] != offset_xyz.shape[0])
            or pads_xyz.shape[1] != offset_xyz.shape[1] or out_xyz.shape[1] != offset_xyz.shape[1]):
        return False
    if gain > 0.0:
        _learn_offsets(pads, offset, pads_xyz, offset_xyz, gain, cap, contact)
    for k in range(pads.shape[0]):
        out[k] = pads[k] - offset[k]
    for k in range(pads_xyz.shape[0]):
        for a in range(3):
            out_xyz[k, a] = pads_xyz[k, a] - offset_xyz[k, a]
    return True
