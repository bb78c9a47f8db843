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
