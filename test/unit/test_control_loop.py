"""The one control loop: jobs between ticks on the hardware clock, pacing, timing, and the
way it ends an execution."""
import time

import numpy as np
import pytest

from brainbody.body.control_loop import ControlLoop
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession


class Clocked:
    """A controller whose hardware clock advances ``period_s`` per tick."""

    def __init__(self, period_s=0.001):
        self.period_s, self.time_s, self.ticks = period_s, 0.0, 0

    def tick(self):
        self.ticks += 1
        self.time_s = self.ticks * self.period_s


def test_jobs_run_between_ticks_at_their_period_of_hardware_time():
    body = Clocked()
    loop = ControlLoop(body)
    seen = {"every": [], "10ms": []}
    loop.every(0.0, lambda: seen["every"].append(body.ticks))
    loop.every(0.01, lambda: seen["10ms"].append(body.ticks))
    assert loop.run_until(lambda: body.ticks >= 50)
    assert seen["every"] == list(range(50))               # before every tick
    assert seen["10ms"] == [0, 10, 20, 30, 40]            # first before the first tick


def test_run_until_stops_at_the_time_limit():
    body = Clocked()
    assert not ControlLoop(body).run_until(lambda: False, max_time_s=0.02)
    assert body.ticks == pytest.approx(20, abs=1)


def test_timing_measures_the_hardware_period():
    body = Clocked(period_s=0.002)
    loop = ControlLoop(body)
    loop.run_until(lambda: body.ticks >= 100)
    p50, p99 = loop.timing.period_percentiles_s(0.5, 0.99)
    assert p50 == pytest.approx(0.002) and p99 == pytest.approx(0.002)
    # Every tick's cost is recorded, and a tick costs something.
    assert loop.timing.tick_cost.count == 99      # a period needs two samples: the first tick has none
    assert loop.timing.median_tick_cost_s() > 0.0


def test_pacing_keeps_hardware_time_behind_wall_time():
    body = Clocked()
    loop = ControlLoop(body, realtime_factor=2.0)
    t0 = time.monotonic()
    loop.run_until(lambda: body.time_s >= 0.2)            # 0.2 s of hardware time at 2x
    assert time.monotonic() - t0 >= 0.09


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_rates_and_periods_are_refused(bad):
    with pytest.raises(ValueError):
        ControlLoop(Clocked(), realtime_factor=bad)
    with pytest.raises(ValueError):
        ControlLoop(Clocked()).every(bad, lambda: None)


def test_an_execution_past_its_time_limit_is_cancelled_and_the_arm_holds():
    session = SimSession(seed=0)
    execution = session.body.execute(TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=5.0))
    session.loop.run_execution(execution, max_time_s=0.05)
    assert execution.status is Status.CANCELED
    assert not np.any(session.body.qd_cmd_radps)


def test_a_cancel_request_ends_the_execution():
    session = SimSession(seed=0)
    execution = session.body.execute(TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=5.0))
    start = session.body.time_s
    session.loop.run_execution(execution, should_cancel=lambda: session.body.time_s - start > 0.02)
    assert execution.status is Status.CANCELED
    assert session.body.time_s - start < 0.1


class LateSamples:
    """Wraps the simulator as a topic backend whose state is sometimes late: while
    ``late`` is set, read() returns the last sample again and step() moves no physics."""

    def __init__(self, sim):
        self.sim, self.late, self.writes = sim, False, 0
        self.period_s, self.capabilities = sim.period_s, sim.capabilities
        self._last = None

    def activate(self, mode):
        self.sim.activate(mode)

    def deactivate(self):
        pass

    def read(self):
        if not self.late or self._last is None:
            self._last = self.sim.read()
        return self._last

    def write(self, arm, finger):
        self.writes += 1
        self.sim.write(arm, finger)

    def step(self):
        if not self.late:
            self.sim.step()


def test_a_tick_without_a_new_sample_integrates_nothing_and_counts_no_period():
    from brainbody.body.controller import BodyController
    session = SimSession(seed=0)
    hw = LateSamples(session.sim)
    body = BodyController(session.body_config, session.robot, hw)
    loop = ControlLoop(body)
    body.follow_trajectory([0.0, 1.0], [body.q_cmd_rad, body.q_cmd_rad + 0.1])
    loop.run_until(lambda: body.time_s > 0.3)
    periods, writes, q_cmd, grip = loop.timing.count, hw.writes, body.q_cmd_rad.copy(), body.grip.setpoint_n
    integral, trajectory_time = body.servo._integral.copy(), body.trajectory_time_s
    hw.late = True
    for _ in range(50):
        loop.step()
    assert body.stale_ticks == 50
    assert hw.writes == writes                     # the last command stands
    assert loop.timing.count == periods            # no zero-length periods recorded
    np.testing.assert_array_equal(body.q_cmd_rad, q_cmd)
    np.testing.assert_array_equal(body.servo._integral, integral)
    assert body.trajectory_time_s == trajectory_time and body.grip.setpoint_n == grip
    # The state went stale long enough to fault: one hold command from the last sample, then
    # nothing again (never the last moving torque left standing).
    from brainbody.exceptions import StaleStateError
    assert np.any(body.qd_cmd_radps)                      # it was moving
    body.fault(StaleStateError("no fresh state"))
    hold = body.q_cmd_rad.copy()
    for _ in range(5):
        loop.step()
    assert hw.writes == writes + 1
    assert not np.any(body.qd_cmd_radps)
    np.testing.assert_array_equal(body.q_cmd_rad, hold)
    hw.late = False
    loop.step()
    assert hw.writes == writes + 2 and loop.timing.count == periods + 1


def test_an_exception_in_a_tick_fails_the_primitive_holds_and_the_loop_runs_on():
    from brainbody.body.diagnostics import loop_status
    from brainbody.exceptions import ErrorCode
    session = SimSession(seed=0)
    body, loop = session.body, session.loop
    execution = body.execute(TaskPrimitive(id="reach", kind=PrimitiveKind.REACH, object_id="cup", timeout_s=30.0))
    loop.run_until(lambda: body.time_s > 0.5)
    real = body.servo.torque
    calls = {"n": 0}

    def torque_failing_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug in the servo")
        return real(*args, **kwargs)

    body.servo.torque = torque_failing_once
    loop.step()
    assert body.failed_ticks == 1
    assert execution.status is Status.FAILED and execution.error.code is ErrorCode.INTERNAL
    assert "a bug in the servo" in execution.error.message
    hold, ticks = body.q_cmd_rad.copy(), body.ticks
    loop.run_until(lambda: body.time_s > 1.0)
    assert body.ticks > ticks + 400                      # still running
    np.testing.assert_array_equal(body.q_cmd_rad, hold)  # holding
    status = loop_status(loop.timing, failed_ticks=body.failed_ticks)
    assert status.level.name == "WARN" and "1 ticks failed" in status.message


def test_a_failing_identifier_is_switched_off_and_the_primitive_carries_on():
    """The drivetrain identifiers only report: one that raises must not hold the arm or fail the
    primitive (the tick's own failure path does both); it is switched off and /diagnostics says so."""
    from brainbody.body.diagnostics import BodyDiagnostics
    session = SimSession(seed=0)
    body, loop = session.body, session.loop
    assert body.friction_id is not None and body.payload_id is not None
    execution = body.execute(TaskPrimitive(id="reach", kind=PrimitiveKind.REACH, object_id="cup", timeout_s=30.0))
    loop.run_until(lambda: body.time_s > 0.5)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the friction fit")

    body.friction_id.update = broken
    loop.run_until(lambda: body.friction_id is None, max_time_s=1.0)
    assert body.identification_failures == 1 and body.payload_id is None and body.failed_ticks == 0
    assert not body.fallback.active and not execution.status.done
    loop.run_execution(execution, max_time_s=30.0)
    assert execution.status is Status.SUCCEEDED
    status = BodyDiagnostics(body, joint_tracking_warn_rad=1.0).statuses(loop.timing)[-1]
    assert status.name == "body/control_loop" and status.level.name == "WARN"
    assert dict(status.values)["identification_failures"] == "1" and "identification failed" in status.message


class NanSamples(LateSamples):
    """The simulator behind a sensor that reports NaN for one joint angle while ``nan`` is set
    (physics runs on); every command written is kept."""

    def __init__(self, sim):
        super().__init__(sim)
        self.nan, self.commands = False, []

    def read(self):
        import dataclasses
        state = self.sim.read()
        if self.nan:
            q = state.q_rad.copy()
            q[2] = float("nan")
            state = dataclasses.replace(state, q_rad=q)
        return state

    def write(self, arm, finger):
        self.commands.append((np.array(arm, dtype=float), np.array(finger, dtype=float)))
        super().write(arm, finger)


def test_a_non_finite_state_never_becomes_a_command_fails_the_primitive_and_latches():
    from brainbody.body.controller import BodyController
    from brainbody.exceptions import ErrorCode
    session = SimSession(seed=0)
    hw = NanSamples(session.sim)
    body = BodyController(session.body_config, session.robot, hw)
    body.update_world(session.world_objects())
    loop = ControlLoop(body)
    execution = body.execute(TaskPrimitive(id="reach", kind=PrimitiveKind.REACH, object_id="cup", timeout_s=30.0))
    loop.run_until(lambda: body.time_s > 0.5)
    assert execution.status is Status.RUNNING
    writes = len(hw.commands)
    hw.nan = True
    for _ in range(50):
        loop.step()
    # Expect: the primitive fails with 303, one hold command from the last finite sample, then
    # nothing new while the samples stay non-finite; never a non-finite value written.
    assert execution.status is Status.FAILED and execution.error.code is ErrorCode.HARDWARE_STATE_INVALID
    assert "non-finite q_rad" in execution.error.message
    assert len(hw.commands) == writes + 1
    assert all(np.all(np.isfinite(arm)) and np.all(np.isfinite(finger)) for arm, finger in hw.commands)
    assert np.all(np.isfinite(body.q_cmd_rad)) and not np.any(body.qd_cmd_radps)
    assert body.invalid_state_ticks == 50
    assert body.stop_latch.fault.code is ErrorCode.HARDWARE_STATE_INVALID
    outcome = body.reset()
    assert not outcome.success and "non-finite" in outcome.message
    hw.nan = False
    loop.run_until(lambda: np.max(np.abs(body.state.qd_radps)) < 0.005 and body._trajectory is None, max_time_s=3.0)
    assert all(np.all(np.isfinite(arm)) for arm, _ in hw.commands)
    assert body.reset().success


def test_the_servo_refuses_non_finite_inputs_and_keeps_its_state():
    from brainbody.exceptions import ErrorCode, ExecutionError, InvalidStateError
    session = SimSession(seed=0)
    servo, state = session.body.servo, session.body.state
    q = state.q_rad.copy()
    still = np.zeros(7)
    servo.torque(q + 0.001, still, q, still)
    integral = servo._integral.copy()
    bad = q.copy()
    bad[0] = float("nan")
    with pytest.raises(InvalidStateError):
        servo.torque(q, still, bad, still)
    with pytest.raises(ExecutionError) as err:
        servo.torque(bad, still, q, still)
    assert err.value.code is ErrorCode.INTERNAL
    with pytest.raises(InvalidStateError):
        servo.motor_setpoint(q, still, bad)
    np.testing.assert_array_equal(servo._integral, integral)      # nothing integrated the NaN
    assert np.all(np.isfinite(servo.torque(q, still, q, still)))


def test_the_loops_longest_wall_gap_and_its_stalls_are_measured():
    """A period that starts 150 ms of wall time after the one before it (a stalled process)
    is the loop's longest gap and counts as a stall; ordinary periods do neither."""
    from brainbody.body.control_loop import STALL_S
    from brainbody.body.diagnostics import loop_status

    class Stalling(Clocked):
        def tick(self):
            super().tick()
            if self.ticks == 30:
                time.sleep(0.15)

    body = Stalling()
    loop = ControlLoop(body)
    loop.run_until(lambda: body.ticks >= 20)
    assert 0.0 < loop.timing.wall_gap_max_s < STALL_S and loop.timing.stalls == 0
    loop.run_until(lambda: body.ticks >= 60)
    assert 0.15 <= loop.timing.wall_gap_max_s < 1.0 and loop.timing.stalls == 1
    values = dict(loop_status(loop.timing).values)
    assert float(values["wall_gap_max_ms"]) >= 150.0 and values["wall_gaps_over_100ms"] == "1"
