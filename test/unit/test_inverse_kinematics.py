"""Inverse kinematics: round trips through forward kinematics, limits, typed failure."""
import pathlib

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.inverse_kinematics import solve_ik
from brainbody.body.robot_model import RobotModel
from brainbody.exceptions import ErrorCode, UnreachableError

URDF = pathlib.Path(__file__).resolve().parents[2] / "urdf" / "panda.urdf"
HOME = np.asarray(BodyConfig().home_q_rad)
R_DOWN = np.diag([1.0, -1.0, -1.0])


@pytest.fixture(scope="module")
def model():
    return RobotModel(URDF)


def rotation_error_rad(r_a, r_b):
    cos = (np.trace(r_a.T @ r_b) - 1.0) / 2.0
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


def random_configs(model, n, spread_rad, seed):
    rng = np.random.default_rng(seed)
    margin = 0.05
    q = HOME + rng.uniform(-spread_rad, spread_rad, size=(n, 7))
    return np.clip(q, model.lower_rad + margin, model.upper_rad - margin)


def test_model_matches_the_panda(model):
    assert model.lower_rad.shape == model.upper_rad.shape == (7,)
    assert np.all(model.lower_rad < HOME) and np.all(HOME < model.upper_rad)
    assert np.all(model.velocity_limit_radps > 0)
    pos, rot = model.tcp_pose(HOME)
    # The ready pose: tool in front of the base, pointing down, well above the table.
    assert 0.2 < pos[0] < 0.7 and abs(pos[1]) < 0.05 and 0.2 < pos[2] < 0.7
    assert rotation_error_rad(rot, R_DOWN) < 0.05


def test_jacobian_matches_finite_differences(model):
    q = random_configs(model, 1, 0.4, seed=3)[0]
    jac = model.tcp_jacobian(q)
    eps = 1e-6
    for j in range(7):
        dq = np.zeros(7)
        dq[j] = eps
        p1, _ = model.tcp_pose(q + dq)
        p0, _ = model.tcp_pose(q - dq)
        np.testing.assert_allclose((p1 - p0) / (2 * eps), jac[:3, j], atol=1e-5)


@pytest.mark.parametrize("index", range(12))
def test_round_trip_from_a_perturbed_seed(model, index):
    q_true = random_configs(model, 12, 0.5, seed=7)[index]
    pos, rot = model.tcp_pose(q_true)
    rng = np.random.default_rng(100 + index)
    seed = q_true + rng.uniform(-0.15, 0.15, size=7)
    q = solve_ik(model, pos, rot, seed)
    assert q.shape == (7,) and np.all(np.isfinite(q))
    assert np.all(q >= model.lower_rad) and np.all(q <= model.upper_rad)
    got_pos, got_rot = model.tcp_pose(q)
    assert np.linalg.norm(got_pos - pos) < 1e-3
    assert rotation_error_rad(got_rot, rot) < 0.01


def test_tool_down_targets_over_the_table_from_home(model):
    for xyz in [(0.45, -0.2, 0.1), (0.45, 0.25, 0.42), (0.3, -0.45, 0.05), (0.6, 0.3, 0.3)]:
        q = solve_ik(model, np.array(xyz), R_DOWN, HOME, q_posture_rad=HOME)
        pos, rot = model.tcp_pose(q)
        assert np.linalg.norm(pos - xyz) < 1e-3, xyz
        assert rotation_error_rad(rot, R_DOWN) < 0.01, xyz
        assert np.all(q >= model.lower_rad) and np.all(q <= model.upper_rad)


def test_solving_from_the_solution_is_a_fixed_point(model):
    pos, rot = model.tcp_pose(HOME)
    np.testing.assert_allclose(solve_ik(model, pos, rot, HOME), HOME, atol=1e-9)


@pytest.mark.parametrize("target", [
    (2.0, 0.0, 0.3), (0.0, 0.0, 2.3), (-1.5, -1.5, 0.0),
    (np.nan, 0.0, 0.3), (0.4, np.inf, 0.3), (0.4, 0.0),
])
def test_unreachable_or_malformed_targets_raise(model, target):
    with pytest.raises(UnreachableError) as info:
        solve_ik(model, np.array(target, dtype=float), R_DOWN, HOME)
    assert info.value.code is ErrorCode.UNREACHABLE
    assert str(info.value)


def test_unreachable_does_not_return_a_partial_solution_silently(model):
    # Reachable position with an orientation the wrist cannot combine with it near the base.
    with pytest.raises(UnreachableError):
        solve_ik(model, np.array([0.05, 0.0, 0.05]), R_DOWN, HOME)


def test_nan_rotation_or_seed_raise(model):
    target = np.array([0.45, 0.0, 0.3])
    with pytest.raises(UnreachableError):
        solve_ik(model, target, np.full((3, 3), np.nan), HOME)
    with pytest.raises(UnreachableError):
        solve_ik(model, target, R_DOWN, np.full(7, np.nan))
