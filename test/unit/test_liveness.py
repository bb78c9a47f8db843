"""A commander that goes silent is lost after its timeout of wall time; the body then fails the
primitive it commands with COMMANDER_LOST, brakes to a hold with the object in hand, latches
nothing, and takes the next goal."""
import numpy as np
import pytest

from brainbody.body.liveness import CommanderLiveness
from brainbody.body.trajectory import BrakingTrajectory
from brainbody.exceptions import CommanderLostError, ErrorCode
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession

TIMEOUT_S = 0.08


def test_alive_within_the_timeout_lost_after_it():
    liveness = CommanderLiveness(timeout_s=TIMEOUT_S)
    liveness.heard("brain#1", 10.0)
    # Expect: alive up to the timeout, lost once it is exceeded.
    assert liveness.is_alive("brain#1", 10.07) and liveness.check("brain#1", 10.07) is None
    lost = liveness.check("brain#1", 10.1)
    assert not liveness.is_alive("brain#1", 10.1)
    assert isinstance(lost, CommanderLostError) and lost.code is ErrorCode.COMMANDER_LOST
    assert "'brain#1'" in lost.message and "silent for 100 ms" in lost.message and "timeout 80 ms" in lost.message
    liveness.heard("brain#1", 10.2)      # it came back (the network did): alive again
    assert liveness.check("brain#1", 10.25) is None


def test_a_goal_is_not_a_heartbeat_but_a_new_commander_gets_a_grace_for_its_first_beat():
    liveness = CommanderLiveness(timeout_s=TIMEOUT_S, first_beat_grace_s=0.5)
    liveness.named("new", 1.0)
    # Expect: alive through the grace without any beat, lost after it.
    assert liveness.is_alive("new", 1.4)
    lost = liveness.check("new", 1.6)
    assert lost is not None and "no heartbeat at all" in lost.message and "grace 500 ms" in lost.message
    # Once heard, the grace is over: the plain timeout applies, also to its next goals.
    liveness.heard("new", 1.7)
    liveness.named("new", 1.75)
    assert liveness.is_alive("new", 1.75) and not liveness.is_alive("new", 1.8)
    # A commander never named nor heard is lost.
    assert liveness.check("other", 1.0) is not None


def test_commanders_are_told_apart():
    liveness = CommanderLiveness(timeout_s=TIMEOUT_S)
    liveness.heard("old", 1.0)
    liveness.heard("new", 1.2)
    assert not liveness.is_alive("old", 1.2) and liveness.is_alive("new", 1.2)
    assert liveness.silence_s("other", 1.2) is None


def test_a_late_delivered_beat_does_not_move_the_last_heard_time_back_and_empty_ids_are_ignored():
    liveness = CommanderLiveness(timeout_s=TIMEOUT_S)
    liveness.heard("b", 5.0)
    liveness.heard("b", 4.9)
    assert liveness.silence_s("b", 5.0) == 0.0
    liveness.heard("", 5.0)
    assert liveness.silence_s("", 5.0) is None


def test_the_table_stays_bounded_and_forgets_the_longest_silent():
    liveness = CommanderLiveness(timeout_s=TIMEOUT_S)
    for i in range(200):
        liveness.heard(f"brain#{i}", float(i))
        liveness.named(f"never#{i}", float(i))
    assert liveness.silence_s("brain#0", 200.0) is None
    assert liveness.silence_s("brain#199", 200.0) == 1.0
    assert len(liveness._first_beat_due_s) <= 64


@pytest.mark.parametrize("timeout_s", [0.0, -1.0, float("nan")])
def test_a_timeout_that_is_not_positive_is_refused(timeout_s):
    with pytest.raises(ValueError, match="timeout_s"):
        CommanderLiveness(timeout_s=timeout_s)


# -- the controller ------------------------------------------------------------------------
def run(session, kind, **fields):
    execution = session.body.execute(TaskPrimitive(f"p{kind.value}", kind, **fields))
    session.run_until_done(execution)
    assert execution.status is Status.SUCCEEDED, execution.error
    return execution


def test_a_lost_commander_fails_its_primitive_the_arm_brakes_and_the_cup_stays_in_hand():
    session = SimSession(seed=0)
    body = session.body
    run(session, PrimitiveKind.REACH, object_id="cup")
    run(session, PrimitiveKind.GRASP, object_id="cup", grip_force_n=3.0)
    cup_z_before_m = session.sim.verdict().final_position_m[2]
    lift = body.execute(TaskPrimitive("lift", PrimitiveKind.LIFT, object_id="cup", lift_height_m=0.2))
    tool_z0_m = body.tcp_position_m[2]
    session.loop.run_until(lambda: body.tcp_position_m[2] > tool_z0_m + 0.05, max_time_s=body.time_s + 5.0)
    assert np.max(np.abs(body.qd_cmd_radps)) > 0.1, "not lifting any more"
    lost = CommanderLostError("commander 'brain#1' lost")
    body.abandon(lift, lost)
    # Expect: the primitive fails with 209 at once, the arm brakes along its motion, nothing latches.
    assert lift.status is Status.FAILED and lift.error is lost
    assert body.report(lift).error_code == ErrorCode.COMMANDER_LOST == 209
    assert isinstance(body._trajectory, BrakingTrajectory)
    assert not body.stop_latch.active
    session.loop.run_until(lambda: body._trajectory is None, max_time_s=body.time_s + 2.0)
    held_at = body.q_rad.copy()
    session.loop.run_until(lambda: False, max_time_s=body.time_s + 0.5)
    assert np.max(np.abs(body.q_rad - held_at)) < 1e-3, "the arm did not hold"
    assert body.holding == "cup" and body.grip.measured_force_n > 1.0
    verdict = session.sim.verdict()
    assert not verdict.dropped and not verdict.crushed
    assert verdict.final_position_m[2] > cup_z_before_m + 0.02, "the cup is not up in the air"
    # A new commander takes over: the next goal runs without a reset.
    run(session, PrimitiveKind.WAIT, duration_s=0.05)


def test_abandon_leaves_an_ended_or_replaced_primitive_alone():
    session = SimSession(seed=0)
    body = session.body
    done = run(session, PrimitiveKind.WAIT, duration_s=0.05)
    body.abandon(done, CommanderLostError("late"))
    assert done.status is Status.SUCCEEDED and done.error is None
    current = body.execute(TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=1.0))
    body.abandon(done, CommanderLostError("not the running one"))
    assert current.status is Status.RUNNING
    body.abandon(current, CommanderLostError("now"))
    assert current.status is Status.FAILED and current.error.code is ErrorCode.COMMANDER_LOST
