"""The brain's executor on the real MuJoCo session: verified execution and recovery,
judged from simulator ground truth."""
import mujoco
import pytest

from brainbody.brain.intent_pipeline import IntentPipeline
from brainbody.brain.skills import load_catalogue
from brainbody.exceptions import ErrorCode
from brainbody.primitives import PrimitiveKind
from brainbody.runtime.sim_plan_runner import SimPlanRunner
from brainbody.runtime.sim_session import SimSession

pytestmark = pytest.mark.scenario


def plan(session, text):
    return IntentPipeline(load_catalogue(), world=session.body.world, semantic=False).plan(text).plan


def test_coffee_through_the_executor_verifies_every_step_and_succeeds():
    session = SimSession(seed=3)
    result = SimPlanRunner(session).run(plan(session, "make coffee"))
    assert result.success and result.recoveries == 0, result.message
    assert all(r.verified for r in result.records)
    verdict = session.sim.verdict()
    assert verdict.success, verdict.summary()


def test_a_grasp_that_misses_once_is_recovered_by_reapproaching():
    """The cup is pushed 10 cm away while the fingers descend around it (after the plan
    was made and the reach was done): the grasp closes on nothing, the brain re-approaches
    the cup where the world now sees it, regrasps and finishes."""
    session = SimSession(seed=1)
    moved = []

    def push_cup_during_first_grasp(primitive):
        if primitive.kind is PrimitiveKind.GRASP and not moved and session.body.tcp_position_m[2] < 0.055:
            m, d = session.sim.model, session.sim.data
            adr = m.jnt_qposadr[m.joint("cup_free").id]
            d.qpos[adr] += 0.10
            mujoco.mj_forward(m, d)
            moved.append(True)

    result = SimPlanRunner(session, on_tick=push_cup_during_first_grasp).run(plan(session, "bring me the cup"))
    assert moved and result.success and result.recoveries == 1, result.message
    failed = [r for r in result.records if not r.success]
    assert [r.error_code for r in failed] == [ErrorCode.GRASP_FAILED]
    verdict = session.sim.verdict()
    assert not verdict.crushed and not verdict.dropped and verdict.upright
    x, y, _ = verdict.final_position_m
    assert abs(x - 0.25) < 0.03 and abs(y - 0.45) < 0.03     # on the hand-over spot
