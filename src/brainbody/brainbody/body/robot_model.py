"""The controller's kinematic and dynamic model of the arm, built by pinocchio from the URDF.

This is the body's *own* model: it knows the published link parameters but nothing of
the simulated drivetrain (armature, friction) or of held objects.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pinocchio as pin

ARM_JOINTS = tuple(f"panda_joint{i}" for i in range(1, 8))
FINGER_JOINTS = ("panda_finger_joint1", "panda_finger_joint2")   # prismatic, opening per finger (m)
TCP_FRAME = "panda_tcp"


class RobotModel:
    """Forward kinematics, Jacobian and gravity torques of the 7 arm joints.

    The fingers are part of the URDF; they are held at a fixed opening in the model
    (their effect on arm gravity is a few grams).
    """

    def __init__(self, urdf_path: Path):
        self.model = pin.buildModelFromUrdf(str(urdf_path))
        self.data = self.model.createData()
        self._tcp = self.model.getFrameId(TCP_FRAME)
        idx = [self.model.getJointId(n) for n in ARM_JOINTS]
        self._arm_q = np.array([self.model.joints[i].idx_q for i in idx])
        self._arm_v = np.array([self.model.joints[i].idx_v for i in idx])
        self.lower_rad = self.model.lowerPositionLimit[self._arm_q].copy()
        self.upper_rad = self.model.upperPositionLimit[self._arm_q].copy()
        self.velocity_limit_radps = self.model.velocityLimit[self._arm_v].copy()
        self.effort_limit_nm = self.model.effortLimit[self._arm_v].copy()
        self._q = pin.neutral(self.model)
        self._q[:] = 0.0
        fingers = [i for i in range(self.model.nq) if i not in set(self._arm_q)]
        self._q[fingers] = 0.02
        self._v = np.zeros(self.model.nv)
        self._a = np.zeros(self.model.nv)
        # The arm's velocity block of the full model (a slice when contiguous: cheaper than np.ix_).
        v0 = int(self._arm_v[0])
        contiguous = np.array_equal(self._arm_v, np.arange(v0, v0 + 7))
        self._arm_rows = slice(v0, v0 + 7) if contiguous else self._arm_v
        # Where the arm's 7 velocities start in the full model (compiled consumers need one block).
        self.arm_dof_offset = v0 if contiguous else None

    def _full(self, q_rad: np.ndarray) -> np.ndarray:
        self._q[self._arm_q] = q_rad
        return self._q

    def tcp_pose(self, q_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """TCP position (3,) in metres and rotation matrix (3, 3) in the world frame."""
        pin.framesForwardKinematics(self.model, self.data, self._full(q_rad))
        placement = self.data.oMf[self._tcp]
        return placement.translation.copy(), placement.rotation.copy()

    def tcp_jacobian(self, q_rad: np.ndarray) -> np.ndarray:
        """6x7 Jacobian of the TCP, world-aligned (linear rows first)."""
        q = self._full(q_rad)
        pin.computeJointJacobians(self.model, self.data, q)
        pin.updateFramePlacements(self.model, self.data)
        jac = pin.getFrameJacobian(self.model, self.data, self._tcp, pin.LOCAL_WORLD_ALIGNED)
        return jac[:, self._arm_v]

    def gravity_nm(self, q_rad: np.ndarray) -> np.ndarray:
        """Joint torques (7,) that hold the arm still against gravity."""
        return pin.computeGeneralizedGravity(self.model, self.data, self._full(q_rad))[self._arm_v]

    def new_data(self) -> pin.Data:
        """Separate pinocchio workspace: a caller that owns one (the runtime monitor) never
        overwrites the kinematics another caller is using."""
        return self.model.createData()

    def tool_motion(self, q_rad: np.ndarray, qd_radps: np.ndarray, data: pin.Data) -> tuple[np.ndarray, np.ndarray]:
        """TCP position (3,) in metres and linear velocity (3,) in m/s, world frame, in ``data``."""
        q, v = self._full_pair(q_rad, qd_radps)
        pin.forwardKinematics(self.model, data, q, v)
        pin.updateFramePlacement(self.model, data, self._tcp)
        velocity = pin.getFrameVelocity(self.model, data, self._tcp, pin.LOCAL_WORLD_ALIGNED)
        return data.oMf[self._tcp].translation.copy(), velocity.linear.copy()

    def dynamics_terms(self, q_rad: np.ndarray, qd_radps: np.ndarray,
                       data: pin.Data) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The terms of a generalised-momentum observer (p = M qd, dp/dt = tau + C^T qd - g + tau_ext)
        for the full model, computed in ``data``: mass matrix (upper triangle valid), Coriolis
        matrix and gravity torques, as views into ``data`` (valid until its next use), and
        :attr:`arm_dof_offset`, where the arm's block starts in them."""
        q, v = self._full_pair(q_rad, qd_radps)
        pin.crba(self.model, data, q)
        pin.computeCoriolisMatrix(self.model, data, q, v)
        pin.computeGeneralizedGravity(self.model, data, q)
        return data.M, data.C, data.g, self.arm_dof_offset

    def _full_pair(self, q_rad: np.ndarray, qd_radps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full configuration and velocity vectors (fingers at the model's fixed opening, at rest),
        freshly allocated so they share nothing with the buffers of the other methods."""
        q = self._q.copy()
        q[self._arm_q] = q_rad
        v = np.zeros(self.model.nv)
        v[self._arm_v] = qd_radps
        return q, v

    def inverse_dynamics_nm(self, q_rad: np.ndarray, qd_radps: np.ndarray, qdd_radps2: np.ndarray) -> np.ndarray:
        """Joint torques (7,) for a motion: inertia, Coriolis and gravity (RNEA)."""
        self._v[self._arm_v] = qd_radps
        self._a[self._arm_v] = qdd_radps2
        return pin.rnea(self.model, self.data, self._full(q_rad), self._v, self._a)[self._arm_v]
