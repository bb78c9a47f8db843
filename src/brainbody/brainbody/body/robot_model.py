"""The controller's kinematic and dynamic model of the arm, built by pinocchio from the URDF.

This is the body's *own* model: it knows the published link parameters but nothing of
the simulated drivetrain (armature, friction) or of held objects.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pinocchio as pin

from brainbody.body.arm_dynamics import chain_parameters

ARM_JOINTS = tuple(f"panda_joint{i}" for i in range(1, 8))
FINGER_JOINTS = ("panda_finger_joint1", "panda_finger_joint2")   # prismatic, opening per finger (m)
TCP_FRAME = "panda_tcp"


class RobotModel:
    """Forward kinematics, Jacobian and gravity torques of the 7 arm joints.

    The fingers are part of the URDF; the model locks them at a fixed opening (their effect on
    arm gravity is a few grams), so its configuration is the arm's 7 joints and every call
    takes the arm's vectors as they are. ``chain``: the same arm for the compiled kernels of
    ``arm_dynamics.py`` (the servo's and the runtime monitor's every tick).
    """

    def __init__(self, urdf_path: Path):
        full = pin.buildModelFromUrdf(str(urdf_path))
        q_locked = pin.neutral(full)
        q_locked[:] = 0.0
        fingers = [full.getJointId(n) for n in FINGER_JOINTS if full.existJointName(n)]
        for joint in fingers:
            q_locked[full.joints[joint].idx_q] = 0.02
        self.model = pin.buildReducedModel(full, fingers, q_locked) if fingers else full
        self.data = self.model.createData()
        self._tcp = self.model.getFrameId(TCP_FRAME)
        idx = [self.model.getJointId(n) for n in ARM_JOINTS]
        if [self.model.joints[i].idx_q for i in idx] != list(range(7)) or self.model.nv != 7:
            raise ValueError(f"the arm model must be the 7 joints {ARM_JOINTS} in order (nq {self.model.nq})")
        self.lower_rad = self.model.lowerPositionLimit.copy()
        self.upper_rad = self.model.upperPositionLimit.copy()
        self.velocity_limit_radps = self.model.velocityLimit.copy()
        self.effort_limit_nm = self.model.effortLimit.copy()
        # The same chain for the compiled kernels that need its dynamics every tick.
        self.chain = chain_parameters(self.model, self._tcp)

    def tcp_pose(self, q_rad: np.ndarray, data: Optional[pin.Data] = None) -> tuple[np.ndarray, np.ndarray]:
        """TCP position (3,) in metres and rotation matrix (3, 3) in the world frame, computed in
        ``data`` (:meth:`new_data`: a caller with a workspace of its own needs no lock shared with
        the control loop), by default the model's own."""
        data = self.data if data is None else data
        pin.framesForwardKinematics(self.model, data, _vector(q_rad))
        placement = data.oMf[self._tcp]
        return placement.translation.copy(), placement.rotation.copy()

    def tcp_jacobian(self, q_rad: np.ndarray) -> np.ndarray:
        """6x7 Jacobian of the TCP, world-aligned (linear rows first)."""
        pin.computeJointJacobians(self.model, self.data, _vector(q_rad))
        pin.updateFramePlacements(self.model, self.data)
        return pin.getFrameJacobian(self.model, self.data, self._tcp, pin.LOCAL_WORLD_ALIGNED)

    def tcp_pose_and_jacobian(self, q_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`tcp_pose` and :meth:`tcp_jacobian` in one kinematics pass (the same values: the
        Jacobians' pass leaves the joint placements a forward kinematics pass would, and only the
        TCP's frame is placed)."""
        pin.computeJointJacobians(self.model, self.data, _vector(q_rad))
        placement = pin.updateFramePlacement(self.model, self.data, self._tcp)
        return (placement.translation.copy(), placement.rotation.copy(),
                pin.getFrameJacobian(self.model, self.data, self._tcp, pin.LOCAL_WORLD_ALIGNED))

    def gravity_nm(self, q_rad: np.ndarray) -> np.ndarray:
        """Joint torques (7,) that hold the arm still against gravity."""
        return pin.computeGeneralizedGravity(self.model, self.data, _vector(q_rad)).copy()

    def new_data(self) -> pin.Data:
        """Separate pinocchio workspace: a caller that owns one (the trajectory checks) never
        overwrites the kinematics another caller is using."""
        return self.model.createData()

    def inverse_dynamics_nm(self, q_rad: np.ndarray, qd_radps: np.ndarray, qdd_radps2: np.ndarray) -> np.ndarray:
        """Joint torques (7,) for a motion: inertia, Coriolis and gravity (RNEA)."""
        return pin.rnea(self.model, self.data, _vector(q_rad), _vector(qd_radps), _vector(qdd_radps2)).copy()


def _vector(values) -> np.ndarray:
    """A float vector pinocchio takes without a copy of its own (contiguous float64)."""
    return np.ascontiguousarray(values, dtype=np.float64)
