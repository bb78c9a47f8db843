"""Slip while the whole robot holds the cup in the coffee scene, judged from ground truth."""
from __future__ import annotations

import pytest

from brainbody.exceptions import ErrorCode
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.sim.disturbance import set_body_mass
from brainbody.runtime.sim_session import SimSession

pytestmark = pytest.mark.scenario


def hold_and_add_mass(grip_n: float, new_mass_kg: float, wait_s: float = 1.5):
    session = SimSession(seed=3)
    body = session.body
    setup = TaskPlan("hold-cup", "hold the cup", (
        TaskPrimitive("reach", PrimitiveKind.REACH, object_id="cup"),
        TaskPrimitive("grasp", PrimitiveKind.GRASP, object_id="cup", grip_force_n=grip_n),
        TaskPrimitive("lift", PrimitiveKind.LIFT, object_id="cup")))
    reports = session.run_plan(setup)
    assert len(reports) == 3 and reports[-1].status is Status.SUCCEEDED, reports[-1].message
    m, d = session.sim.model, session.sim.data
    execution = body.execute(TaskPrimitive("hold", PrimitiveKind.WAIT, duration_s=wait_s))
    step_at, stepped = body.time_s + 0.2, False
    while not execution.status.done and body.time_s < step_at + 30.0:
        if not stepped and body.time_s >= step_at:
            set_body_mass(m, d, m.body("cup").id, new_mass_kg)
            stepped = True
        body.tick()
    return session, body.report(execution)


def test_reflex_holds_a_cup_that_gets_heavier():
    session, report = hold_and_add_mass(0.5, 0.212)
    assert report.status is Status.SUCCEEDED, report.message
    verdict = session.sim.verdict()
    assert not verdict.crushed and not verdict.dropped
    assert session.body.holding == "cup"
    assert session.sim.data.body("cup").xpos[2] > 0.1          # still up in the air


def test_cup_too_heavy_for_its_limit_is_set_down_with_207():
    session, report = hold_and_add_mass(3.0, 0.7)
    assert report.status is Status.FAILED
    assert report.error_code == ErrorCode.OBJECT_SLIPPING, report.message
    assert "set it down" in report.message
    verdict = session.sim.verdict()
    assert not verdict.crushed, verdict.summary()
    assert not verdict.dropped, verdict.summary()
    assert verdict.upright
    assert session.sim.data.body("cup").xpos[2] < 0.045        # standing on the table
    assert session.body.holding is None
    assert session.sim.mujoco_warnings() == 0
