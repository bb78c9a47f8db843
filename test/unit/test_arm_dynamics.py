"""The compiled arm dynamics the servo and the runtime monitor run every tick must equal
pinocchio's, from the same URDF, everywhere in the joint range."""
import numpy as np
import pinocchio as pin
import pytest

from brainbody.body import arm_dynamics
from brainbody.body.robot_model import TCP_FRAME, RobotModel
from brainbody.sim.scene import default_urdf_path


@pytest.fixture(scope="module")
def model():
    return RobotModel(default_urdf_path())


def _motions(model, count, seed):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield (rng.uniform(model.lower_rad, model.upper_rad), rng.uniform(-2.5, 2.5, 7), rng.uniform(-8.0, 8.0, 7))


def test_every_kernel_equals_pinocchio(model):
    chain, pose, data = model.chain, arm_dynamics.new_pose(), model.model.createData()
    tau, mass, position, velocity = np.zeros(7), np.zeros((7, 7)), np.zeros(3), np.zeros(3)
    tcp = model.model.getFrameId(TCP_FRAME)
    for q, qd, qdd in _motions(model, 100, seed=3):
        # A workspace last placed elsewhere must not leak into the result.
        arm_dynamics.place(chain, -q, pose)
        arm_dynamics.place(chain, q, pose)
        arm_dynamics.inverse_dynamics(chain, pose, qd, qdd, True, tau)
        np.testing.assert_allclose(tau, pin.rnea(model.model, data, q, qd, qdd), rtol=0, atol=1e-10)
        gravity = pin.computeGeneralizedGravity(model.model, data, q).copy()
        arm_dynamics.inverse_dynamics(chain, pose, qd, qdd, False, tau)
        np.testing.assert_allclose(tau, pin.rnea(model.model, data, q, qd, qdd) - gravity, rtol=0, atol=1e-10)
        arm_dynamics.inverse_dynamics(chain, pose, qd, qd[:0], True, tau)      # empty: no acceleration
        np.testing.assert_allclose(tau, pin.nonLinearEffects(model.model, data, q, qd), rtol=0, atol=1e-10)
        arm_dynamics.inverse_dynamics(chain, pose, qd[:0], qd[:0], True, tau)  # and no velocity
        np.testing.assert_allclose(tau, gravity, rtol=0, atol=1e-10)
        arm_dynamics.mass_matrix(chain, pose, mass)
        reference = pin.crba(model.model, data, q).copy()
        reference = np.triu(reference) + np.triu(reference, 1).T
        np.testing.assert_allclose(mass, reference, rtol=0, atol=1e-12)
        arm_dynamics.tool_motion(chain, pose, qd, position, velocity)
        pin.forwardKinematics(model.model, data, q, qd)
        np.testing.assert_allclose(position, pin.updateFramePlacement(model.model, data, tcp).translation,
                                   rtol=0, atol=1e-12)
        reference_v = pin.getFrameVelocity(model.model, data, tcp, pin.LOCAL_WORLD_ALIGNED).linear
        np.testing.assert_allclose(velocity, reference_v, rtol=0, atol=1e-12)


def test_the_monitor_observer_step_equals_the_coriolis_form(model):
    """The runtime monitor integrates (tau - b) dt + (M_k - M_k-1) qd for tau + C^T qd - g: with
    pinocchio's Coriolis matrix, the two differ by O(dt^2) over one step."""
    chain, pose, data = model.chain, arm_dynamics.new_pose(), model.model.createData()
    bias, before, after = np.zeros(7), np.zeros((7, 7)), np.zeros((7, 7))
    dt = 0.001
    for q, qd, _ in _motions(model, 20, seed=4):
        arm_dynamics.place(chain, q - qd * dt, pose)
        arm_dynamics.mass_matrix(chain, pose, before)
        arm_dynamics.place(chain, q, pose)
        arm_dynamics.mass_matrix(chain, pose, after)
        arm_dynamics.inverse_dynamics(chain, pose, qd, qd[:0], True, bias)
        discrete = -bias * dt + (after - before) @ qd
        coriolis = pin.computeCoriolisMatrix(model.model, data, q, qd).copy()
        continuous = (coriolis.T @ qd - pin.computeGeneralizedGravity(model.model, data, q)) * dt
        assert np.abs(discrete - continuous).max() < 50 * dt ** 2


def test_only_a_serial_revolute_arm_is_taken(model):
    full = pin.buildModelFromUrdf(str(default_urdf_path()))       # the fingers too: 9 joints
    with pytest.raises(ValueError, match="need 7 joints"):
        arm_dynamics.chain_parameters(full, full.getFrameId(TCP_FRAME))
    elbow = model.model.getFrameId("panda_link4")
    with pytest.raises(ValueError, match="not the last"):
        arm_dynamics.chain_parameters(model.model, elbow)
    heavy = model.model.copy()
    heavy.armature[:] = 0.1
    with pytest.raises(ValueError, match="armature"):
        arm_dynamics.chain_parameters(heavy, model.model.getFrameId(TCP_FRAME))


def test_any_serial_chain_of_revolute_joints_equals_pinocchio():
    """Axes along x, y, z and oblique ones, rotated placements, off-diagonal inertias: nothing of
    the Panda's own layout is assumed."""
    rng = np.random.default_rng(5)
    model = pin.Model()
    parent = 0
    joints = [pin.JointModelRX(), pin.JointModelRY(), pin.JointModelRZ()]
    for i in range(7):
        axis = rng.normal(size=3)
        joint = joints[i] if i < 3 else pin.JointModelRevoluteUnaligned(*(axis / np.linalg.norm(axis)))
        placement = pin.SE3(pin.exp3(rng.normal(size=3)), rng.uniform(-0.3, 0.3, 3))
        parent = model.addJoint(parent, joint, placement, f"j{i}")
        root = rng.normal(size=(3, 3))
        inertia = pin.Inertia(rng.uniform(0.5, 3.0), rng.uniform(-0.1, 0.1, 3), root @ root.T * 0.05 + np.eye(3) * 0.01)
        model.appendBodyToJoint(parent, inertia, pin.SE3.Identity())
    tool = model.addFrame(pin.Frame("tool", parent, 0, pin.SE3(np.eye(3), np.array([0.0, 0.02, 0.15])),
                                    pin.FrameType.OP_FRAME))
    data, chain, pose = model.createData(), arm_dynamics.chain_parameters(model, tool), arm_dynamics.new_pose()
    tau, mass, position, velocity = np.zeros(7), np.zeros((7, 7)), np.zeros(3), np.zeros(3)
    for _ in range(50):
        q, qd, qdd = rng.uniform(-np.pi, np.pi, 7), rng.uniform(-2.0, 2.0, 7), rng.uniform(-5.0, 5.0, 7)
        arm_dynamics.place(chain, q, pose)
        arm_dynamics.inverse_dynamics(chain, pose, qd, qdd, True, tau)
        np.testing.assert_allclose(tau, pin.rnea(model, data, q, qd, qdd), rtol=0, atol=1e-10)
        arm_dynamics.mass_matrix(chain, pose, mass)
        reference = pin.crba(model, data, q).copy()
        np.testing.assert_allclose(mass, np.triu(reference) + np.triu(reference, 1).T, rtol=0, atol=1e-12)
        arm_dynamics.tool_motion(chain, pose, qd, position, velocity)
        pin.forwardKinematics(model, data, q, qd)
        np.testing.assert_allclose(position, pin.updateFramePlacement(model, data, tool).translation, atol=1e-12)
        np.testing.assert_allclose(velocity, pin.getFrameVelocity(model, data, tool, pin.LOCAL_WORLD_ALIGNED).linear,
                                   atol=1e-12)
