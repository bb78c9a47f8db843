"""Plan execution monitoring with a fake body: postconditions, bounded recovery, cancel.
(The same executor on the real MuJoCo session: test/scenario/test_brain_execution.py.)"""
from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.plan_executor import PlanExecutor, PrimitiveOutcome
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.exceptions import ErrorCode
from brainbody.primitives import Pose, PrimitiveKind as K
from brainbody.world import WorldModel, WorldObject

CUP = (0.45, -0.2, 0.0)
HANDOVER = (0.25, 0.45, 0.0)


class FakeBody:
    """Moves the cup in a tiny world the way a body would; scripted failures per call."""

    def __init__(self, failures=None, fail_grasps=0):
        self.cup = list(CUP)
        self.calls, self.failures = [], dict(failures or {})
        self.fail_grasps = fail_grasps     # the first n grasps miss
        self.tool = (0.0, 0.0, 0.5)

    def world(self):
        return WorldModel([
            WorldObject("cup", "container", Pose(tuple(self.cup)), (0.06, 0.06, 0.08), 0.01, 3.4, True),
            WorldObject("handover", "place", Pose(HANDOVER)),
            WorldObject("tray", "place", Pose((0.3, -0.45, 0.01))),
        ])

    def execute(self, primitive, on_phase, should_cancel):
        n = len(self.calls)
        self.calls.append(primitive.id)
        on_phase("move", 0.5)
        if n in self.failures:
            return self.failures[n]
        if primitive.kind is K.GRASP and self.fail_grasps:
            self.fail_grasps -= 1
            return PrimitiveOutcome(False, int(ErrorCode.GRASP_FAILED), "missed")
        if primitive.kind is K.GRASP:
            self.tool = (self.cup[0], self.cup[1], self.cup[2] + 0.05)
        elif primitive.kind is K.LIFT:
            self.cup[2] += primitive.lift_height_m
            self.tool = (self.cup[0], self.cup[1], self.cup[2] + 0.05)
        elif primitive.kind is K.PLACE:
            self.cup = list(HANDOVER)
        return PrimitiveOutcome(True, tool_position_m=self.tool)


PLAN = Planner(load_catalogue()).plan("bring me the cup")   # reach, grasp, lift, place handover, home


def run(body, config=BrainConfig(), cancel=lambda: False, feedback=None):
    return PlanExecutor(body.execute, body.world, config).run(
        PLAN, should_cancel=cancel, on_feedback=(feedback.append if feedback is not None else lambda fb: None))


def test_success_verifies_every_postcondition_and_reports_feedback():
    body, feedback = FakeBody(), []
    result = run(body, feedback=feedback)
    assert result.success and result.recoveries == 0, result.message
    assert body.calls == [p.id for p in PLAN.primitives]
    assert all(r.verified for r in result.records)
    phases = [(fb.step, fb.phase) for fb in feedback]
    assert (1, "check") in phases and (1, "move") in phases and (5, "verify") in phases
    assert all(fb.total == 5 for fb in feedback) and feedback[-1].progress == 1.0


def test_a_missed_grasp_is_retried_by_reapproaching_then_succeeds():
    # Expect: reach, grasp (miss), retry reach, grasp, lift, place, home.
    body = FakeBody({1: PrimitiveOutcome(False, int(ErrorCode.GRASP_FAILED), "fingers closed on nothing")})
    result = run(body)
    assert result.success and result.recoveries == 1, result.message
    assert body.calls == ["p01-reach-cup", "p02-grasp-cup", "p02-grasp-cup-retry1-reach", "p02-grasp-cup",
                          "p03-lift-cup", "p04-place-cup-handover", "p05-home"]


def test_a_slip_during_the_place_regrasps_and_redoes_lift_and_place():
    body = FakeBody({3: PrimitiveOutcome(False, int(ErrorCode.OBJECT_SLIPPING), "slipping: set down")})
    result = run(body)
    assert result.success and result.recoveries == 1
    assert body.calls[3:] == ["p04-place-cup-handover", "p02-grasp-cup-retry1-reach", "p02-grasp-cup",
                              "p03-lift-cup", "p04-place-cup-handover", "p05-home"]


def test_recovery_is_bounded_by_config():
    body = FakeBody(fail_grasps=10)
    result = run(body, BrainConfig(max_recovery_attempts=2))
    assert not result.success and result.error_code == ErrorCode.GRASP_FAILED
    assert result.recoveries == 2 and "gave up after 2 recovery attempts" in result.message
    assert body.calls.count("p02-grasp-cup") == 3


def test_grasp_reported_done_but_cup_not_between_fingers_counts_as_a_miss():
    body = FakeBody()
    original = body.execute

    def lying_grasp(primitive, on_phase, should_cancel):
        out = original(primitive, on_phase, should_cancel)
        if primitive.kind is K.GRASP and body.calls.count(primitive.id) == 1:
            return PrimitiveOutcome(True, tool_position_m=(0.45, -0.10, 0.05))   # 10 cm off the cup
        return out
    result = PlanExecutor(lying_grasp, body.world).run(PLAN)
    assert result.success and result.recoveries == 1
    assert "not between the fingers" in result.records[1].message


def test_place_reported_done_but_off_target_fails_its_postcondition_with_208():
    body = FakeBody()
    original = body.execute

    def place_that_goes_nowhere(primitive, on_phase, should_cancel):
        if primitive.kind is K.PLACE:
            body.calls.append(primitive.id)
            return PrimitiveOutcome(True, tool_position_m=body.tool)   # says done; the cup stays put
        return original(primitive, on_phase, should_cancel)
    result = PlanExecutor(place_that_goes_nowhere, body.world).run(PLAN)
    assert not result.success and result.error_code == ErrorCode.POSTCONDITION_FAILED == 208
    assert result.recoveries == 0 and body.calls[-1] == "p04-place-cup-handover"   # home never ran
    assert result.message.startswith("step 4/5 (place cup onto handover) failed: postcondition not met: ")
    assert "from 'handover'" in result.message
    assert result.records[-1].verified and result.records[-1].error_code == 208


def test_non_recoverable_failure_ends_the_plan_with_the_body_code():
    body = FakeBody({2: PrimitiveOutcome(False, int(ErrorCode.TRACKING_ERROR), "joint 4 lags")})
    result = run(body)
    assert not result.success and result.error_code == ErrorCode.TRACKING_ERROR
    assert "step 3/5 (lift cup by 10 cm) failed: joint 4 lags" == result.message


def test_precondition_against_the_live_world_stops_before_motion():
    body = FakeBody()
    body.cup = [1.5, 0.0, 0.0]   # the cup was moved out of reach after planning
    result = run(body)
    assert not result.success and result.error_code == ErrorCode.UNREACHABLE and body.calls == []


def test_cancel_stops_and_reports_canceled():
    body = FakeBody()
    result = run(body, cancel=lambda: len(body.calls) >= 2)
    assert result.canceled and result.error_code == ErrorCode.CANCELED and len(body.calls) == 2
    assert "body holding" in result.message


def test_without_a_world_postconditions_are_not_claimed():
    body = FakeBody()
    result = PlanExecutor(body.execute, lambda: None).run(PLAN)
    assert result.success and not any(r.verified for r in result.records)
