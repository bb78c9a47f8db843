"""The honest plant: a particular robot that differs from its datasheet, invisibly to the body."""
from __future__ import annotations

import math

import mujoco
import numpy as np
import pytest

from brainbody.jit import records
from brainbody.sim import plant_realism
from brainbody.sim.scene import ARM_JOINTS, SceneConfig, build_model
from brainbody.sim.simulator import Simulator

HOME = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])


def _lugre(static=1.0, coulomb=0.8, viscous=0.1, room=25.0):
    p = records(1, plant_realism._FRICTION)
    p["sigma0"], p["sigma1"], p["sigma1_velocity"] = static / 2e-4, 30.0, 0.01
    p["coulomb"], p["static"], p["stribeck_velocity"] = coulomb, static, 0.02
    p["viscous_25c"], p["viscous_temp_coeff"], p["ratio"] = viscous, 0.025, 100.0
    p["heat_capacity"], p["resistance"], p["room_temp"] = 150.0, 1.5, room
    p["lube_temp"] = room
    return p


def _friction(p, q, v, dt=1e-3):
    qpos, qvel, qfrc = np.array([q]), np.array([v]), np.zeros(1)
    index = np.zeros(1, dtype=np.int64)
    plant_realism._lugre_step(p, index, index, qpos, qvel, qfrc, dt)
    return -qfrc[0]


def test_sliding_friction_settles_at_coulomb_plus_viscous():
    p = _lugre()
    for _ in range(200):
        f = _friction(p, 0.0, 1.0)
    assert f == pytest.approx(0.8 + 0.1 * 1.0, rel=0.02)
    for _ in range(200):
        f = _friction(p, 0.0, -1.0)
    assert f == pytest.approx(-0.9, rel=0.02)


def test_presliding_is_a_spring_with_hysteresis_not_a_coulomb_step():
    """A tiny back-and-forth well inside the bristle deflection gives a force that grows with
    the displacement and lags it (a loop), where a Coulomb map would jump to +/- the level."""
    p = _lugre()
    q, dt, forces, displacements = 0.0, 1e-3, [], []
    for k in range(2000):
        v = 2e-5 * 2 * math.pi * math.cos(2 * math.pi * k * dt)   # 20 urad amplitude at 1 Hz
        forces.append(_friction(p, q, v, dt))
        q += v * dt
        displacements.append(q)
    forces, displacements = np.array(forces[1000:]), np.array(displacements[1000:])
    assert np.max(np.abs(forces)) < 0.5 * 0.8       # well under the sliding level
    # Same displacement, going up and coming down: different forces (hysteresis).
    rising = np.gradient(displacements) > 0
    centre = 0.5 * (displacements.max() + displacements.min())
    mid = np.abs(displacements - centre) < 2e-6
    assert np.mean(forces[mid & rising]) - np.mean(forces[mid & ~rising]) > 0.01


def test_viscous_friction_thins_as_the_lubricant_warms():
    cold, warm = _lugre(room=10.0), _lugre(room=40.0)
    for _ in range(300):
        f_cold, f_warm = _friction(cold, 0.0, 2.0), _friction(warm, 0.0, 2.0)
    assert f_cold - f_warm == pytest.approx(0.1 * 2.0 * (math.exp(-0.025 * -15) - math.exp(-0.025 * 15)), rel=0.05)
    assert cold["lube_temp"][0] > 10.0      # friction heat warms it


def test_the_honest_unit_differs_from_the_urdf_and_the_ideal_one_does_not():
    ideal = build_model(SceneConfig())
    honest = build_model(SceneConfig(plant="honest", robot_seed=4))
    again = build_model(SceneConfig(plant="honest", robot_seed=4))
    other = build_model(SceneConfig(plant="honest", robot_seed=5))
    masses = lambda m: np.array([m.body(f"panda_link{i}").mass[0] for i in range(1, 8)])   # noqa: E731
    ratio = masses(honest) / masses(ideal)
    assert np.all(np.abs(ratio - 1.0) <= 0.16 + 1e-4) and np.any(np.abs(ratio - 1.0) > 0.01)
    assert np.array_equal(masses(honest), masses(again))          # a unit is a unit
    assert not np.array_equal(masses(honest), masses(other))
    payload = honest.body("unknown_payload").mass[0]
    assert 0.05 <= payload <= 0.25
    with pytest.raises(KeyError):
        ideal.body("unknown_payload")


def test_gear_stages_are_off_the_nominal_profile_within_the_unit_spread():
    nominal = SceneConfig().drivetrains()
    unit = SceneConfig(plant="honest", robot_seed=2).drivetrains()
    for n, u in zip(nominal, unit):
        assert u.stiffness_k1_nm_per_rad != n.stiffness_k1_nm_per_rad
        assert abs(u.stiffness_k1_nm_per_rad / n.stiffness_k1_nm_per_rad - 1) <= 0.12 + 1e-9
        assert abs(u.backlash_arcmin / n.backlash_arcmin - 1) <= 0.15 + 1e-9
        assert u.stiffness_t1_nm < u.stiffness_t2_nm and u.static_nm >= u.coulomb_nm
    # MuJoCo's hinges carry no motor friction on the honest plant: LuGre is applied explicitly.
    hinge = SceneConfig(plant="honest", robot_seed=2).hinge_drivetrains()
    assert all(h.static_nm == 0.0 and h.viscous_nms_per_rad == 0.0 for h in hinge)


def test_honest_sensors_are_noisy_and_biased_ideal_ones_are_exact_and_episodes_reproduce():
    readings = {}
    for plant in ("ideal", "honest"):
        sim = Simulator(SceneConfig(plant=plant, seed=1), home_q_rad=HOME)
        a, b = sim.read(), sim.read()
        readings[plant] = (a, b)
    (a, b) = readings["ideal"]
    assert np.array_equal(a.pad_force_xyz_n, b.pad_force_xyz_n) and np.array_equal(a.q_rad, b.q_rad)
    (a, b) = readings["honest"]
    assert not np.array_equal(a.pad_force_xyz_n, b.pad_force_xyz_n)
    assert np.all(np.abs(a.q_link_rad - b.q_link_rad) < 1e-9)     # eccentricity is a fixed error
    again = Simulator(SceneConfig(plant="honest", seed=1), home_q_rad=HOME).read()
    assert np.array_equal(again.pad_force_xyz_n, a.pad_force_xyz_n)


def test_the_drive_does_not_produce_exactly_the_commanded_torque():
    sim = Simulator(SceneConfig(plant="honest", robot_seed=1), home_q_rad=HOME)
    command = np.array([10.0, -20.0, 5.0, 30.0, 1.0, -2.0, 0.5])
    sim.write(command, np.zeros(2))
    produced = sim.data.ctrl[:7]
    assert not np.allclose(produced, command)
    assert np.all(np.abs(produced - command) < 0.035 * np.abs(command) + 0.5)
    # The unit's motors are a few per cent off their sheets (their own constants, not the drive's).
    factor = sim.realism.motors.kt_factor
    assert np.all(np.abs(factor - 1.0) <= 0.03) and np.ptp(factor) > 0.01
    np.testing.assert_allclose(sim.motor_thermal.kt_nm_per_a / np.array([0.1] * 4 + [0.05] * 3), factor)


def test_each_honest_unit_has_its_own_motors_thermally_and_the_ideal_one_the_motors_file():
    from brainbody.sim.motor_thermal import load_motors
    motors, _ = load_motors()
    nominal = np.array([motors["large"]["resistance_25c_ohm"]] * 4 + [motors["small"]["resistance_25c_ohm"]] * 3)
    ideal = Simulator(SceneConfig(), home_q_rad=HOME).motor_thermal.resistance_25c_ohm
    np.testing.assert_array_equal(ideal, nominal)
    units = [Simulator(SceneConfig(plant="honest", robot_seed=seed, seed=episode), home_q_rad=HOME)
             .motor_thermal.resistance_25c_ohm for seed, episode in ((0, 0), (1, 0), (1, 5))]
    for built in units:
        assert np.all(np.abs(built / nominal - 1.0) <= 0.05) and not np.allclose(built, nominal)
    assert not np.allclose(units[0], units[1])
    np.testing.assert_array_equal(units[1], units[2])      # the unit's, whatever the episode


def test_the_honest_arm_holds_still_at_home_under_a_plain_gravity_hold():
    """Sanity of the explicit friction (no numerical chatter or drift): held by its bristles
    and a gravity feed-forward from the true model, the arm stays put for a second."""
    sim = Simulator(SceneConfig(plant="honest", robot_seed=0), home_q_rad=HOME)
    start = sim.link_angle_rad().copy()
    arm_dof = [sim.model.jnt_dofadr[sim.model.joint(n).id] for n in ARM_JOINTS]
    for _ in range(1000):
        mujoco.mj_forward(sim.model, sim.data)
        sim.write(sim.data.qfrc_bias[arm_dof], np.zeros(2))
        sim.step()
    assert np.max(np.abs(sim.link_angle_rad() - start)) < 2e-3
    assert np.all(np.isfinite(sim.data.qvel))


def test_an_unknown_plant_name_is_refused():
    with pytest.raises(ValueError, match="plant must be one of ideal, honest"):
        SceneConfig(plant="perfect")


def test_the_hand_rig_of_an_honest_unit_has_its_pad_sensor_errors_too():
    from brainbody.sim.gripper_rig import GripperRig
    ideal, honest = GripperRig(SceneConfig(), object_kind="cup"), GripperRig(SceneConfig(plant="honest"), object_kind="cup")
    assert np.all(ideal.read().pad_force_xyz_n == 0.0)        # free pads read zero...
    assert np.any(np.abs(honest.read().pad_force_xyz_n) > 1e-4)   # ...a real unit's read their bias and noise
