"""Checks of urdf/panda.urdf: it loads in Pinocchio and MuJoCo, both agree, and both agree with
an independent modified-DH forward kinematics written here from Franka's published table."""
from pathlib import Path

import numpy as np
import pytest

import mujoco
import pinocchio as pin

URDF = Path(__file__).resolve().parents[2] / "urdf" / "panda.urdf"

ARM_JOINTS = [f"panda_joint{i}" for i in range(1, 8)]
FINGER_JOINTS = ["panda_finger_joint1", "panda_finger_joint2"]
ALL_JOINTS = ARM_JOINTS + FINGER_JOINTS
TCP = "panda_tcp"

# Specification (Franka "Robot and interface specifications"; Franka Hand).
LOWER = np.array([-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973, 0.0, 0.0])
UPPER = np.array([2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973, 0.04, 0.04])
VELOCITY = np.array([2.175] * 4 + [2.61] * 3 + [0.2, 0.2])
EFFORT = np.array([87.0] * 4 + [12.0] * 3 + [100.0, 100.0])

# Gaz et al., IEEE RA-L 2019, identified link masses 1..7 [kg].
GAZ_MASSES = [4.970684, 0.646926, 3.228604, 3.587895, 1.225946, 1.666555, 0.735522]
BASE_MASS, HAND_MASS, FINGER_MASS = 0.629769, 0.73, 0.015

# Craig / modified DH of the Panda (Franka documentation): (a_{i-1}, d_i, alpha_{i-1}).
MDH = [
    (0.0, 0.333, 0.0),
    (0.0, 0.0, -np.pi / 2),
    (0.0, 0.316, np.pi / 2),
    (0.0825, 0.0, np.pi / 2),
    (-0.0825, 0.384, -np.pi / 2),
    (0.0, 0.0, np.pi / 2),
    (0.088, 0.0, np.pi / 2),
]
FLANGE_D = 0.107
HAND_YAW = -np.pi / 4
TCP_OFFSET = 0.1034

Q_FK = np.array([0.0, 0.0, 0.0, -np.pi / 2, 0.0, np.pi / 2, np.pi / 4])
Q_READY = np.array([0.0, -np.pi / 4, 0.0, -3 * np.pi / 4, 0.0, np.pi / 2, np.pi / 4])


def _rx(a):
    c, s = np.cos(a), np.sin(a)
    T = np.eye(4)
    T[1:3, 1:3] = [[c, -s], [s, c]]
    return T


def _rz(a):
    c, s = np.cos(a), np.sin(a)
    T = np.eye(4)
    T[0:2, 0:2] = [[c, -s], [s, c]]
    return T


def _tr(x=0.0, y=0.0, z=0.0):
    T = np.eye(4)
    T[:3, 3] = (x, y, z)
    return T


def dh_tcp(q):
    """World pose of the TCP from the modified-DH table: T_i = Rx(alpha) Tx(a) Rz(q) Tz(d)."""
    T = np.eye(4)
    for (a, d, alpha), qi in zip(MDH, q):
        T = T @ _rx(alpha) @ _tr(x=a) @ _rz(qi) @ _tr(z=d)
    return T @ _tr(z=FLANGE_D) @ _rz(HAND_YAW) @ _tr(z=TCP_OFFSET)


@pytest.fixture(scope="module")
def mj():
    model = mujoco.MjModel.from_xml_path(str(URDF))
    return model, mujoco.MjData(model)


@pytest.fixture(scope="module")
def pn():
    model = pin.buildModelFromUrdf(str(URDF))
    return model, model.createData()


def _mj_qpos_index(model):
    return np.array([model.jnt_qposadr[model.joint(n).id] for n in ALL_JOINTS])


def mj_tcp(mj, q):
    model, data = mj
    data.qpos[:] = 0.0
    data.qpos[_mj_qpos_index(model)] = q
    mujoco.mj_forward(model, data)
    b = model.body(TCP).id
    return data.xpos[b].copy(), data.xmat[b].reshape(3, 3).copy()


def pin_q(pn, q):
    model, _ = pn
    out = pin.neutral(model)
    for name, qi in zip(ALL_JOINTS, q):
        out[model.joints[model.getJointId(name)].idx_q] = qi
    return out


def pin_tcp(pn, q):
    model, data = pn
    pin.framesForwardKinematics(model, data, pin_q(pn, q))
    M = data.oMf[model.getFrameId(TCP)]
    return M.translation.copy(), M.rotation.copy()


def _full(q_arm, fingers=(0.04, 0.04)):
    return np.concatenate([q_arm, fingers])


def test_both_load_with_nine_joints(mj, pn):
    model, _ = mj
    assert model.njnt == 9
    types = [model.jnt_type[model.joint(n).id] for n in ALL_JOINTS]
    assert types == [mujoco.mjtJoint.mjJNT_HINGE] * 7 + [mujoco.mjtJoint.mjJNT_SLIDE] * 2
    pm, _ = pn
    assert pm.nq == 9 and pm.nv == 9
    assert list(pm.names)[1:] == ALL_JOINTS
    for name in ("panda_link0", "panda_link8", "panda_hand", TCP, "panda_leftfinger",
                 "panda_rightfinger", "panda_leftpad", "panda_rightpad"):
        assert model.body(name).id >= 0
        assert pm.existFrame(name)


def test_joint_limits_match_spec_in_both(mj, pn):
    model, _ = mj
    ids = [model.joint(n).id for n in ALL_JOINTS]
    np.testing.assert_allclose(model.jnt_range[ids, 0], LOWER, atol=1e-12)
    np.testing.assert_allclose(model.jnt_range[ids, 1], UPPER, atol=1e-12)
    assert all(model.jnt_limited[ids])
    np.testing.assert_allclose(model.jnt_actfrcrange[ids, 1], EFFORT)
    pm, _ = pn
    idx = [pm.joints[pm.getJointId(n)].idx_q for n in ALL_JOINTS]
    np.testing.assert_allclose(pm.lowerPositionLimit[idx], LOWER, atol=1e-12)
    np.testing.assert_allclose(pm.upperPositionLimit[idx], UPPER, atol=1e-12)
    np.testing.assert_allclose(pm.velocityLimit[idx], VELOCITY)
    np.testing.assert_allclose(pm.effortLimit[idx], EFFORT)


def test_forward_kinematics_pinocchio_equals_mujoco_equals_dh(mj, pn):
    rng = np.random.default_rng(20190)
    for _ in range(20):
        q = rng.uniform(LOWER, UPPER)
        p_mj, R_mj = mj_tcp(mj, q)
        p_pn, R_pn = pin_tcp(pn, q)
        np.testing.assert_allclose(p_pn, p_mj, atol=1e-6)
        np.testing.assert_allclose(R_pn, R_mj, atol=1e-6)
        T = dh_tcp(q[:7])
        np.testing.assert_allclose(p_mj, T[:3, 3], atol=1e-6)
        np.testing.assert_allclose(R_mj, T[:3, :3], atol=1e-6)


def test_tcp_position_against_dh_table(mj, pn):
    T = dh_tcp(Q_FK)
    # Hand-checkable value: x = 0.088 + 0.384 + 0.0825 (elbow bent 90 deg), z = 0.333 + 0.316 + 0.0825
    # - 0.107 - 0.1034 with the tool pointing down.
    np.testing.assert_allclose(T[:3, 3], [0.5545, 0.0, 0.5211], atol=1e-9)
    for fk in (mj_tcp(mj, _full(Q_FK)), pin_tcp(pn, _full(Q_FK))):
        np.testing.assert_allclose(fk[0], T[:3, 3], atol=1e-6)


def test_tool_points_down_at_ready_pose(mj, pn):
    for _, R in (mj_tcp(mj, _full(Q_READY)), pin_tcp(pn, _full(Q_READY))):
        assert R[:, 2] @ np.array([0.0, 0.0, -1.0]) > 1.0 - 1e-9
    np.testing.assert_allclose(dh_tcp(Q_READY)[:3, 2], [0.0, 0.0, -1.0], atol=1e-9)


def test_ready_pose_is_collision_free(mj):
    model, data = mj
    mj_tcp(mj, _full(Q_READY))
    pairs = [(model.geom(c.geom1).name, model.geom(c.geom2).name) for c in data.contact[: data.ncon]]
    assert data.ncon == 0, pairs


def test_masses_are_gaz_values(mj, pn):
    model, _ = mj
    arm = [model.body_mass[model.body(f"panda_link{i}").id] for i in range(1, 8)]
    np.testing.assert_allclose(arm, GAZ_MASSES, atol=1e-9)
    assert sum(arm) == pytest.approx(sum(GAZ_MASSES), abs=1e-9)
    total = sum(GAZ_MASSES) + BASE_MASS + HAND_MASS + 2 * FINGER_MASS
    assert model.body_mass.sum() == pytest.approx(total, abs=1e-9)
    pm, _ = pn  # Pinocchio merges fixed links into their parent joint's body (link0 into the universe)
    assert sum(inertia.mass for inertia in pm.inertias) == pytest.approx(total, abs=1e-9)
    assert pm.inertias[pm.getJointId("panda_joint3")].mass == pytest.approx(GAZ_MASSES[2], abs=1e-9)


def test_gravity_torques_agree(mj, pn):
    """Same inertials in both engines: generalised gravity forces at random configurations."""
    model, data = mj
    pm, pd = pn
    idx_mj = [model.jnt_dofadr[model.joint(n).id] for n in ALL_JOINTS]
    idx_pn = [pm.joints[pm.getJointId(n)].idx_v for n in ALL_JOINTS]
    rng = np.random.default_rng(7)
    for _ in range(5):
        q = rng.uniform(LOWER, UPPER)
        mj_tcp(mj, q)
        g_mj = data.qfrc_bias[idx_mj]
        g_pn = pin.computeGeneralizedGravity(pm, pd, pin_q(pn, q))[idx_pn]
        np.testing.assert_allclose(g_pn, g_mj, atol=1e-6)


def _pad_gap(mj, fingers):
    """Distance between the pad inner faces along the hand's closing axis (MuJoCo geoms)."""
    model, data = mj
    mj_tcp(mj, _full(Q_READY, fingers))
    y_hand = data.xmat[model.body("panda_hand").id].reshape(3, 3)[:, 1]
    spans = {}
    for side in ("left", "right"):
        body = model.body(f"panda_{side}pad").id
        (g,) = [g for g in range(model.ngeom)
                if model.geom_bodyid[g] == body and model.geom_contype[g] | model.geom_conaffinity[g]]
        assert model.geom_type[g] == mujoco.mjtGeom.mjGEOM_BOX
        R = data.geom_xmat[g].reshape(3, 3)
        c = data.geom_xpos[g] @ y_hand
        half = np.abs(R.T @ y_hand) @ model.geom_size[g]
        spans[side] = (c - half, c + half, data.geom_xpos[g])
    return spans["left"][0] - spans["right"][1], spans


def test_pad_faces_open_to_eight_centimetres(mj):
    gap, _ = _pad_gap(mj, (0.04, 0.04))
    assert gap == pytest.approx(0.08, abs=1e-9)
    gap, _ = _pad_gap(mj, (0.0, 0.0))
    assert gap == pytest.approx(0.0, abs=1e-9)
    gap, _ = _pad_gap(mj, (0.01, 0.025))
    assert gap == pytest.approx(0.035, abs=1e-9)


def test_pads_centred_on_tcp(mj):
    _, spans = _pad_gap(mj, (0.02, 0.02))
    p_tcp, _ = mj_tcp(mj, _full(Q_READY, (0.02, 0.02)))
    midpoint = 0.5 * (spans["left"][2] + spans["right"][2])
    np.testing.assert_allclose(midpoint, p_tcp, atol=1e-9)
