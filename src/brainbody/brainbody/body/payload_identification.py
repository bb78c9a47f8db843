"""Online identification of the mass the hand carries, from the joint torques.

A mass ``m`` at the tool centre point needs the extra joint torques ``m * y(q)`` to be held,
``y(q) = g0 * J_z(q)`` (the vertical row of the TCP's position Jacobian times standard
gravity: the gravity regressor of a point mass at the TCP, from the body's own model). The
torque residual of a moving joint (``friction_identification.torque_residual_nm``) less its
sliding friction is

    z_j = r_j - F_j(qd_j) = m * y_j(q) + o_j

where ``o_j`` is everything else the model gets wrong at this pose (link masses off their
datasheet, the drive's current offset). A Kalman filter estimates ``m`` and the seven ``o_j``
together. What separates them is how each may change:

* ``o_j`` depends on the pose only: its variance grows with the distance the arm travels
  (``offset_walk_nm_per_sqrt_rad``), never while it stands still;
* ``m`` changes when the hand takes or leaves an object: the body knows when it grasps and
  releases, and the mass's variance is opened by ``grasp_mass_std_kg`` then (and grows a
  little with time, for a cup filled in the hand).

Only moving joints are measured (``|qd| > min_speed_radps``): at rest the friction is anywhere
in its stiction band and says nothing. The friction subtracted is the online estimate
(``FrictionIdentification``) where it has one, the datasheet's elsewhere.

What it cannot see: the mass at the wrist that the model gets wrong itself. A hand 50 g
heavier than its datasheet weighs like a 50 g payload; the estimate is the mass at the hand
beyond the body's model. The change at a grasp (the object's own mass) is free of that.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from brainbody.jit import all_finite, kernel

STANDARD_GRAVITY_MPS2 = 9.80665


class PayloadIdentification:
    """The hand's load (kg) beyond the body's model, NaN until the estimate is good enough.

    Args:
        torque_limit_nm: each joint's torque limit (7,); noise and offset scales follow it.
        initial_mass_std_kg: prior spread of the load before anything is seen.
        grasp_mass_std_kg: spread the load may jump by at a grasp or a release.
        mass_walk_kg_per_sqrt_s: slow change of the load in time (a cup filled in the hand).
        offset_walk_frac_per_sqrt_rad: how fast the model error changes with the arm's
            travel, as a fraction of each joint's limit per square root of a radian.
        noise_frac: torque noise of one sample (ripple, cogging, current noise), as a fraction
            of each joint's limit; the friction estimate's uncertainty is added to it.
        friction_uncertainty_frac: how far the subtracted friction may be off, as a fraction.
        min_speed_radps: a joint slower than this is not measured.
        min_seen_s: measured motion needed (since the start, or since the last grasp or
            release) before an estimate is given.

    Raises:
        ValueError: a non-positive spread, noise, speed or bound.
    """

    def __init__(self, torque_limit_nm: np.ndarray, *, initial_mass_std_kg: float = 0.5,
                 grasp_mass_std_kg: float = 0.5, mass_walk_kg_per_sqrt_s: float = 0.005,
                 offset_walk_frac_per_sqrt_rad: float = 0.01, noise_frac: float = 0.002,
                 friction_uncertainty_frac: float = 0.15, min_speed_radps: float = 0.03,
                 min_seen_s: float = 0.5):
        limit = np.asarray(torque_limit_nm, dtype=float)
        if min(initial_mass_std_kg, grasp_mass_std_kg, noise_frac, min_speed_radps, min_seen_s) <= 0.0 \
                or min(mass_walk_kg_per_sqrt_s, offset_walk_frac_per_sqrt_rad, friction_uncertainty_frac) < 0.0:
            raise ValueError("spreads, noise, speed and bound must be positive (walks and uncertainty >= 0)")
        n = len(limit)
        self._n = n
        self._noise_nm = noise_frac * limit
        self._offset_walk = (offset_walk_frac_per_sqrt_rad * limit) ** 2     # variance per rad of travel
        self._grasp_var = grasp_mass_std_kg ** 2
        self._mass_walk = mass_walk_kg_per_sqrt_s ** 2
        self._friction_frac = float(friction_uncertainty_frac)
        self.min_speed_radps = float(min_speed_radps)
        self.min_seen_s = float(min_seen_s)
        self._seen_s = 0.0                       # measured motion since the last grasp or release
        self._empty_kg = math.nan                # the load just before the last grasp
        self._x = np.zeros(n + 1)                                  # mass, then offsets
        # The offsets start as uncertain as the model's gravity error can be (a few % of the limit).
        self._p = np.diag(np.concatenate([[initial_mass_std_kg ** 2], (0.03 * limit) ** 2]))
        self._q_last: Optional[np.ndarray] = None
        self._holding: Optional[bool] = None

    def update(self, q_rad: np.ndarray, qd_radps: np.ndarray, residual_nm: np.ndarray, friction_nm: np.ndarray,
               coulomb_nm: np.ndarray, regressor_nm_per_kg: np.ndarray, dt_s: float, *, holding: bool) -> None:
        """One sample.

        Args:
            q_rad, qd_radps: the sample's joint angles and mean velocities (7,).
            residual_nm: torque the model does not explain (7,).
            friction_nm: the sliding friction to take off at ``qd_radps`` (7,).
            coulomb_nm: the Coulomb level behind it (its uncertainty scales with it) (7,).
            regressor_nm_per_kg: ``y(q)``, joint torques per kg held at the TCP (7,).
            dt_s: time since the last sample.
            holding: whether the hand holds an object (a change opens the mass's variance).

        Non-finite inputs are skipped (the sample is not used); nothing raises.
        """
        q = np.asarray(q_rad, dtype=float)
        if not (all_finite(q) and math.isfinite(dt_s) and dt_s >= 0.0):
            return
        p = self._p
        if self._q_last is not None:
            _walk_offsets(p, q, self._q_last, self._offset_walk)
        self._q_last = q
        p[0, 0] += self._mass_walk * dt_s
        if self._holding is not None and bool(holding) != self._holding:
            p[0, 0] += self._grasp_var
            # The empty hand's load, to weigh what it takes: only if it had been seen.
            self._empty_kg = self.mass_kg if holding else math.nan
            self._seen_s = 0.0
        self._holding = bool(holding)
        f = np.asarray
        if _measure(p, self._x, f(qd_radps, dtype=float), f(residual_nm, dtype=float), f(friction_nm, dtype=float),
                    f(regressor_nm_per_kg, dtype=float), f(coulomb_nm, dtype=float), self._noise_nm,
                    self._friction_frac, self.min_speed_radps):
            self._seen_s += dt_s

    @property
    def mass_std_kg(self) -> float:
        return math.sqrt(max(float(self._p[0, 0]), 0.0))

    @property
    def mass_kg(self) -> float:
        """The load at the hand beyond the model (kg); NaN until the hand has moved ``min_seen_s``
        with it (since the start or since its last grasp or release)."""
        return float(self._x[0]) if self._seen_s >= self.min_seen_s else math.nan

    @property
    def held_object_kg(self) -> float:
        """The held object's mass (kg): the load now less the empty hand's before the grasp.
        NaN when nothing is held or either was not seen (the wrist's own model error cancels)."""
        if not self._holding:
            return math.nan
        return self.mass_kg - self._empty_kg


def tcp_gravity_regressor_nm_per_kg(model, q_rad: np.ndarray) -> np.ndarray:
    """Joint torques (7,) that hold one kilogram at the TCP at ``q_rad`` (the body's
    :class:`RobotModel`): standard gravity times the vertical row of the TCP Jacobian."""
    return STANDARD_GRAVITY_MPS2 * model.tcp_jacobian(q_rad)[2]


@kernel
def _walk_offsets(p, q, q_last, offset_walk):
    """The offsets' variances grow with the joint travel since the last sample (in place)."""
    travel = 0.0
    for i in range(q.shape[0]):
        travel += abs(q[i] - q_last[i])
    for i in range(q.shape[0]):
        p[1 + i, 1 + i] += offset_walk[i] * travel


@kernel
def _measure(p, x, qd, residual, friction, regressor, coulomb, noise_nm, friction_frac, min_speed) -> bool:
    """The Kalman measurement update of state ``x`` (mass, then one offset per joint) and its
    covariance ``p`` (in place), one joint at a time: joint j measures
    ``residual_j - friction_j = regressor_j * mass + offset_j`` with variance noise_j^2 +
    (friction_frac * coulomb_j)^2. The noises are independent, so these scalar updates in turn
    equal the joint batch update (and need no matrix inverse). A joint slower than
    ``min_speed`` or with a non-finite input is skipped. True if any joint was used."""
    n = p.shape[0]
    ph = np.empty(n)
    used = False
    for j in range(qd.shape[0]):
        z = residual[j] - friction[j]
        y = regressor[j]
        if not (abs(qd[j]) > min_speed and np.isfinite(z) and np.isfinite(y) and np.isfinite(coulomb[j])):
            continue
        used = True
        for i in range(n):
            ph[i] = p[i, 0] * y + p[i, 1 + j]
        s = y * ph[0] + ph[1 + j] + noise_nm[j] ** 2 + (friction_frac * coulomb[j]) ** 2
        innovation = z - (y * x[0] + x[1 + j])
        for i in range(n):
            x[i] += ph[i] / s * innovation
        for i in range(n):
            for k in range(n):
                p[i, k] -= ph[i] * ph[k] / s
    for i in range(n):
        for k in range(i + 1, n):
            p[i, k] = p[k, i] = 0.5 * (p[i, k] + p[k, i])
    return used
