"""The friction check: each joint swept at constant speeds both ways; half the torque difference
at equal angles, averaged over whole motor revolutions, is the friction at each speed, and a
line through the speeds its Coulomb level and viscous coefficient (body/friction_check.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.friction_check import (JOINT_POSES_RAD, SETTLE_S, SPEEDS_RADPS, FrictionCheck,
                                           FrictionCheckState, friction_check_trajectory, speed_order,
                                           sweep_range_rad)
from brainbody.body.robot_model import RobotModel
from brainbody.body.trajectory import SplineTrajectory
from brainbody.exceptions import BusyError, InvalidPrimitiveError
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import default_urdf_path

HOME = np.asarray(BodyConfig().home_q_rad)
RATIOS = [100.0] * 7


@pytest.fixture(scope="module")
def model():
    return RobotModel(default_urdf_path())


def _spline(q_start=HOME):
    times, points, velocities, windows = friction_check_trajectory(q_start)
    config = BodyConfig()
    m = RobotModel(default_urdf_path())
    trajectory = SplineTrajectory(times, points, velocities, q_start, 0.0, lower_rad=m.lower_rad,
                                  upper_rad=m.upper_rad, max_velocity_radps=m.velocity_limit_radps,
                                  start_qd_radps=np.zeros(7), stream_coast_s=config.trajectory_stream_timeout_s,
                                  stop_deceleration_radps2=config.stop_deceleration_radps2)
    return trajectory, windows


def test_the_motion_sweeps_each_joint_alone_at_each_speed_in_its_windows_and_returns():
    trajectory, windows = _spline(HOME + 0.05)
    q_end, qd_end = trajectory.sample(trajectory.stop_time_s)
    np.testing.assert_allclose(q_end, HOME + 0.05, atol=1e-9)
    np.testing.assert_allclose(qd_end, 0.0, atol=1e-9)
    # Every joint, every speed, each way, twice (the speeds run up and down again).
    assert len(windows) == 7 * len(speed_order()) * 2
    assert speed_order() == tuple(SPEEDS_RADPS) + tuple(reversed(SPEEDS_RADPS))
    for start, end, joint, speed, direction in windows:
        assert end - start > 0.3
        for t in np.linspace(start, end, 7):
            q, qd = trajectory.sample(t)
            expected = SPEEDS_RADPS[speed] * (1.0 if direction == 0 else -1.0)
            assert qd[joint] == pytest.approx(expected, abs=1e-9)          # constant speed ...
            others = [k for k in range(7) if k != joint]
            np.testing.assert_allclose(qd[others], 0.0, atol=1e-9)       # ... the others standing
            np.testing.assert_allclose(q[others], JOINT_POSES_RAD[joint][others], atol=1e-9)
        # The window starts SETTLE_S after the ramp's end.
        q_before, qd_before = trajectory.sample(start - SETTLE_S - 0.01)
        assert abs(qd_before[joint]) < SPEEDS_RADPS[speed]


def test_every_sweep_keeps_inside_the_joint_limits_and_the_workspace_box_with_room_to_stop(model):
    config = BodyConfig()
    lo_box, hi_box = np.asarray(config.workspace_min_m), np.asarray(config.workspace_max_m)
    for joint, pose in enumerate(JOINT_POSES_RAD):
        lo, hi = sweep_range_rad(joint)
        assert model.lower_rad[joint] + 0.1 < lo and hi < model.upper_rad[joint] - 0.1
        for angle in np.linspace(lo, hi, 25):
            q = pose.copy()
            q[joint] = angle
            tcp = model.tcp_pose(q)[0]
            # 5 cm of room: the monitor trips on where the tool would come to rest.
            assert np.all(tcp > lo_box + 0.05) and np.all(tcp < hi_box - 0.05), (joint + 1, angle, tcp)


ROTOR = np.full(7, 0.3)


def _feed(check: FrictionCheck, model, coulomb, viscous, *, seed=0, dt=0.001):
    """Torques a real joint would need along the check's motion: the body's gravity model off by
    a few per cent, the true friction with a twice-per-turn ripple, cogging, noise, and the
    inertia of a speed that still settles after each ramp (an overshoot in proportion to the
    speed, decaying); one sample per tick, the trajectory clock starting at 0."""
    rng = np.random.default_rng(seed)
    trajectory, windows = _spline(HOME)
    inertia = np.array([model.inverse_dynamics_nm(pose, np.zeros(7), np.eye(7)[j])[j] - model.gravity_nm(pose)[j]
                        for j, pose in enumerate(JOINT_POSES_RAD)]) + ROTOR
    starts = iter([w[0] - SETTLE_S for w in windows] + [np.inf])
    ramp_end, since = next(starts), 1e6
    check.plan(HOME, 0.0, None)
    for t in np.arange(0.0, trajectory.stop_time_s, dt):
        q, qd = trajectory.sample(t)
        if t >= ramp_end:
            since, ramp_end = t - ramp_end - dt, next(starts)
        since += dt
        # Overshoot after the ramp, in proportion to the speed, decaying: it reads as viscous.
        overshoot = 0.05 * qd * np.exp(-since / 0.4)
        overshoot_rate = -overshoot / 0.4
        moving = np.abs(qd) > 1e-9
        qd_measured = qd + np.where(moving, overshoot, 0.0)
        shaft = q * RATIOS[0]
        level = coulomb * (1.0 + 0.08 * np.sin(2.0 * shaft + 0.3))
        torque = (1.04 * model.gravity_nm(q) + 0.2 + np.sign(qd) * level + viscous * qd
                  + np.where(moving, inertia * overshoot_rate, 0.0)
                  + 0.3 * np.sin(6.0 * shaft + 1.0) + rng.normal(0.0, 0.01, 7))
        check.add(t, q, qd_measured, torque)


def test_a_simulated_drive_s_friction_comes_back_from_the_torques(model):
    coulomb = np.array([0.65, 0.86, 0.79, 1.18, 0.80, 0.36, 0.66])
    viscous = np.array([0.09, 0.067, 0.078, 0.069, 0.040, 0.040, 0.046])
    check = FrictionCheck(model, RATIOS, ROTOR)
    _feed(check, model, coulomb, viscous)
    check.finish()
    assert check.state is FrictionCheckState.DONE and check.message == "done"
    np.testing.assert_allclose(check.coulomb_nm, coulomb, rtol=0.01)
    np.testing.assert_allclose(check.viscous_nms_per_rad, viscous, rtol=0.03)
    # The friction at each speed is the line's.
    expected = coulomb[:, None] + viscous[:, None] * np.asarray(SPEEDS_RADPS)[None, :]
    np.testing.assert_allclose(check.friction_at_speeds_nm, expected, rtol=0.01)


def test_without_whole_revolutions_the_ripple_would_show(model):
    """The same drive with the check's averaging interval a fraction of a revolution off: the
    estimates move, so the whole-revolution averaging is doing work (not decoration)."""
    coulomb, viscous = np.full(7, 0.8), np.full(7, 0.06)
    exact, off = FrictionCheck(model, RATIOS, ROTOR), FrictionCheck(model, RATIOS, ROTOR)
    off._interval = off._interval + np.array([0.0, 0.4 * 2.0 * math.pi / RATIOS[0]])
    for check in (exact, off):
        _feed(check, model, coulomb, viscous)
        check.finish()
    exact_error = np.max(np.abs(exact.coulomb_nm - coulomb))
    assert np.max(np.abs(off.coulomb_nm - coulomb)) > 3.0 * exact_error


def test_without_the_inertia_taken_off_the_settling_would_show(model):
    """The same drive, the check's inertia set to zero: the settling speed's torque then reads
    as friction, so taking the inertia off is doing work."""
    coulomb, viscous = np.full(7, 0.8), np.full(7, 0.06)
    corrected, blind = FrictionCheck(model, RATIOS, ROTOR), FrictionCheck(model, RATIOS, ROTOR)
    blind._inertia[:] = 0.0
    for check in (corrected, blind):
        _feed(check, model, coulomb, viscous)
        check.finish()
    corrected_error = np.max(np.abs(corrected.viscous_nms_per_rad - viscous))
    assert corrected_error < 0.03 * 0.06
    assert np.max(np.abs(blind.viscous_nms_per_rad - viscous)) > 3.0 * corrected_error


def test_an_interrupted_or_short_check_concludes_nothing_and_keeps_the_last_result(model):
    check = FrictionCheck(model, RATIOS, ROTOR)
    _feed(check, model, np.full(7, 0.8), np.full(7, 0.06))
    check.finish()
    first = check.viscous_nms_per_rad.copy()
    check.plan(HOME, 0.0, None)
    check.abandon("its motion was replaced or stopped before its end")
    assert check.state is FrictionCheckState.INTERRUPTED and "replaced" in check.message
    np.testing.assert_array_equal(check.viscous_nms_per_rad, first)
    # Run to its end with samples on one joint only: the others get no estimate.
    check.plan(HOME, 0.0, None)
    trajectory, windows = _spline(HOME)
    for start, end, joint, speed, direction in windows:
        if joint == 2:
            for t in np.arange(start, end, 0.001):
                q, qd = trajectory.sample(t)
                check.add(t, q, qd, model.gravity_nm(q) + np.sign(qd) * 0.8)
    check.finish()
    assert np.isfinite(check.coulomb_nm[2]) and np.all(np.isnan(np.delete(check.coulomb_nm, 2)))
    assert "joint(s) [1, 2, 4, 5, 6, 7]" in check.message


def test_bad_gear_ratios_or_rotor_inertias_and_a_held_object_are_refused(model):
    for ratios in ([100.0] * 6, [100.0] * 6 + [0.0], [100.0] * 6 + [math.nan]):
        with pytest.raises(ValueError):
            FrictionCheck(model, ratios, ROTOR)
    for rotor in ([0.3] * 6, [0.3] * 6 + [-0.1], [0.3] * 6 + [math.inf]):
        with pytest.raises(ValueError):
            FrictionCheck(model, RATIOS, rotor)
    with pytest.raises(InvalidPrimitiveError, match="holds 'cup'"):
        FrictionCheck(model, RATIOS, ROTOR).plan(HOME, 0.0, "cup")


def test_the_body_refuses_a_second_check_or_another_routine_during_one_and_a_cancel_ends_it():
    session = SimSession(seed=0)
    body = session.body
    session.loop.run_until(lambda: body.time_s > 0.05)
    duration = body.check_friction()
    assert duration > 100.0 and body.friction_check.running
    with pytest.raises(BusyError, match="already running"):
        body.check_friction()
    with pytest.raises(BusyError, match="friction check is running"):
        body.weigh_payload()
    with pytest.raises(BusyError, match="friction check is running"):
        body.check_drivetrain()
    # A cancel takes the arm: the check stops and says so; nothing is concluded.
    session.loop.run_until(lambda: body.time_s > 1.0)
    body.cancel()
    session.loop.run_until(lambda: body.time_s > 1.1)
    assert body.friction_check.state is FrictionCheckState.INTERRUPTED
    assert np.all(np.isnan(body.friction_check.viscous_nms_per_rad))


def test_a_failing_sample_ends_the_check_not_the_motion_or_the_tick():
    session = SimSession(seed=0)
    body = session.body
    session.loop.run_until(lambda: body.time_s > 0.05)
    body.check_friction()

    def broken(*args):
        raise RuntimeError("bookkeeping broke")

    body.friction_check.add = broken
    session.loop.run_until(lambda: body.time_s > 3.0)      # the first sweep's windows begin within this
    assert body.friction_check.state is FrictionCheckState.INTERRUPTED
    assert "bookkeeping broke" in body.friction_check.message
    assert body.failed_ticks == 0 and not body.fallback.active and body.monitor_trip is None
    assert body._trajectory is not None                   # the checked motion carries on to its end


def test_the_loop_ticks_on_while_the_checks_path_is_checked():
    """The check's 206 s path takes about a third of a second to check against the limits and
    the workspace. That happens outside the control loop's lock: the loop, on another thread,
    keeps ticking and never pauses 100 ms, and the check then runs from its beginning."""
    import threading
    from brainbody.body.control_loop import LoopTiming
    from brainbody.runtime.kernel_warmup import warm_up
    warm_up()        # as the body node does: a kernel loaded mid-run holds the GIL for its load
    session = SimSession(seed=3)
    body, loop = session.body, session.loop
    session.refresh_world()
    loop.run_until(lambda: body.time_s > 0.3)
    result: dict = {}
    checking = threading.Thread(target=lambda: result.update(duration_s=body.check_friction()))
    loop.timing, ticks = LoopTiming(), body.ticks
    checking.start()
    while checking.is_alive():
        loop.step()
    checking.join()
    assert result["duration_s"] > 200.0
    assert body.ticks - ticks > 20                        # it ticked while the path was checked
    assert loop.timing.wall_gap_max_s < 0.1, loop.timing.wall_gap_max_s
    assert body.friction_check.running and body.friction_check.message.startswith("running")
    assert loop.run_until(lambda: bool(np.any(body.qd_cmd_radps)), max_time_s=15.0)   # the sweep moves the arm
    assert body.friction_check.running
