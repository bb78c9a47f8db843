"""Online lost-motion identification from two encoders (body/backlash_identification.py)."""
import numpy as np
import pytest

from brainbody.body.backlash_identification import BacklashIdentification
from brainbody.body.compliance import ComplianceCompensation
from brainbody.body.drive_torque import DriveTorque
from brainbody.body.drivetrain_estimates import ARCMIN_RAD, load_estimates

ESTIMATES = load_estimates(("harmonic",) * 7)
LIMIT = np.array([87.0] * 4 + [12.0] * 3)
DT = 0.01


def _deflection(gap_rad, torque, stiffness_error=1.0):
    """A gear loaded on one flank: half the gap plus a twist the body's estimate gets a little wrong."""
    twist = ComplianceCompensation(ESTIMATES).deflection_rad(torque) * stiffness_error
    return np.sign(torque) * gap_rad / 2 + twist


def _identify(gaps, torques, *, seconds=5.0, noise_rad=2e-6, stiffness_error=1.03, ident=None):
    ident = ident or BacklashIdentification(ComplianceCompensation(ESTIMATES), LIMIT, time_constant_s=20.0)
    rng = np.random.default_rng(0)
    for k in range(int(seconds / DT)):
        torque = torques(k * DT)
        q_link = rng.uniform(-1, 1, 7)
        q_motor = q_link + _deflection(gaps, torque, stiffness_error) + rng.normal(0.0, noise_rad, 7)
        ident.update(q_motor, q_link, torque, DT)
    return ident


def test_a_gap_seen_from_both_flanks_is_identified_within_a_few_percent():
    """Table-top loads (a few per cent of the limit) and a stiffness estimate 3 % off."""
    gaps = np.linspace(0.8, 1.4, 7) * ARCMIN_RAD
    ident = _identify(gaps, lambda t: 0.03 * LIMIT * np.sin(2 * np.pi * 0.5 * t))
    assert ident.observed.all()
    assert np.allclose(ident.width_rad, gaps, rtol=0.05)


def test_under_heavy_loads_the_stiffness_error_shows_as_it_is_documented():
    gaps = np.full(7, ARCMIN_RAD)
    ident = _identify(gaps, lambda t: 0.25 * LIMIT * np.sin(2 * np.pi * 0.5 * t), stiffness_error=1.08)
    assert np.all(ident.width_rad > 1.1 * gaps)      # over-estimated: the twist error adds on both flanks


def test_a_joint_whose_load_never_changes_sign_is_not_guessed():
    gaps = np.full(7, ARCMIN_RAD)
    ident = _identify(gaps, lambda t: 0.1 * LIMIT * (1.5 + np.sin(t)))    # always positive
    assert not ident.observed.any() and np.all(np.isnan(ident.width_rad))


def test_loads_too_small_to_seat_the_link_on_a_flank_are_ignored():
    gaps = np.full(7, ARCMIN_RAD)
    ident = _identify(gaps, lambda t: 0.001 * LIMIT * np.sin(t))         # under the load band
    assert not ident.observed.any()


def test_the_estimate_follows_a_gap_that_grows_with_wear():
    swing = lambda t: 0.03 * LIMIT * np.sin(2 * np.pi * 0.5 * t)          # noqa: E731
    ident = _identify(np.full(7, ARCMIN_RAD), swing, seconds=30.0)
    # The memory counts loaded time only (the swing is in the load band most of the time).
    ident = _identify(np.full(7, 2 * ARCMIN_RAD), swing, seconds=150.0, ident=ident)
    assert np.allclose(ident.width_rad, 2 * ARCMIN_RAD, rtol=0.05)


def test_a_checks_fit_becomes_the_estimate_until_both_flanks_are_seen_again():
    swing = lambda t: 0.03 * LIMIT * np.sin(2 * np.pi * 0.5 * t)          # noqa: E731
    held = lambda t: 0.1 * LIMIT * (1.5 + np.sin(t))                       # noqa: E731  one flank only
    ident = _identify(np.full(7, ARCMIN_RAD), swing, seconds=10.0)
    checked = np.full(7, 1.3 * ARCMIN_RAD)
    checked[6] = np.nan                                                   # a joint the check gave nothing for
    ident.adopt(checked)
    np.testing.assert_array_equal(ident.width_rad[:6], checked[:6])
    assert np.isnan(ident.width_rad[6])          # the running means before the check no longer count
    # Work that loads one flank only (an arm held up) leaves the check's fit standing ...
    ident = _identify(np.full(7, 2 * ARCMIN_RAD), held, seconds=10.0, ident=ident)
    np.testing.assert_array_equal(ident.width_rad[:6], checked[:6])
    # ... both flanks loaded again and the running means take over.
    ident = _identify(np.full(7, 2 * ARCMIN_RAD), swing, seconds=10.0, ident=ident)
    assert ident.observed.all()
    np.testing.assert_allclose(ident.width_rad, 2 * ARCMIN_RAD, rtol=0.05)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        BacklashIdentification(ComplianceCompensation(ESTIMATES), LIMIT, min_load=0.3, max_load=0.1)


def _identify_on_the_drive(gaps, gear_torque, model_torque, *, rotor=0.3, seconds=8.0):
    """Samples every DT as the body gives them: the drive's command (the gear's torque plus
    its rotor's acceleration and a motor friction the body knows) and the model's torque."""
    friction = lambda v: 0.5 * np.tanh(v / 0.01)                           # noqa: E731
    ident = BacklashIdentification(ComplianceCompensation(ESTIMATES), LIMIT,
                                   DriveTorque(friction, np.full(7, rotor), 3), time_constant_s=20.0)
    for k in range(int(seconds / DT)):
        t = k * DT
        speed = np.full(7, np.cos(2 * np.pi * 0.5 * t))                   # the motors swing
        accel = np.full(7, -np.pi * np.sin(2 * np.pi * 0.5 * t))
        torque = gear_torque(t)
        q_link = np.full(7, 0.1 * t)
        q_motor = q_link + _deflection(gaps, torque, 1.0)
        ident.update(q_motor, q_link, model_torque(t), DT, time_s=t, velocity_radps=speed,
                     command_nm=torque + friction(speed) + rotor * accel)
    return ident


def test_on_the_drives_torque_the_model_only_has_to_agree_on_the_flank():
    """The model's torque 40 % off in size, the drive's exact: the gap comes out of the drive's."""
    gaps = np.linspace(0.8, 1.4, 7) * ARCMIN_RAD
    swing = lambda t: 0.05 * LIMIT * np.sin(2 * np.pi * 0.5 * t)          # noqa: E731
    ident = _identify_on_the_drive(gaps, swing, lambda t: 1.4 * swing(t))
    assert ident.observed.all()
    np.testing.assert_allclose(ident.width_rad, gaps, rtol=0.02)


def test_on_the_drives_torque_a_flank_the_model_does_not_see_is_not_counted():
    """The drive's torque swings both ways, the model's holds one way (a joint held up): no guess."""
    gaps = np.full(7, ARCMIN_RAD)
    swing = lambda t: 0.05 * LIMIT * np.sin(2 * np.pi * 0.5 * t)          # noqa: E731
    ident = _identify_on_the_drive(gaps, swing, lambda t: 0.1 * LIMIT)
    assert not ident.observed.any() and np.all(np.isnan(ident.width_rad))
    with pytest.raises(ValueError):
        ident.update(np.zeros(7), np.zeros(7), np.zeros(7), DT)          # no speed, no command
