"""The body's robot model: the one-pass tool motion and observer terms the runtime monitor
takes every tick must equal the separate computations they replace."""
import numpy as np
import pinocchio as pin
import pytest

from brainbody.body.robot_model import RobotModel
from brainbody.sim.scene import default_urdf_path


@pytest.fixture(scope="module")
def model():
    return RobotModel(default_urdf_path())


def test_tool_motion_and_dynamics_equal_the_separate_passes(model):
    rng = np.random.default_rng(3)
    workspace, separate = model.new_dynamics_workspace(), model.new_data()
    for _ in range(50):
        q = rng.uniform(model.lower_rad, model.upper_rad)
        qd = rng.uniform(-2.0, 2.0, 7)
        # A workspace last used at another pose must not leak into the result.
        model.tool_motion(rng.uniform(model.lower_rad, model.upper_rad), rng.uniform(-2.0, 2.0, 7), workspace.data)
        tool, tool_v = model.tool_motion_and_dynamics(q, qd, workspace)
        # The workspace's views, taken once, show this pass's terms.
        mass, coriolis, gravity, v0 = workspace.mass, workspace.coriolis, workspace.gravity, workspace.v0
        ref_tool, ref_tool_v = model.tool_motion(q, qd, separate)
        np.testing.assert_allclose(tool, ref_tool, rtol=0, atol=1e-12)
        np.testing.assert_allclose(tool_v, ref_tool_v, rtol=0, atol=1e-12)
        assert v0 == 0
        np.testing.assert_allclose(np.triu(mass), np.triu(pin.crba(model.model, separate, q).copy()), atol=1e-12)
        np.testing.assert_allclose(coriolis, pin.computeCoriolisMatrix(model.model, separate, q, qd).copy(), atol=1e-12)
        np.testing.assert_allclose(gravity, model.gravity_nm(q), atol=1e-12)
        # The observer's identity that makes C^T qd usable: dM/dt = C + C^T, checked numerically.
        h = 1e-7
        ahead = pin.crba(model.model, separate, q + h * qd).copy()
        dmass = (ahead - pin.crba(model.model, separate, q - h * qd).copy()) / (2 * h)
        np.testing.assert_allclose(np.triu(dmass) + np.triu(dmass, 1).T, coriolis + coriolis.T, atol=1e-5)
