"""Adaptive compensation: the friction and backlash compensators take the online estimates,
bounded, joint by joint, and keep the datasheet where there is none."""
from __future__ import annotations

import numpy as np
import pytest

from brainbody.body.adaptive_compensation import AdaptiveCompensation
from brainbody.body.body_config import BodyConfig
from brainbody.body.joint_servo import JointServo
from brainbody.body.robot_model import RobotModel
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.reducer_wear import ReducerWearConfig
from brainbody.sim.scene import SceneConfig, default_urdf_path

NAN = np.nan


def _servo():
    return JointServo(BodyConfig(), RobotModel(default_urdf_path()), 0.001)


def test_estimates_replace_the_datasheet_where_they_exist_within_bounds():
    servo = _servo()
    est = servo.estimates
    adaptive = AdaptiveCompensation(est, servo.friction, servo.backlash, min_factor=0.5, max_factor=3.0)
    total = est.coulomb_nm + est.output_coulomb_nm
    new_coulomb, new_gap = servo.friction.params["coulomb"].copy(), servo.backlash.joints["half_gap"].copy()
    coulomb = np.array([1.2, 10.0, 0.1, NAN, NAN, NAN, NAN]) * total     # 1.2x, too high, too low, unseen
    width = np.array([NAN, NAN, 2.0, NAN, NAN, NAN, NAN]) * est.backlash_rad
    adaptive.follow(coulomb, width)
    np.testing.assert_allclose(adaptive.friction_factor, [1.2, 3.0, 0.5, 1, 1, 1, 1])
    np.testing.assert_allclose(servo.friction.params["coulomb"], new_coulomb * adaptive.friction_factor)
    np.testing.assert_allclose(servo.backlash.joints["half_gap"], new_gap * [1, 1, 2, 1, 1, 1, 1])
    # Estimates lost again (identification switched off): back to the datasheet.
    adaptive.follow(np.full(7, NAN), np.full(7, NAN))
    np.testing.assert_allclose(servo.friction.params["coulomb"], new_coulomb)
    np.testing.assert_allclose(servo.backlash.joints["half_gap"], new_gap)
    with pytest.raises(ValueError):
        AdaptiveCompensation(est, servo.friction, servo.backlash, min_factor=1.5)


def test_the_viscous_term_follows_the_friction_check_within_bounds_and_only_where_it_measured():
    servo = _servo()
    est = servo.estimates
    adaptive = AdaptiveCompensation(est, servo.friction, servo.backlash, min_factor=0.5, max_factor=3.0)
    new_viscous, new_coulomb = servo.friction.params["viscous"].copy(), servo.friction.params["coulomb"].copy()
    viscous = np.array([1.5, 0.2, 10.0, NAN, NAN, NAN, NAN]) * est.viscous_nms_per_rad
    adaptive.follow(None, None, viscous)
    np.testing.assert_allclose(adaptive.viscous_factor, [1.5, 0.5, 3.0, 1, 1, 1, 1])
    np.testing.assert_allclose(servo.friction.params["viscous"], new_viscous * adaptive.viscous_factor)
    np.testing.assert_allclose(servo.friction.params["coulomb"], new_coulomb)      # the Coulomb terms untouched
    # No check any more (identification switched off): back to the datasheet.
    adaptive.follow(None, None, np.full(7, NAN))
    np.testing.assert_allclose(servo.friction.params["viscous"], new_viscous)


def test_a_demagnetised_joint_gets_its_lost_share_back_only_where_flagged_and_plausible():
    servo = _servo()
    adaptive = AdaptiveCompensation(servo.estimates, servo.friction, servo.backlash, min_factor=0.5, max_factor=3.0)
    np.testing.assert_allclose(adaptive.torque_share, 1.0)
    adaptive.follow(None, None, None, np.array([NAN, 0.85, 0.2, 1.3, 0.5, NAN, NAN]))
    # Never taken as stronger than its sheet; a share under the bound is a drive misreporting
    # (the torque would be scaled up 5x): not used.
    np.testing.assert_allclose(adaptive.torque_share, [1, 0.85, 1, 1, 0.5, 1, 1])
    adaptive.follow(None, None, None, None)              # no monitor: the share stands
    np.testing.assert_allclose(adaptive.torque_share, [1, 0.85, 1, 1, 0.5, 1, 1])
    assert adaptive.scales_torque
    adaptive.follow(None, None, None, np.full(7, NAN))   # no joint flagged any more
    np.testing.assert_allclose(adaptive.torque_share, 1.0)
    assert not adaptive.scales_torque


def _friction_factor_after_swings(life_used: float, adaptive: bool):
    wear = ReducerWearConfig(enabled=True, life_used=(life_used,) * 7, friction_growth_at_end=0.5)
    session = SimSession(seed=0, body_config=BodyConfig(adaptive_compensation=adaptive),
                         scene_config=SceneConfig(wear=wear))
    body = session.body
    q0 = body.q_cmd_rad.copy()
    swing = np.array([0.3, 0.0, 0.3, 0.0, 0.6, 0.0, 0.8])
    times, points = [0.0], [q0]
    for k in range(1, 7):
        times.append(1.2 * k)
        points.append(q0 + (swing if k % 2 else -swing))
    times.append(1.2 * 7)
    points.append(q0)
    body.follow_trajectory(times, points)
    session.loop.run_until(lambda: False, max_time_s=times[-1] + 0.5)
    return None if body.adaptive is None else body.adaptive.friction_factor.copy()


def test_the_compensation_follows_friction_grown_with_wear():
    """The same swings on a new unit and on one half through its reducers' life (friction
    1.25x new): the friction compensation of the joints that slid grows by about that much;
    with adaptive_compensation off it stays the datasheet's."""
    assert _friction_factor_after_swings(0.5, adaptive=False) is None
    new, worn = _friction_factor_after_swings(0.0, True), _friction_factor_after_swings(0.5, True)
    moved = [0, 2, 4, 6]
    np.testing.assert_allclose(worn[moved] / new[moved], 1.25, atol=0.07)
    np.testing.assert_allclose(worn[[1, 3, 5]], 1.0)      # not slid both ways: the datasheet
