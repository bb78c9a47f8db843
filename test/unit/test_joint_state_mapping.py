"""Joint states and commands of a topic backend, matched to the body's joints by name."""
import math

import numpy as np
import pytest

from brainbody.body.joint_state_mapping import JointStateMapping
from brainbody.body.robot_model import ARM_JOINTS, FINGER_JOINTS
from brainbody.exceptions import ErrorCode, InvalidStateError

BODY = list(ARM_JOINTS) + list(FINGER_JOINTS)


def mapping(command_joints=BODY):
    return JointStateMapping(ARM_JOINTS, FINGER_JOINTS, command_joints)


def test_state_is_reordered_by_name_and_extra_joints_are_ignored():
    names = ["extra_wheel"] + list(reversed(BODY))
    values = [99.0] + list(reversed(range(9)))
    state = mapping().state(1.0, names, [float(v) for v in values], [0.1 * v for v in values])
    assert state.q_rad.tolist() == list(range(7))
    assert state.finger_pos_m.tolist() == [7.0, 8.0]
    assert state.qd_radps == pytest.approx(0.1 * np.arange(7))
    assert state.time_s == 1.0


def test_pad_normal_force_is_the_magnitude_along_the_face_normal():
    pads = np.array([[0.1, -3.0, 0.2], [0.0, 2.5, 0.0]])
    state = mapping().state(1.0, BODY, [0.0] * 9, [0.0] * 9, pad_force_xyz_n=pads)
    assert state.pad_force_n.tolist() == [3.0, 2.5]
    assert state.pad_force_xyz_n.tolist() == pads.tolist()


@pytest.mark.parametrize("names, positions, velocities, words", [
    (BODY[:-1], [0.0] * 8, [0.0] * 8, "lacks ['panda_finger_joint2']"),
    (BODY, [0.0] * 8, [0.0] * 9, "9 names but 8 positions"),
    (BODY, [0.0] * 9, [], "9 names but 9 positions and 0 velocities"),
    (BODY, [0.0] * 6 + [math.nan] + [0.0] * 2, [0.0] * 9, "non-finite values for ['panda_joint7']"),
    (BODY, [0.0] * 9, [math.inf] + [0.0] * 8, "non-finite values for ['panda_joint1']"),
    (BODY + ["panda_joint1"], [0.0] * 10, [0.0] * 10, "repeats a joint name"),
])
def test_malformed_states_are_refused_with_a_code(names, positions, velocities, words):
    with pytest.raises(InvalidStateError) as err:
        mapping().state(1.0, names, positions, velocities)
    assert err.value.code is ErrorCode.HARDWARE_STATE_INVALID
    assert words in str(err.value)


def test_a_stamp_that_goes_back_is_refused_and_a_repeat_is_skipped():
    m = mapping()
    assert m.state(2.0, BODY, [0.0] * 9, [0.0] * 9) is not None
    assert m.state(2.0, BODY, [1.0] * 9, [0.0] * 9) is None          # the same sample again
    with pytest.raises(InvalidStateError, match="went backwards"):
        m.state(1.999, BODY, [0.0] * 9, [0.0] * 9)
    with pytest.raises(InvalidStateError, match="not finite"):
        m.state(math.nan, BODY, [0.0] * 9, [0.0] * 9)
    assert m.state(2.002, BODY, [0.0] * 9, [0.0] * 9).time_s == 2.002   # refusals moved nothing


def test_bad_pad_forces_are_refused():
    with pytest.raises(InvalidStateError, match="pad forces"):
        mapping().state(1.0, BODY, [0.0] * 9, [0.0] * 9, pad_force_xyz_n=np.full((2, 3), math.nan))


def test_commands_follow_the_controllers_joint_order():
    order = list(FINGER_JOINTS) + list(reversed(ARM_JOINTS)) + ["conveyor"]
    command = mapping(order).command(np.arange(1.0, 8.0), np.array([10.0, 20.0]))
    assert command == [10.0, 20.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]


def test_a_controller_without_a_body_joint_is_refused_at_start():
    with pytest.raises(ValueError, match="lacks \\['panda_joint3'\\]"):
        mapping([n for n in BODY if n != "panda_joint3"])
    with pytest.raises(ValueError, match="repeat"):
        mapping(BODY + ["panda_joint1"])


def test_finger_efforts_by_name_and_refused_when_the_grip_needs_them():
    names = list(reversed(BODY))
    efforts = [float(v) for v in reversed(range(9))]      # effort i on body joint i
    state = mapping().state(1.0, names, [0.0] * 9, [0.0] * 9, efforts=efforts)
    assert state.finger_effort_n.tolist() == [7.0, 8.0]
    assert mapping().state(1.0, BODY, [0.0] * 9, [0.0] * 9).finger_effort_n is None   # not reported
    needs = JointStateMapping(ARM_JOINTS, FINGER_JOINTS, BODY, need_finger_effort=True)
    for bad, words in (([], "reports no effort"), ([0.0] * 8, "9 names but 8 efforts"),
                       ([0.0] * 8 + [math.nan], "non-finite efforts")):
        with pytest.raises(InvalidStateError, match=words) as refused:
            needs.state(2.0, BODY, [0.0] * 9, [0.0] * 9, efforts=bad)
        assert refused.value.code == ErrorCode.HARDWARE_STATE_INVALID
