"""A streamed joint trajectory is ordered by the body's joints and refused when it is wrong."""
import math

import numpy as np
import pytest

from brainbody.body.robot_model import ARM_JOINTS
from brainbody.body.trajectory_command import check_trajectory_command
from brainbody.exceptions import BrainBodyError, ErrorCode

POSE = [0.0, -0.5, 0.0, -2.0, 0.0, 1.5, 0.8]


def check(names=ARM_JOINTS, stamp=0.0, now=10.0, points=((1.0, POSE, ()),)):
    return check_trajectory_command(names, stamp, now, points, arm_joints=ARM_JOINTS, max_age_s=0.5,
                                    max_lead_s=0.05)


def test_points_are_reordered_by_joint_name():
    names = list(reversed(ARM_JOINTS))
    command = check(names=names, points=((1.0, list(reversed(POSE)), list(reversed(range(7)))),))
    assert command.positions_rad[0].tolist() == POSE
    assert command.velocities_radps[0].tolist() == list(range(7))
    assert command.times_s == [1.0]


def test_missing_velocities_are_none():
    assert check().velocities_radps is None


@pytest.mark.parametrize("kwargs, code", [
    (dict(names=ARM_JOINTS[:6]), ErrorCode.INVALID_PRIMITIVE),
    (dict(names=list(ARM_JOINTS[:6]) + ["finger"]), ErrorCode.INVALID_PRIMITIVE),
    (dict(points=()), ErrorCode.INVALID_PRIMITIVE),
    (dict(points=((1.0, POSE[:6], ()),)), ErrorCode.INVALID_PRIMITIVE),
    (dict(points=((1.0, POSE[:6] + [math.nan], ()),)), ErrorCode.INVALID_PRIMITIVE),
    (dict(points=((math.inf, POSE, ()),)), ErrorCode.INVALID_PRIMITIVE),
    (dict(points=((1.0, POSE, [0.0] * 6 + [math.inf]),)), ErrorCode.INVALID_PRIMITIVE),
    (dict(stamp=9.0, now=10.0), ErrorCode.OUT_OF_RANGE),
    (dict(stamp=10.2, now=10.0), ErrorCode.OUT_OF_RANGE),          # in the future
    (dict(stamp=1.7e9, now=10.0), ErrorCode.OUT_OF_RANGE),         # wall clock, body on sim time
    (dict(stamp=math.nan), ErrorCode.INVALID_PRIMITIVE),
])
def test_bad_commands_are_refused_with_a_code(kwargs, code):
    with pytest.raises(BrainBodyError) as err:
        check(**kwargs)
    assert err.value.code is code


def test_a_fresh_or_unstamped_command_passes():
    assert check(stamp=9.8, now=10.0).positions_rad.shape == (1, 7)
    assert check(stamp=10.04, now=10.0).positions_rad.shape == (1, 7)    # within the clock skew allowance
    assert np.all(check(stamp=0.0, now=1e6).positions_rad[0] == POSE)


def test_a_wall_clock_stamp_on_a_sim_time_body_says_so():
    with pytest.raises(BrainBodyError, match="ahead of the body's clock.*another clock"):
        check(stamp=1.7e9, now=12.5)


# -- the body following streamed trajectories -----------------------------------------------
from brainbody.body.diagnostics import Level, commands_status  # noqa: E402
from brainbody.exceptions import OutOfRangeError  # noqa: E402
from brainbody.runtime.sim_session import SimSession  # noqa: E402


@pytest.fixture
def session():
    return SimSession(seed=0)


def test_the_path_between_the_points_is_checked_against_the_workspace(session):
    body = session.body
    swung = body.q_cmd_rad.copy()
    swung[0] += 1.0                  # tool at x ~ 0.17 m, inside the box (x >= 0.15 m)
    velocities = np.zeros((2, 7))
    velocities[0, 0] = 1.0           # the cubic swings joint 1 on to ~1.15 rad between the points: x < 0.15 m
    with pytest.raises(OutOfRangeError, match="outside the workspace box"):
        body.follow_trajectory([1.0, 2.0], np.array([swung, swung]), velocities)
    assert body._trajectory is None
    body.follow_trajectory([1.0, 2.0], np.array([swung, swung]), np.zeros((2, 7)))   # no swing: accepted


def stream_point(body, dq0, t, v0):
    q = body.q_cmd_rad.copy()
    q[0] += dq0
    v = np.zeros(7)
    v[0] = v0
    return (t, q, v)


def test_a_stream_continued_in_time_never_stops_and_one_left_alone_brakes_to_a_hold(session):
    body, loop = session.body, session.loop
    timeout = body.config.trajectory_stream_timeout_s
    start = body.time_s
    body.command_trajectory(ARM_JOINTS, 0.0, [stream_point(body, 0.1, 1.0, 0.2)])
    loop.run_until(lambda: body.time_s > start + 1.0 + 0.5 * timeout)   # coasting, continuation a bit late
    assert body.qd_cmd_radps[0] == pytest.approx(0.2) and body.commands.stream_timeouts == 0
    speed = body.qd_cmd_radps[0]
    body.command_trajectory(ARM_JOINTS, 0.0, [stream_point(body, 0.1, 1.0, 0.0)])
    loop.step()
    assert body.qd_cmd_radps[0] == pytest.approx(speed, abs=0.01)          # continues, no restart from rest
    loop.run_until(lambda: body._trajectory is None, max_time_s=2.0)
    assert body.commands.stream_timeouts == 0                             # it ended at rest: no stream
    # A stream segment nobody continues.
    body.command_trajectory(ARM_JOINTS, 0.0, [stream_point(body, 0.1, 1.0, 0.2)])
    segment = body._trajectory
    end = body.time_s + 1.0
    loop.run_until(lambda: body.time_s > end + timeout - 0.01)
    assert body.commands.stream_timeouts == 0
    loop.run_until(lambda: body.time_s > end + timeout + 0.01)
    assert body.commands.stream_timeouts == 1 and body.commands.last_code == ErrorCode.TIMEOUT
    assert body.commands.last_refused and "no continuation" in body.commands.last_message
    loop.run_until(lambda: body._trajectory is None, max_time_s=1.0)
    np.testing.assert_allclose(body.q_cmd_rad, segment.goal_rad)          # the checked stop
    loop.run_until(lambda: False, max_time_s=0.5)
    assert np.max(np.abs(body.state.qd_radps)) < 0.01                   # holding
    assert body.commands.stream_timeouts == 1


def test_refusals_are_counted_with_their_code_and_reported(session):
    body = session.body
    status = commands_status(body.commands, body.stop_latch)
    assert status.level is Level.OK and dict(status.values)["trajectories_refused"] == "0"
    with pytest.raises(BrainBodyError) as err:
        body.command_trajectory(ARM_JOINTS, body.time_s + 3.0, [stream_point(body, 0.05, 1.0, 0.0)])
    assert err.value.code is ErrorCode.OUT_OF_RANGE and body._trajectory is None
    status = commands_status(body.commands, body.stop_latch)
    values = dict(status.values)
    assert status.level is Level.WARN and "ahead of the body's clock" in status.message
    assert values["trajectories_refused"] == "1" and values["last_refusal_code"] == str(int(ErrorCode.OUT_OF_RANGE))
    assert body.command_trajectory(ARM_JOINTS, body.time_s, [stream_point(body, 0.05, 1.0, 0.0)]) == 1
    status = commands_status(body.commands, body.stop_latch)
    assert status.level is Level.OK and dict(status.values)["trajectories_accepted"] == "1"
    body.estop()
    status = commands_status(body.commands, body.stop_latch)
    assert status.level is Level.WARN and dict(status.values)["estop_latched"] == "true"
