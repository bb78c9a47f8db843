"""The plant's motor heat (sim/motor_thermal.py): steady states, the torque constant, the
copper resistance and demagnetisation, judged against the motors file's own numbers."""
import numpy as np
import pytest
import yaml

from brainbody.sim.motor_thermal import (BuiltMotors, MotorThermalPlant, MotorThermalPlantConfig, default_path,
                                         load_motors)

LIMIT = np.array([87.0] * 4 + [12.0] * 3)
MOTORS, MATERIAL = load_motors()


def plant(period_s=0.001, **changes):
    return MotorThermalPlant(MotorThermalPlantConfig(**changes), period_s=period_s, torque_limit_nm=LIMIT)


def run(p, command_nm, steps, speed=np.zeros(7)):
    for _ in range(steps):
        p.torque(command_nm)
        p.step(speed)


def test_steady_state_is_the_thermal_resistance_times_the_loss():
    # Half a second per step: stable (the fastest node's time constant is over 30 s) and
    # 12 hours of heating take 86 400 steps.
    p = plant(period_s=0.5, ambient_c=30.0)
    command = np.array([25.0] * 4 + [3.5] * 3)
    run(p, command, 86_400)
    loss = p.copper_loss_w
    for joint, name in enumerate(("large",) * 4 + ("small",) * 3):
        m = MOTORS[name]
        rotor_path = m["winding_rotor_k_per_w"] + m["rotor_housing_k_per_w"]
        r_winding_housing = 1.0 / (1.0 / m["winding_housing_k_per_w"] + 1.0 / rotor_path)
        expected_rise = loss[joint] * (r_winding_housing + m["housing_ambient_k_per_w"])
        assert p.winding_c[joint] - 30.0 == pytest.approx(expected_rise, rel=0.01)
        assert p.housing_c[joint] - 30.0 == pytest.approx(loss[joint] * m["housing_ambient_k_per_w"], rel=0.01)
        # Continuous duty at the rated torque heats a lot but stays under class F.
        assert 80.0 < p.winding_c[joint] < 155.0
    assert p.demagnetisation_events.sum() == 0


def test_copper_resistance_rises_and_the_torque_constant_falls_with_temperature():
    cold, hot = plant(), plant(initial_c=125.0)
    command = np.array([20.0] * 4 + [3.0] * 3)
    torque_cold = cold.torque(command).copy()
    torque_hot = hot.torque(command).copy()
    # The drive makes the same current from the same command (it only knows the datasheet).
    np.testing.assert_allclose(hot.current_a, cold.current_a)
    np.testing.assert_allclose(torque_cold, command, rtol=1e-12)      # at 25 C the motor is its datasheet
    np.testing.assert_allclose(torque_hot / torque_cold, 1.0 - 0.0011 * 100.0, rtol=1e-9)
    cold.step(np.zeros(7))
    hot.step(np.zeros(7))
    np.testing.assert_allclose(hot.copper_loss_w / cold.copper_loss_w, 1.0 + 0.00393 * 100.0, rtol=1e-3)


def test_the_drives_report_current_and_the_voltage_of_the_hot_winding_and_the_back_emf():
    hot = plant(initial_c=105.0, seed=3)
    command = np.array([20.0] * 4 + [3.0] * 3)
    current = command / (100.0 * np.array([0.1] * 4 + [0.05] * 3))
    r25 = np.array([MOTORS["large"]["resistance_25c_ohm"]] * 4 + [MOTORS["small"]["resistance_25c_ohm"]] * 3)
    r_hot = r25 * (1.0 + 0.00393 * 80.0)
    readings = []
    for _ in range(200):
        hot.torque(command)
        hot.step(np.zeros(7))
        readings.append((hot.drive_current_a, hot.drive_voltage_v))
    amps, volts = (np.mean([r[k] for r in readings[1:]], axis=0) for k in (0, 1))
    np.testing.assert_allclose(amps, current, rtol=0.006, atol=0.003)       # gain error, noise averaged
    np.testing.assert_allclose(volts, r_hot * current, rtol=0.0, atol=0.04)  # residual 30 mV, noise averaged
    assert np.std([r[1] for r in readings[1:]], axis=0).min() > 0.03         # one reading is noisy
    # Turning: the magnets' (hot, weaker) constant times the motor speed adds to the drop.
    hot.torque(command)
    speed = np.full(7, 0.5)
    volts_moving = np.mean([(hot.torque(command), hot.step(speed), hot.drive_voltage_v)[2] for _ in range(200)], axis=0)
    back_emf = np.array([0.1] * 4 + [0.05] * 3) * (1.0 - 0.0011 * 80.0) * 0.5 * 100.0
    np.testing.assert_allclose(volts_moving - volts, back_emf, rtol=0.0, atol=0.05)
    # A current step: L di/dt for one step (the motors at 25 C).
    quiet = plant(period_s=0.001)
    quiet.torque(np.zeros(7))
    quiet.step(np.zeros(7))
    quiet.torque(command)
    quiet.step(np.zeros(7))
    inductance = np.array([MOTORS["large"]["inductance_h"]] * 4 + [MOTORS["small"]["inductance_h"]] * 3)
    np.testing.assert_allclose(quiet.drive_voltage_v, inductance * current / 0.001 + current * r25,
                               rtol=0.0, atol=0.25)


def test_commands_beyond_the_drive_limit_are_clipped():
    p = plant()
    np.testing.assert_allclose(p.torque(np.array([200.0] * 7)), LIMIT)


def test_demagnetisation_is_permanent():
    p = plant(period_s=0.5, initial_c=158.0)
    fresh_kt = MOTORS["large"]["kt_at_25c_nm_per_a"]
    run(p, np.zeros(7), 1)
    assert p.demagnetisation_events.tolist() == [1] * 7
    lost = p.kt_loss_fraction
    assert lost == pytest.approx(np.full(7, (158.0 - 150.0) * 0.01), abs=0.002)
    run(p, np.zeros(7), 60_000)        # cooled for over 8 hours
    assert np.all(p.magnet_c < 26.0)
    kt_cold = p.kt_nm_per_a[0] / (1.0 - 0.0011 * (p.magnet_c[0] - 25.0))
    assert kt_cold == pytest.approx(fresh_kt * (1.0 - lost[0]), rel=1e-6)
    command = np.full(7, 10.0)
    assert np.all(p.torque(command) < 0.93 * command)     # the joint is weaker for good
    np.testing.assert_array_equal(p.kt_loss_fraction, lost)
    assert p.demagnetisation_events.tolist() == [1] * 7


def test_an_overload_without_protection_overheats_and_demagnetises():
    p = plant(period_s=0.01)
    run(p, np.array([75.0] * 4 + [10.5] * 3), 60_000)      # 3x the continuous torque for 10 min
    assert np.all(p.winding_c > 155.0)
    assert p.demagnetisation_events.sum() > 0 and np.all(p.kt_loss_fraction[p.demagnetisation_events > 0] > 0)


def test_speed_heats_the_rotor_through_iron_loss():
    still, spinning = plant(period_s=0.1), plant(period_s=0.1)
    run(still, np.zeros(7), 3000)
    run(spinning, np.zeros(7), 3000, speed=np.full(7, 1.5))
    assert np.all(spinning.magnet_c > still.magnet_c + 0.5)
    np.testing.assert_allclose(still.winding_c, 25.0)


def test_spread_is_seeded():
    a, b, c = (plant(period_s=0.1, parameter_spread=0.1, seed=s) for s in (3, 3, 4))
    for p in (a, b, c):
        run(p, np.full(7, 10.0), 2000)
    np.testing.assert_array_equal(a.winding_c, b.winding_c)
    assert not np.allclose(a.winding_c, c.winding_c)


def test_the_housing_sensor_reads_the_housing_with_noise_and_resolution():
    p = plant(initial_c=40.0)
    readings = []
    for _ in range(3000):
        p.torque(np.zeros(7))
        p.step(np.zeros(7))
        readings.append(p.housing_sensor_c)
    readings = np.array(readings)
    assert len(np.unique(readings[:, 0])) > 2                     # noisy...
    np.testing.assert_allclose(readings, np.round(readings, 1))   # ...in 0.1 C steps
    assert abs(readings.mean() - p.housing_c.mean()) < 0.1
    assert np.all(readings[1:50] == readings[1])                  # sampled at 10 Hz, held between


def test_the_motors_file_is_the_plants_own():
    raw = yaml.safe_load(default_path().read_text())
    assert set(raw["motors"]) == {"large", "small"}
    assert MATERIAL["magnet_grade_limit_c"] == 150.0


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError, match="motors"):
        MotorThermalPlantConfig(motors=("large",) * 6)
    with pytest.raises(ValueError, match="parameter_spread"):
        MotorThermalPlantConfig(parameter_spread=0.9)
    from brainbody.exceptions import BrainBodyError
    with pytest.raises(BrainBodyError, match="unknown motor"):
        plant(motors=("large",) * 6 + ("huge",))


def test_the_simulator_drives_its_arm_through_the_motors():
    from brainbody.sim.scene import SceneConfig
    from brainbody.sim.simulator import Simulator
    sim = Simulator(SceneConfig(), motor_thermal=MotorThermalPlantConfig(initial_c=75.0))
    assert sim.capabilities.motor_housing_temperature and sim.capabilities.drive_electrical
    state = sim.read()
    assert state.motor_housing_temp_c == pytest.approx(np.full(7, 75.0), abs=0.5)
    assert state.drive_current_a.shape == state.drive_voltage_v.shape == (7,)
    command = np.array([10.0, 20.0, 0.0, -10.0, 1.0, 1.0, 0.0])
    sim.write(command, np.zeros(2))
    np.testing.assert_allclose(sim.data.ctrl[:7], command * (1.0 - 0.0011 * 50.0), rtol=1e-9)
    sim.step()
    off = Simulator(SceneConfig(), motor_thermal=MotorThermalPlantConfig(enabled=False))
    assert not off.capabilities.motor_housing_temperature and off.read().motor_housing_temp_c is None
    assert not off.capabilities.drive_electrical and off.read().drive_voltage_v is None
    off.write(command, np.zeros(2))
    np.testing.assert_allclose(off.data.ctrl[:7], command)


def test_a_motor_demagnetised_before_the_run_delivers_that_much_less_torque():
    command = np.array([20.0, 20.0, 20.0, 20.0, 3.0, 3.0, 3.0])
    healthy, worn = plant(), plant(kt_loss=(0.0, 0.15, 0.0, 0.0, 0.0, 0.3, 0.0))
    np.testing.assert_allclose(worn.torque(command) / healthy.torque(command), [1, 0.85, 1, 1, 1, 0.7, 1])
    np.testing.assert_allclose(worn.kt_loss_fraction, [0, 0.15, 0, 0, 0, 0.3, 0])
    for bad in ((0.0,) * 6, (0.6,) + (0.0,) * 6, (-0.1,) + (0.0,) * 6):
        with pytest.raises(ValueError, match="kt_loss"):
            MotorThermalPlantConfig(kt_loss=bad)


def test_a_motor_built_off_its_sheet_shows_it_in_the_torque_and_the_back_emf_alike():
    """One magnet strength: a motor 3 % strong delivers 3 % more torque for the current its
    drive sends at the sheet's constant, and its back-EMF is 3 % higher at the same speed."""
    factor = np.array([1.03, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0])
    command = np.array([20.0] * 4 + [3.0] * 3)
    as_built = BuiltMotors(kt_factor=factor, seed=0, thermal_spread=0.0)
    sheet, built = plant(seed=3), MotorThermalPlant(MotorThermalPlantConfig(seed=3), period_s=0.001,
                                                     torque_limit_nm=LIMIT, built=as_built)
    np.testing.assert_allclose(built.torque(command) / sheet.torque(command), factor)
    speed = np.full(7, 0.5)
    sheet.step(speed)
    built.step(speed)         # the same drive current (the sheet's conversion) and the same noise draws
    np.testing.assert_allclose(built.drive_current_a, sheet.drive_current_a)
    back_emf = np.array([0.1] * 4 + [0.05] * 3) * 0.5 * 100.0
    np.testing.assert_allclose(built.drive_voltage_v - sheet.drive_voltage_v, (factor - 1.0) * back_emf, atol=1e-9)
    np.testing.assert_allclose(built.kt_nm_per_a / sheet.kt_nm_per_a, factor)
    # Ideal motors (no heat modelled) still deliver the built constant, within the drive's limit.
    cold = MotorThermalPlant(MotorThermalPlantConfig(enabled=False), period_s=0.001, torque_limit_nm=LIMIT,
                             built=as_built)
    np.testing.assert_allclose(cold.torque(np.array([200.0] * 7)), LIMIT * factor)
    for bad in (np.ones(6), np.array([0.4] + [1.0] * 6), np.array([np.nan] + [1.0] * 6)):
        with pytest.raises(ValueError, match="kt_factor"):
            BuiltMotors(kt_factor=bad, seed=0, thermal_spread=0.0)
    for bad in (0.6, -0.1):
        with pytest.raises(ValueError, match="thermal_spread"):
            BuiltMotors(kt_factor=factor, seed=1, thermal_spread=bad)
