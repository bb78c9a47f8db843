"""The finger-effort grip force source (body/finger_effort.py, body/grip_force_source.py)."""
from __future__ import annotations

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.finger_effort import FingerEffortForce
from brainbody.body.grip_force_source import (FingerEffortSource, PadSensorForce, check_grip_margin,
                                              grip_force_source)
from brainbody.body.hardware import HardwareState
from brainbody.exceptions import ErrorCode, ForceLimitError, HardwareMismatchError, InvalidStateError

DT = 0.001
CONFIG = BodyConfig(grip_force_source="finger_effort")
V_APPROACH = CONFIG.approach_speed_mps


def _run(est: FingerEffortForce, effort, vel, pos=(0.02, 0.02), ticks=200) -> np.ndarray:
    for _ in range(ticks):
        out = est.update(DT, np.asarray(effort, float), np.asarray(pos, float), np.asarray(vel, float))
    return out


def test_free_closing_reads_no_squeeze_and_learns_the_friction():
    est = FingerEffortForce(CONFIG)
    # Closing freely at the approach speed against 1.3 N of friction: the drive pushes -1.3 N.
    squeeze = _run(est, (-1.3, -1.3), (-V_APPROACH, -V_APPROACH))
    assert np.all(squeeze == 0.0) and not est.touching.any()
    assert np.allclose(est.friction_n, 1.3, atol=0.01)


def test_a_finger_stalled_after_closing_squeezes_its_effort_less_friction():
    est = FingerEffortForce(CONFIG)
    _run(est, (-1.2, -1.2), (-V_APPROACH, -V_APPROACH))
    squeeze = _run(est, (-3.2, -3.7), (0.0, -0.001))
    assert est.touching.all()
    assert np.allclose(squeeze, (2.0, 2.5), atol=0.01)
    # Squeezing does not teach it friction: the estimate stays where free motion left it.
    assert np.allclose(est.friction_n, 1.2, atol=0.01)


def test_no_squeeze_without_a_free_closing_first_or_at_the_closed_stop():
    est = FingerEffortForce(CONFIG)
    assert np.all(_run(est, (-5.0, -5.0), (0.0, 0.0)) == 0.0)          # pushing, never moved
    _run(est, (-1.0, -1.0), (-V_APPROACH, -V_APPROACH))
    assert np.all(_run(est, (-5.0, -5.0), (0.0, 0.0), pos=(0.0, 0.0)) == 0.0)   # against the stop
    # A finger still moving is being accelerated, not squeezing (an object that fell out).
    assert np.all(_run(est, (-5.0, -5.0), (-3 * V_APPROACH, -3 * V_APPROACH)) == 0.0)


def test_opening_ends_the_contact():
    est = FingerEffortForce(CONFIG)
    _run(est, (-1.0, -1.0), (-V_APPROACH, -V_APPROACH))
    _run(est, (-3.0, -3.0), (0.0, 0.0))
    assert est.touching.all()
    _run(est, (1.0, 1.0), (V_APPROACH, V_APPROACH), ticks=20)
    assert np.all(_run(est, (-3.0, -3.0), (0.0, 0.0)) == 0.0)


def _state(effort=None) -> HardwareState:
    return HardwareState(0.0, np.zeros(7), np.zeros(7), np.full(2, 0.02), np.zeros(2), np.array([0.7, 0.9]),
                         finger_effort_n=effort)


def test_sources_by_name_and_what_each_measures():
    pads = grip_force_source(BodyConfig())
    assert isinstance(pads, PadSensorForce) and pads.uncertainty_n == 0.0
    force, xyz, touching = pads.measure(_state(), DT)
    assert np.allclose(force, (0.7, 0.9)) and xyz is not None and touching is None
    effort = grip_force_source(CONFIG)
    assert isinstance(effort, FingerEffortSource)
    force, xyz, touching = effort.measure(_state(np.array([-2.0, -2.0])), DT)
    assert xyz is None and touching is not None          # no slip reflex without tangential force
    with pytest.raises(InvalidStateError):
        effort.measure(_state(None), DT)
    with pytest.raises(HardwareMismatchError, match="does not see the squeeze"):
        grip_force_source(BodyConfig(grip_force_source="wrist_wrench"))


def test_a_grasp_the_source_cannot_bound_below_the_limit_is_refused():
    effort = grip_force_source(CONFIG)           # friction 1 N until learned
    check_grip_margin(effort, 2.4, 3.4, "cup")   # 2.4 + 1.0 <= 3.4
    with pytest.raises(ForceLimitError) as refused:
        check_grip_margin(effort, 3.0, 3.4, "cup")
    assert refused.value.code == ErrorCode.FORCE_LIMIT and "at most 2.40 N" in str(refused.value)
    check_grip_margin(grip_force_source(BodyConfig()), 3.4, 3.4, "cup")   # pads: no margin


def test_pad_sensors_are_zeroed_in_free_air_held_in_contact_and_capped():
    pads = grip_force_source(BodyConfig())
    bias = np.array([0.05, -0.04])
    free_air = HardwareState(0.0, np.zeros(7), np.zeros(7), np.full(2, 0.04), np.zeros(2), bias,
                             pad_force_xyz_n=np.array([[0.01, 0.05, 0.0], [0.0, -0.04, 0.02]]))
    for _ in range(1000):       # 1 s at 1 kHz, fingers moving in free air
        force, xyz, _ = pads.measure(free_air, DT, free=True)
    assert np.allclose(force, 0.0, atol=1e-3) and np.allclose(xyz, 0.0, atol=1e-3)
    squeezed = HardwareState(0.0, np.zeros(7), np.zeros(7), np.full(2, 0.03), np.zeros(2), bias + 3.0)
    force, _, _ = pads.measure(squeezed, DT, free=False)      # in contact: the zero is held
    assert np.allclose(force, 3.0, atol=1e-3)
    # A light touch below the contact threshold, wrongly taken for free air for a long time, can
    # move the zero by at most half the threshold: a real squeeze is never hidden by more.
    creeping = HardwareState(0.0, np.zeros(7), np.zeros(7), np.full(2, 0.03), np.zeros(2), np.full(2, 0.24))
    for _ in range(5000):
        pads.measure(creeping, DT, free=True)
    assert np.all(pads.offset_n <= 0.5 * BodyConfig().contact_threshold_n + 1e-12)
