"""Joint trajectories: rest-to-rest quintic paths within the speed limits, and validated splines."""
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from brainbody.body.trajectory import QUINTIC_PEAK_VELOCITY, PathTrajectory, SplineTrajectory, duration_for
from brainbody.exceptions import ErrorCode, InvalidPrimitiveError, OutOfRangeError, RequestError

# The Panda's limits, written out here (not read from the model under test).
LOWER = np.array([-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973])
UPPER = np.array([2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973])
VMAX = np.array([2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61])
HOME = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])
LIMITS = dict(lower_rad=LOWER, upper_rad=UPPER, max_velocity_radps=VMAX)


def samples(trajectory, n=2001):
    times = np.linspace(trajectory.start_time_s, trajectory.end_time_s, n)
    q, v = zip(*(trajectory.sample(t) for t in times))
    return times, np.array(q), np.array(v)


# -- PathTrajectory + duration_for ----------------------------------------------------

def test_path_starts_and_ends_at_rest_at_the_waypoints():
    path = np.vstack([HOME, HOME + 0.3, HOME + [0.5, -0.2, 0.1, 0.3, -0.4, 0.2, 0.1]])
    traj = PathTrajectory(path, 2.0, start_time_s=5.0)
    assert traj.end_time_s == pytest.approx(7.0)
    for t in (4.0, 5.0):
        q, v = traj.sample(t)
        np.testing.assert_allclose(q, path[0], atol=1e-12)
        np.testing.assert_allclose(v, 0.0, atol=1e-12)
    for t in (7.0, 9.0):
        q, v = traj.sample(t)
        np.testing.assert_allclose(q, path[-1], atol=1e-12)
        np.testing.assert_allclose(v, 0.0, atol=1e-12)
    np.testing.assert_allclose(traj.goal_rad, path[-1])
    assert not traj.done(6.99) and traj.done(7.0)


def test_path_passes_through_its_waypoints_and_is_continuous():
    path = np.vstack([HOME, HOME + [0.2, 0, 0, 0, 0, 0, 0], HOME + [0.2, 0.2, 0, 0, 0, 0, 0]])
    _, q, v = samples(PathTrajectory(path, 1.0, 0.0))
    assert np.min(np.linalg.norm(q - path[1], axis=1)) < 2e-3
    assert np.max(np.abs(np.diff(q, axis=0))) < 2e-3
    assert np.all(np.isfinite(v))


def test_single_waypoint_holds_still():
    traj = PathTrajectory(HOME, 0.5, 0.0)
    _, q, v = samples(traj, 101)
    np.testing.assert_allclose(q, np.broadcast_to(HOME, q.shape))
    np.testing.assert_allclose(v, 0.0)


def test_reported_velocity_is_the_derivative_of_position():
    path = np.vstack([HOME, HOME + [0.4, -0.3, 0.2, 0.1, 0.5, -0.2, 0.3]])
    times, q, v = samples(PathTrajectory(path, 1.5, 0.0), 3001)
    dq = np.gradient(q, times, axis=0)
    np.testing.assert_allclose(v[1:-1], dq[1:-1], atol=2e-3)


def test_velocity_is_continuous_through_the_waypoints():
    """IK waypoints of a straight tool line lie on a curve in joint space. Through them the
    velocity must not step at a waypoint (a polyline stepped it by up to 20 %; the servo's
    acceleration feed-forward made each step a one-tick torque spike of tens of N m)."""
    s = np.linspace(0.0, 1.0, 21)[:, None]
    path = HOME + np.sin(1.2 * s) * [0.3, -0.2, 0.25, 0.3, -0.3, 0.2, 0.4] + s ** 2 * [0.1, 0.2, -0.1, 0, 0.2, 0, -0.1]
    traj = PathTrajectory(path, 2.0, 0.0)
    times, q, v = samples(traj, 40001)                      # every 50 us
    for waypoint in path[1:-1]:
        k = int(np.argmin(np.linalg.norm(q - waypoint, axis=1)))
        assert np.linalg.norm(q[k] - waypoint) < 1e-3      # it passes through each waypoint
    step = np.max(np.abs(np.diff(v, axis=0)))
    assert step < 2e-3 * np.max(np.abs(v)), step            # no jump anywhere: accelerations are bounded
    np.testing.assert_allclose(v[1:-1], np.gradient(q, times, axis=0)[1:-1], atol=2e-3)


@st.composite
def joint_paths(draw):
    n = draw(st.integers(2, 6))
    steps = draw(st.lists(st.lists(st.floats(-0.6, 0.6), min_size=7, max_size=7), min_size=n - 1,
                          max_size=n - 1))
    mask = draw(st.lists(st.lists(st.booleans(), min_size=7, max_size=7), min_size=n - 1, max_size=n - 1))
    steps = np.array(steps) * np.array(mask)       # joints that rest in some segments
    return np.vstack([HOME, HOME + np.cumsum(steps, axis=0)])


@settings(max_examples=40, deadline=None)
@given(path=joint_paths(), scale=st.sampled_from([0.1, 0.5, 1.0]))
def test_duration_for_keeps_every_joint_within_its_speed_limit(path, scale):
    vmax = VMAX * scale
    duration = duration_for(path, vmax)
    assert duration >= 0.3
    traj = PathTrajectory(path, duration, 0.0)
    times, q, v = samples(traj, 1001)
    assert np.all(np.abs(v) <= vmax * (1 + 1e-6)), np.max(np.abs(v) / vmax)
    dq = np.diff(q, axis=0) / np.diff(times)[:, None]
    assert np.all(np.abs(dq) <= vmax * (1 + 1e-3))


@settings(max_examples=40, deadline=None)
@given(path=joint_paths())
# A step too small to move the normalised arc length on (found by hypothesis in CI).
@example(path=np.vstack([HOME, HOME, HOME + [0, 0, 0, 0, 0, 0, 0.5], HOME + [0, 0, 1e-147, 0, 0, 0, 0.5]]))
def test_the_path_never_leaves_the_range_of_its_waypoints(path):
    """Shape-preserving: no overshoot past the waypoints, so limits checked on them hold
    between them."""
    traj = PathTrajectory(path, 1.0, 0.0)
    _, q, _ = samples(traj, 2001)
    assert np.all(q >= path.min(axis=0) - 1e-9) and np.all(q <= path.max(axis=0) + 1e-9)


def test_duration_for_a_straight_move_is_the_quintic_minimum():
    delta = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    duration = duration_for(np.vstack([HOME, HOME + delta]), VMAX)
    assert duration == pytest.approx(QUINTIC_PEAK_VELOCITY * 1.0 / VMAX[0])
    _, _, v = samples(PathTrajectory(np.vstack([HOME, HOME + delta]), duration, 0.0))
    assert np.max(np.abs(v[:, 0])) == pytest.approx(VMAX[0], rel=1e-3)    # uses the limit, not less


def test_duration_for_respects_the_tool_speed_and_the_minimum():
    path = np.vstack([HOME, HOME + 0.01])
    assert duration_for(path, VMAX) == 0.3
    assert duration_for(path, VMAX, minimum_s=0.0) < 0.3
    assert duration_for(path, VMAX, cartesian_length_m=0.5, max_speed_mps=0.25) == \
        pytest.approx(QUINTIC_PEAK_VELOCITY * 0.5 / 0.25)


# -- SplineTrajectory ------------------------------------------------------------------

def spline(times, points, velocities=None, start=HOME, start_time_s=0.0):
    return SplineTrajectory(times, np.asarray(points, dtype=float), velocities, start, start_time_s, **LIMITS)


def test_spline_interpolates_through_its_points():
    points = [HOME + 0.1, HOME + [0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], HOME + 0.05]
    traj = spline([1.0, 2.0, 3.5], points, start_time_s=10.0)
    np.testing.assert_allclose(traj.sample(10.0)[0], HOME, atol=1e-12)      # starts where the arm is
    for t, q in zip([1.0, 2.0, 3.5], points):
        np.testing.assert_allclose(traj.sample(10.0 + t)[0], q, atol=1e-12)
    np.testing.assert_allclose(traj.sample(13.5)[1], 0.0, atol=1e-12)       # ends at rest
    np.testing.assert_allclose(traj.sample(20.0)[0], points[-1])            # and holds
    assert traj.end_time_s == pytest.approx(13.5)
    np.testing.assert_allclose(traj.goal_rad, points[-1])
    times, q, _ = samples(traj)
    assert np.max(np.abs(np.diff(q, axis=0))) < 1e-3                      # continuous


def test_spline_uses_given_velocities():
    points = [HOME + 0.1, HOME + 0.2]
    velocities = [np.full(7, 0.1), np.zeros(7)]
    traj = spline([1.0, 2.0], points, velocities)
    np.testing.assert_allclose(traj.sample(1.0)[1], 0.1, atol=1e-12)


def test_spline_starting_at_time_zero_from_the_current_position():
    traj = spline([0.0, 1.0], [HOME, HOME + 0.1])
    np.testing.assert_allclose(traj.sample(0.0)[0], HOME)
    np.testing.assert_allclose(traj.sample(1.0)[0], HOME + 0.1)


def refused(*args, **kwargs):
    with pytest.raises(RequestError) as info:
        spline(*args, **kwargs)
    assert str(info.value)
    return info.value


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_spline_rejects_non_finite_values(bad):
    point = HOME.copy()
    point[3] = bad
    assert isinstance(refused([1.0], [point]), InvalidPrimitiveError)
    assert isinstance(refused([bad], [HOME]), InvalidPrimitiveError)
    assert isinstance(refused([1.0, 2.0], [HOME, HOME], [np.zeros(7), np.full(7, bad)]), InvalidPrimitiveError)


@pytest.mark.parametrize("times", [[1.0, 1.0], [2.0, 1.0], [-1.0, 1.0], [0.0], [1.0, 3.0, 2.0]])
def test_spline_rejects_non_increasing_or_negative_times(times):
    error = refused(times, [HOME] * len(times))
    assert isinstance(error, InvalidPrimitiveError)
    assert error.code is ErrorCode.INVALID_PRIMITIVE


@pytest.mark.parametrize("times,points", [
    ([], np.zeros((0, 7))),
    ([1.0], [HOME[:6]]),
    ([1.0, 2.0], [HOME]),
])
def test_spline_rejects_malformed_shapes(times, points):
    assert isinstance(refused(times, points), InvalidPrimitiveError)


def test_spline_rejects_mismatched_velocities():
    assert isinstance(refused([1.0, 2.0], [HOME, HOME], [np.zeros(7)]), InvalidPrimitiveError)


@pytest.mark.parametrize("joint,value", [(0, 3.0), (1, -1.8), (3, 0.0), (5, -0.1), (6, 2.9)])
def test_spline_rejects_points_outside_the_joint_limits(joint, value):
    point = HOME.copy()
    point[joint] = value
    error = refused([5.0], [point])
    assert isinstance(error, OutOfRangeError) and error.code is ErrorCode.OUT_OF_RANGE


def test_spline_rejects_too_fast_segments():
    fast = HOME + [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]     # 1 rad in 0.1 s on a 2.61 rad/s joint
    assert isinstance(refused([0.1], [fast]), OutOfRangeError)
    assert isinstance(refused([1.0, 1.1], [HOME, fast]), OutOfRangeError)
    spline([1.0], [fast])                                   # the same move slowly is fine


def test_spline_checks_the_interpolated_peak_not_the_average_speed():
    # Rest to rest, the cubic peaks at 1.5 x the segment's average speed.
    too_fast = HOME + [0.9 * VMAX[0], 0, 0, 0, 0, 0, 0]      # average 90 % of the limit over 1 s
    assert isinstance(refused([1.0], [too_fast]), OutOfRangeError)
    ok = HOME + [0.6 * VMAX[0], 0, 0, 0, 0, 0, 0]            # peak 90 % of the limit
    _, _, v = samples(spline([1.0], [ok]))
    assert 0.85 * VMAX[0] < np.max(np.abs(v[:, 0])) <= VMAX[0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 1.0), st.lists(st.floats(-0.5, 0.5), min_size=7, max_size=7)),
                min_size=1, max_size=4),
       st.booleans())
def test_an_accepted_spline_never_samples_above_the_limits(segments, with_velocities):
    times = np.cumsum([dt for dt, _ in segments])
    points = np.clip(HOME + np.cumsum([dq for _, dq in segments], axis=0), LOWER, UPPER)
    velocities = None
    if with_velocities:
        velocities = np.gradient(points, times, axis=0) if len(points) > 1 else np.zeros((1, 7))
    try:
        traj = spline(times, points, velocities)
    except OutOfRangeError:
        return
    _, _, v = samples(traj, 1001)
    assert np.all(np.abs(v) <= VMAX * (1 + 1e-9))


def test_spline_rejects_a_first_point_at_time_zero_away_from_the_arm():
    far = HOME + [0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert isinstance(refused([0.0, 2.0], [far, far]), OutOfRangeError)
    near = HOME + 0.01                                       # measured vs commanded: accepted
    np.testing.assert_allclose(spline([0.0, 2.0], [near, far]).sample(0.0)[0], near)


def test_spline_refuses_a_path_that_overshoots_a_joint_limit_between_its_points():
    # Both points sit 0.05 rad inside joint 4's upper limit; a fast velocity at the first
    # point bends the cubic 0.1 rad past it in between.
    near = HOME.copy()
    near[3] = UPPER[3] - 0.05
    v = np.zeros((2, 7))
    v[0, 3] = 1.0
    with pytest.raises(OutOfRangeError, match="between its points"):
        SplineTrajectory([1.0, 2.0], np.array([near, near]), v, near, 0.0, **LIMITS)
    # The same points without the overshoot are fine.
    SplineTrajectory([1.0, 2.0], np.array([near, near]), np.zeros((2, 7)), near, 0.0, **LIMITS)


def stream(velocity_end, coast_s=0.1, decel=3.0, start=HOME):
    end = start + [0.1, 0, 0, 0, 0, 0, 0]
    v = np.zeros((1, 7))
    v[0, 0] = velocity_end
    return SplineTrajectory([1.0], np.array([end]), v, start, 0.0, stream_coast_s=coast_s,
                            stop_deceleration_radps2=decel, **LIMITS), end


def test_a_trajectory_ending_at_rest_is_no_stream_and_stops_at_its_last_point():
    traj, end = stream(0.0)
    assert not traj.is_stream and traj.stop_time_s == traj.end_time_s == 1.0
    np.testing.assert_allclose(traj.sample(5.0)[0], end)


def test_a_stream_segment_coasts_for_the_timeout_then_brakes_to_rest():
    # Expect: at 0.2 rad/s past its last point, 0.1 s of coasting (0.02 rad), then braking at
    # 3 rad/s^2 over 0.2/3 s (0.2^2 / 6 rad), rest at the checked goal.
    traj, end = stream(0.2)
    assert traj.is_stream and traj.stream_timeout_time_s == pytest.approx(1.1)
    q, v = traj.sample(1.05)
    np.testing.assert_allclose(q[0], end[0] + 0.01, atol=1e-12)
    assert v[0] == pytest.approx(0.2)
    stop = end[0] + 0.02 + 0.2 ** 2 / 6.0
    assert traj.goal_rad[0] == pytest.approx(stop)
    assert traj.stop_time_s == pytest.approx(1.1 + 0.2 / 3.0)
    assert not traj.done(traj.stop_time_s - 1e-3) and traj.done(traj.stop_time_s)
    q, v = traj.sample(traj.stop_time_s + 1.0)
    assert q[0] == pytest.approx(stop) and not np.any(v)
    times = traj.check_times_s(0.01)
    assert times[0] == 0.0 and times[-1] == pytest.approx(traj.stop_time_s) and 1.0 in times


def test_a_stream_whose_stop_would_cross_a_joint_limit_is_refused():
    start = HOME.copy()
    start[0] = UPPER[0] - 0.3                     # the point is inside, the coast and stop are not
    with pytest.raises(OutOfRangeError, match="stop the body makes"):
        stream(1.5, coast_s=0.1, decel=3.0, start=start)


def test_a_trajectory_replacing_a_moving_one_continues_its_velocity():
    traj = SplineTrajectory([1.0], np.array([HOME + 0.1]), None, HOME, 0.0, start_qd_radps=np.full(7, 0.05),
                            **LIMITS)
    np.testing.assert_allclose(traj.sample(0.0)[1], 0.05)


def test_the_path_shape_is_scipys_pchip_to_the_bit():
    """The path's cubics are a compiled kernel (scipy's took ~150 us a path inside a tick); they
    must be the same shape-preserving interpolant, value for value: flat stretches, a joint at
    rest, reversals, two and three waypoints."""
    from scipy.interpolate import PchipInterpolator

    from brainbody.body.trajectory import JointPath
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = 2 + trial % 12
        points = HOME + np.cumsum(rng.normal(0.0, 0.03, (n, 7)), axis=0)
        if trial % 3 == 1:
            points[:, trial % 7] = HOME[trial % 7]          # a joint that does not move
        if trial % 3 == 2:
            points = np.round(points, 2)                    # flat steps, zero secants
        path = JointPath(points)
        cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
        keep = np.flatnonzero(np.concatenate([[True], np.diff(cum / cum[-1]) > 0.0]))
        keep[-1] = n - 1
        with np.errstate(over="ignore", divide="ignore"):
            reference = PchipInterpolator(cum[keep] / cum[-1], points[keep], axis=0)
        np.testing.assert_array_equal(path.knots, reference.x)
        np.testing.assert_array_equal(path.coefs, np.transpose(reference.c, (1, 0, 2)))
