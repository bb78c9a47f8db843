"""The fault-injection obstacle (sim/obstacle.py) and what the body does when the arm meets it,
judged from the simulator's ground truth: the robot's contact force on the box, the cup, the
true joint speeds."""
from __future__ import annotations

import math

import mujoco
import numpy as np
import pytest

from brainbody.brain.intent_pipeline import IntentPipeline
from brainbody.brain.skills import load_catalogue
from brainbody.exceptions import ErrorCode
from brainbody.primitives import PrimitiveKind
from brainbody.runtime.sim_plan_runner import SimPlanRunner
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.obstacle import HELD_CONTACT_LIMIT_N, TRANSIENT_CONTACT_LIMIT_N
from brainbody.sim.scene import ARM_JOINTS, OBSTACLE_GEOM, SceneConfig
from brainbody.sim.simulator import Simulator

REST_RADPS = 0.005


def touches(sim: Simulator, geom: int) -> bool:
    contacts = sim.data.contact.geom[:sim.data.ncon]
    return bool(np.any(contacts == geom))


def test_the_parked_obstacle_neither_falls_nor_touches_anything():
    sim = Simulator(SceneConfig(seed=0))
    start = sim.obstacle.position_m
    geom = sim.model.geom(OBSTACLE_GEOM).id
    for _ in range(500):
        sim.write(np.zeros(7), np.zeros(2))      # the arm falls onto the table meanwhile
        sim.step()
        assert not touches(sim, geom)
    assert np.allclose(sim.obstacle.position_m, start, atol=1e-9)
    assert np.hypot(*start[:2]) > 1.2                          # far outside the arm's 0.855 m reach
    truth = sim.obstacle.ground_truth()
    assert not truth["active"] and truth["peak_contact_force_n"] == 0.0 and truth["first_contact_s"] is None


def test_a_dropped_obstacle_lands_upright_where_it_was_dropped_and_can_be_parked_again():
    sim = Simulator(SceneConfig(seed=0))
    half = SceneConfig().obstacle_half_size_m
    sim.obstacle.drop((0.3, 0.6), 0.05)
    for _ in range(800):
        sim.step()
    center = sim.obstacle.position_m
    assert np.allclose(center, [0.3, 0.6, half[2]], atol=1e-3), center
    quat = sim.data.xquat[sim.model.body("obstacle").id]
    assert abs(quat[0]) > 0.9999                              # upright, not tumbled
    # On the table only: no robot contact.
    assert sim.obstacle.first_contact_s is None and sim.obstacle.peak_contact_force_n == 0.0
    sim.obstacle.park()
    parked = sim.obstacle.position_m
    for _ in range(100):
        sim.step()
    assert np.allclose(sim.obstacle.position_m, parked) and not sim.obstacle.active


@pytest.mark.parametrize("where", [((0.3, 0.6), -0.01), ((math.nan, 0.6), 0.0), ((0.3, 0.6), math.inf)])
def test_a_drop_below_the_table_or_at_a_non_finite_point_is_refused(where):
    sim = Simulator(SceneConfig(seed=0))
    with pytest.raises(ValueError):
        sim.obstacle.drop(*where)
    assert not sim.obstacle.active


def test_the_judge_reads_the_contact_force_mujoco_reports_on_the_box():
    # The box, its weight cancelled, pushed with 20 N against the held hand: the judge's sum
    # of contact forces (mj_contactForce, contact frames) must equal the contact part of the
    # external force MuJoCo's own recursion finds on the body (cfrc_ext less the applied force).
    session = SimSession(seed=0)
    session.loop.run_until(lambda: False, max_time_s=0.2)
    sim = session.sim
    m, d = sim.model, sim.data
    hand = d.geom_xpos[m.geom("panda_hand_collision_1").id].copy()
    box = m.body("obstacle").id
    sim.obstacle.drop((hand[0] + 0.03 + 0.1 + 0.002, hand[1]), hand[2] - 0.1)
    weight_n = float(m.body_mass[box]) * 9.81
    compared = []

    def push():
        if sim.obstacle.contact_force_n > 0.0:
            mujoco.mj_rnePostConstraint(m, d)
            contact = d.cfrc_ext[box][3:] - d.xfrc_applied[box][:3]
            compared.append((sim.obstacle.contact_force_n, float(np.linalg.norm(contact))))
        d.xfrc_applied[box] = [-20.0, 0.0, weight_n, 0.0, 0.0, 0.0]

    session.loop.every(0.0, push)
    session.loop.run_until(lambda: False, max_time_s=0.5)
    assert len(compared) > 100
    judged, mujoco_n = np.array(compared).T
    assert np.allclose(judged, mujoco_n, rtol=1e-9, atol=1e-9)
    assert abs(np.mean(judged[-100:]) - 20.0) < 2.0            # pushed with 20 N, held there
    assert sim.obstacle.peak_contact_force_n >= np.max(judged) and not sim.obstacle.held_object_contact


def test_a_box_in_the_path_of_the_lowered_cup_stops_the_arm_with_a_bounded_contact_force():
    """'bring me the cup': as the arm lowers the cup onto the hand-over spot, the hand's edge
    lands on a box dropped beside the spot (the cup 1.5 cm clear of it). Expect: the collision
    estimate trips, the place fails with COLLISION, the arm yields and holds at rest with the
    cup in hand, resting on the box with at most HELD_CONTACT_LIMIT_N, the impact's peak within
    TRANSIENT_CONTACT_LIMIT_N; at rest and no longer pushed, a reset is accepted."""
    session = SimSession(seed=1)
    sim, body = session.sim, session.body
    hx, hy = SceneConfig(seed=1).handover_xy_m

    def drop_at_the_place(primitive):
        if primitive.kind is PrimitiveKind.PLACE and not sim.obstacle.active:
            sim.obstacle.drop((hx, hy + 0.065 + 0.1), 0.005)

    plan = IntentPipeline(load_catalogue(), world=body.world, semantic=False).plan("bring me the cup").plan
    result = SimPlanRunner(session, on_tick=drop_at_the_place).run(plan)
    assert not result.success and result.records[-1].error_code == ErrorCode.COLLISION, result.message
    session.loop.run_until(lambda: False, max_time_s=1.0)
    truth = sim.obstacle.ground_truth()
    assert truth["first_contact_s"] is not None and not truth["held_object_contact"], truth
    assert body.monitor_trip.time_s - truth["first_contact_s"] < 0.05      # tripped within 50 ms of the touch
    assert truth["peak_contact_force_n"] <= TRANSIENT_CONTACT_LIMIT_N, truth
    assert truth["contact_force_n"] <= HELD_CONTACT_LIMIT_N, truth
    m = sim.model
    arm_qd = sim.data.qvel[[m.jnt_dofadr[m.joint(name).id] for name in ARM_JOINTS]]
    assert np.max(np.abs(arm_qd)) < REST_RADPS and not body.fallback.yielding
    verdict = sim.verdict()
    assert not verdict.dropped and not verdict.crushed, verdict.summary()
    cup, tcp = np.asarray(verdict.final_position_m), sim.data.site_xpos[m.site("tcp").id]
    assert cup[2] > 0.12 and np.linalg.norm(cup[:2] - tcp[:2]) < 0.03         # still in hand, in the air
    assert body.holding == "cup"
    outcome = body.reset()
    assert outcome.success, outcome.message
