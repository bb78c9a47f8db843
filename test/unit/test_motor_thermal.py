"""The body's motor thermal protection (body/motor_thermal.py) judged against the simulated
motors (sim/motor_thermal.py, a different model with its own numbers, perturbed per seed)."""
import numpy as np
import pytest

from brainbody.body.motor_thermal import MotorThermal, ThermalLimits, load_datasheets
from brainbody.exceptions import BrainBodyError, ErrorCode, OverTemperatureError
from brainbody.sim.motor_thermal import MotorThermalPlant, MotorThermalPlantConfig

EFFORT_LIMIT = np.array([87.0] * 4 + [12.0] * 3)
RATED_NM = np.array([25.0] * 4 + [3.5] * 3)      # the joints' continuous torque
SHEETS = ("large",) * 4 + ("small",) * 3
DT_S = 0.02


def normal_duty(t):
    """Pick and place: a 12 s cycle of two accelerations to 2x the continuous torque on top of
    a load that drifts between 0.3 and 0.8 of it (each joint out of phase)."""
    phase = t % 12.0
    base = 0.55 + 0.25 * np.sin(2 * np.pi * t / 12.0 + np.arange(7))
    burst = 1.6 if phase < 1.0 or 6.0 < phase < 7.0 else 0.0
    return RATED_NM * (base + burst * np.sign(np.sin(2 * np.pi * phase)))


def overload(t):
    return 3.0 * RATED_NM


def run(duty, duration_s, *, protect=True, housing_sensor=True, electrical=False, seed=0, spread=0.05, **limits):
    plant = MotorThermalPlant(MotorThermalPlantConfig(parameter_spread=spread, seed=seed), period_s=DT_S,
                              torque_limit_nm=EFFORT_LIMIT)
    body = MotorThermal(load_datasheets(SHEETS), ThermalLimits(**limits), effort_limit_nm=EFFORT_LIMIT,
                        housing_c=plant.housing_sensor_c if housing_sensor else None, protect=protect)
    log = {"winding_error": 0.0, "magnet_error": 0.0, "winding_max": 0.0, "magnet_margin_min": np.inf,
           "limit_min": EFFORT_LIMIT.copy()}
    speed = np.zeros(7)
    for k in range(int(duration_s / DT_S)):
        drives = {"drive_current_a": plant.drive_current_a, "drive_voltage_v": plant.drive_voltage_v,
                  "joint_speed_radps": speed} if electrical else {}
        body.update(DT_S, plant.housing_sensor_c if housing_sensor else None, **drives)
        command = body.derate(duty(k * DT_S))
        body.wrote(command)
        plant.torque(command)
        speed = np.full(7, 0.5 if k * DT_S % 12.0 < 1.0 else 0.0)
        plant.step(speed)
        log["winding_error"] = max(log["winding_error"], float(np.max(np.abs(body.winding_c - plant.winding_c))))
        log["magnet_error"] = max(log["magnet_error"], float(np.max(np.abs(body.magnet_c - plant.magnet_c))))
        log["winding_max"] = max(log["winding_max"], float(plant.winding_c.max()))
        log["magnet_margin_min"] = min(log["magnet_margin_min"], float(np.min(150.0 - body.magnet_c)))
        log["limit_min"] = np.minimum(log["limit_min"], body.torque_limit_nm)
    return plant, body, log


@pytest.mark.parametrize("seed", [0, 1])
def test_the_estimate_tracks_the_plant_within_3_c_over_a_working_half_hour(seed):
    plant, body, log = run(normal_duty, 1800.0, seed=seed)
    assert plant.winding_c.max() > 45.0, "the duty should heat the motors"
    assert log["winding_error"] < 3.0
    assert log["magnet_error"] < 3.0
    assert np.all(log["limit_min"] > 2.5 * RATED_NM), "a normal duty is never derated"


def test_without_a_housing_sensor_the_estimate_still_tracks_a_normal_duty():
    _, _, log = run(normal_duty, 1800.0, housing_sensor=False)
    assert log["winding_error"] < 3.0


@pytest.mark.parametrize("seed", [0, 1])
def test_derating_keeps_winding_and_magnets_in_bounds_under_a_3x_overload(seed):
    plant, body, log = run(overload, 900.0, seed=seed)
    assert log["winding_max"] < 155.0                    # class F
    assert log["magnet_margin_min"] >= 20.0              # estimated magnets 20 C under the SH grade's 150 C
    assert plant.demagnetisation_events.sum() == 0 and np.all(plant.kt_loss_fraction == 0.0)
    assert np.all(body.torque_limit_nm < 3.0 * RATED_NM), "every joint is derated by now"
    assert np.all(body.torque_limit_nm > 1.5 * RATED_NM), "but keeps more than its continuous torque"
    # The same overload without protection overheats and demagnetises the plant.
    plant, _, log = run(overload, 900.0, seed=seed, protect=False)
    assert log["winding_max"] > 155.0 and plant.demagnetisation_events.sum() > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_the_winding_resistance_holds_the_estimate_within_3_c_under_a_3x_overload(seed):
    # From current and housing alone, the datasheet's few per cent are 10-15 C of this rise.
    _, _, without = run(overload, 900.0, seed=seed)
    plant, _, with_voltage = run(overload, 900.0, seed=seed, electrical=True)
    assert without["winding_error"] > 6.0
    assert with_voltage["winding_error"] < 3.0
    assert with_voltage["winding_max"] < 155.0 and plant.demagnetisation_events.sum() == 0
    # The magnets follow the corrected winding through the rotor's lag.
    assert with_voltage["magnet_error"] < 3.0


def test_the_winding_resistance_keeps_a_normal_duty_within_3_c():
    _, _, log = run(normal_duty, 1800.0, seed=1, electrical=True)
    assert log["winding_error"] < 3.0


def test_drive_readings_that_say_nothing_leave_the_model_alone():
    """A NaN or infinite reading, fast motion (the back-EMF dwarfs the resistive drop) or no
    current: that joint's estimate is the model's alone. Joints 1 and 7 report a winding that
    has risen a quarter more than the model's and are pulled up to it (the check can fail)."""
    make = lambda: MotorThermal(load_datasheets(SHEETS), ThermalLimits(), effort_limit_nm=EFFORT_LIMIT,  # noqa: E731
                                housing_c=np.full(7, 25.0), protect=False)
    model_only, with_drives = make(), make()
    torque = 3.0 * RATED_NM
    torque[5] = 0.0                                          # joint 6 idle: no drop, nothing to say
    sheets = load_datasheets(SHEETS)
    r25 = np.array([s.resistance_25c_ohm for s in sheets])
    per_amp = np.array([s.kt_nm_per_a * s.ratio for s in sheets])
    speed = np.array([0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0])    # joint 4 at 300 rad/s at the motor
    ke = np.array([s.kt_nm_per_a for s in sheets])
    for _ in range(int(120.0 / DT_S)):
        for body in (model_only, with_drives):
            body.wrote(torque)
        current = torque / per_amp
        claimed_rise = 1.25 * (model_only.winding_c - 25.0)
        voltage = r25 * current * (1.0 + 0.00393 * claimed_rise) + ke * speed * 100.0
        voltage[1], current[2], voltage[4] = np.nan, np.nan, np.inf
        model_only.update(DT_S, np.full(7, 25.0))
        with_drives.update(DT_S, np.full(7, 25.0), drive_current_a=current, drive_voltage_v=voltage,
                           joint_speed_radps=speed)
    same = [1, 2, 3, 4, 5]
    np.testing.assert_allclose(with_drives.winding_c[same], model_only.winding_c[same], rtol=0, atol=1e-9)
    assert model_only.winding_c[0] - 25.0 > 30.0
    rise_ratio = (with_drives.winding_c[[0, 6]] - 25.0) / (model_only.winding_c[[0, 6]] - 25.0)
    assert np.all((rise_ratio > 1.2) & (rise_ratio < 1.3)), rise_ratio


def test_a_cool_motor_keeps_its_peak_torque():
    body = MotorThermal(load_datasheets(SHEETS), ThermalLimits(), effort_limit_nm=EFFORT_LIMIT)
    np.testing.assert_allclose(body.torque_limit_nm, EFFORT_LIMIT)
    command = np.array([80.0, -80.0, 10.0, 0.0, 11.0, -11.0, 1.0])
    np.testing.assert_array_equal(body.derate(command), command)
    assert not body.derating.any()


def test_the_estimate_starts_at_the_housing_reading_or_the_ambient():
    hot = MotorThermal(load_datasheets(SHEETS), ThermalLimits(), effort_limit_nm=EFFORT_LIMIT,
                       housing_c=np.array([60.0, 61.0, np.nan, 60.0, 60.0, 60.0, 60.0]))
    np.testing.assert_allclose(hot.winding_c, [60.0, 61.0, 25.0, 60.0, 60.0, 60.0, 60.0])
    cold = MotorThermal(load_datasheets(SHEETS), ThermalLimits(ambient_c=10.0), effort_limit_nm=EFFORT_LIMIT)
    np.testing.assert_allclose(cold.magnet_c, 10.0)


def test_the_magnets_lag_the_winding_and_settle_at_the_sheets_rise():
    sheets = load_datasheets(SHEETS)
    body = MotorThermal(sheets, ThermalLimits(), effort_limit_nm=EFFORT_LIMIT, housing_c=np.full(7, 25.0),
                        protect=False)
    torque = 2.0 * RATED_NM
    rises = {}
    for k in range(int(1500.0 / 0.05)):
        body.wrote(torque)
        body.update(0.05, np.full(7, 25.0))
        if k + 1 in (200, 30000):            # 10 s and 1500 s
            rises[k + 1] = (body.winding_c - 25.0, body.magnet_c - 25.0)
    winding, magnet = rises[200]
    assert np.all(winding > 10.0) and np.all(magnet < 0.05 * winding), "the rotor cannot warm before its winding"
    winding, magnet = rises[30000]
    gain = [s.magnet_k_per_w / (s.fast_k_per_w + s.slow_k_per_w) for s in sheets]
    np.testing.assert_allclose(magnet / winding, gain, rtol=0.02)


def test_the_prediction_is_where_the_model_gets_at_a_constant_load():
    body = loaded(40.0, np.array([20.0, 40.0, 10.0, 30.0, 2.0, 4.0, 1.0]), seconds=60.0)
    twin = loaded(40.0, np.array([20.0, 40.0, 10.0, 30.0, 2.0, 4.0, 1.0]), seconds=60.0)
    winding, magnet = body.predict(300.0)
    for _ in range(int(300.0 / 0.01)):         # the mean square torque of the last second, held
        twin.wrote(np.array([20.0, 40.0, 10.0, 30.0, 2.0, 4.0, 1.0]))
        twin.update(0.01, np.full(7, 40.0))
    # The prediction holds the loss at today's resistance (the copper's rise over the horizon
    # adds a few per cent): the rises agree to that.
    np.testing.assert_allclose(winding - 40.0, twin.winding_c - 40.0, rtol=0.06)
    np.testing.assert_allclose(magnet - 40.0, twin.magnet_c - 40.0, rtol=0.04)
    assert np.all((twin.magnet_c - body.magnet_c)[[1, 3, 5]] > 5.0), "the check should span a real rise"


def test_a_hot_housing_makes_the_magnets_the_bound_that_derates():
    # At 128 C on the housing the winding may still rise 7 C, which would take the magnets past
    # 130 C: the magnets' bound sets the limit, and holds them there.
    body = MotorThermal(load_datasheets(SHEETS), ThermalLimits(), effort_limit_nm=EFFORT_LIMIT,
                        housing_c=np.full(7, 128.0))
    for _ in range(int(1500.0 / 0.05)):
        body.wrote(body.derate(3.0 * RATED_NM))
        body.update(0.05, np.full(7, 128.0))
    winding_only = (135.0 - 128.0) / np.array([s.fast_k_per_w + s.slow_k_per_w for s in load_datasheets(SHEETS)])
    r_hot = np.array([s.resistance_25c_ohm for s in load_datasheets(SHEETS)]) * (1 + 0.00393 * (135.0 - 25.0))
    torque_per_a = np.array([s.kt_nm_per_a * s.ratio for s in load_datasheets(SHEETS)])
    assert np.all(body.torque_limit_nm < 0.95 * np.sqrt(winding_only / r_hot) * torque_per_a)
    assert np.all(body.magnet_c < 130.0 + 0.5) and np.all(body.magnet_c > 129.0)


def loaded(housing_c, torque_nm, seconds=2.0):
    body = MotorThermal(load_datasheets(SHEETS), ThermalLimits(), effort_limit_nm=EFFORT_LIMIT,
                        housing_c=np.full(7, housing_c))
    for _ in range(int(seconds / 0.01)):
        body.wrote(torque_nm)
        body.update(0.01, np.full(7, housing_c))
    return body


def test_a_primitive_predicted_to_overheat_a_joint_is_refused_with_206():
    load = np.array([5.0, 30.0, 2.0, 20.0, 1.0, 1.0, 0.5])
    body = loaded(126.0, load)
    body.check(5.0, "wait")                                  # a short one fits
    with pytest.raises(OverTemperatureError) as info:
        body.check(120.0, "wait 120 s")
    assert info.value.code is ErrorCode.OVER_TEMPERATURE
    assert "joint 2" in str(info.value) and "would overheat" in str(info.value)
    loaded(40.0, load).check(300.0, "a long wait")           # the same load on a cool arm is fine
    off = loaded(126.0, load)
    off.protect = False
    off.check(120.0, "unprotected")


def test_a_weak_motors_command_is_derated_on_what_its_drive_will_be_written():
    # The body writes a demagnetised joint's command scaled up by 1 / share: the current limit
    # applies to that, so the joint's torque is limited to the limit times its share.
    body = loaded(120.0, np.array([30.0] * 4 + [30.0 / 7.0] * 3), seconds=30.0)
    limit = body.torque_limit_nm
    assert np.all((limit > 1.0) & (limit < body.effort_limit_nm)), "a hot motor, derated but not to nothing"
    share = np.array([1.0, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0])
    command = 0.9 * limit
    np.testing.assert_allclose(body.derate(command), command)
    np.testing.assert_allclose(body.derate(command, share), [*command[:1], 0.8 * limit[1], *command[2:]])
    assert body.derating.tolist() == [False, True] + [False] * 5


def test_a_derated_joint_refuses_new_primitives():
    body = loaded(134.5, np.zeros(7))
    body.derate(np.array([0.0, 60.0, 0.0, 0.0, 0.0, 0.0, 0.0]))
    assert body.derating[1]
    with pytest.raises(OverTemperatureError, match="joint 2 is derated"):
        body.check(1.0, "reach")


def test_datasheets_are_read_and_checked(tmp_path):
    sheets = load_datasheets(SHEETS)
    assert sheets[0].kt_nm_per_a == 0.1 and sheets[6].ratio == 100.0
    with pytest.raises(BrainBodyError, match="unknown motor datasheet"):
        load_datasheets(("huge",) * 7)
    bad = tmp_path / "sheets.yaml"
    bad.write_text("sheets:\n  x: {ratio: 1.0}\n")
    with pytest.raises(BrainBodyError, match="keys"):
        load_datasheets(("x",) * 7, bad)


def test_the_estimator_and_the_plant_share_no_code_or_data():
    import ast
    import pathlib

    import brainbody
    root = pathlib.Path(brainbody.__file__).resolve().parent

    def imports(path):
        names = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names.append(node.module or "")
        return names

    body, plant = root / "body" / "motor_thermal.py", root / "sim" / "motor_thermal.py"
    assert not [n for n in imports(body) if n.startswith("brainbody.sim")]
    assert not [n for n in imports(plant) if n.startswith("brainbody.body")]
    assert "sim_motor_thermal" not in body.read_text() and "motor_datasheets" not in plant.read_text()


def test_a_drive_misreporting_its_voltage_is_not_believed_and_is_counted():
    """A voltage stuck at the bus voltage puts the winding at over 1000 C: skipped and counted;
    the estimate stays the model's (stuck from the start, it never becomes the calibration). A
    sound drive's readings give the winding's resistance."""
    make = lambda: MotorThermal(load_datasheets(SHEETS), ThermalLimits(), effort_limit_nm=EFFORT_LIMIT,  # noqa: E731
                                housing_c=np.full(7, 25.0), protect=False)
    model_only, stuck = make(), make()
    plant = MotorThermalPlant(MotorThermalPlantConfig(seed=0), period_s=DT_S, torque_limit_nm=EFFORT_LIMIT)
    sound = make()
    torque = 3.0 * RATED_NM
    assert np.all(np.isnan(sound.winding_resistance_ohm))
    for k in range(int(60.0 / DT_S)):
        for body in (model_only, stuck, sound):
            body.wrote(torque)
        voltage = plant.drive_voltage_v
        voltage[1] = 48.0                   # from the start: it must not become the calibration
        voltage[2] = 0.0                    # a dead voltage reading: nothing to divide by
        if k > int(10.0 / DT_S):
            voltage[0] = 48.0
        stuck.update(DT_S, np.full(7, 25.0), drive_current_a=plant.drive_current_a, drive_voltage_v=voltage,
                     joint_speed_radps=np.zeros(7))
        sound.update(DT_S, plant.housing_sensor_c, drive_current_a=plant.drive_current_a,
                     drive_voltage_v=plant.drive_voltage_v, joint_speed_radps=np.zeros(7))
        model_only.update(DT_S, np.full(7, 25.0))
        plant.torque(torque)
        plant.step(np.zeros(7))
    counts = stuck.implausible_drive_readings
    assert counts[0] > 100 and counts[1] > 50 and counts[2] > 50 and np.all(counts[3:] == 0)
    assert abs(stuck.winding_c[0] - model_only.winding_c[0]) < 3.0
    np.testing.assert_allclose(stuck.winding_c[1:3], model_only.winding_c[1:3], rtol=0, atol=1e-9)
    assert np.all(np.isnan(stuck.winding_resistance_ohm[1:3]))
    assert np.all(sound.implausible_drive_readings == 0)
    # The plant's winding resistance in the datasheet's terms: 1.03 ohm (large) at 25 C, +0.393 %/C.
    r_expected = np.array([1.03] * 4 + [4.1] * 3) * (1.0 + 0.00393 * (plant.winding_c - 25.0))
    np.testing.assert_allclose(sound.winding_resistance_ohm, r_expected, rtol=0.01)
