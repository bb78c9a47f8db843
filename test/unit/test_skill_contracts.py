"""Skill contracts: schema and limits per kind, world preconditions, postconditions."""
import math

import pytest

from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.skill_contracts import (check_postcondition, check_schema, check_world_preconditions,
                                             contracts, describe_contracts, next_holding)
from brainbody.exceptions import (ForceLimitError, InvalidPrimitiveError, OutOfRangeError, PreconditionError,
                                  UnknownObjectError, UnreachableError)
from brainbody.primitives import Pose, PrimitiveKind as K, TaskPrimitive
from brainbody.world import WorldModel, WorldObject

CUP_AT = (0.45, -0.2, 0.0)
TILTED = (math.cos(0.3), math.sin(0.3), 0.0, 0.0)   # 0.6 rad about x


def world(cup_at=CUP_AT, cup_quat=(1.0, 0.0, 0.0, 0.0)):
    return WorldModel([
        WorldObject("cup", "container", Pose(cup_at, cup_quat), (0.06, 0.06, 0.08), 0.012, 3.4, True),
        WorldObject("coffee_button", "button", Pose((0.6, 0.33, 0.32))),
        WorldObject("tray", "place", Pose((0.30, -0.45, 0.01))),
        WorldObject("far_shelf", "place", Pose((1.5, 0.0, 0.3))),
    ])


def prim(kind, **fields):
    return TaskPrimitive(id="p", kind=kind, **fields)


def test_every_kind_has_a_contract_and_a_summary():
    assert set(contracts()) == set(K)
    text = describe_contracts()
    assert "grasp" in text and "grip_force_n [0..70] N required" in text and "after:" in text


@pytest.mark.parametrize("primitive, error, words", [
    (prim(K.PRESS, object_id="coffee_button", grip_force_n=2.0), InvalidPrimitiveError, "does not take grip_force_n"),
    (prim(K.WAIT, duration_s=1.0, max_speed_mps=0.1), InvalidPrimitiveError, "does not take max_speed_mps"),
    (prim(K.HOME, object_id="cup"), InvalidPrimitiveError, "takes no object_id"),
    (prim(K.REACH, object_id="cup", target_id="tray"), InvalidPrimitiveError, "takes no target_id"),
    (prim(K.GRASP, object_id="cup", grip_force_n=80.0), ForceLimitError, "contract limit 70"),
    (prim(K.LIFT, object_id="cup", lift_height_m=0.6), OutOfRangeError, "lift_height_m 0.6 m"),
    (prim(K.REACH, object_id="cup", max_speed_mps=2.0), OutOfRangeError, "max_speed_mps"),
    (prim(K.WAIT, duration_s=1e4), OutOfRangeError, "duration_s"),
    (prim(K.GRASP, object_id="cup", grip_force_n=math.nan), InvalidPrimitiveError, "not finite"),
])
def test_schema_rejects_fields_the_kind_does_not_take_and_values_over_the_limits(primitive, error, words):
    with pytest.raises(error, match=words):
        check_schema(primitive)


def test_schema_accepts_a_well_formed_primitive_and_limits_come_from_config():
    assert check_schema(prim(K.GRASP, object_id="cup", grip_force_n=3.0, max_speed_mps=0.2)).kind is K.GRASP
    with pytest.raises(OutOfRangeError):
        check_schema(prim(K.REACH, object_id="cup", max_speed_mps=0.3), BrainConfig(max_speed_mps=0.2))


@pytest.mark.parametrize("primitive, w, error, words", [
    (prim(K.REACH, object_id="spoon"), world(), UnknownObjectError, "spoon"),
    (prim(K.GRASP, object_id="cup", grip_force_n=3.5), world(), ForceLimitError, "3.4 N limit"),
    (prim(K.GRASP, object_id="tray", grip_force_n=1.0), world(), PreconditionError, "it is a place"),
    (prim(K.PRESS, object_id="cup"), world(), PreconditionError, "expected button"),
    (prim(K.PLACE, object_id="cup", target_id="coffee_button"), world(), PreconditionError, "expected place"),
    (prim(K.PLACE, object_id="cup", target_id="far_shelf"), world(), UnreachableError, "outside the reachable"),
    (prim(K.REACH, object_id="cup"), world(cup_at=(0.05, 0.0, 0.0)), UnreachableError, "reachable"),
    (prim(K.GRASP, object_id="cup", grip_force_n=3.0), world(cup_quat=TILTED), PreconditionError, "tilted"),
])
def test_world_preconditions(primitive, w, error, words):
    with pytest.raises(error, match=words):
        check_world_preconditions(primitive, w)


def test_gripper_preconditions():
    grasp = prim(K.GRASP, object_id="cup", grip_force_n=3.0)
    assert next_holding(grasp, "") == "cup"
    with pytest.raises(PreconditionError, match="while holding 'cup'"):
        next_holding(grasp, "cup")
    with pytest.raises(PreconditionError, match="empty gripper"):
        next_holding(prim(K.LIFT, object_id="cup"), "")
    with pytest.raises(PreconditionError, match="drop"):
        next_holding(prim(K.HOME), "cup")
    assert next_holding(prim(K.PLACE, object_id="cup", target_id="tray"), "cup") == ""


def test_grasp_postcondition_needs_the_object_between_the_fingers():
    grasp = prim(K.GRASP, object_id="cup", grip_force_n=3.0)
    after = world()
    assert check_postcondition(grasp, before=after, after=after, tool_position_m=(0.45, -0.2, 0.05)) is None
    reason = check_postcondition(grasp, before=after, after=after, tool_position_m=(0.45, -0.15, 0.05))
    assert "not between the fingers" in reason and "5.0 cm" in reason
    assert "no tool position" in check_postcondition(grasp, before=after, after=after, tool_position_m=None)


def test_lift_postcondition_needs_the_object_to_rise():
    lift = prim(K.LIFT, object_id="cup", lift_height_m=0.1)
    before = world()
    risen, stayed = world(cup_at=(0.45, -0.2, 0.09)), world()
    assert check_postcondition(lift, before=before, after=risen, tool_position_m=(0.45, -0.2, 0.14)) is None
    assert "rose 0.0 cm" in check_postcondition(lift, before=before, after=stayed, tool_position_m=(0.45, -0.2, 0.05))


def test_place_postcondition_needs_the_object_on_target_upright():
    place = prim(K.PLACE, object_id="cup", target_id="tray")
    on_tray = world(cup_at=(0.31, -0.44, 0.01))
    assert check_postcondition(place, before=None, after=on_tray, tool_position_m=None) is None
    assert "from 'tray'" in check_postcondition(place, before=None, after=world(cup_at=(0.40, -0.44, 0.01)),
                                                tool_position_m=None)
    assert "tilted" in check_postcondition(place, before=None, after=world(cup_at=(0.31, -0.44, 0.01),
                                                                          cup_quat=TILTED), tool_position_m=None)
    assert "no longer seen" in check_postcondition(place, before=None, after=WorldModel(), tool_position_m=None)


def test_kinds_without_a_postcondition_pass():
    for p in (prim(K.HOME), prim(K.WAIT, duration_s=1.0), prim(K.PRESS, object_id="coffee_button")):
        assert check_postcondition(p, before=None, after=WorldModel(), tool_position_m=None) is None


def test_brain_config_validates():
    with pytest.raises(ValueError, match="workspace_min_m"):
        BrainConfig(workspace_min_m=(0.9, 0.0, 0.0))
    with pytest.raises(ValueError, match="llm_url"):
        BrainConfig(llm_enabled=True)
    with pytest.raises(ValueError, match="semantic_threshold"):
        BrainConfig(semantic_threshold=1.5)
    BrainConfig(max_recovery_attempts=0)     # no recovery at all is a valid configuration
