"""Thermal protection in the body controller on the MuJoCo plant: the torques written are
derated, a primitive predicted to overheat a joint is refused with OVER_TEMPERATURE (206),
temperatures reach /diagnostics. Judged from the simulated motors' ground truth."""
import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.diagnostics import BodyDiagnostics
from brainbody.body.motor_thermal import ThermalLimits
from brainbody.body.robot_model import ARM_JOINTS
from brainbody.exceptions import ErrorCode, OverTemperatureError
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.motor_thermal import MotorThermalPlantConfig


def hot_session(initial_c, **body):
    return SimSession(seed=0, body_config=BodyConfig(**body), motor_thermal=MotorThermalPlantConfig(initial_c=initial_c))


def test_thermal_limits_follow_the_body_config():
    assert ThermalLimits.from_config(BodyConfig()) == ThermalLimits()
    assert ThermalLimits.from_config(BodyConfig(winding_margin_c=5.0)).winding_max_c == 150.0


def test_derating_limits_the_torques_written_and_keeps_the_plant_in_bounds():
    # Motors soaked at 90 C, then a 90 N push down on the hand: joint 4 needs about 3x its
    # continuous torque. The monitor is off so that the overload goes on (it would call the
    # push a collision).
    session = hot_session(90.0, runtime_monitor=False)
    body, plant = session.body, session.sim.motor_thermal
    session.sim.data.xfrc_applied[session.sim.model.body("panda_hand").id, 2] = -90.0
    winding_max, error_max, excess, limit_min = 0.0, 0.0, 0.0, np.inf
    for _ in range(25_000):
        body.tick()
        excess = max(excess, float(np.max(np.abs(body._last_arm) - body.thermal.torque_limit_nm)))
        winding_max = max(winding_max, float(plant.winding_c.max()))
        error_max = max(error_max, float(np.max(np.abs(body.thermal.winding_c - plant.winding_c))))
        limit_min = min(limit_min, float(body.thermal.torque_limit_nm[3]))
    assert limit_min < 55.0, "joint 4 should have been derated"
    assert excess <= 1e-9, "a torque above the thermal limit was written"
    assert winding_max < 155.0 - 10.0
    assert plant.demagnetisation_events.sum() == 0
    assert error_max < 3.0


def test_a_primitive_predicted_to_overheat_is_refused_with_206_and_nothing_moves():
    session = hot_session(128.0)
    body = session.body
    for _ in range(1000):
        body.tick()
    q0 = session.sim.read().q_rad.copy()
    with pytest.raises(OverTemperatureError) as info:
        body.execute(TaskPrimitive("long_wait", PrimitiveKind.WAIT, duration_s=120.0, timeout_s=150.0))
    assert info.value.code is ErrorCode.OVER_TEMPERATURE and "joint 4" in str(info.value)
    assert body.execution is None
    for _ in range(200):
        body.tick()
    np.testing.assert_allclose(session.sim.read().q_rad, q0, atol=1e-3)
    # A short wait fits in what the motors have left.
    execution = body.execute(TaskPrimitive("short_wait", PrimitiveKind.WAIT, duration_s=1.0))
    session.run_until_done(execution, max_time_s=5.0)
    assert execution.status is Status.SUCCEEDED


def test_temperatures_are_in_the_joint_diagnostics():
    session = hot_session(60.0)
    for _ in range(100):
        session.body.tick()
    statuses = BodyDiagnostics(session.body, joint_tracking_warn_rad=0.005).joint_statuses()
    values = dict(statuses[3].values)
    assert float(values["winding_temperature_c"]) == pytest.approx(60.0, abs=1.0)
    assert float(values["magnet_temperature_c"]) == pytest.approx(60.0, abs=1.0)
    assert float(values["housing_temperature_c"]) == pytest.approx(60.0, abs=0.5)
    assert float(values["thermal_torque_limit_nm"]) == 87.0
    assert values["thermal_derating"] == "false"
    # Joint 4 holds the arm against gravity: its drive's voltage over its current is the
    # winding's resistance (the datasheet's 1.03 ohm at 25 C, +0.393 %/C). A joint without load
    # says nothing yet.
    for _ in range(1500):
        session.body.tick()
    values = [dict(s.values) for s in BodyDiagnostics(session.body, joint_tracking_warn_rad=0.005).joint_statuses()]
    winding = float(values[3]["winding_temperature_c"])
    assert float(values[3]["winding_resistance_ohm"]) == pytest.approx(1.03 * (1.0 + 0.00393 * (winding - 25.0)),
                                                                         rel=0.01)
    assert values[0]["winding_resistance_ohm"].startswith("not measured")
    assert "drive_readings_implausible" not in values[3]


def test_the_runtime_monitor_trips_206_when_derating_cannot_keep_a_motor_in_bounds():
    # Protection off, motors soaked just under the monitor's trip level: holding the arm
    # against gravity takes joint 4 past it; the fallback holds and a reset waits for cooling.
    session = hot_session(139.5, thermal_protection=False)
    body = session.body
    for _ in range(30_000):
        body.tick()
        if body.monitor_trip is not None:
            break
    assert body.monitor_trip is not None and body.monitor_trip.code is ErrorCode.OVER_TEMPERATURE
    assert "joint 4" in body.monitor_trip.message and body.fallback.active
    for _ in range(500):
        body.tick()
    outcome = body.reset()
    assert not outcome.success and "too hot" in outcome.message


def test_a_streamed_trajectory_that_would_overheat_a_joint_is_refused_with_206():
    session = hot_session(128.0)
    body = session.body
    for _ in range(1000):
        body.tick()
    q = body.q_cmd_rad.copy()
    with pytest.raises(OverTemperatureError):
        body.command_trajectory(ARM_JOINTS, 0.0, [(120.0, q, np.zeros(7))])
    assert body.commands.refused == 1 and body.commands.last_code == int(ErrorCode.OVER_TEMPERATURE)
    body.follow_trajectory([1.0], [q])      # a short one fits
