"""The drivetrain check: it loads every gear stage both ways, so the two-encoder identification
sees gaps that normal work (the arm held up against gravity) never shows."""
from __future__ import annotations

import math

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.drivetrain_check import ELBOW_FREE_RAD, SHOULDER_FREE_RAD, check_trajectory
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
