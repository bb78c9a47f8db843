"""Online identification of the hand's load from the joint torques (body/payload_identification.py),
on the body's own arm model with a synthetic plant signal."""
import math

import numpy as np
import pytest

from brainbody.body.payload_identification import PayloadIdentification, tcp_gravity_regressor_nm_per_kg
from brainbody.body.robot_model import RobotModel
from brainbody.sim.scene import default_urdf_path

LIMIT = np.array([87.0] * 4 + [12.0] * 3)
HOME = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])
DT = 0.02
COULOMB = np.array([0.6, 0.9, 0.7, 1.2, 0.8, 0.35, 0.6])


@pytest.fixture(scope="module")
def model():
    return RobotModel(default_urdf_path())


def _pose(t):
    """The arm swinging through the workspace around its home pose."""
    j = np.arange(7)
    return HOME + 0.4 * np.sin(2 * np.pi * (0.1 + 0.02 * j) * t + j), \
        0.4 * 2 * np.pi * (0.1 + 0.02 * j) * np.cos(2 * np.pi * (0.1 + 0.02 * j) * t + j)


def _run(ident, model, seconds, mass_kg, *, start_s=0.0, holding=False, offset_nm=None, friction_error=1.0,
         pose=_pose, seed=0):
    """The residual a drive would show: the load's torque, a fixed model error, friction the
    body knows to within ``friction_error``, and noise."""
    rng = np.random.default_rng(seed)
    offset = np.array([0.0, -1.2, 0.3, 0.8, 0.05, 0.1, 0.0]) if offset_nm is None else offset_nm
    for k in range(int(seconds / DT)):
        q, qd = pose(start_s + k * DT)
        y = tcp_gravity_regressor_nm_per_kg(model, q)
        friction = COULOMB * np.sign(qd)
        residual = mass_kg * y + offset + friction + rng.normal(0.0, 0.002 * LIMIT)
        ident.update(q, qd, residual, friction * friction_error, COULOMB, y, DT, holding=holding)
    return ident


def test_the_regressor_is_the_torque_that_holds_a_kilogram_at_the_tcp(model):
    """Finite differences of the potential energy m g z_tcp give the same torques."""
    q = HOME + 0.1
    y = tcp_gravity_regressor_nm_per_kg(model, q)
    eps = 1e-6
    numeric = np.array([(model.tcp_pose(q + eps * e)[0][2] - model.tcp_pose(q - eps * e)[0][2]) / (2 * eps)
                        for e in np.eye(7)]) * 9.80665
    assert np.allclose(y, numeric, atol=1e-5)


def test_the_load_and_an_object_taken_are_identified(model):
    """A 0.15 kg tool at first, then a 0.2 kg cup taken: both within 10 %."""
    ident = _run(PayloadIdentification(LIMIT), model, 20.0, 0.15)
    assert ident.mass_kg == pytest.approx(0.15, rel=0.10)
    _run(ident, model, 10.0, 0.35, start_s=20.0, holding=True)
    assert ident.mass_kg == pytest.approx(0.35, rel=0.10)
    assert ident.held_object_kg == pytest.approx(0.20, rel=0.10)
    _run(ident, model, 10.0, 0.15, start_s=30.0, holding=False)
    assert ident.mass_kg == pytest.approx(0.15, rel=0.10)
    assert math.isnan(ident.held_object_kg)


def test_an_arm_at_rest_gives_nan_not_a_guess(model):
    """At rest friction is anywhere in its stiction band: nothing is measured."""
    still = lambda t: (HOME, np.zeros(7))    # noqa: E731
    ident = _run(PayloadIdentification(LIMIT), model, 10.0, 0.2, pose=still)
    assert math.isnan(ident.mass_kg) and math.isnan(ident.held_object_kg)
    assert ident.mass_std_kg == pytest.approx(0.5, rel=0.05)    # the prior, untouched


def test_nan_inputs_are_skipped(model):
    ident = PayloadIdentification(LIMIT)
    rng = np.random.default_rng(2)
    for k in range(int(20.0 / DT)):
        q, qd = _pose(k * DT)
        y = tcp_gravity_regressor_nm_per_kg(model, q)
        friction = COULOMB * np.sign(qd)
        residual = 0.2 * y + friction + rng.normal(0.0, 0.002 * LIMIT)
        if k % 5 == 0:
            residual[1] = np.nan
        if k % 13 == 0:
            ident.update(np.full(7, np.nan), qd, residual, friction, COULOMB, y, DT, holding=False)
        ident.update(q, qd, residual, friction, COULOMB, y, DT if k % 17 else math.nan, holding=False)
    assert ident.mass_kg == pytest.approx(0.2, rel=0.10)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        PayloadIdentification(LIMIT, noise_frac=0.0)
