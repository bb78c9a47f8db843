"""The runtime monitor and the fallback on the embedded MuJoCo plant, judged from the simulator's
ground truth (true joint angles, the cup's contacts and height), never from the body's report.

Each violation is injected below the supervisor, as a bug in the capable controller would
produce it (a planner sending the arm into a limit, a chattering servo, a grip loop squeezing
on): the checks on requests cannot stop those, the monitor must."""
from __future__ import annotations


import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.diagnostics import Level, monitor_status
from brainbody.body.runtime_monitor import MonitorCheck
from brainbody.exceptions import ErrorCode, RequestError
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession

REST_RADPS = 0.005


class Ramp:
    """A buggy planner's trajectory: joint ``j`` speeds up at ``accel`` rad/s^2 to ``speed`` rad/s
    and never stops."""

    def __init__(self, q0, j, speed, t0, accel=3.0):
        self.q0, self.j, self.speed, self.t0, self.accel = np.array(q0, dtype=float), j, speed, t0, accel

    def sample(self, time_s):
        t = time_s - self.t0
        t_ramp = self.speed / self.accel
        q, qd = self.q0.copy(), np.zeros(7)
        if t < t_ramp:
            q[self.j] += 0.5 * self.accel * t * t
            qd[self.j] = self.accel * t
        else:
            q[self.j] += 0.5 * self.speed * t_ramp + self.speed * (t - t_ramp)
            qd[self.j] = self.speed
        return q, qd

    def done(self, time_s):
        return False


def run(session, seconds, until=None):
    body = session.body
    session.loop.run_until(until or (lambda: False), max_time_s=seconds)
    return body


def at_rest(body):
    return float(np.max(np.abs(body.state.qd_radps))) < REST_RADPS


def run_primitives(session, *primitives):
    for primitive in primitives:
        session.refresh_world()
        execution = session.body.execute(primitive)
        session.run_until_done(execution)
        assert execution.status is Status.SUCCEEDED, execution.error


def holding_the_cup(seed=0, **config):
    session = SimSession(seed=seed, body_config=BodyConfig(**config))
    run_primitives(session, TaskPrimitive("r", PrimitiveKind.REACH, object_id="cup"),
                   TaskPrimitive("g", PrimitiveKind.GRASP, object_id="cup", grip_force_n=2.0),
                   TaskPrimitive("l", PrimitiveKind.LIFT, lift_height_m=0.1))
    assert session.body.holding == "cup"
    return session


def cup_height_m(session):
    return float(session.sim.data.body("cup").xpos[2])


# -- joint limit ------------------------------------------------------------------------------------
@pytest.mark.parametrize("monitor", [True, False])
def test_a_motion_into_a_joint_limit_is_braked_before_the_limit(monitor):
    """Joint 7 driven at 1.5 rad/s towards its upper limit by a trajectory nobody checked."""
    session = SimSession(seed=0, body_config=BodyConfig(runtime_monitor=monitor))
    body = run(session, 0.1)
    upper = float(body.model.upper_rad[6])
    body.set_trajectory(Ramp(body.q_cmd_rad, 6, 1.5, body.time_s))
    peak = -np.inf
    for _ in range(3000):
        session.loop.step()
        peak = max(peak, float(session.sim.link_angle_rad()[6]), float(session.sim.data.joint("panda_joint7").qpos[0]))
    if not monitor:
        # Expect: without the monitor the arm runs into the limit (the test can fail).
        assert peak > upper - 0.005
        return
    # Expect: tripped on the prediction, braked; the true angle never reached the limit.
    assert body.stop_latch.fault.code is ErrorCode.JOINT_LIMIT and body.monitor_trip.check is MonitorCheck.JOINT_LIMIT
    assert peak < upper - 0.005, f"true angle {peak:.4f} rad, limit {upper:.4f} rad"
    assert at_rest(body)


# -- collision --------------------------------------------------------------------------------------
@pytest.mark.parametrize("monitor", [True, False])
def test_a_push_on_the_arm_trips_the_collision_estimate_long_before_the_lag_abort(monitor):
    session = SimSession(seed=0, body_config=BodyConfig(runtime_monitor=monitor))
    body = session.body
    execution = body.execute(TaskPrimitive("r", PrimitiveKind.REACH, object_id="cup"))
    run(session, 0.6)
    assert execution.status is Status.RUNNING
    hand = session.sim.model.body("panda_hand").id
    push_start = body.time_s
    session.sim.data.xfrc_applied[hand, :3] = [0.0, 30.0, 0.0]      # 30 N sideways on the hand
    lag = 0.0
    while not execution.status.done and body.time_s < push_start + 1.0:
        session.loop.step()
        lag = max(lag, float(np.max(np.abs(body.q_cmd_rad - body.state.q_rad))))
    if not monitor:
        # Expect: the old lag abort (0.25 rad) does not see a 30 N push; the reach goes on.
        assert execution.status is not Status.FAILED or execution.error.code is not ErrorCode.TRACKING_ERROR
        assert lag < body.config.tracking_error_limit_rad
        return
    assert execution.status is Status.FAILED and execution.error.code is ErrorCode.COLLISION, execution.error
    assert body.time_s - push_start < 0.1          # detected within 100 ms
    assert lag < 0.1 * body.config.tracking_error_limit_rad
    # Still pushed: the fallback holds against it and a reset is refused.
    run(session, 1.0)
    outcome = body.reset()
    assert not outcome.success and "collision estimate" in outcome.message
    status = monitor_status(body)
    assert status.level is Level.ERROR and "collision" in status.message and "[220]" in status.message
    with pytest.raises(RequestError) as refused:
        body.execute(TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=0.1))
    assert refused.value.code is ErrorCode.ESTOP_ACTIVE
    # The obstacle goes: once the arm is at rest the reset is accepted and the body works again.
    session.sim.data.xfrc_applied[hand] = 0.0
    run(session, 2.0, until=lambda: at_rest(body) and body.monitor.unsafe_reason() is None)
    outcome = body.reset()
    assert outcome.success, outcome.message
    assert monitor_status(body).level is Level.OK
    run_primitives(session, TaskPrimitive("r2", PrimitiveKind.REACH, object_id="cup"))


# -- torque saturation ------------------------------------------------------------------------------
def test_a_chattering_saturated_torque_trips_after_the_bound_and_not_before():
    session = SimSession(seed=0)
    body = run(session, 0.1)
    real = body.servo.torque
    limit = body.model.effort_limit_nm

    def bang_bang(*args, **kwargs):             # a gain bug: joint 5 at +-limit, flipping each tick
        tau = real(*args, **kwargs)
        tau[4] = -limit[4] if body.state.qd_radps[4] > 0 else limit[4]
        return tau

    body.servo.torque = bang_bang
    start = body.time_s
    run(session, 1.0, until=lambda: body.fallback.active)
    bound = body.config.monitor_torque_saturation_max_s
    assert body.monitor_trip.check is MonitorCheck.TORQUE_SATURATION
    assert body.stop_latch.fault.code is ErrorCode.TORQUE_SATURATED
    assert bound <= body.time_s - start <= bound + 0.005
    run(session, 0.5)
    assert at_rest(body)


# -- grip force and the held object ------------------------------------------------------------------
def test_a_grip_loop_squeezing_on_trips_before_the_cup_is_crushed_and_the_cup_stays_held():
    session = holding_the_cup()
    body = session.body
    real = body.grip.update
    start = body.time_s

    def squeezing_on(*args, **kwargs):          # a bug: 3 N/s more closing force, forever
        return real(*args, **kwargs) - 3.0 * (body.time_s - start)

    body.grip.update = squeezing_on
    run(session, 3.0, until=lambda: body.fallback.active)
    assert body.monitor_trip.check is MonitorCheck.GRIP_FORCE
    assert body.stop_latch.fault.code is ErrorCode.GRIP_FORCE_EXCEEDED
    height = cup_height_m(session)
    run(session, 2.0)
    verdict = session.sim.verdict()
    # Ground truth: not crushed (squeeze below the plant's crush force), not dropped, still up.
    assert not verdict.crushed, verdict.summary()
    assert not verdict.dropped and cup_height_m(session) > height - 0.005
    assert at_rest(body)


def test_the_fallback_keeps_a_held_cup_gripped_when_it_brakes():
    session = holding_the_cup()
    body = session.body
    opening = body.finger_opening_m
    body.set_trajectory(Ramp(body.q_cmd_rad, 6, 1.5, body.time_s))   # into joint 7's limit, cup in hand
    run(session, 3.0)
    assert body.stop_latch.fault.code is ErrorCode.JOINT_LIMIT
    verdict = session.sim.verdict()
    assert not verdict.crushed and not verdict.dropped, verdict.summary()
    assert cup_height_m(session) > 0.1           # lifted 10 cm, still in the air
    assert body.finger_opening_m < opening + 0.002          # the hand did not open
    assert body.holding == "cup"


# -- the loop never dies ----------------------------------------------------------------------------
def test_a_servo_that_keeps_failing_leaves_the_fallback_holding_and_the_loop_running():
    session = SimSession(seed=0)
    body = session.body
    execution = body.execute(TaskPrimitive("r", PrimitiveKind.REACH, object_id="cup"))
    run(session, 0.6)

    def broken(*args, **kwargs):
        raise RuntimeError("servo bug")

    body.servo.torque = broken
    session.loop.step()
    assert execution.status is Status.FAILED and execution.error.code is ErrorCode.INTERNAL
    assert body.fallback.active
    ticks = body.ticks
    run(session, 1.0)
    assert body.ticks >= ticks + 999 and at_rest(body)
    held = session.sim.link_angle_rad().copy()
    # The fallback's own computation failing: it writes its last command again, the loop runs on.
    body.model.gravity_nm = broken
    run(session, 0.2)
    assert body.ticks >= ticks + 1199
    assert np.max(np.abs(session.sim.link_angle_rad() - held)) < 0.01


def test_the_monitor_is_quiet_and_ok_on_a_normal_primitive():
    session = SimSession(seed=3)
    run_primitives(session, TaskPrimitive("r", PrimitiveKind.REACH, object_id="cup"),
                   TaskPrimitive("h", PrimitiveKind.HOME))
    body = session.body
    assert body.monitor_trips == 0 and body.monitor.updates > 1000
    status = monitor_status(body)
    assert status.level is Level.OK
    values = dict(status.values)
    assert float(values["joint_limit_margin_rad"]) > 0 and float(values["collision_fraction"]) < 1
    assert values["temperature_monitored"] == "true" and float(values["temperature_margin_c"]) > 100.0


def test_monitor_parameters_are_declared_with_ranges():
    with pytest.raises(ValueError):
        BodyConfig(monitor_collision_threshold_nm=(1.0,) * 6)
    with pytest.raises(ValueError):
        BodyConfig(monitor_torque_saturation_max_s=-1.0)
    BodyConfig(runtime_monitor=False)     # switching the monitor off is a valid configuration
