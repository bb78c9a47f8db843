"""The simulated drivetrain (sim/drivetrain.py) and the body's compensators (body/backlash.py,
friction_compensation.py, compliance.py, drivetrain_estimates.py), each against
expectations written out here, not against each other."""
import ast
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from brainbody.body.backlash import BacklashCompensation
from brainbody.body.body_config import BodyConfig
from brainbody.body.compliance import ComplianceCompensation
from brainbody.body.drivetrain_estimates import ARCMIN_RAD, load_estimates
from brainbody.body.friction_compensation import FrictionCompensation
from brainbody.exceptions import BrainBodyError
from brainbody.sim import drivetrain as plant
from brainbody.sim.scene import SceneConfig
from brainbody.sim.simulator import Simulator

SRC = Path(__file__).resolve().parents[2] / "src" / "brainbody" / "brainbody"
READY = np.array(BodyConfig().home_q_rad)


# -- plant ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def budget_sim():
    return Simulator(SceneConfig(drivetrain=("budget_planetary",) * 7), home_q_rad=READY)


def test_profiles_load_and_differ_as_documented():
    profiles = plant.load_profiles()
    harmonic, budget = profiles["harmonic"][0], profiles["budget_planetary"][0]
    assert harmonic.backlash_arcmin <= 1.5 and 15 <= budget.backlash_arcmin <= 30
    assert harmonic.armature_kgm2 == pytest.approx(harmonic.rotor_inertia_kgm2 * harmonic.ratio ** 2)
    assert budget.lost_motion_rad == pytest.approx(20 * math.pi / 10800)


def test_unknown_profile_and_bad_values_are_refused(tmp_path):
    with pytest.raises(BrainBodyError, match="unknown drivetrain profile"):
        plant.resolve(["harmonic"] * 6 + ["bogus"], plant.load_profiles())
    bad = tmp_path / "p.yaml"
    text = Path(plant.default_profiles_path()).read_text().replace("backlash_arcmin: 20.0", "backlash_arcmin: -1")
    bad.write_text(text)
    with pytest.raises(BrainBodyError, match="backlash_arcmin"):
        plant.load_profiles(bad)


def test_gear_twist_is_free_inside_the_gap_and_piecewise_stiff_outside(budget_sim):
    drive = budget_sim.drivetrain
    b = plant.load_profiles()["budget_planetary"][0]
    half = 0.5 * b.lost_motion_rad
    twist = np.full(7, 0.9 * half)
    assert np.all(drive.twist_torque(twist) == 0.0)
    # Just past the gap: K1. Far past: the torque at T2 plus K3 beyond.
    d = 1e-5
    assert drive.twist_torque(np.full(7, half + d))[0] == pytest.approx(b.stiffness_k1_nm_per_rad * d)
    th2 = b.stiffness_t1_nm / b.stiffness_k1_nm_per_rad + (b.stiffness_t2_nm - b.stiffness_t1_nm) / b.stiffness_k2_nm_per_rad
    far = half + th2 + 1e-4
    assert drive.twist_torque(np.full(7, -far))[0] == pytest.approx(-(b.stiffness_t2_nm + b.stiffness_k3_nm_per_rad * 1e-4))
    assert np.allclose(drive.twist_for_torque(drive.twist_torque(np.full(7, far))), far)


def test_arm_starts_at_rest_with_gears_preloaded(budget_sim):
    sim = Simulator(SceneConfig(drivetrain=("budget_planetary",) * 7), home_q_rad=READY)
    start = sim.link_angle_rad().copy()
    # Hold the motors with a stiff spring + the plant's own gravity on the link side: the
    # preloaded twist already carries the load, so the links barely move.
    m = sim.model
    link_dofs = [m.jnt_dofadr[m.joint(f"panda_joint{i}_gear").id] for i in range(1, 8)]
    q0 = sim.read().q_rad.copy()
    for _ in range(300):
        s = sim.read()
        sim.write(3000 * (q0 - s.q_rad) - 100 * s.qd_radps + sim.data.qfrc_bias[link_dofs], np.zeros(2))
        sim.step()
    assert np.max(np.abs(sim.link_angle_rad() - start)) < 2e-4
    assert sim.mujoco_warnings() == 0


def test_encoders_quantise_the_motor_and_never_see_the_twist(budget_sim):
    state = budget_sim.read()
    quantum = 2 * math.pi / (4096 * 50.0)      # budget profile: 4096 counts/rev, ratio 50
    counts = state.q_rad / quantum
    assert np.allclose(counts, np.round(counts), atol=1e-6)
    assert state.q_link_rad is None            # the budget profile has no link encoder
    twist = budget_sim.link_angle_rad() - budget_sim.drivetrain.motor_angle_rad(budget_sim.data)
    assert np.max(np.abs(twist)) > 1e-3        # gravity-loaded joints sit on a flank


def test_plant_and_compensators_share_no_code():
    """The plant must not be judged by its own model: no imports across the line."""
    def imports(path):
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return names
    for path in (SRC / "body").glob("*.py"):
        assert not any(n.startswith("brainbody.sim") for n in imports(path)), path
    for path in (SRC / "sim").glob("*.py"):
        assert not any(n.startswith("brainbody.body") and n != "brainbody.body.hardware" for n in imports(path)), path


# -- estimates and compensators ------------------------------------------------------------
def test_estimates_are_the_bodys_own_and_validated(tmp_path):
    est = load_estimates(("budget_planetary",) + ("harmonic",) * 6)
    assert est.backlash_rad[0] == pytest.approx(19 * ARCMIN_RAD)       # believes 19, the plant has 20
    assert est.backlash_rad[1] == pytest.approx(1.1 * ARCMIN_RAD)
    with pytest.raises(BrainBodyError, match="unknown drivetrain estimate set"):
        load_estimates(("harmonic",) * 6 + ("nope",))
    with pytest.raises(BrainBodyError, match="7 joints"):
        load_estimates(("harmonic",) * 3)
    with pytest.raises(ValueError, match="drivetrain_estimates"):
        BodyConfig(drivetrain_estimates=("harmonic",) * 6)


def test_compliance_inverts_the_catalogue_curve():
    est = load_estimates(("harmonic",) * 7)
    comp = ComplianceCompensation(est)
    k1, k2, k3 = (k[0] for k in est.stiffness_k_nm_per_rad)
    t1, t2 = (t[0] for t in est.stiffness_t_nm)
    for torque, expected in ((t1 / 2, t1 / 2 / k1), (t1, t1 / k1), ((t1 + t2) / 2, t1 / k1 + (t2 - t1) / 2 / k2),
                             (t2 + 10, t1 / k1 + (t2 - t1) / k2 + 10 / k3)):
        assert comp.deflection_rad(np.full(7, torque))[0] == pytest.approx(expected)
        assert comp.deflection_rad(np.full(7, -torque))[0] == pytest.approx(-expected)
    assert comp.deflection_rad(np.zeros(7))[0] == 0.0


def test_friction_feedforward_is_zero_at_rest_and_follows_the_model_when_moving():
    est = load_estimates(("harmonic",) * 7)
    f = FrictionCompensation(est, smoothing_velocity_radps=0.001)
    assert np.all(f.motor_side_nm(np.zeros(7)) == 0.0)
    fast = f.motor_side_nm(np.full(7, 1.0))
    assert fast == pytest.approx(est.coulomb_nm + est.viscous_nms_per_rad, rel=1e-6)
    slow = f.motor_side_nm(np.full(7, -0.005))     # in the Stribeck region: near static
    assert np.all(slow < 0) and np.all(-slow > est.coulomb_nm)
    assert f.output_side_nm(np.full(7, 0.5)) == pytest.approx(est.output_coulomb_nm)


DT = 0.001   # control period of the backlash tests (s)


def _backlash(**kw):
    est = load_estimates(("budget_planetary",) * 7)
    args = dict(reversal_torque_nm=0.02, static_torque_nm=1.0, min_speed_radps=0.002, takeup_s=0.1)
    args.update(kw)
    return est, BacklashCompensation(est, **args)


def test_backlash_offset_takes_up_the_gap_towards_the_transmitted_torque():
    est, comp = _backlash()
    moving = np.full(7, 0.1)
    offset, _, _ = comp.update(np.full(7, 2.0), moving, DT)
    assert offset == pytest.approx(0.5 * est.backlash_rad)            # starts on the loaded flank
    for _ in range(150):                                               # torque reverses while moving
        offset, rate, _ = comp.update(np.full(7, -2.0), -moving, DT)
    assert offset == pytest.approx(-0.5 * est.backlash_rad, rel=0.02)
    assert np.all(np.abs(rate) < 0.05 * est.backlash_rad / 0.1)       # and has come to rest there


@pytest.mark.parametrize("dt_s", [0.0005, 0.002])
def test_backlash_take_up_lasts_the_same_time_at_any_control_rate(dt_s):
    """The take-up runs on the measured period: at 2 kHz or 500 Hz it follows the 1 kHz run."""
    reference, fast = _backlash()[1], _backlash()[1]
    moving = np.full(7, 0.1)
    reference.update(np.full(7, 2.0), moving, DT)
    fast.update(np.full(7, 2.0), moving, dt_s)
    for _ in range(60):                  # 60 ms into a reversal
        reference.update(np.full(7, -2.0), -moving, DT)
    for _ in range(int(round(60 * DT / dt_s))):
        fast.update(np.full(7, -2.0), -moving, dt_s)
    assert fast.side == pytest.approx(reference.side, abs=0.03)
    assert np.all(np.abs(reference.side) < 0.95)      # mid take-up: the comparison means something


def test_backlash_side_is_held_at_rest_without_a_clear_load():
    est, comp = _backlash()
    comp.update(np.full(7, 2.0), np.full(7, 0.1), DT)
    for _ in range(300):     # at rest, torque dithering around zero: no take-up, no hunting
        offset, _, _ = comp.update(np.full(7, 0.3) * (-1) ** _, np.zeros(7), DT)
    assert offset == pytest.approx(0.5 * est.backlash_rad)
    for _ in range(300):     # a real static load on the other flank (gravity) does move it
        offset, _, _ = comp.update(np.full(7, -3.0), np.zeros(7), DT)
    assert offset == pytest.approx(-0.5 * est.backlash_rad, rel=0.02)


def test_all_switches_off_is_plain_pid_with_gravity():
    from brainbody.body.joint_servo import JointServo
    from brainbody.body.robot_model import RobotModel
    from brainbody.sim.scene import default_urdf_path
    config = BodyConfig(inertia_feedforward=False, friction_compensation=False, backlash_compensation=False,
                        compliance_compensation=False, joint_integral_gain_nm_per_rad_s=(0.0,) * 7)
    model = RobotModel(default_urdf_path())
    servo = JointServo(config, model, 0.001)
    q, qd = READY + 0.01, np.full(7, 0.05)
    tau = servo.torque(READY, np.zeros(7), q, qd)
    expected = (np.array(config.joint_stiffness_nm_per_rad) * (READY - q)
                - np.array(config.joint_damping_nms_per_rad) * qd + model.gravity_nm(q))
    assert tau == pytest.approx(np.clip(expected, -model.effort_limit_nm, model.effort_limit_nm))
    assert not any(v for k, v in servo.compensation_state.items() if k != "gravity")
