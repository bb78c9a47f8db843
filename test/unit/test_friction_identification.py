"""Online Coulomb and viscous friction identification from the torque residual
(body/friction_identification.py)."""
import math

import numpy as np
import pytest

from brainbody.body.friction_identification import DriveSampler, FrictionIdentification

DT = 0.02
COULOMB = np.array([0.6, 0.9, 0.7, 1.2, 0.8, 0.35, 0.6])
VISCOUS = np.array([0.10, 0.08, 0.09, 0.07, 0.05, 0.04, 0.05])
OFFSET = np.array([0.3, -1.5, 0.2, 0.8, -0.1, 0.05, 0.02])     # current bias + the model's gravity error


def _velocity(t):
    """Each joint back and forth at a different pace and amplitude (0.1-0.6 rad/s)."""
    j = np.arange(7)
    return (0.35 + 0.25 * np.sin(0.3 * t + j)) * np.sin(2 * np.pi * (0.2 + 0.03 * j) * t)


def _residual(v, rng, noise_nm=0.05):
    return COULOMB * np.sign(v) + VISCOUS * v + OFFSET + rng.normal(0.0, noise_nm, 7)


def _run(ident, seconds, velocity=_velocity, residual=_residual, seed=0):
    rng = np.random.default_rng(seed)
    for k in range(int(seconds / DT)):
        v = velocity(k * DT)
        ident.update(v, np.zeros(7), residual(v, rng), DT)
    return ident


def test_coulomb_and_viscous_converge_on_a_known_plant_despite_an_offset_and_noise():
    ident = _run(FrictionIdentification(time_constant_s=300.0), 60.0)
    assert ident.observed.all()
    assert np.allclose(ident.coulomb_nm, COULOMB, rtol=0.03)
    # The slope is the noisy part: 0.05 N m of noise over speeds spread by ~0.15 rad/s.
    assert np.allclose(ident.viscous_nms_per_rad, VISCOUS, rtol=0.0, atol=0.015)


def test_the_estimate_follows_a_change_with_its_memory():
    ident = _run(FrictionIdentification(time_constant_s=5.0), 30.0)
    doubled = lambda v, rng: 2 * COULOMB * np.sign(v) + VISCOUS * v + OFFSET   # noqa: E731 - warmed-up lubricant... worn gear
    _run(ident, 40.0, residual=doubled)
    assert np.allclose(ident.coulomb_nm, 2 * COULOMB, rtol=0.05)


def test_a_joint_that_never_moves_or_moves_one_way_only_gives_nan_not_a_guess():
    one_way = lambda t: np.where(np.arange(7) < 3, 0.0, 1.0) * np.abs(_velocity(t)) + 0.06 * (np.arange(7) >= 3)  # noqa: E731
    ident = _run(FrictionIdentification(), 30.0, velocity=one_way)
    assert not ident.observed.any()
    assert np.isnan(ident.coulomb_nm).all() and np.isnan(ident.viscous_nms_per_rad).all()


def test_slow_creep_below_the_speed_threshold_is_not_taken_for_sliding():
    creep = lambda t: 0.02 * np.sign(np.sin(t)) * np.ones(7)    # noqa: E731 - in the Stribeck region
    ident = _run(FrictionIdentification(min_speed_radps=0.05), 30.0, velocity=creep)
    assert np.isnan(ident.coulomb_nm).all()


def test_viscous_needs_a_spread_of_speeds():
    """Back and forth at one speed: the Coulomb level is there, a slope is not."""
    square = lambda t: 0.3 * np.sign(np.sin(2 * np.pi * 0.2 * t + 0.1)) * np.ones(7)   # noqa: E731
    ident = _run(FrictionIdentification(), 30.0, velocity=square)
    assert np.allclose(ident.coulomb_nm, COULOMB + VISCOUS * 0.3, rtol=0.05)    # one speed: all of it is "Coulomb"
    assert np.isnan(ident.viscous_nms_per_rad).all()


def test_nan_inputs_are_skipped_and_do_not_poison_the_estimate():
    ident = FrictionIdentification()
    rng = np.random.default_rng(1)
    for k in range(int(60.0 / DT)):
        v = _velocity(k * DT)
        r = _residual(v, rng)
        if k % 7 == 0:
            r[2] = np.nan
            v = v.copy()
            v[4] = np.nan
        ident.update(v, np.zeros(7), r, DT)
        if k % 11 == 0:
            ident.update(v, np.zeros(7), r, math.nan)       # a broken period: ignored
    assert np.all(np.isfinite(ident.coulomb_nm))
    assert np.allclose(ident.coulomb_nm, COULOMB, rtol=0.03)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        FrictionIdentification(time_constant_s=0.0)


def test_the_sampler_gives_mean_torque_and_the_exact_mean_acceleration_of_a_ramp():
    sampler = DriveSampler(10)
    samples = []
    for k in range(31):
        qd = np.full(7, 0.5 * k * 0.001)           # 0.5 rad/s^2
        sample = sampler.add(np.zeros(7), qd, np.full(7, float(k)), 0.001)
        if sample is not None:
            samples.append(sample)
    assert len(samples) == 3
    assert np.allclose(samples[0].qdd_radps2, 0.5)
    assert np.allclose(samples[0].torque_nm, np.mean(np.arange(1, 11)))
    assert samples[0].dt_s == pytest.approx(0.01)


def test_the_sampler_marks_a_reversal_and_drops_a_window_with_nan():
    sampler = DriveSampler(4)
    sampler.add(np.zeros(7), np.full(7, 0.1), np.zeros(7), 0.001)
    out = [sampler.add(np.zeros(7), np.full(7, v), np.zeros(7), 0.001) for v in (0.1, -0.1, -0.2, -0.2)]
    assert out[-1] is not None and not out[-1].steady.any()
    out = [sampler.add(np.zeros(7), np.full(7, -0.2), np.array([np.nan] + [0.0] * 6), 0.001) for _ in range(4)]
    assert out[-1] is None
    with pytest.raises(ValueError):
        DriveSampler(0)


def test_the_fit_is_the_weighted_least_squares_of_the_samples_kept():
    """The compiled solve against numpy's least squares on the same sums: with a spread of
    speeds the full (sign, viscous, offset) fit, without one the (sign, offset) fit."""
    ident = _run(FrictionIdentification(), 60.0)
    info, target = ident._info, ident._target
    for j in range(7):
        full = np.linalg.solve(info[j] + 1e-9 * np.eye(3), target[j])
        np.testing.assert_allclose(ident.coulomb_nm[j], full[0], rtol=1e-9)
        np.testing.assert_allclose(ident.viscous_nms_per_rad[j], full[1], rtol=1e-9)
    one_speed = FrictionIdentification()
    _run(one_speed, 30.0, velocity=lambda t: 0.2 * np.sign(np.sin(2 * np.pi * 0.2 * t) + 1e-9) * np.ones(7))
    info, target = one_speed._info, one_speed._target
    for j in range(7):
        two = np.ix_((0, 2), (0, 2))
        reduced = np.linalg.solve(info[j][two] + 1e-9 * np.eye(2), target[j][[0, 2]])
        np.testing.assert_allclose(one_speed.coulomb_nm[j], reduced[0], rtol=1e-9)
        assert math.isnan(one_speed.viscous_nms_per_rad[j])
    assert np.all(one_speed.speed_spread_radps < 1e-3)      # one speed each way: no spread (threshold 0.05)
