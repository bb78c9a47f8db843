"""The drivetrain check: it loads every gear stage both ways, so the two-encoder identification
sees gaps that normal work (the arm held up against gravity) never shows."""
from __future__ import annotations

import math

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.drivetrain_check import ELBOW_FREE_RAD, SHOULDER_FREE_RAD, FlankFit, check_trajectory
from brainbody.body.robot_model import RobotModel
from brainbody.exceptions import BusyError, ErrorCode, InvalidPrimitiveError
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import SceneConfig, default_urdf_path

ARCMIN = math.pi / (180 * 60)


def test_its_poses_leave_the_shoulder_then_the_elbow_without_gravity_load():
    model = RobotModel(default_urdf_path())
    assert abs(model.gravity_nm(SHOULDER_FREE_RAD)[1]) < 0.3
    assert abs(model.gravity_nm(ELBOW_FREE_RAD)[3]) < 0.3
    times, points = check_trajectory(BodyConfig().home_q_rad)
    assert np.all(np.diff(times) > 0.0)
    np.testing.assert_allclose(points[-1], BodyConfig().home_q_rad)   # back where it started


def test_the_check_identifies_the_gravity_loaded_joints_on_an_honest_unit():
    session = SimSession(seed=1, scene_config=SceneConfig(plant="honest", robot_seed=0))
    body = session.body
    start = body.q_cmd_rad.copy()
    assert not body.backlash_id.observed[[1, 3]].any()       # before: nothing on shoulder and elbow
    duration = body.check_drivetrain()
    session.loop.run_until(lambda: False, max_time_s=duration + 0.3)
    true = np.array([d.lost_motion_rad for d in session.scene_config.drivetrains()])
    width = body.backlash_id.width_rad
    assert body.backlash_id.observed[:6].all(), width / ARCMIN
    # Within a third of the unit's true gap (the twist under the model's torque estimate is
    # what is left); the datasheet's 1.1 arcmin is no estimate of a unit at all.
    np.testing.assert_array_less(np.abs(width[:6] / true[:6] - 1.0), 0.35)
    assert body.monitor_trips == 0
    np.testing.assert_allclose(body.q_cmd_rad, start, atol=1e-9)
    # The check's own fit (what the wear record takes as this unit's baseline) on joints 1-6.
    fitted = body.last_check_width_rad
    np.testing.assert_array_less(np.abs(fitted[:6] / true[:6] - 1.0), 0.3)
    np.testing.assert_array_equal(body.wear.baseline_rad[:6], fitted[:6])


def _flank_samples(rng, n, width, twist_error_per_nm, limit):
    """Residuals as a gear with ``width`` shows them under a twist model off by
    ``twist_error_per_nm`` (rad per N m), with encoder noise and a few samples mid-gap."""
    torque = rng.uniform(-0.3, 0.3, n) * limit
    residual = np.sign(torque) * width / 2 + twist_error_per_nm * torque + rng.normal(0.0, 0.02 * width, n)
    crossing = rng.random(n) < 0.05
    residual[crossing] = rng.uniform(-width / 2, width / 2, crossing.sum())
    return torque, residual


class _Rigid:
    """A twist model of zero: the residual is the deflection itself."""
    def deflection_rad(self, torque):
        return np.zeros_like(np.asarray(torque, dtype=float))


def test_the_flank_fit_leaves_the_twist_models_error_out_where_flank_means_keep_it():
    rng = np.random.default_rng(4)
    limit = np.full(7, 87.0)
    widths = np.linspace(0.8, 2.2, 7) * ARCMIN
    # Twist model errors of up to 0.3 arcmin at a tenth of the limit (rad per N m).
    errors = np.array([-0.3, -0.15, 0.0, 0.15, 0.3, -0.2, 0.2]) * ARCMIN / 8.7
    fit = FlankFit(_Rigid(), limit)
    samples = [_flank_samples(rng, 600, widths[j], errors[j], limit[j]) for j in range(7)]
    for k in range(600):
        residual = np.array([samples[j][1][k] for j in range(7)])
        fit.add(residual, np.zeros(7), np.array([samples[j][0][k] for j in range(7)]))
    width = fit.width_rad()
    np.testing.assert_allclose(width, widths, rtol=0.05)
    # What the flank means give on the same samples: off by the twist error at the mean load.
    torque = np.array([s[0] for s in samples])
    residual = np.array([s[1] for s in samples])
    band = (np.abs(torque) > 0.01 * 87.0) & (np.abs(torque) < 0.3 * 87.0)
    means = np.array([residual[j][band[j] & (torque[j] > 0)].mean() - residual[j][band[j] & (torque[j] < 0)].mean()
                      for j in range(7)])
    assert np.max(np.abs(means / widths - 1.0)) > 0.2
    # Too few samples on a flank: no estimate.
    lonely = FlankFit(_Rigid(), limit)
    for _ in range(100):
        lonely.add(np.full(7, 1e-4), np.zeros(7), np.full(7, 5.0))      # one flank only
    assert np.isnan(lonely.width_rad()).all()
    assert np.isnan(FlankFit(_Rigid(), limit).width_rad()).all()


def test_the_check_is_refused_without_link_encoders_with_an_object_in_hand_or_while_busy():
    budget = SimSession(seed=0, body_config=BodyConfig(drivetrain_estimates=("budget_planetary",) * 7),
                        sim_drivetrain=("budget_planetary",) * 7).body
    with pytest.raises(InvalidPrimitiveError, match="no link encoders") as refused:
        budget.check_drivetrain()
    assert refused.value.code is ErrorCode.INVALID_PRIMITIVE
    session = SimSession(seed=0)
    body = session.body
    body.holding = "cup"
    with pytest.raises(InvalidPrimitiveError, match="holds 'cup'"):
        body.check_drivetrain()
    body.holding = None
    from brainbody.brain.planner import Planner
    from brainbody.brain.skills import load_catalogue
    plan = Planner(load_catalogue(), body.world).plan("go home")
    body.execute(plan.primitives[0])
    with pytest.raises(BusyError):
        body.check_drivetrain()
