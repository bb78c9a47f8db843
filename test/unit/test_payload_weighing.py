"""Weighing the hand's load with the drives: a motion whose mean torques, against a tare taken
with the hand empty at the same pose, are the load's weight (body/payload_weighing.py)."""
from __future__ import annotations

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.payload_weighing import (AMPLITUDE_RAD, CYCLES, PERIOD_S, PayloadWeighing, WeighingState,
                                             load_regressor, motion_signs, weighing_trajectory)
from brainbody.body.robot_model import RobotModel
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.exceptions import BusyError, InvalidPrimitiveError
from brainbody.primitives import PrimitiveKind
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import SceneConfig, default_urdf_path

HOME = np.asarray(BodyConfig().home_q_rad)


@pytest.fixture(scope="module")
def model():
    return RobotModel(default_urdf_path())


def _feed(weighing: PayloadWeighing, times, torque_at, magnet_c=None, dt=0.001):
    """The controller's part: one sample per tick over the motion (trajectory clock = robot clock)."""
    for t in np.arange(0.0, times[-1], dt):
        weighing.add(t, torque_at(t), magnet_c)


def test_the_motion_is_whole_periods_about_the_pose_at_rest_where_it_starts_and_ends():
    start = HOME + 0.05
    signs = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0])
    times, points, velocities, (t0, t1) = weighing_trajectory(start, HOME, signs)
    assert np.all(np.diff(times) > 0.0)
    np.testing.assert_allclose(points[0], start)
    np.testing.assert_allclose(points[-1], start)           # back where it started
    assert t1 - t0 == pytest.approx(CYCLES * PERIOD_S)
    inside = [(t, q, v) for t, q, v in zip(times, points, velocities) if t0 <= t <= t1]
    for t, q, v in inside:
        moved = (q - HOME) * signs              # each joint out its own way and back
        assert np.all(moved >= -1e-12) and np.all(moved <= AMPLITUDE_RAD + 1e-12)
    np.testing.assert_allclose(inside[0][1], HOME)
    np.testing.assert_allclose(inside[-1][1], HOME, atol=1e-12)
    for i in (0, 1, 2, -1):                                   # at rest at each end of a transfer
        np.testing.assert_array_equal(velocities[i], np.zeros(7))
    np.testing.assert_array_equal(inside[-1][2], np.zeros(7))


def test_each_joint_moves_the_way_that_keeps_the_hand_stillest(model):
    signs = motion_signs(model, HOME)
    assert signs[0] == 1.0 and set(np.abs(signs)) == {1.0}
    jacobian = model.tcp_jacobian(HOME)
    # All one way the hand sweeps about 4 cm; the chosen ways about 1 cm.
    assert AMPLITUDE_RAD * np.linalg.norm(jacobian[:3] @ np.ones(7)) > 0.03
    assert AMPLITUDE_RAD * np.linalg.norm(jacobian[:3] @ signs) < 0.012


def _mean_pose(weighing: PayloadWeighing, pose: np.ndarray) -> np.ndarray:
    return pose + AMPLITUDE_RAD / 2 * motion_signs(weighing._model, pose)


def test_a_held_load_is_its_torque_difference_against_the_tare_mass_and_centre(model):
    weighing = PayloadWeighing(model)
    arm = np.array([0.1, -5.0, -1.2, 22.0, 0.8, 2.4, 0.0])       # the arm's own mean torques
    rng = np.random.default_rng(3)
    times, _, _ = weighing.plan(HOME, 0.0, None)
    _feed(weighing, times, lambda t: arm + rng.normal(0.0, 0.05, 7))
    weighing.finish(times[-1])
    assert weighing.state is WeighingState.TARED and weighing.tared
    np.testing.assert_array_equal(weighing.tare_pose_rad, HOME)
    mass, offset = 0.2, np.array([0.01, -0.02])
    load = load_regressor(model, _mean_pose(weighing, HOME)) @ np.r_[mass, mass * offset]
    times, _, _ = weighing.plan(HOME + 0.01, 0.0, "cup")

    def torque(t):   # outside the averaged window the arm transfers: anything goes there
        return arm + load + rng.normal(0.0, 0.05, 7) + (0.0 if weighing._window[0] <= t < weighing._window[1] else 50.0)
    _feed(weighing, times, torque)
    weighing.finish(times[-1])
    assert weighing.state is WeighingState.WEIGHED and weighing.weighed_object == "cup"
    assert weighing.mass_kg == pytest.approx(mass, abs=0.001)
    np.testing.assert_allclose(weighing.offset_m, offset, atol=0.002)
    # Mostly the torque constants' catalogue tolerance (2.9 % of the mass), which no fit removes.
    assert 0.029 * mass < weighing.mass_std_kg < 0.035 * mass
    assert weighing.fit_residual_nm < 0.01
    assert f"{weighing.mass_kg:.4f} +/- " in weighing.message


def test_warming_since_the_tare_widens_the_std_and_the_fit_leans_on_the_least_loaded_joints(model):
    arm = np.array([0.1, -5.0, -1.2, 22.0, 0.8, 2.4, 0.0])
    mass = 0.012
    mean_pose = HOME + AMPLITUDE_RAD / 2 * motion_signs(model, HOME)
    load = load_regressor(model, mean_pose) @ np.r_[mass, 0.0, 0.0]
    results = {}
    for warming in (0.0, 3.0):
        weighing = PayloadWeighing(model)
        times, _, _ = weighing.plan(HOME, 0.0, None)
        _feed(weighing, times, lambda t: arm, magnet_c=np.full(7, 25.0))
        weighing.finish(times[-1])
        # The magnets warmed: the same torque takes more command (the constant fell 0.11 %/C).
        scale = 1.0 / (1.0 - 0.0011 * warming)
        times, _, _ = weighing.plan(HOME, 0.0, "cup")
        _feed(weighing, times, lambda t: (arm + load) * scale, magnet_c=np.full(7, 25.0 + warming))
        weighing.finish(times[-1])
        results[warming] = (weighing.mass_kg, weighing.mass_std_kg)
    assert results[0.0][0] == pytest.approx(mass, rel=1e-6)
    assert results[3.0][1] > 2.0 * results[0.0][1]
    # Unweighted, the elbow's 22 N m times 0.33 % alone reads as about 16 g.
    unweighted = np.linalg.lstsq(load_regressor(model, mean_pose),
                                 (arm + load) / (1.0 - 0.0033) - arm, rcond=None)[0][0]
    assert abs(results[3.0][0] - mass) < 0.5 * abs(unweighted - mass)


def test_a_weighing_needs_a_tare_near_where_it_weighs_and_an_interrupted_one_concludes_nothing(model):
    weighing = PayloadWeighing(model)
    with pytest.raises(InvalidPrimitiveError, match="no tare"):
        weighing.plan(HOME, 0.0, "cup")
    assert weighing.state is WeighingState.NONE
    times, _, _ = weighing.plan(HOME, 0.0, None)
    _feed(weighing, times, lambda t: np.ones(7))
    weighing.finish(times[-1])
    far = HOME.copy()
    far[2] += 0.3
    with pytest.raises(InvalidPrimitiveError, match="joint 3"):
        weighing.plan(far, 0.0, "cup")
    assert weighing.state is WeighingState.TARED
    weighing.plan(HOME, 0.0, "cup")
    weighing.abandon("replaced")
    assert weighing.state is WeighingState.INTERRUPTED and np.isnan(weighing.mass_kg)
    weighing.plan(HOME, 0.0, "cup")
    weighing.finish(1.0)                  # no samples: nothing concluded
    assert weighing.state is WeighingState.INTERRUPTED and weighing.tared and np.isnan(weighing.mass_kg)


def _run(session, execution):
    session.run_until_done(execution)
    assert execution.status.name == "SUCCEEDED", session.body.report(execution).message


def test_the_body_weighs_the_empty_cup_it_lifted_against_a_tare_taken_above_it():
    """Honest unit 0: the tare above the cup, then grasp and lift it; the weighing moves the
    arm back to the tare's pose and then where it was, and the task goes on."""
    session = SimSession(seed=1, scene_config=SceneConfig(plant="honest", robot_seed=0))
    body = session.body
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    kinds = [p.kind for p in plan.primitives]
    lift = kinds.index(PrimitiveKind.LIFT)
    assert kinds[lift - 2:lift] == [PrimitiveKind.REACH, PrimitiveKind.GRASP]
    for primitive in plan.primitives[:lift - 1]:            # up to above the cup
        _run(session, body.execute(primitive))
    body.weigh_payload()
    with pytest.raises(BusyError):
        body.weigh_payload()
    session.loop.run_until(lambda: not body.drive_weighing.running, max_time_s=20.0)
    assert body.drive_weighing.state is WeighingState.TARED
    for primitive in plan.primitives[lift - 1:lift + 1]:    # grasp, lift
        _run(session, body.execute(primitive))
    start = body.q_cmd_rad.copy()
    duration = body.weigh_payload()
    session.loop.run_until(lambda: not body.drive_weighing.running, max_time_s=duration + 1.0)
    weighing = body.drive_weighing
    cup = session.sim.coffee_machine.cup_mass_kg
    assert weighing.state is WeighingState.WEIGHED, weighing.message
    assert weighing.mass_kg == pytest.approx(cup, rel=0.2), (weighing.mass_kg, cup)
    assert weighing.mass_std_kg < 0.003
    assert body.monitor_trips == 0
    np.testing.assert_allclose(body.q_cmd_rad, start, atol=1e-9)
    _run(session, body.execute(plan.primitives[lift + 1]))   # and the cup is placed as planned


def test_a_primitive_interrupts_a_weighing():
    session = SimSession(seed=1)
    body = session.body
    body.weigh_payload()
    session.loop.run_until(lambda: False, max_time_s=0.2)
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    execution = body.execute(plan.primitives[0])
    session.loop.run_until(lambda: False, max_time_s=0.05)
    assert body.drive_weighing.state is WeighingState.INTERRUPTED
    assert not body.drive_weighing.tared
    session.run_until_done(execution)
    assert execution.status.name == "SUCCEEDED"


def test_a_pose_where_the_joints_cannot_see_a_load_concludes_nothing():
    class Singular:     # every joint's axis along gravity, the TCP on them: no joint feels a load
        def tcp_jacobian(self, q_rad):
            return np.zeros((6, 7))

    weighing = PayloadWeighing(Singular())
    for holding in (None, "cup"):
        times, _, _ = weighing.plan(HOME, 0.0, holding)
        _feed(weighing, times, lambda t: np.ones(7))
        weighing.finish(times[-1])
    assert weighing.state is WeighingState.INTERRUPTED and "singular" in weighing.message
    assert np.isnan(weighing.mass_kg)


def test_the_drivetrain_check_and_a_weighing_do_not_replace_each_other():
    session = SimSession(seed=1, scene_config=SceneConfig(plant="honest", robot_seed=0))
    body = session.body
    body.weigh_payload()
    with pytest.raises(BusyError, match="weighing"):
        body.check_drivetrain()
    session.loop.run_until(lambda: not body.drive_weighing.running, max_time_s=20.0)
    assert body.drive_weighing.state is WeighingState.TARED
    body.check_drivetrain()
    with pytest.raises(BusyError, match="drivetrain check"):
        body.weigh_payload()


def test_a_failing_sample_ends_the_weighing_not_the_motion_or_the_tick():
    session = SimSession(seed=1)
    body = session.body
    body.weigh_payload()

    def broken(*args):
        raise RuntimeError("bookkeeping broke")

    body.drive_weighing.add = broken
    session.loop.run_until(lambda: False, max_time_s=0.2)
    assert body.drive_weighing.state is WeighingState.INTERRUPTED
    assert "bookkeeping broke" in body.drive_weighing.message
    assert body.failed_ticks == 0 and not body.fallback.active and body.monitor_trip is None
    assert body._trajectory is not None                   # the weighing's motion carries on to its end
