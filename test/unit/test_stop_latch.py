"""The latched stop: the e-stop and faults latch; only a reset clears them, and only while the
arm is at rest with a sane state."""
import math

import numpy as np
import pytest

from brainbody.body.hardware import HardwareState
from brainbody.body.stop_latch import StopLatch, state_problem
from brainbody.body.trajectory import BrakingTrajectory
from brainbody.exceptions import ErrorCode, RequestError, StaleStateError
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession

REST = 0.01


def state(qd=0.0, **changes):
    values = dict(time_s=1.0, q_rad=np.zeros(7), qd_radps=np.full(7, qd), finger_pos_m=np.full(2, 0.04),
                  finger_vel_mps=np.zeros(2), pad_force_n=np.zeros(2))
    values.update(changes)
    return HardwareState(**values)


def latched():
    latch = StopLatch(rest_speed_radps=REST)
    latch.latch_estop()
    return latch


def test_nothing_latched_resets_trivially():
    outcome = StopLatch(rest_speed_radps=REST).reset(state(qd=1.0))
    assert outcome.success and "nothing latched" in outcome.message


def test_a_reset_while_moving_is_refused_with_the_joint_and_its_speed():
    latch = latched()
    qd = np.zeros(7)
    qd[2] = -0.05
    outcome = latch.reset(state(qd_radps=qd))
    assert not outcome.success and latch.active
    assert "not at rest" in outcome.message and "joint 3 at 0.050 rad/s" in outcome.message


@pytest.mark.parametrize("field", ["q_rad", "qd_radps", "pad_force_n", "finger_pos_m"])
def test_a_reset_on_a_non_finite_state_is_refused(field):
    latch = latched()
    bad = np.zeros(7 if field.startswith("q") else 2)
    bad[1] = math.nan
    outcome = latch.reset(state(**{field: bad}))
    assert not outcome.success and latch.active and f"non-finite {field}" in outcome.message


def test_a_reset_on_a_stale_state_or_while_braking_is_refused():
    latch = latched()
    outcome = latch.reset(state(), state_error="no fresh /joint_states for 300 ms")
    assert not outcome.success and "no fresh /joint_states" in outcome.message
    outcome = latch.reset(state(), braking=True)
    assert not outcome.success and "braking" in outcome.message
    assert latch.active


def test_a_reset_at_rest_clears_the_estop_and_the_fault_and_says_what():
    latch = latched()
    latch.latch_fault(StaleStateError("no fresh state"))
    latch.latch_fault(RequestError("a consequence"))          # the first fault is the cause: kept
    assert latch.fault.code is ErrorCode.HARDWARE_STATE_STALE
    outcome = latch.reset(state(qd=0.5 * REST))
    assert outcome.success and not latch.active
    assert "emergency stop" in outcome.message and "fault 304" in outcome.message


def test_state_problem_names_the_field():
    assert state_problem(state()) is None
    assert state_problem(state(time_s=math.inf)) == "non-finite time_s in the hardware state"
    xyz = np.zeros((2, 3))
    xyz[1, 2] = math.nan
    assert "pad_force_xyz_n" in state_problem(state(pad_force_xyz_n=xyz))


# -- the controller ------------------------------------------------------------------------
@pytest.fixture
def session():
    return SimSession(seed=0)


def moving_arm(session):
    """A streamed trajectory under way: returns the body."""
    body = session.body
    goal = body.q_cmd_rad + np.array([0.4, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    body.follow_trajectory([1.0], [goal])
    session.loop.run_until(lambda: body.time_s > 0.5)
    assert np.max(np.abs(body.qd_cmd_radps)) > 0.3
    return body


def test_estop_brakes_from_the_next_tick_and_a_reset_is_refused_until_the_arm_rests(session):
    body = moving_arm(session)
    speed_before = np.max(np.abs(body.qd_cmd_radps))
    body.estop()
    assert isinstance(body._trajectory, BrakingTrajectory)
    session.loop.step()
    # Expect: one tick later the commanded speed has fallen by the stop deceleration x period.
    assert np.max(np.abs(body.qd_cmd_radps)) == pytest.approx(
        speed_before - body.config.stop_deceleration_radps2 * session.sim.period_s, rel=1e-3)
    outcome = body.reset()
    assert not outcome.success and ("braking" in outcome.message or "not at rest" in outcome.message)
    with pytest.raises(RequestError) as refused:
        body.follow_trajectory([1.0], [body.q_cmd_rad])
    assert refused.value.code is ErrorCode.ESTOP_ACTIVE and "/body/reset" in str(refused.value)
    # Let the brake finish and the arm settle, then reset.
    session.loop.run_until(lambda: body._trajectory is None and np.max(np.abs(body.state.qd_radps)) < 0.005,
                           max_time_s=3.0)
    outcome = body.reset()
    assert outcome.success and "cleared emergency stop" in outcome.message
    body.follow_trajectory([1.0], [body.q_cmd_rad + 0.05])     # accepted again


def test_a_fault_latches_until_a_reset_on_a_fresh_state(session):
    body = session.body
    session.loop.run_until(lambda: body.time_s > 0.2)
    body.fault(StaleStateError("no fresh /joint_states for 120 ms"))
    session.loop.run_until(lambda: body.time_s > 0.4)              # the state is fresh again; still latched
    with pytest.raises(RequestError) as refused:
        body.execute(TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=0.1))
    assert refused.value.code is ErrorCode.ESTOP_ACTIVE and "fault 304" in str(refused.value)
    outcome = body.reset(state_error="no fresh /joint_states for 300 ms")
    assert not outcome.success and "no fresh /joint_states" in outcome.message
    assert body.reset().success
    execution = body.execute(TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=0.1))
    session.loop.run_execution(execution)
    assert execution.status is Status.SUCCEEDED
