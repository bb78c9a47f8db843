"""The grip loop closed on the finger drives' effort (no pad sensors) in the coffee scene,
judged from MuJoCo ground truth: the body refuses a squeeze it cannot bound below the cup's
limit, and carries the cup at one it can."""
from __future__ import annotations

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.exceptions import ErrorCode, ForceLimitError
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.runtime.sim_session import SimSession

pytestmark = pytest.mark.scenario


def _session() -> SimSession:
    return SimSession(seed=2, body_config=BodyConfig(grip_force_source="finger_effort"))


def test_three_newtons_on_the_paper_cup_is_refused_before_motion():
    session = _session()
    body = session.body
    q0, cup0 = body.q_rad.copy(), session.sim.data.body("cup").xpos.copy()
    with pytest.raises(ForceLimitError) as refused:
        body.execute(TaskPrimitive("grasp", PrimitiveKind.GRASP, object_id="cup", grip_force_n=3.0))
    assert refused.value.code == ErrorCode.FORCE_LIMIT
    assert "finger_effort" in str(refused.value) and "at most" in str(refused.value)
    for _ in range(200):
        body.tick()
    assert np.max(np.abs(body.q_rad - q0)) < 2e-3           # nothing moved
    assert np.allclose(session.sim.data.body("cup").xpos, cup0, atol=1e-3)   # (it settles on the table)


def test_cup_carried_to_the_tray_at_a_force_the_body_can_bound():
    session = _session()
    plan = TaskPlan("tray", "put the cup on the tray", (
        TaskPrimitive("reach", PrimitiveKind.REACH, object_id="cup"),
        TaskPrimitive("grasp", PrimitiveKind.GRASP, object_id="cup", grip_force_n=1.8),
        TaskPrimitive("lift", PrimitiveKind.LIFT, object_id="cup"),
        TaskPrimitive("place", PrimitiveKind.PLACE, object_id="cup", target_id="tray"),
        TaskPrimitive("home", PrimitiveKind.HOME)))
    reports = session.run_plan(plan)
    assert [r.status for r in reports] == [Status.SUCCEEDED] * 5, [r.message for r in reports]
    verdict = session.sim.verdict()
    assert not verdict.crushed and not verdict.dropped and verdict.upright, verdict.summary()
    assert verdict.peak_squeeze_n < session.scene_config.cup_crush_force_n
    tray = np.asarray(session.scene_config.tray_center_xy_m)
    assert np.linalg.norm(session.sim.data.body("cup").xpos[:2] - tray) < 0.03
    # The estimate learned the finger friction from free motion (datasheet start 1 N; the
    # plant's is 1 N plus damping at the approach speed), not from the squeeze.
    learned = session.body.grip_source.estimator.friction_n
    assert np.all((learned > 0.9) & (learned < 1.5)), learned
