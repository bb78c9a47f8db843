"""A streamed joint trajectory is ordered by the body's joints and refused when it is wrong."""
import math

import numpy as np
import pytest

from brainbody.body.robot_model import ARM_JOINTS
from brainbody.body.trajectory_command import check_trajectory_command
from brainbody.exceptions import BrainBodyError, ErrorCode

POSE = [0.0, -0.5, 0.0, -2.0, 0.0, 1.5, 0.8]


def check(names=ARM_JOINTS, stamp=0.0, now=10.0, points=((1.0, POSE, ()),)):
    return check_trajectory_command(names, stamp, now, points, arm_joints=ARM_JOINTS, max_age_s=0.5)


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
])
def test_bad_commands_are_refused_with_a_code(kwargs, code):
    with pytest.raises(BrainBodyError) as err:
        check(**kwargs)
    assert err.value.code is code


def test_a_fresh_or_unstamped_command_passes():
    assert check(stamp=9.8, now=10.0).positions_rad.shape == (1, 7)
    assert np.all(check(stamp=0.0, now=1e6).positions_rad[0] == POSE)
