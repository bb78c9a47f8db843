"""The safety supervisor refuses every bad primitive with the right error code, before motion."""
import dataclasses
import math

import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.safety_supervisor import CheckedPrimitive, SafetySupervisor
from brainbody.exceptions import ErrorCode, RequestError
from brainbody.primitives import Pose, PrimitiveKind, TaskPrimitive
from brainbody.world import WorldModel, WorldObject

CONFIG = BodyConfig()
CUP_LIMIT_N = 3.4
CUP = WorldObject("cup", "container", Pose((0.45, -0.20, 0.0)), size_m=(0.06, 0.06, 0.08),
                  mass_kg=0.012, max_grip_force_n=CUP_LIMIT_N, graspable=True)
BRICK = WorldObject("brick", "block", Pose((0.40, 0.10, 0.0)), size_m=(0.05, 0.05, 0.05),
                    mass_kg=0.3, max_grip_force_n=500.0, graspable=True)
WORLD = WorldModel([
    CUP,
    BRICK,
    WorldObject("coffee_button", "button", Pose((0.60, 0.33, 0.30))),
    WorldObject("tray", "place", Pose((0.30, -0.45, 0.01))),
    WorldObject("far_shelf", "place", Pose((1.50, 0.0, 0.2))),           # outside the workspace
    WorldObject("floor_spot", "place", Pose((0.40, 0.0, -0.30))),       # below the workspace
])


def supervisor(estop=False):
    s = SafetySupervisor(CONFIG)
    s.estop_active = estop
    return s


def refused(primitive, *, holding=None, estop=False):
    """The error code the supervisor refuses ``primitive`` with (fails if it accepts it)."""
    with pytest.raises(RequestError) as info:
        supervisor(estop).check(primitive, WORLD, holding=holding)
    assert str(info.value), "a refusal must carry a sentence"
    return info.value.code


GOOD = {
    PrimitiveKind.REACH: TaskPrimitive("r", PrimitiveKind.REACH, object_id="cup"),
    PrimitiveKind.GRASP: TaskPrimitive("g", PrimitiveKind.GRASP, object_id="cup", grip_force_n=3.0),
    PrimitiveKind.LIFT: TaskPrimitive("l", PrimitiveKind.LIFT, lift_height_m=0.1),
    PrimitiveKind.PLACE: TaskPrimitive("p", PrimitiveKind.PLACE, target_id="tray"),
    PrimitiveKind.PRESS: TaskPrimitive("b", PrimitiveKind.PRESS, object_id="coffee_button"),
    PrimitiveKind.WAIT: TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=2.0),
    PrimitiveKind.HOME: TaskPrimitive("h", PrimitiveKind.HOME),
}
HOLDING = {PrimitiveKind.LIFT: "cup", PrimitiveKind.PLACE: "cup", PrimitiveKind.WAIT: "cup"}
NUMERIC = ("grip_force_n", "lift_height_m", "max_speed_mps", "duration_s", "timeout_s")


@pytest.mark.parametrize("kind", list(GOOD))
def test_good_primitives_of_every_kind_are_accepted_with_defaults(kind):
    checked = supervisor().check(GOOD[kind], WORLD, holding=HOLDING.get(kind))
    assert isinstance(checked, CheckedPrimitive)
    assert checked.kind is kind
    assert checked.speed_mps == CONFIG.default_tool_speed_mps
    assert checked.timeout_s == CONFIG.default_timeout_s
    if kind is PrimitiveKind.GRASP:
        assert checked.obj is CUP
        assert checked.grip_force_n == 3.0
        assert checked.grip_limit_n == CUP_LIMIT_N


@pytest.mark.parametrize("kind", list(GOOD))
@pytest.mark.parametrize("field", NUMERIC)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -0.5])
def test_nan_inf_and_negative_fields_are_invalid_for_every_kind(kind, field, bad):
    primitive = dataclasses.replace(GOOD[kind], **{field: bad})
    assert refused(primitive, holding=HOLDING.get(kind)) is ErrorCode.INVALID_PRIMITIVE


@pytest.mark.parametrize("field", NUMERIC)
@pytest.mark.parametrize("bad", ["3", None, True])
def test_non_numeric_fields_are_invalid(field, bad):
    primitive = dataclasses.replace(GOOD[PrimitiveKind.GRASP], **{field: bad})
    assert refused(primitive) is ErrorCode.INVALID_PRIMITIVE


@pytest.mark.parametrize("kind", [99, 0, -1, "dance", "", "grasp cup"])
def test_unknown_kind_is_invalid(kind):
    assert refused(TaskPrimitive("x", kind, object_id="cup", grip_force_n=1.0)) is ErrorCode.INVALID_PRIMITIVE


def test_kind_given_as_name_or_number_is_accepted():
    assert supervisor().check(TaskPrimitive("x", "grasp", object_id="cup", grip_force_n=1.0),
                              WORLD, holding=None).kind is PrimitiveKind.GRASP
    assert supervisor().check(TaskPrimitive("x", 8), WORLD, holding=None).kind is PrimitiveKind.HOME


@pytest.mark.parametrize("primitive", [
    TaskPrimitive("", PrimitiveKind.HOME),                                  # empty id
    TaskPrimitive("r", PrimitiveKind.REACH),                                # no object, no pose
    TaskPrimitive("g", PrimitiveKind.GRASP, object_id="cup"),               # no force
    TaskPrimitive("p", PrimitiveKind.PLACE),                                # no target
    TaskPrimitive("b", PrimitiveKind.PRESS),                                # nothing to press
    TaskPrimitive("w", PrimitiveKind.WAIT),                                 # zero duration
    TaskPrimitive("r", PrimitiveKind.REACH, pose=Pose((0.4, 0.0, math.nan))),
    TaskPrimitive("r", PrimitiveKind.REACH, pose=Pose((0.4, 0.0, 0.2), (2.0, 0.0, 0.0, 0.0))),
], ids=["empty-id", "reach-nothing", "grasp-no-force", "place-nowhere", "press-nothing",
        "wait-zero", "nan-pose", "non-unit-quat"])
def test_missing_or_malformed_fields_are_invalid(primitive):
    holding = "cup" if primitive.kind is PrimitiveKind.PLACE else None
    assert refused(primitive, holding=holding) is ErrorCode.INVALID_PRIMITIVE


@pytest.mark.parametrize("primitive", [
    TaskPrimitive("r", PrimitiveKind.REACH, object_id="mug"),
    TaskPrimitive("g", PrimitiveKind.GRASP, object_id="Cup", grip_force_n=1.0),
    TaskPrimitive("b", PrimitiveKind.PRESS, object_id="tea_button"),
])
def test_unknown_object_is_refused(primitive):
    assert refused(primitive) is ErrorCode.UNKNOWN_OBJECT


def test_unknown_place_is_refused():
    assert refused(TaskPrimitive("p", PrimitiveKind.PLACE, target_id="sink"), holding="cup") \
        is ErrorCode.UNKNOWN_OBJECT


@pytest.mark.parametrize("force", [CUP_LIMIT_N + 0.01, 5.0, 50.0, 1e6])
def test_grip_force_above_the_object_limit_is_refused(force):
    primitive = dataclasses.replace(GOOD[PrimitiveKind.GRASP], grip_force_n=force)
    assert refused(primitive) is ErrorCode.FORCE_LIMIT


def test_grip_force_at_the_object_limit_is_accepted():
    primitive = dataclasses.replace(GOOD[PrimitiveKind.GRASP], grip_force_n=CUP_LIMIT_N)
    assert supervisor().check(primitive, WORLD, holding=None).grip_force_n == CUP_LIMIT_N


def test_grip_force_is_capped_by_the_gripper_when_the_object_tolerates_more():
    over = CONFIG.gripper_max_force_n + 1.0
    assert refused(TaskPrimitive("g", PrimitiveKind.GRASP, object_id="brick", grip_force_n=over)) \
        is ErrorCode.FORCE_LIMIT
    checked = supervisor().check(TaskPrimitive("g", PrimitiveKind.GRASP, object_id="brick", grip_force_n=20.0),
                                 WORLD, holding=None)
    assert checked.grip_limit_n == CONFIG.gripper_max_force_n


def test_grasp_of_a_non_graspable_object_is_a_failed_precondition():
    assert refused(TaskPrimitive("g", PrimitiveKind.GRASP, object_id="coffee_button", grip_force_n=1.0)) \
        is ErrorCode.PRECONDITION_FAILED


@pytest.mark.parametrize("kind,field,value", [
    (PrimitiveKind.REACH, "max_speed_mps", CONFIG.max_tool_speed_mps + 0.01),
    (PrimitiveKind.HOME, "max_speed_mps", 10.0),
    (PrimitiveKind.LIFT, "lift_height_m", CONFIG.max_lift_height_m + 0.01),
    (PrimitiveKind.WAIT, "duration_s", CONFIG.max_wait_s + 1.0),
    (PrimitiveKind.GRASP, "timeout_s", CONFIG.max_timeout_s + 1.0),
    (PrimitiveKind.PRESS, "timeout_s", 1e9),
])
def test_fields_above_the_envelope_are_out_of_range(kind, field, value):
    primitive = dataclasses.replace(GOOD[kind], **{field: value})
    assert refused(primitive, holding=HOLDING.get(kind)) is ErrorCode.OUT_OF_RANGE


def test_fields_at_the_envelope_are_accepted():
    s = supervisor()
    assert s.check(dataclasses.replace(GOOD[PrimitiveKind.REACH], max_speed_mps=CONFIG.max_tool_speed_mps),
                   WORLD, holding=None).speed_mps == CONFIG.max_tool_speed_mps
    assert s.check(dataclasses.replace(GOOD[PrimitiveKind.LIFT], lift_height_m=CONFIG.max_lift_height_m),
                   WORLD, holding="cup").lift_height_m == CONFIG.max_lift_height_m
    assert s.check(dataclasses.replace(GOOD[PrimitiveKind.WAIT], duration_s=CONFIG.max_wait_s,
                                       timeout_s=CONFIG.max_timeout_s),
                   WORLD, holding=None).timeout_s == CONFIG.max_timeout_s


@pytest.mark.parametrize("primitive,holding", [
    (TaskPrimitive("p", PrimitiveKind.PLACE, target_id="far_shelf"), "cup"),
    (TaskPrimitive("p", PrimitiveKind.PLACE, target_id="floor_spot"), "cup"),
    (TaskPrimitive("r", PrimitiveKind.REACH, pose=Pose((2.0, 0.0, 0.2))), None),
    (TaskPrimitive("r", PrimitiveKind.REACH, pose=Pose((0.4, 0.0, 1.5))), None),
    (TaskPrimitive("r", PrimitiveKind.REACH, pose=Pose((0.0, 0.0, 0.3))), None),       # inside the base
    (TaskPrimitive("p", PrimitiveKind.PLACE, pose=Pose((0.4, -0.9, 0.1))), "cup"),
])
def test_targets_outside_the_workspace_are_out_of_range(primitive, holding):
    assert refused(primitive, holding=holding) is ErrorCode.OUT_OF_RANGE


def test_pour_is_unsupported():
    primitive = TaskPrimitive("pour", PrimitiveKind.POUR, object_id="cup")
    assert refused(primitive, holding="cup") is ErrorCode.UNSUPPORTED
    assert refused(primitive) is ErrorCode.UNSUPPORTED


def test_grasp_while_holding_is_a_failed_precondition():
    assert refused(GOOD[PrimitiveKind.GRASP], holding="cup") is ErrorCode.PRECONDITION_FAILED
    assert refused(TaskPrimitive("g", PrimitiveKind.GRASP, object_id="brick", grip_force_n=1.0),
                   holding="cup") is ErrorCode.PRECONDITION_FAILED


@pytest.mark.parametrize("kind", [PrimitiveKind.LIFT, PrimitiveKind.PLACE])
def test_lift_and_place_with_an_empty_gripper_are_failed_preconditions(kind):
    assert refused(GOOD[kind], holding=None) is ErrorCode.PRECONDITION_FAILED


def test_place_of_another_object_than_the_held_one_is_refused():
    primitive = TaskPrimitive("p", PrimitiveKind.PLACE, object_id="brick", target_id="tray")
    assert refused(primitive, holding="cup") is ErrorCode.PRECONDITION_FAILED


@pytest.mark.parametrize("kind", [PrimitiveKind.REACH, PrimitiveKind.PRESS])
def test_reach_and_press_while_holding_are_failed_preconditions(kind):
    assert refused(GOOD[kind], holding="cup") is ErrorCode.PRECONDITION_FAILED


@pytest.mark.parametrize("kind", list(GOOD))
def test_estop_refuses_every_kind(kind):
    assert refused(GOOD[kind], holding=HOLDING.get(kind), estop=True) is ErrorCode.ESTOP_ACTIVE


def test_estop_reset_accepts_again():
    s = supervisor(estop=True)
    with pytest.raises(RequestError):
        s.check(GOOD[PrimitiveKind.HOME], WORLD, holding=None)
    s.estop_active = False
    assert s.check(GOOD[PrimitiveKind.HOME], WORLD, holding=None).kind is PrimitiveKind.HOME


def test_check_does_not_modify_the_world_or_the_primitive():
    before = WORLD.objects()
    primitive = GOOD[PrimitiveKind.GRASP]
    supervisor().check(primitive, WORLD, holding=None)
    assert WORLD.objects() == before
    assert primitive == TaskPrimitive("g", PrimitiveKind.GRASP, object_id="cup", grip_force_n=3.0)


@pytest.mark.parametrize("changes", [dict(max_grip_force_n=math.nan), dict(max_grip_force_n=-1.0),
                                     dict(size_m=(0.06, math.nan, 0.08)), dict(size_m=(0.06, 0.06, -0.08)),
                                     dict(size_m=(0.06, 0.06))],
                         ids=["limit-nan", "limit-negative", "size-nan", "size-negative", "size-2"])
def test_malformed_world_entry_is_refused_not_trusted(changes):
    """A NaN force limit compared false with every grip force, so a grasp of a cup that a topic had
    published with one was accepted with no limit at all."""
    world = WorldModel([dataclasses.replace(CUP, **changes)])
    grasp = TaskPrimitive("g", PrimitiveKind.GRASP, object_id="cup", grip_force_n=2.0)
    with pytest.raises(RequestError) as info:
        supervisor().check(grasp, world, holding=None)
    assert info.value.code == ErrorCode.PRECONDITION_FAILED and "malformed" in str(info.value)
