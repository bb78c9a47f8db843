"""Smooth joint-space trajectories.

:class:`PathTrajectory` follows a joint-space path (straight for a joint move, or IK
waypoints of a Cartesian line, joined by shape-preserving cubics) with a quintic time
scaling: zero velocity and acceleration at both ends. :class:`SplineTrajectory` follows timed points as they come
in a ``trajectory_msgs/JointTrajectory`` (cubic Hermite between points).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from brainbody.exceptions import InvalidPrimitiveError, OutOfRangeError
from brainbody.jit import all_finite, kernel, sign

# Peak of ds/dt for the quintic 10t^3 - 15t^4 + 6t^5 on a unit interval.
QUINTIC_PEAK_VELOCITY = 1.875


@kernel
def _quintic(tau: float) -> tuple[float, float]:
    """s(tau) and ds/dtau of the rest-to-rest quintic, tau in [0, 1]."""
    t2 = tau * tau
    s = t2 * tau * (10.0 - 15.0 * tau + 6.0 * t2)
    ds = 30.0 * t2 * (1.0 - 2.0 * tau + t2)
    return s, ds


class PathTrajectory:
    """Waypoints (N, 7) traversed in ``duration_s`` with quintic timing along arc length.

    Between the waypoints each joint follows a shape-preserving cubic (PCHIP) of the
    normalised joint-space arc length, so the joint velocity is continuous through every
    waypoint: on a polyline it stepped there (IK waypoints of a Cartesian line are a curve
    in joint space), the servo's acceleration feed-forward turned each step into a one-tick
    torque spike of tens of N m, and the collision observer saw them as contacts. PCHIP does
    not overshoot: between two waypoints a joint stays within their range (a joint at rest
    over a segment stays at rest), so checks on the waypoints hold for the whole path.
    """

    def __init__(self, waypoints_rad: "np.ndarray | JointPath", duration_s: float, start_time_s: float):
        self.path = waypoints_rad if isinstance(waypoints_rad, JointPath) else JointPath(waypoints_rad)
        self.duration_s = max(float(duration_s), 1e-3)
        self.start_time_s = float(start_time_s)
        self.end_time_s = self.start_time_s + self.duration_s
        self.goal_rad = self.path.goal_rad

    def sample(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Desired position (7,) and velocity (7,) at ``time_s``."""
        n = self.path.coefs.shape[2]
        q, qd = np.empty(n), np.empty(n)
        _sample_path(self.path.knots, self.path.coefs, self.start_time_s, self.duration_s, float(time_s), q, qd)
        return q, qd

    def done(self, time_s: float) -> bool:
        return time_s >= self.end_time_s


class JointPath:
    """The geometric path through waypoints (N, 7), built once for both :func:`duration_for`
    and :class:`PathTrajectory` (see :func:`_path_shape`)."""

    def __init__(self, waypoints_rad: np.ndarray):
        self.knots, self.coefs = _path_shape(waypoints_rad)
        self.goal_rad = np.atleast_2d(np.asarray(waypoints_rad, dtype=float))[-1]


def _path_shape(waypoints_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The path through ``waypoints_rad`` (N, 7) as a function of its normalised arc length:
    knots (M,) in [0, 1] and per-segment cubic coefficients (M-1, 4, 7), highest power first,
    in the segment's local coordinate (s - knot). Repeated waypoints are dropped; a path
    without length is one point held."""
    points = np.atleast_2d(np.asarray(waypoints_rad, dtype=float))
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    if not cum[-1] > 0.0:
        coefs = np.zeros((1, 4, points.shape[1]))
        coefs[0, 3] = points[-1]
        return np.array([0.0, 1.0]), coefs
    knots = cum / cum[-1]
    # A waypoint whose knot does not move on (repeated, or a step too small to change the
    # normalised arc length) is dropped; the last waypoint is always the path's end.
    keep = np.flatnonzero(np.concatenate([[True], np.diff(knots) > 0.0]))
    keep[-1] = len(points) - 1
    points, knots = np.ascontiguousarray(points[keep]), knots[keep]
    if not all_finite(points.ravel()):
        raise ValueError("path waypoints must be finite")
    coefs = np.empty((len(knots) - 1, 4, points.shape[1]))
    with np.errstate(over="ignore", divide="ignore"):   # the mean of near-zero secants (plain Python only)
        _pchip(knots, points, coefs)
    return knots, coefs


@kernel
def _pchip_end(h0: float, h1: float, m0: float, m1: float) -> float:
    """An end's slope: the one-sided three-point estimate, kept to the shape (Moler)."""
    d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if sign(d) != sign(m0):
        return 0.0
    if sign(m0) != sign(m1) and abs(d) > 3.0 * abs(m0):
        return 3.0 * m0
    return d


@kernel
def _pchip(x, y, coefs):
    """Shape-preserving piecewise cubic through ``y`` (N, n) at strictly increasing ``x`` (N,)
    into ``coefs`` (N-1, 4, n), highest power first, in each segment's local coordinate:
    Fritsch and Butland's slopes (a weighted harmonic mean of the neighbouring secants, zero at
    a local extremum) and Moler's one-sided ends, evaluated in the order scipy's
    ``PchipInterpolator`` evaluates them, so the path is the same to the bit (about 150 us
    of scipy a path before, inside a control tick)."""
    n_points, n = y.shape
    d = np.empty(n_points)
    m = np.empty(n_points - 1)
    for j in range(n):
        for k in range(n_points - 1):
            m[k] = (y[k + 1, j] - y[k, j]) / (x[k + 1] - x[k])
        if n_points == 2:
            d[0] = d[1] = m[0]
        else:
            for k in range(1, n_points - 1):
                h0, h1 = x[k] - x[k - 1], x[k + 1] - x[k]
                if sign(m[k]) != sign(m[k - 1]) or m[k] == 0.0 or m[k - 1] == 0.0:
                    d[k] = 0.0
                else:
                    w1, w2 = 2.0 * h1 + h0, h1 + 2.0 * h0
                    d[k] = 1.0 / ((w1 / m[k - 1] + w2 / m[k]) / (w1 + w2))
            last = n_points - 1
            d[0] = _pchip_end(x[1] - x[0], x[2] - x[1], m[0], m[1])
            d[last] = _pchip_end(x[last] - x[last - 1], x[last - 1] - x[last - 2], m[last - 1], m[last - 2])
        for k in range(n_points - 1):
            h = x[k + 1] - x[k]
            t = (d[k] + d[k + 1] - 2.0 * m[k]) / h
            coefs[k, 0, j] = t / h
            coefs[k, 1, j] = (m[k] - d[k]) / h - t
            coefs[k, 2, j] = d[k]
            coefs[k, 3, j] = y[k, j]


@kernel
def _sample_path(knots, coefs, start_time_s, duration_s, time_s, q, qd):
    """Position and velocity on the path (knots in [0, 1], per-segment cubics ``coefs``) under
    the quintic time scaling, into ``q`` and ``qd``. (Arrays made by the caller: returning new
    ones from a kernel costs more than making them.)"""
    s, ds = _quintic(min(max((time_s - start_time_s) / duration_s, 0.0), 1.0))
    i = min(max(np.searchsorted(knots, s, side="right") - 1, 0), coefs.shape[0] - 1)
    u = s - knots[i]
    for j in range(coefs.shape[2]):
        a, b, c, d = coefs[i, 0, j], coefs[i, 1, j], coefs[i, 2, j], coefs[i, 3, j]
        q[j] = ((a * u + b) * u + c) * u + d
        qd[j] = ((3.0 * a * u + 2.0 * b) * u + c) * ds / duration_s


@kernel
def _peak_rates(knots, coefs):
    """Largest |dq/ds| (n,) of each joint over the whole path: per segment the larger of its
    ends and, where it lies inside, the vertex of the quadratic derivative."""
    n = coefs.shape[2]
    peak = np.zeros(n)
    for i in range(coefs.shape[0]):
        h = knots[i + 1] - knots[i]
        for j in range(n):
            a, b, c = coefs[i, 0, j], coefs[i, 1, j], coefs[i, 2, j]
            rate = max(abs(c), abs((3.0 * a * h + 2.0 * b) * h + c))
            vertex = -b / (3.0 * a) if a != 0.0 else -1.0
            if 0.0 < vertex < h:
                rate = max(rate, abs((3.0 * a * vertex + 2.0 * b) * vertex + c))
            peak[j] = max(peak[j], rate)
    return peak


def duration_for(path_rad: "np.ndarray | JointPath", max_joint_velocity_radps: np.ndarray, *,
                 cartesian_length_m: float = 0.0, max_speed_mps: float = 0.0,
                 minimum_s: float = 0.3) -> float:
    """Shortest quintic duration (s) for which :class:`PathTrajectory` respects joint and tool
    speed limits.

    Joint ``j`` moves at ``|dq_j/ds| * ds/dt`` with ``s`` the normalised arc length, and ds/dt
    peaks at ``QUINTIC_PEAK_VELOCITY / duration``; the bound takes each joint's largest
    ``|dq_j/ds|`` anywhere on the path, not its summed travel (which let a joint that moves
    in only one segment of a long path run up to several times its limit).
    """
    path = path_rad if isinstance(path_rad, JointPath) else JointPath(path_rad)
    rates = _peak_rates(path.knots, path.coefs)
    t_joint = float(QUINTIC_PEAK_VELOCITY * np.max(rates / np.asarray(max_joint_velocity_radps, dtype=float)))
    t_tool = QUINTIC_PEAK_VELOCITY * cartesian_length_m / max_speed_mps if max_speed_mps > 0 else 0.0
    return max(t_joint, t_tool, minimum_s)


START_TOLERANCE_RAD = 0.05   # a point at time 0 must be this close to where the arm is


def _hermite_peak_speed(t: np.ndarray, q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Largest |velocity| (N-1, 7) of each cubic Hermite segment, not just its average.

    The velocity on a segment is a quadratic a s^2 + b s + c in s in [0, 1]; its extreme
    is at an end or at the vertex s = -b / 2a.
    """
    h = np.diff(t)[:, None]
    q0, q1, v0, v1 = q[:-1], q[1:], v[:-1], v[1:]
    a = 6.0 * (q0 - q1) / h + 3.0 * (v0 + v1)
    b = 6.0 * (q1 - q0) / h - 4.0 * v0 - 2.0 * v1
    peak = np.maximum(np.abs(v0), np.abs(v1))
    with np.errstate(divide="ignore", invalid="ignore"):
        s_star = np.where(a != 0.0, -b / (2.0 * a), -1.0)
        inside = (s_star > 0.0) & (s_star < 1.0)
        vertex = np.where(inside, np.abs(v0 - b * b / (4.0 * np.where(a != 0.0, a, 1.0))), 0.0)
    return np.maximum(peak, vertex)


def _hermite_position_range(t: np.ndarray, q: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact lowest and highest position (7,) over the whole cubic Hermite path.

    Between points a joint can overshoot both of them (a fast point velocity bends the
    cubic out); the extremes lie at the ends or where the velocity a s^2 + b s + c (as in
    :func:`_hermite_peak_speed`, times h) crosses zero inside the segment.
    """
    h = np.diff(t)[:, None]
    q0, q1, v0, v1 = q[:-1], q[1:], v[:-1], v[1:]
    a = 6.0 * (q0 - q1) / h + 3.0 * (v0 + v1)
    b = 6.0 * (q1 - q0) / h - 4.0 * v0 - 2.0 * v1
    c = v0
    low, high = np.minimum(q0, q1), np.maximum(q0, q1)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0))
        linear = np.where(b != 0.0, -c / np.where(b != 0.0, b, 1.0), -1.0)
        roots = [np.where(a != 0.0, (-b + disc) / (2.0 * a), linear),
                 np.where(a != 0.0, (-b - disc) / (2.0 * a), -1.0)]
    for s in roots:
        inside = (s > 0.0) & (s < 1.0)
        s = np.where(inside, s, 0.0)
        s2, s3 = s * s, s * s * s
        pos = (2 * s3 - 3 * s2 + 1) * q0 + (s3 - 2 * s2 + s) * h * v0 + (-2 * s3 + 3 * s2) * q1 + (s3 - s2) * h * v1
        low = np.where(inside, np.minimum(low, pos), low)
        high = np.where(inside, np.maximum(high, pos), high)
    return np.min(low, axis=0), np.max(high, axis=0)


class SplineTrajectory:
    """Timed points (``trajectory_msgs/JointTrajectory`` semantics), cubic Hermite in between.

    Args:
        times_s: time from start of each point, strictly increasing, first > 0 allowed.
        positions_rad: (N, 7). velocities_radps: (N, 7) or None (then zero at the ends
        and finite differences inside).
        start_q_rad: where the arm is now; the trajectory starts there at t = 0.
        start_qd_radps: the commanded velocity now (default rest), so a trajectory that
            replaces a moving one continues its motion instead of restarting from rest.
        stream_coast_s, stop_deceleration_radps2: a trajectory whose last point has a
            non-zero velocity is a *stream segment* (its publisher promises the next one).
            Given a deceleration, past its last point the set-point coasts at that velocity
            for ``stream_coast_s`` (the next message may be a little late), then brakes to
            rest (:class:`BrakingTrajectory`); this tail belongs to the path and is checked
            with it. Without a deceleration, the set-point stops at the last point.

    Raises:
        InvalidPrimitiveError: malformed, non-finite or non-increasing input.
        OutOfRangeError: a point, or the path between points (or a stream's stopping tail),
            outside the joint limits, a segment whose interpolated velocity exceeds the
            limits anywhere, or a point at time 0 more than ``START_TOLERANCE_RAD`` from
            ``start_q_rad``.
    """

    def __init__(self, times_s: Sequence[float], positions_rad: np.ndarray,
                 velocities_radps: np.ndarray | None, start_q_rad: np.ndarray, start_time_s: float,
                 *, lower_rad: np.ndarray, upper_rad: np.ndarray, max_velocity_radps: np.ndarray,
                 start_qd_radps: np.ndarray | None = None, stream_coast_s: float = 0.0,
                 stop_deceleration_radps2: float | None = None):
        t = np.asarray(times_s, dtype=float)
        q = np.asarray(positions_rad, dtype=float)
        if t.ndim != 1 or len(t) == 0 or q.shape != (len(t), 7):
            raise InvalidPrimitiveError(
                f"trajectory needs N times and N x 7 positions, got {t.shape} and {q.shape}")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(q))):
            raise InvalidPrimitiveError("trajectory contains NaN or infinite values")
        if t[0] < 0 or np.any(np.diff(t) <= 0) or t[-1] <= 0:
            raise InvalidPrimitiveError("trajectory times must be non-negative, strictly increasing, last > 0")
        if np.any(q < lower_rad) or np.any(q > upper_rad):
            raise OutOfRangeError("trajectory point outside the joint limits")
        if velocities_radps is not None and len(velocities_radps):
            v = np.asarray(velocities_radps, dtype=float)
            if v.shape != q.shape or not np.all(np.isfinite(v)):
                raise InvalidPrimitiveError("trajectory velocities must match positions and be finite")
        else:
            v = np.zeros_like(q)
            if len(t) > 2:
                v[1:-1] = (q[2:] - q[:-2]) / (t[2:] - t[:-2])[:, None]
        if t[0] > 0:
            t = np.concatenate([[0.0], t])
            q = np.vstack([start_q_rad, q])
            v = np.vstack([np.zeros(7) if start_qd_radps is None else start_qd_radps, v])
        else:
            jump = float(np.max(np.abs(q[0] - np.asarray(start_q_rad, dtype=float))))
            if jump > START_TOLERANCE_RAD:
                raise OutOfRangeError(
                    f"trajectory point at time 0 is {jump:.3f} rad from the current position "
                    f"(more than {START_TOLERANCE_RAD} rad); give it a time > 0 to move there")
        peak = _hermite_peak_speed(t, q, v)
        if np.any(peak > max_velocity_radps):
            j = int(np.argmax(np.max(peak / max_velocity_radps, axis=0)))
            raise OutOfRangeError(
                f"trajectory is faster than the joint velocity limits (joint {j + 1} reaches "
                f"{float(np.max(peak[:, j])):.2f} rad/s, limit {float(max_velocity_radps[j]):.2f} rad/s)")
        low, high = _hermite_position_range(t, q, v)
        if np.any(low < lower_rad) or np.any(high > upper_rad):
            j = int(np.argmax(np.maximum(lower_rad - low, high - upper_rad)))
            raise OutOfRangeError(f"trajectory path leaves the joint limits between its points (joint {j + 1} "
                                  f"spans [{low[j]:.3f}, {high[j]:.3f}] rad, limits "
                                  f"[{lower_rad[j]:.3f}, {upper_rad[j]:.3f}] rad)")
        self._t, self._q, self._v = t, q, v
        self.start_time_s = float(start_time_s)
        self.end_time_s = self.start_time_s + float(t[-1])
        self.goal_rad = q[-1]
        self.is_stream = bool(np.any(v[-1] != 0.0))
        self._tail: BrakingTrajectory | None = None
        self.stream_timeout_time_s = self.end_time_s    # when a stream's continuation is overdue
        if self.is_stream and stop_deceleration_radps2 is not None:
            coast_s = max(float(stream_coast_s), 0.0)
            self.stream_timeout_time_s = self.end_time_s + coast_s
            self._tail = BrakingTrajectory(q[-1] + v[-1] * coast_s, v[-1], self.stream_timeout_time_s,
                                           stop_deceleration_radps2)
            # Coasting then braking moves each joint one way only: its far end is the extreme.
            stop = self._tail.goal_rad
            if np.any(stop < lower_rad) or np.any(stop > upper_rad):
                raise OutOfRangeError(
                    "stream segment: the stop the body makes if no continuation comes (coast "
                    f"{coast_s:g} s, then brake at {stop_deceleration_radps2:g} rad/s^2) leaves the joint limits")
            self.goal_rad = stop
        self.stop_time_s = self.end_time_s if self._tail is None else self._tail.end_time_s

    def sample(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        if self._tail is not None and time_s > self.end_time_s:
            if time_s >= self.stream_timeout_time_s:
                return self._tail.sample(time_s)
            return self._q[-1] + self._v[-1] * (time_s - self.end_time_s), self._v[-1].copy()
        rel = min(max(time_s - self.start_time_s, 0.0), self._t[-1])
        i = int(min(np.searchsorted(self._t, rel, side="right") - 1, len(self._t) - 2))
        h = self._t[i + 1] - self._t[i]
        s = (rel - self._t[i]) / h
        s2, s3 = s * s, s * s * s
        h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2
        d00, d10, d01, d11 = 6 * s2 - 6 * s, 3 * s2 - 4 * s + 1, -6 * s2 + 6 * s, 3 * s2 - 2 * s
        q0, q1, v0, v1 = self._q[i], self._q[i + 1], self._v[i], self._v[i + 1]
        pos = h00 * q0 + h10 * h * v0 + h01 * q1 + h11 * h * v1
        vel = (d00 * q0 + d10 * h * v0 + d01 * q1 + d11 * h * v1) / h
        return pos, vel

    def done(self, time_s: float) -> bool:
        return time_s >= self.stop_time_s

    def check_times_s(self, step_s: float) -> np.ndarray:
        """Times at which to check the path: every point, every ``step_s`` and the tail's end."""
        times = np.concatenate([self.start_time_s + self._t,
                                np.arange(self.start_time_s, self.stop_time_s, step_s), [self.stop_time_s]])
        return np.unique(times)


class BrakingTrajectory:
    """A controlled stop: from the commanded position and velocity, every joint decelerates
    uniformly so that all reach rest together (the tool keeps its path while stopping).

    Snapping the set-point to the measured position instead makes the arm overshoot and
    stick off its set-point in static friction, then creep as the integral breaks it free.
    """

    def __init__(self, q_rad: np.ndarray, qd_radps: np.ndarray, start_time_s: float, deceleration_radps2: float):
        self._q0 = np.asarray(q_rad, dtype=float).copy()
        self._v0 = np.asarray(qd_radps, dtype=float).copy()
        self._t0 = float(start_time_s)
        self.duration_s = float(np.max(np.abs(self._v0))) / float(deceleration_radps2)
        self.end_time_s = self._t0 + self.duration_s
        self.goal_rad = self._q0 + 0.5 * self._v0 * self.duration_s

    def sample(self, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        tau = min(max(time_s - self._t0, 0.0), self.duration_s)
        if self.duration_s <= 0.0:
            return self._q0.copy(), np.zeros_like(self._q0)
        fraction = 1.0 - tau / self.duration_s            # velocity falls linearly to zero
        q = self._q0 + self._v0 * (tau - 0.5 * tau * tau / self.duration_s)
        return q, self._v0 * fraction

    def done(self, time_s: float) -> bool:
        return time_s - self._t0 >= self.duration_s
