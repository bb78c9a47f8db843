"""The fallback controller's reaction by its reason (body/fallback.py), tick by tick on made-up
samples: a collision yields and then holds where the arm came to rest; any other trip brakes
along the motion. (On the MuJoCo plant: test_runtime_monitor.py, test_obstacle.py.)"""
from __future__ import annotations

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.hardware import HardwareState
from brainbody.body.robot_model import RobotModel
from brainbody.exceptions import ErrorCode, MonitorTripError
from brainbody.body.fallback import Fallback
from brainbody.sim.scene import default_urdf_path

Q0 = np.asarray(BodyConfig().home_q_rad)
MOVING = np.array([0.0, 0.5, 0.0, -0.3, 0.0, 0.2, 0.0])       # rad/s


@pytest.fixture(scope="module")
def model():
    return RobotModel(default_urdf_path())


def sample(time_s, q=Q0, qd=MOVING) -> HardwareState:
    return HardwareState(time_s=time_s, q_rad=np.array(q, dtype=float), qd_radps=np.array(qd, dtype=float),
                         finger_pos_m=np.zeros(2), finger_vel_mps=np.zeros(2), pad_force_n=np.zeros(2))


def engaged(model, code, *, effort_mode=True) -> Fallback:
    fallback = Fallback(BodyConfig(), model, effort_mode=effort_mode)
    fallback.engage(sample(1.0), MonitorTripError("made up", code=code), last_arm=np.zeros(7))
    return fallback


def test_a_collision_yields_with_damping_only_then_holds_where_the_arm_came_to_rest(model):
    config = BodyConfig()
    fallback = engaged(model, ErrorCode.COLLISION)
    # Expect: no stiffness while yielding, whatever the position; only gravity and damping.
    pushed_back = Q0 - 0.01
    arm, _ = fallback.command(sample(1.01, q=pushed_back), None, squeeze_n=0.0)
    expected = model.gravity_nm(pushed_back) - np.asarray(config.joint_damping_nms_per_rad) * MOVING
    assert np.allclose(arm, np.clip(expected, -model.effort_limit_nm, model.effort_limit_nm))
    assert fallback.yielding and fallback.braking(1.01)
    # At rest, but too soon: an arm stopped by the impact is still pressed by its gears' twist.
    fallback.command(sample(1.02, q=pushed_back, qd=np.zeros(7)), None, squeeze_n=0.0)
    assert fallback.yielding
    # At rest after the minimum: it holds there (gravity only at that spot), braking done.
    rest = sample(1.06, q=pushed_back, qd=np.zeros(7))
    arm, _ = fallback.command(rest, None, squeeze_n=0.0)
    assert not fallback.yielding and not fallback.braking(1.06)
    assert np.allclose(fallback.hold_rad, pushed_back)
    assert np.allclose(arm, model.gravity_nm(pushed_back))


def test_a_collision_that_keeps_pushing_is_yielded_to_for_a_bounded_time(model):
    fallback = engaged(model, ErrorCode.COLLISION)
    for k in range(1, 400):                        # still moving after 0.4 s
        fallback.command(sample(1.0 + 0.001 * k), None, squeeze_n=0.0)
        if not fallback.yielding:
            break
    assert not fallback.yielding and 0.29 <= 0.001 * k <= 0.31


def test_any_other_trip_brakes_along_the_motion(model):
    fallback = engaged(model, ErrorCode.JOINT_LIMIT)
    assert not fallback.yielding and fallback.braking(1.0)
    duration_s = np.max(np.abs(MOVING)) / BodyConfig().stop_deceleration_radps2
    assert np.allclose(fallback.hold_rad, Q0 + 0.5 * MOVING * duration_s)


def test_a_collision_in_position_mode_holds_the_set_point_where_the_arm_was(model):
    fallback = engaged(model, ErrorCode.COLLISION, effort_mode=False)
    arm, _ = fallback.command(sample(1.05, q=Q0 + 0.02), None, squeeze_n=0.0)
    assert np.allclose(arm, Q0) and not fallback.yielding
    # Another trip in position mode: the set-point brakes along the motion, ahead of the arm.
    other = engaged(model, ErrorCode.JOINT_LIMIT, effort_mode=False)
    arm, _ = other.command(sample(1.05), None, squeeze_n=0.0)
    assert np.all(np.sign(arm - Q0)[MOVING != 0] == np.sign(MOVING[MOVING != 0]))


def test_a_held_object_stays_gripped_while_yielding(model):
    fallback = engaged(model, ErrorCode.COLLISION)
    _, finger = fallback.command(sample(1.01), None, squeeze_n=3.0)
    assert np.allclose(finger, [-3.0, -3.0])        # closing at the object's target force
