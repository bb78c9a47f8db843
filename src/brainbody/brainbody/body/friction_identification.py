"""Online identification of each joint's Coulomb and viscous friction from the drive's torque.

What a drive gives the body: the torque it commands (the motor current times the torque
constant), the motor encoder and its velocity. What the body's model explains of that torque
is the rigid-body dynamics (pinocchio RNEA on the measured motion) and the rotor's inertia.
The rest, the torque residual, is mostly friction while a joint moves:

    r = tau_cmd - RNEA(q, qd, qdd) - J_rotor qdd ~ F_c sign(qd) + F_v qd + c

``c`` takes up what varies slowly and does not change sign with the motion: the drive's current
offset and the model's gravity error at the poses the joint passes (link masses off their
datasheet, an unknown payload). Each joint fits ``[sign(qd), qd, 1]`` by weighted least squares
whose weights fade with ``time_constant_s`` (recursive, in information form: a 3x3 sum per
joint, solved when asked).

Only samples where the joint clearly slides count: faster than ``min_speed_radps`` (at the
edge of the Stribeck region, where friction has nearly fallen to its Coulomb level and the
pre-sliding bristles have settled), slower in acceleration than ``max_accel_radps2`` (the
inertia model's error grows with it), and without a reversal inside the sample. The defaults
(0.03 rad/s, 4 rad/s^2) were the best of a small grid (0.02-0.05 rad/s, 1-4 rad/s^2) on the
coffee task's recorded signals of honest units 0-2 (worst Coulomb error 6 %, against 16 % at
0.05 rad/s and 2 rad/s^2): a lower speed takes in more of the static friction's excess, a
higher one leaves too few samples of the slow motions, where the model's errors are smallest. The friction seen this way is everything
that opposes the motor's motion: motor, gear and output-bearing friction together, in the
torque units the body commands (a torque constant 3 % off shows as friction 3 % off).

Not observable, reported NaN: Coulomb friction of a joint that has not slid both ways for
``min_seen_s`` each (one direction alone cannot tell ``sign(qd)`` from ``c``); viscous friction
of a joint whose sliding speeds did not spread by ``min_speed_spread_radps`` (a line through
one speed has no slope: its Coulomb level is then all the friction at the speeds it slid at).

What it cannot remove: a model error that changes sign with the motion. A shoulder that
always moves up at one pose and down at another sees its gravity error there as friction;
viscous friction, which is small at these speeds (0.05-0.15 N m s/rad, a few hundredths of a
N m at table-top speeds), is the first to suffer.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from brainbody.jit import kernel, sign

_FEATURES = 3          # sign(qd), qd, 1
_RIDGE = 1e-9          # keeps a never-excited joint's solve finite (its estimate is NaN anyway)


@kernel
def _solve_small(a, b):
    """Solve ``a x = b`` in place (``b`` becomes x) for a small square ``a`` (overwritten), by
    Gaussian elimination with partial pivoting."""
    n = b.shape[0]
    for k in range(n):
        p = k
        for i in range(k + 1, n):
            if abs(a[i, k]) > abs(a[p, k]):
                p = i
        if p != k:
            for m in range(n):
                a[k, m], a[p, m] = a[p, m], a[k, m]
            b[k], b[p] = b[p], b[k]
        for i in range(k + 1, n):
            f = a[i, k] / a[k, k]
            for m in range(k + 1, n):
                a[i, m] -= f * a[k, m]
            b[i] -= f * b[k]
    for k in range(n - 1, -1, -1):
        s = b[k]
        for m in range(k + 1, n):
            s -= a[k, m] * b[m]
        b[k] = s / a[k, k]


@kernel
def _ridged(info, target, j, features, ridge, a, b):
    """Joint ``j``'s normal equations on ``features`` (indices into (sign, viscous, offset)),
    ridged by ``ridge``, into ``a`` and ``b`` (the solve overwrites both)."""
    for m in range(len(features)):
        b[m] = target[j, features[m]]
        for k in range(len(features)):
            a[m, k] = info[j, features[m], features[k]] + (ridge if m == k else 0.0)


@kernel
def _fit(info, target, ridge, min_spread, theta, spread):
    """Per joint, the weighted least-squares fit of (sign, viscous, offset) from its sums (ridged
    by ``ridge``) into ``theta`` (n, 3), and the spread of its sliding speeds into ``spread`` (n,):
    the viscous feature's variance left after regressing it on sign and offset (a Schur
    complement) over the weight. Below ``min_spread`` the slope is left out: the fit of sign and
    offset alone, viscous zero."""
    full, fb = np.empty((3, 3)), np.empty(3)
    red, rb = np.empty((2, 2)), np.empty(2)
    three, two = (0, 1, 2), (0, 2)
    for j in range(info.shape[0]):
        _ridged(info, target, j, two, ridge, red, rb)
        rb[0], rb[1] = info[j, 0, 1], info[j, 2, 1]        # the viscous column, not the target
        _solve_small(red, rb)
        explained = info[j, 0, 1] * rb[0] + info[j, 2, 1] * rb[1]
        weight = info[j, 2, 2]
        left = max(info[j, 1, 1] - explained, 0.0)
        spread[j] = math.sqrt(left / weight) if weight > 0.0 else 0.0
        if spread[j] >= min_spread:
            _ridged(info, target, j, three, ridge, full, fb)
            _solve_small(full, fb)
            theta[j, 0], theta[j, 1], theta[j, 2] = fb[0], fb[1], fb[2]
        else:
            _ridged(info, target, j, two, ridge, red, rb)
            _solve_small(red, rb)
            theta[j, 0], theta[j, 1], theta[j, 2] = rb[0], 0.0, rb[1]


@dataclasses.dataclass(frozen=True)
class DriveSample:
    """The drive's signals averaged over a few control periods (per joint, (7,) each).

    Attributes:
        q_rad: the motor-side encoder angles at the end of the window (output units).
        qd_radps: the mean velocity over the window.
        qdd_radps2: the mean acceleration (velocity change over the window's length).
        torque_nm: the mean commanded torque.
        steady: per joint, the velocity kept its sign across the window (no reversal in it).
        dt_s: the window's length.
    """

    q_rad: np.ndarray
    qd_radps: np.ndarray
    qdd_radps2: np.ndarray
    torque_nm: np.ndarray
    steady: np.ndarray
    dt_s: float


_ALL_STEADY = np.ones(0, dtype=np.bool_)     # no steadiness flags given


@kernel
def _learn(info, target, seen_s, v, a, r, steady, use_steady, dt, fade, min_speed, max_accel):
    """One sample into the weighted sums (in place): every sum fades by ``fade``; a joint that
    slid (faster than ``min_speed``, slower to change than ``max_accel``, a finite residual,
    steady where flags are given) adds its features (sign v, v, 1) weighted by ``dt``."""
    for j in range(info.shape[0]):
        for m in range(info.shape[1]):
            target[j, m] *= fade
            for k in range(info.shape[2]):
                info[j, m, k] *= fade
        seen_s[0, j] *= fade
        seen_s[1, j] *= fade
        if not (abs(v[j]) > min_speed and abs(a[j]) < max_accel and np.isfinite(r[j])):
            continue
        if use_steady and not steady[j]:
            continue
        x0 = 1.0 if v[j] > 0.0 else -1.0
        x = (x0, v[j], 1.0)
        for m in range(3):
            target[j, m] += dt * x[m] * r[j]
            for k in range(3):
                info[j, m, k] += dt * x[m] * x[k]
        seen_s[0 if v[j] > 0.0 else 1, j] += dt


@kernel
def _accumulate(torque_sum, qd_sum, torque, qd):
    """Add one period's torque and velocity to the window's sums (in place)."""
    for i in range(torque_sum.shape[0]):
        torque_sum[i] += torque[i]
        qd_sum[i] += qd[i]


@kernel
def _close_window(torque_sum, qd_sum, n, dt, qd_start, sign_start, qd_end, q, out_qd, out_qdd, out_torque, out_steady):
    """A complete window's means into the ``out_`` arrays (the sums zeroed for the next);
    returns whether every figure of the sample (and ``q``) is finite."""
    finite = True
    for i in range(torque_sum.shape[0]):
        out_qd[i] = qd_sum[i] / n
        out_torque[i] = torque_sum[i] / n
        out_qdd[i] = (qd_end[i] - qd_start[i]) / dt if dt > 0.0 else 0.0
        end = sign(qd_end[i])
        out_steady[i] = sign_start[i] == end and sign(out_qd[i]) == end
        torque_sum[i] = 0.0
        qd_sum[i] = 0.0
        finite = (finite and math.isfinite(q[i]) and math.isfinite(out_qd[i]) and math.isfinite(out_qdd[i])
                  and math.isfinite(out_torque[i]))
    return finite


class DriveSampler:
    """Averages the commanded torque and the velocity over ``ticks`` control periods.

    A boxcar mean is the anti-aliasing filter: it costs one addition per tick, and over its
    window the mean acceleration is exact (velocity change over time), with no differentiated
    noise. Non-finite inputs void the window being filled (nothing is returned for it).
    """

    def __init__(self, ticks: int):
        if ticks < 1:
            raise ValueError(f"ticks must be >= 1, got {ticks!r}")
        self.ticks = int(ticks)
        self._torque = np.zeros(7)
        self._qd = np.zeros(7)
        self._qd_start: Optional[np.ndarray] = None
        self._sign_start = np.zeros(7)
        self._n = 0
        self._dt = 0.0
        self._finite = True

    def add(self, q_rad: np.ndarray, qd_radps: np.ndarray, torque_nm: np.ndarray, dt_s: float) -> Optional[DriveSample]:
        """One control period; returns the window's sample when it is complete, else None."""
        if self._qd_start is None:
            # The window starts at this sample's velocity (the acceleration is measured across it).
            self._qd_start = np.array(qd_radps, dtype=float)
            self._sign_start = np.sign(self._qd_start)
            return None
        _accumulate(self._torque, self._qd, np.asarray(torque_nm, dtype=float), np.asarray(qd_radps, dtype=float))
        self._dt += dt_s
        self._n += 1
        if self._n < self.ticks:
            return None
        qd_end = np.array(qd_radps, dtype=float)
        n = len(qd_end)
        sample = DriveSample(q_rad=np.array(q_rad, dtype=float), qd_radps=np.empty(n), qdd_radps2=np.empty(n),
                             torque_nm=np.empty(n), steady=np.empty(n, dtype=np.bool_), dt_s=self._dt)
        finite = _close_window(self._torque, self._qd, float(self._n), self._dt, self._qd_start, self._sign_start,
                               qd_end, sample.q_rad, sample.qd_radps, sample.qdd_radps2, sample.torque_nm, sample.steady)
        self._n, self._dt = 0, 0.0
        self._qd_start, self._sign_start = qd_end, np.sign(qd_end)
        return sample if finite and math.isfinite(sample.dt_s) else None


def torque_residual_nm(model, rotor_inertia_kgm2: np.ndarray, sample: DriveSample) -> np.ndarray:
    """What the body's model does not explain of a sample's torque: commanded torque less the
    rigid-body dynamics (``model.inverse_dynamics_nm``, the body's :class:`RobotModel`) and the
    rotor inertia, at the sample's mean motion."""
    rigid = model.inverse_dynamics_nm(sample.q_rad, sample.qd_radps, sample.qdd_radps2)
    return sample.torque_nm - rigid - rotor_inertia_kgm2 * sample.qdd_radps2


class FrictionIdentification:
    """Per-joint Coulomb (N m) and viscous (N m s/rad) friction, NaN until observed.

    Args:
        n_joints: how many joints (7 for the arm).
        min_speed_radps: a sample counts only when the joint is faster than this.
        max_accel_radps2: ... and its acceleration is below this.
        time_constant_s: memory of the weighted sums (how fast the estimate follows a change).
        min_seen_s: sliding time needed in each direction before a Coulomb level is given.
        min_speed_spread_radps: spread of the sliding speeds (standard deviation, after the
            direction's mean is taken out) needed before a viscous coefficient is given.

    Raises:
        ValueError: a non-positive time, speed or spread.
    """

    def __init__(self, n_joints: int = 7, *, min_speed_radps: float = 0.03, max_accel_radps2: float = 4.0,
                 time_constant_s: float = 300.0, min_seen_s: float = 1.0, min_speed_spread_radps: float = 0.05):
        if min(min_speed_radps, max_accel_radps2, time_constant_s, min_seen_s, min_speed_spread_radps) <= 0.0:
            raise ValueError("speeds, acceleration, times and spread must be positive")
        self.n_joints = int(n_joints)
        self.min_speed_radps = float(min_speed_radps)
        self.max_accel_radps2 = float(max_accel_radps2)
        self.time_constant_s = float(time_constant_s)
        self.min_seen_s = float(min_seen_s)
        self.min_speed_spread_radps = float(min_speed_spread_radps)
        self._info = np.zeros((self.n_joints, _FEATURES, _FEATURES))   # sum of w x x^T
        self._target = np.zeros((self.n_joints, _FEATURES))           # sum of w x r
        self._seen_s = np.zeros((2, self.n_joints))                    # sliding time: positive, negative
        self._theta: Optional[np.ndarray] = None                       # cached solve

    def update(self, qd_radps: np.ndarray, qdd_radps2: np.ndarray, residual_nm: np.ndarray, dt_s: float,
               steady: Optional[np.ndarray] = None) -> None:
        """One sample: mean velocity, acceleration and torque residual (n,) over ``dt_s``.

        Non-finite values (and a non-positive ``dt_s``) are skipped, never stored.
        """
        dt = float(dt_s)
        if not (dt > 0.0 and math.isfinite(dt)):
            return
        f = np.asarray
        # Forget everywhere (time passes for every joint), learn where the joint slid.
        _learn(self._info, self._target, self._seen_s, f(qd_radps, dtype=float), f(qdd_radps2, dtype=float),
               f(residual_nm, dtype=float), _ALL_STEADY if steady is None else f(steady, dtype=np.bool_),
               steady is not None, dt, math.exp(-dt / self.time_constant_s), self.min_speed_radps,
               self.max_accel_radps2)
        self._theta = None

    def _solve(self) -> np.ndarray:
        """Per joint (sign, viscous, offset); without a spread of speeds the slope is left out
        (zero) and the Coulomb level is the friction at the speeds seen. Cached until the next
        update; one kernel call for every joint (it runs inside the control tick: numpy's
        batched solves took about 370 us there)."""
        if self._theta is None:
            theta, spread = np.empty((self.n_joints, _FEATURES)), np.empty(self.n_joints)
            _fit(self._info, self._target, _RIDGE, self.min_speed_spread_radps, theta, spread)
            self._theta, self._spread = theta, spread
        return self._theta

    @property
    def observed(self) -> np.ndarray:
        """Joints that slid both ways for at least ``min_seen_s`` (Coulomb level observable)."""
        return np.all(self._seen_s >= self.min_seen_s, axis=0)

    @property
    def speed_spread_radps(self) -> np.ndarray:
        """Per joint, the spread of its sliding speeds not explained by the direction alone."""
        self._solve()
        return self._spread.copy()

    @property
    def coulomb_nm(self) -> np.ndarray:
        """Identified Coulomb level per joint (N m); NaN where not observed."""
        return np.where(self.observed, self._solve()[:, 0], np.nan)

    @property
    def viscous_nms_per_rad(self) -> np.ndarray:
        """Identified viscous coefficient per joint (N m s/rad); NaN where not observed or the
        speeds did not spread enough."""
        ok = self.observed & (self.speed_spread_radps >= self.min_speed_spread_radps)
        return np.where(ok, self._solve()[:, 1], np.nan)

    def friction_nm(self, qd_radps: np.ndarray, fallback_coulomb_nm: np.ndarray,
                    fallback_viscous_nms_per_rad: np.ndarray) -> np.ndarray:
        """Sliding friction at ``qd_radps`` from the identified values, the fallbacks (the
        datasheet estimates) where a value is not identified."""
        coulomb = np.where(np.isfinite(c := self.coulomb_nm), c, fallback_coulomb_nm)
        viscous = np.where(np.isfinite(f := self.viscous_nms_per_rad), f, fallback_viscous_nms_per_rad)
        v = np.asarray(qd_radps, dtype=float)
        return coulomb * np.sign(v) + viscous * v
