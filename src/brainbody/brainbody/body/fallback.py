"""The fallback controller: what drives the arm once the runtime monitor (or a failed tick)
takes control from the servo, until ``/body/reset``.

It is deliberately small, so it can be checked by reading it:

- Arm: brake along the current motion from the *measured* position and velocity, every
  joint decelerating so that all reach rest together at ``stop_deceleration_radps2`` or less
  (:class:`BrakingTrajectory`: the tool keeps its path), then hold there. In effort mode the
  torque is the model's gravity plus a PD on that reference (``joint_stiffness_nm_per_rad``,
  ``joint_damping_nms_per_rad``), clipped to the URDF effort limits; it does not use the
  servo (the servo may be what failed). In position mode the reference itself is the set-point.
- Arm after a collision (the arm pushes on something): braking along the motion would keep
  driving it into the obstacle for the whole braking distance and then hold it pressed there
  (100 N on a box, measured). It yields instead: in effort mode the torque is the model's gravity
  and a damping on the measured speed only, no stiffness, so the obstacle pushes the arm (and its
  gears' twist) back until the contact is relieved; once the arm is at rest, or after
  ``_YIELD_MAX_S`` at most, it holds where it is as above. In position mode (the robot's own
  stiff loop) the set-point stays where the arm was when the trip came.
- Hand: never opens because of a fault. The grip loop keeps regulating while it computes and
  is not the check that tripped; otherwise a held object is squeezed with its target force
  (below its limit) and an empty hand is not driven at all.
- It never raises: a computation that fails or is not finite gives the last command it wrote.
"""
from __future__ import annotations

import logging
from typing import Optional

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.hardware import HardwareState
from brainbody.body.robot_model import RobotModel
from brainbody.body.trajectory import BrakingTrajectory
from brainbody.exceptions import BrainBodyError, ErrorCode

log = logging.getLogger(__name__)

# Yielding to a collision: at least _YIELD_MIN_S (an arm stopped by the impact is still pressed
# on the obstacle by its gears' twist), until every joint is slower than the reset's rest speed,
# at most _YIELD_MAX_S (an obstacle that keeps pushing moves the arm at most that long).
_YIELD_MIN_S = 0.05
_YIELD_MAX_S = 0.3


class Fallback:
    """Brake-and-hold controller. :meth:`engage`, then :meth:`command` every tick, :meth:`release`
    on reset.

    Args:
        config: gains, the braking deceleration.
        model: gravity torques and the effort limits.
        effort_mode: the arm command is torques (else position set-points).
    """

    def __init__(self, config: BodyConfig, model: RobotModel, *, effort_mode: bool):
        self.model = model
        self.effort_mode = bool(effort_mode)
        self.kp = np.asarray(config.joint_stiffness_nm_per_rad, dtype=float)
        self.kd = np.asarray(config.joint_damping_nms_per_rad, dtype=float)
        self.limit_nm = model.effort_limit_nm
        self.deceleration_radps2 = config.stop_deceleration_radps2
        self.rest_speed_radps = config.reset_max_joint_speed_radps
        self.active = False
        self.reason: Optional[BrainBodyError] = None
        self.engaged_s = 0.0
        self._brake: Optional[BrakingTrajectory] = None
        self._yielding = False
        self._arm = np.zeros(7)
        self._finger = np.zeros(2)

    def engage(self, state: HardwareState, reason: BrainBodyError, *, last_arm: Optional[np.ndarray] = None,
               last_finger: Optional[np.ndarray] = None) -> None:
        """Take over from ``state`` (finite, the latest sample); ``last_*``: the commands acting
        now, written again if the first fallback command cannot be computed. A ``reason`` coded
        COLLISION (the arm pushes on something) yields to it before holding (the module's docstring)."""
        self.active, self.reason, self.engaged_s = True, reason, state.time_s
        collision = reason.code is ErrorCode.COLLISION
        self._yielding = collision and self.effort_mode
        # A collision in position mode: hold where the arm is (no braking distance into the obstacle).
        velocity = np.zeros(7) if collision else state.qd_radps
        self._brake = BrakingTrajectory(state.q_rad, velocity, state.time_s, self.deceleration_radps2)
        if last_arm is not None and np.all(np.isfinite(last_arm)):
            self._arm = np.array(last_arm, dtype=float)
        elif not self.effort_mode:
            self._arm = np.array(state.q_rad, dtype=float)
        if last_finger is not None and np.all(np.isfinite(last_finger)):
            self._finger = np.array(last_finger, dtype=float)

    def release(self) -> None:
        self.active, self.reason, self._brake, self._yielding = False, None, None, False

    def braking(self, time_s: float) -> bool:
        """Still bringing the arm to rest (braking, or yielding to a collision)."""
        return self.active and (self._yielding or (self._brake is not None and not self._brake.done(time_s)))

    @property
    def yielding(self) -> bool:
        """Yielding to a collision (no stiffness yet)."""
        return self._yielding

    @property
    def hold_rad(self) -> Optional[np.ndarray]:
        """Where the brake ends (rad), or None when not engaged."""
        return None if self._brake is None else self._brake.goal_rad

    def command(self, state: HardwareState, grip_finger: Optional[np.ndarray], *,
                squeeze_n: float) -> tuple[np.ndarray, np.ndarray]:
        """This tick's arm and finger command; never raises.

        Args:
            grip_finger: the grip loop's finger command when it may stay in charge (computed,
                finite, not what tripped), else None.
            squeeze_n: the target force of the object held (0 with an empty hand).
        """
        try:
            if self._yielding:
                self._yielding = self._still_yielding(state)
                if not self._yielding:      # at rest (or out of time): hold from here
                    self._brake = BrakingTrajectory(state.q_rad, state.qd_radps, state.time_s, self.deceleration_radps2)
            q_ref, qd_ref = self._brake.sample(state.time_s)
            if self._yielding:
                tau = self.model.gravity_nm(state.q_rad) - self.kd * state.qd_radps
                arm = np.minimum(np.maximum(tau, -self.limit_nm), self.limit_nm)
            elif self.effort_mode:
                tau = self.model.gravity_nm(state.q_rad) + self.kp * (q_ref - state.q_rad) \
                    + self.kd * (qd_ref - state.qd_radps)
                arm = np.minimum(np.maximum(tau, -self.limit_nm), self.limit_nm)
            else:
                arm = q_ref
            if np.all(np.isfinite(arm)):
                self._arm = arm
        except Exception:     # the loop must not die here: the last command stands
            log.exception("fallback arm command failed; writing the last one again")
        if grip_finger is not None and np.all(np.isfinite(grip_finger)):
            self._finger = np.asarray(grip_finger, dtype=float)
        elif squeeze_n > 0.0:
            self._finger = np.full(2, -float(squeeze_n))      # closing (negative) at the target force
        else:
            self._finger = np.zeros(2)                         # an empty hand: neither open nor close
        return self._arm.copy(), self._finger.copy()

    def _still_yielding(self, state: HardwareState) -> bool:
        elapsed_s = state.time_s - self.engaged_s
        at_rest = float(np.max(np.abs(state.qd_radps))) < self.rest_speed_radps
        return elapsed_s < _YIELD_MAX_S and (elapsed_s < _YIELD_MIN_S or not at_rest)
