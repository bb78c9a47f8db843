"""Per-joint servo: PD on position and velocity plus gravity feed-forward, all 7 joints
vectorised. Backlash, friction and compliance compensation build on this (issue 3)."""
from __future__ import annotations

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.robot_model import RobotModel


class JointServo:
    """Torque command (7,) from set-points and measurements; clipped to the URDF effort limits."""

    def __init__(self, config: BodyConfig, model: RobotModel):
        self._kp = np.asarray(config.joint_stiffness_nm_per_rad, dtype=float)
        self._kd = np.asarray(config.joint_damping_nms_per_rad, dtype=float)
        self._gravity = config.gravity_feedforward
        self._model = model
        self._limit = model.effort_limit_nm

    def torque(self, q_des_rad: np.ndarray, qd_des_radps: np.ndarray,
               q_rad: np.ndarray, qd_radps: np.ndarray) -> np.ndarray:
        tau = self._kp * (q_des_rad - q_rad) + self._kd * (qd_des_radps - qd_radps)
        if self._gravity:
            tau += self._model.gravity_nm(q_rad)
        return np.minimum(np.maximum(tau, -self._limit), self._limit)   # np.clip is slower on 7 values
