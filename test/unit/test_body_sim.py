"""The body controller driving the MuJoCo plant (no ROS), judged by simulator ground truth.

Each test builds its own session (about 0.4 s) so no state leaks between tests.
"""
import math

import numpy as np
import pytest

from brainbody.exceptions import ErrorCode, RequestError
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession

HOME = TaskPrimitive("home", PrimitiveKind.HOME)
REACH = TaskPrimitive("reach", PrimitiveKind.REACH, object_id="cup")
GRASP = TaskPrimitive("grasp", PrimitiveKind.GRASP, object_id="cup", grip_force_n=3.0)


@pytest.fixture
def session():
    return SimSession(seed=0)


def run(session, primitive, max_time_s=20.0):
    session.refresh_world()
    execution = session.body.execute(primitive)
    session.run_until_done(execution, max_time_s=max_time_s)
    report = session.body.report(execution)
    assert report.status is Status.SUCCEEDED, f"{primitive.describe()}: {report.message}"
    return report


def ticks(session, n):
    for _ in range(n):
        session.body.tick()


def cup_position(session):
    return session.sim.data.body("cup").xpos.copy()


def snapshot(session):
    state = session.sim.read()
    return state.q_rad.copy(), state.finger_pos_m.copy(), cup_position(session)


def assert_nothing_moved(before, after):
    q0, f0, cup0 = before
    q1, f1, cup1 = after
    np.testing.assert_allclose(q1, q0, atol=1e-3, err_msg="an arm joint moved")
    np.testing.assert_allclose(f1, f0, atol=1e-3, err_msg="a finger moved")
    np.testing.assert_allclose(cup1, cup0, atol=1e-4, err_msg="the cup moved")


BAD = [
    (TaskPrimitive("crush", PrimitiveKind.GRASP, object_id="cup", grip_force_n=50.0), ErrorCode.FORCE_LIMIT),
    (TaskPrimitive("nan", PrimitiveKind.REACH, object_id="cup", max_speed_mps=math.nan),
     ErrorCode.INVALID_PRIMITIVE),
    (TaskPrimitive("fast", PrimitiveKind.REACH, object_id="cup", max_speed_mps=5.0), ErrorCode.OUT_OF_RANGE),
    (TaskPrimitive("ghost", PrimitiveKind.REACH, object_id="teapot"), ErrorCode.UNKNOWN_OBJECT),
    (TaskPrimitive("dance", "dance"), ErrorCode.INVALID_PRIMITIVE),
    (TaskPrimitive("lift", PrimitiveKind.LIFT), ErrorCode.PRECONDITION_FAILED),
    (TaskPrimitive("pour", PrimitiveKind.POUR, object_id="cup"), ErrorCode.UNSUPPORTED),
]


@pytest.mark.parametrize("primitive,code", BAD, ids=[p.id for p, _ in BAD])
def test_refused_primitive_moves_nothing(session, primitive, code):
    ticks(session, 50)      # let contacts settle after the initial forward pass
    before = snapshot(session)
    session.refresh_world()
    with pytest.raises(RequestError) as info:
        session.body.execute(primitive)
    assert info.value.code is code
    ticks(session, 200)
    assert_nothing_moved(before, snapshot(session))
    assert session.body.execution is None


def test_refused_primitive_after_a_reach_moves_nothing(session):
    run(session, REACH)
    ticks(session, 300)
    before = snapshot(session)
    bad = TaskPrimitive("crush", PrimitiveKind.GRASP, object_id="cup", grip_force_n=50.0)
    with pytest.raises(RequestError) as info:
        session.body.execute(bad)
    assert info.value.code is ErrorCode.FORCE_LIMIT
    ticks(session, 200)
    assert_nothing_moved(before, snapshot(session))
    assert session.sim.judge.peak_squeeze_n == 0.0


def test_home_then_reach_puts_the_tool_above_the_cup(session):
    run(session, HOME)
    np.testing.assert_allclose(session.sim.read().q_rad, session.body_config.home_q_rad, atol=0.02)
    cup = cup_position(session)
    report = run(session, REACH)
    tool = np.asarray(report.tool_position_m)
    # Straight above the cup (ground truth position), clear of its rim, fingers open.
    assert np.linalg.norm(tool[:2] - cup[:2]) < 0.01
    assert tool[2] > cup[2] + session.scene_config.cup_height_m / 2
    assert session.body.finger_opening_m > session.body_config.finger_open_m - 0.005
    assert session.sim.judge.peak_squeeze_n == 0.0
    np.testing.assert_allclose(cup_position(session), cup, atol=1e-3)


def test_grasp_regulates_the_force_without_crushing_the_cup(session):
    run(session, REACH)
    report = run(session, GRASP)
    assert session.body.holding == "cup"
    crush = session.scene_config.cup_crush_force_n
    assert report.peak_grip_force_n < crush
    forces = []
    for _ in range(500):
        session.body.tick()
        forces.append(session.body.grip.measured_force_n)
    assert np.all(np.abs(np.asarray(forces) - GRASP.grip_force_n) < 0.3), (min(forces), max(forces))
    # Ground truth from the contact solver, not the controller's sensor.
    assert 0.5 * GRASP.grip_force_n < session.sim.judge.peak_squeeze_n < crush
    assert not session.sim.judge.crushed


def test_cancel_during_a_reach_stops_the_arm(session):
    session.refresh_world()
    execution = session.body.execute(REACH)
    moved_from = session.sim.read().q_rad.copy()
    while session.body.time_s < 1.0:
        session.body.tick()
    assert execution.status is Status.RUNNING
    assert np.max(np.abs(session.sim.read().q_rad - moved_from)) > 0.05, "the reach should be under way"
    session.body.cancel()
    assert execution.status is Status.CANCELED
    assert session.body.report(execution).error_code == ErrorCode.CANCELED
    ticks(session, 300)
    settled = session.sim.read()
    assert np.max(np.abs(settled.qd_radps)) < 0.02
    ticks(session, 500)
    np.testing.assert_allclose(session.sim.read().q_rad, settled.q_rad, atol=1e-3)
    # The body accepts new work after a cancel.
    run(session, HOME)


def test_a_waiter_woken_by_the_end_of_a_primitive_finds_its_status_and_error_set(session):
    # A thread blocked in execution.wait() reads status and error as soon as it wakes: both
    # must be set before the wake-up, for a cancel, a failure and a success alike.
    import threading

    seen = []

    class Recording(threading.Event):
        def set(self):
            seen.append((execution.status, execution.error))
            super().set()

    session.refresh_world()
    execution = session.body.execute(REACH)
    execution._ended = Recording()
    ticks(session, 50)
    session.body.cancel()
    assert seen and seen[0][0] is Status.CANCELED and seen[0][1].code == ErrorCode.CANCELED
    assert execution.wait(0.0)

    seen.clear()
    execution = session.body.execute(HOME)
    execution._ended = Recording()
    session.run_until_done(execution, max_time_s=10.0)
    assert seen == [(Status.SUCCEEDED, None)] and execution.progress == 1.0


def test_estop_refuses_new_primitives_and_stops_motion(session):
    session.refresh_world()
    execution = session.body.execute(REACH)
    while session.body.time_s < 0.8:
        session.body.tick()
    session.body.estop()
    assert execution.status is Status.CANCELED
    for primitive in (HOME, REACH, TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=1.0)):
        with pytest.raises(RequestError) as info:
            session.body.execute(primitive)
        assert info.value.code is ErrorCode.ESTOP_ACTIVE
    with pytest.raises(RequestError) as info:
        session.body.follow_trajectory([1.0], [session.body_config.home_q_rad])
    assert info.value.code is ErrorCode.ESTOP_ACTIVE
    ticks(session, 300)
    stopped = session.sim.read().q_rad.copy()
    ticks(session, 300)
    np.testing.assert_allclose(session.sim.read().q_rad, stopped, atol=1e-3)
    assert session.body.reset().success
    run(session, HOME)


def test_estop_while_carrying_the_cup_keeps_it_gripped(session):
    run(session, REACH)
    run(session, GRASP)
    session.refresh_world()
    execution = session.body.execute(TaskPrimitive("lift", PrimitiveKind.LIFT, lift_height_m=0.1))
    start = session.body.time_s
    while session.body.time_s < start + 0.3:
        session.body.tick()
    assert execution.status is Status.RUNNING
    session.body.estop()
    ticks(session, 1000)
    # Judged by the simulator: the cup is still in the hand, off the table, not crushed.
    assert session.body.holding == "cup"
    assert not session.sim.judge.dropped and not session.sim.judge.crushed
    assert cup_position(session)[2] - session.scene_config.cup_height_m / 2 > 0.01
    assert session.body.grip.measured_force_n > 1.0
    assert np.max(np.abs(session.sim.read().qd_radps)) < 0.01


def test_scene_smoke_holding_the_cup_raises_no_mujoco_warnings(session):
    run(session, REACH)
    run(session, GRASP)
    run(session, TaskPrimitive("lift", PrimitiveKind.LIFT, lift_height_m=0.05))
    in_hand = cup_position(session) - session.body.tcp_position_m
    steps = int(round(1.0 / session.sim.period_s))
    ticks(session, steps)
    assert session.sim.mujoco_warnings() == 0
    assert session.body.holding == "cup"
    assert not session.sim.judge.dropped and not session.sim.judge.crushed
    # The cup stays off the table and does not slip in the fingers.
    assert cup_position(session)[2] - session.scene_config.cup_height_m / 2 > 0.03
    np.testing.assert_allclose(cup_position(session) - session.body.tcp_position_m, in_hand, atol=1e-3)
    assert np.all(np.isfinite(session.sim.data.qpos))


# -- the hardware seam: capabilities are checked before anything is commanded --------------
def test_the_embedded_simulator_declares_what_it_offers():
    from brainbody.body.hardware import CommandMode, GripForceSource
    caps = SimSession(seed=0).sim.capabilities
    assert caps.command_modes == {CommandMode.EFFORT}
    assert caps.grip_force_sources() == {GripForceSource.PAD_SENSORS, GripForceSource.FINGER_EFFORT}
    assert caps.link_encoders        # the harmonic profile has output-side encoders


@pytest.mark.parametrize("changes, words", [
    (dict(command_mode="position"), "does not take command mode 'position' (it offers: effort)"),
    (dict(grip_force_source="wrist_wrench"), "has no wrist_wrench for the grip force"),
])
def test_a_configuration_the_backend_cannot_serve_is_refused_at_start(changes, words):
    import dataclasses
    from brainbody.body.body_config import BodyConfig
    from brainbody.exceptions import ErrorCode, HardwareMismatchError
    with pytest.raises(HardwareMismatchError) as err:
        SimSession(seed=0, body_config=dataclasses.replace(BodyConfig(), **changes))
    assert err.value.code is ErrorCode.HARDWARE_MISMATCH
    assert words in str(err.value) and "'embedded'" in str(err.value)


def test_the_grip_loop_closes_on_the_source_configured():
    """The sim offers pads and finger effort; the body reads the one it was told to (a source it
    ignored would pass for the other)."""
    import dataclasses
    from brainbody.body.body_config import BodyConfig
    from brainbody.body.grip_force_source import FingerEffortSource, PadSensorForce
    effort = SimSession(seed=0, body_config=dataclasses.replace(BodyConfig(), grip_force_source="finger_effort"))
    assert isinstance(effort.body.grip_source, FingerEffortSource)
    assert isinstance(SimSession(seed=0).body.grip_source, PadSensorForce)


def test_unknown_command_mode_or_grip_source_is_a_config_error():
    from brainbody.body.body_config import BodyConfig
    with pytest.raises(ValueError, match="command_mode must be one of"):
        BodyConfig(command_mode="velocity")
    with pytest.raises(ValueError, match="grip_force_source must be one of"):
        BodyConfig(grip_force_source="magic")
