"""Planning: recipes expand to the expected primitives, bound to and checked against the world."""
import ast
import dataclasses
import pathlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brainbody.brain
from brainbody.brain.intent import IntentMatch
from brainbody.brain.plan_validation import validate_plan
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.exceptions import (BrainBodyError, ForceLimitError, InvalidPrimitiveError,
                                  PreconditionError, UnknownIntentError, UnknownObjectError)
from brainbody.primitives import Pose, PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.world import WorldModel, WorldObject

CATALOGUE = load_catalogue()
CUP_LIMIT_N = 3.4
ORIGIN = Pose((0.0, 0.0, 0.0))
TABLE = Pose((0.45, -0.2, 0.0))    # inside the reachable box


def world(**changes):
    """The simulated kitchen; keyword arguments replace or (None) remove objects."""
    objects = {
        "cup": WorldObject("cup", "container", TABLE, mass_kg=0.01,
                           max_grip_force_n=CUP_LIMIT_N, graspable=True),
        "coffee_button": WorldObject("coffee_button", "button", TABLE),
        "dispense_spot": WorldObject("dispense_spot", "place", TABLE),
        "tray": WorldObject("tray", "place", TABLE),
        "handover": WorldObject("handover", "place", TABLE),
    }
    objects.update(changes)
    return WorldModel(o for o in objects.values() if o is not None)


PLANNER = Planner(CATALOGUE, world())

COFFEE = ["home", "reach cup", "grasp cup with 3.0 N", "lift cup by 10 cm",
          "place cup onto dispense_spot", "press coffee_button", "wait 3.0 s", "reach cup",
          "grasp cup with 3.0 N", "lift cup by 10 cm", "place cup onto tray", "home"]


def steps(plan):
    return [p.describe() for p in plan.primitives]


def test_coffee_plan_has_exactly_the_expected_sequence():
    plan = PLANNER.plan("make coffee")
    assert steps(plan) == COFFEE
    assert plan.intent == "make coffee"
    assert [p.id for p in plan.primitives[:3]] == ["p01-home", "p02-reach-cup", "p03-grasp-cup"]
    assert plan.primitives[4].id == "p05-place-cup-dispense_spot"
    assert all(p.timeout_s == 30.0 for p in plan.primitives)
    assert {p.max_speed_mps for p in plan.primitives if p.kind is not PrimitiveKind.WAIT} == {0.25}


@pytest.mark.parametrize("text, expected", [
    ("make coffee and then go home", COFFEE),  # the recipe already ends at home
    ("go home, then make coffee", COFFEE),     # ... and starts there
    ("press the button, then go home", ["press coffee_button", "home"]),
    ("bring me the cup", ["reach cup", "grasp cup with 3.0 N", "lift cup by 10 cm",
                          "place cup onto handover", "home"]),
    ("put the cup on the tray", ["reach cup", "grasp cup with 3.0 N", "lift cup by 10 cm",
                                 "place cup onto tray", "home"]),
    ("go home", ["home"]),
])
def test_recipes_and_sequences(text, expected):
    assert steps(PLANNER.plan(text)) == expected


def test_gentle_lowers_force_and_speed():
    plan = PLANNER.plan("gently make coffee")
    assert [p.grip_force_n for p in plan.primitives if p.kind is PrimitiveKind.GRASP] == [2.0, 2.0]
    assert all(p.max_speed_mps == 0.12 for p in plan.primitives if p.kind is not PrimitiveKind.WAIT)


def test_explicit_force_wins_over_default_and_gentle():
    plan = PLANNER.plan("gently bring me the cup with 2.5 N")
    grasp = next(p for p in plan.primitives if p.kind is PrimitiveKind.GRASP)
    assert grasp.grip_force_n == 2.5 and grasp.max_speed_mps == 0.12


def test_world_without_the_cup_refuses():
    with pytest.raises(UnknownObjectError, match="'cup'"):
        Planner(CATALOGUE, world(cup=None)).plan("make coffee")
    # a plan that does not touch the cup is still fine
    assert steps(Planner(CATALOGUE, world(cup=None)).plan("press the button")) == [
        "press coffee_button", "home"]


def test_world_force_limit_and_graspability_apply():
    weak = dataclasses.replace(world().get("cup"), max_grip_force_n=2.5)
    with pytest.raises(ForceLimitError, match="2.5 N limit of 'cup'"):
        Planner(CATALOGUE, world(cup=weak)).plan("bring me the cup")
    assert Planner(CATALOGUE, world(cup=weak)).plan("gently bring me the cup")
    glued = dataclasses.replace(world().get("cup"), graspable=False)
    with pytest.raises(PreconditionError, match="not graspable"):
        Planner(CATALOGUE, world(cup=glued)).plan("bring me the cup")


def test_no_world_still_enforces_catalogue_limits():
    planner = Planner(CATALOGUE)
    assert steps(planner.plan("make coffee")) == COFFEE
    with pytest.raises(ForceLimitError):
        planner.plan_match(IntentMatch(text="x", skills=("bring_cup",), grip_force_n=9.0))
    with pytest.raises(UnknownIntentError):
        planner.plan_match(IntentMatch(text="x", skills=("dance",)))


def test_ids_are_unique_and_every_primitive_passes_check():
    plans = [PLANNER.plan("make coffee") for _ in range(20)]
    assert len({p.plan_id for p in plans}) == 20
    long = PLANNER.plan("make coffee then bring me the cup then press the button")
    ids = [p.id for p in long.primitives]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"p\d{2}-[a-z]+(-[a-z_]+)*", i) for i in ids)
    for primitive in long.primitives:
        assert primitive.check() is primitive


def _plan(*primitives):
    return TaskPlan(plan_id="t", intent="test", primitives=primitives)


def test_validate_plan_checks_structure_and_gripper_sequence():
    grasp = TaskPrimitive("g", PrimitiveKind.GRASP, object_id="cup", grip_force_n=2.0)
    home = TaskPrimitive("h", "home")
    lift = TaskPrimitive("l", PrimitiveKind.LIFT, object_id="cup")
    with pytest.raises(InvalidPrimitiveError, match="no primitives"):
        validate_plan(_plan())
    with pytest.raises(InvalidPrimitiveError, match="used twice"):
        validate_plan(_plan(home, home))
    with pytest.raises(InvalidPrimitiveError):
        validate_plan("make coffee")
    with pytest.raises(PreconditionError, match="would drop it"):
        validate_plan(_plan(grasp, home))
    with pytest.raises(PreconditionError, match="empty gripper"):
        validate_plan(_plan(lift))
    with pytest.raises(PreconditionError, match="while holding"):
        validate_plan(_plan(grasp, dataclasses.replace(grasp, id="g2")))
    with pytest.raises(ForceLimitError):
        validate_plan(_plan(dataclasses.replace(grasp, grip_force_n=3.5)), world())
    checked = validate_plan(_plan(home), world())
    assert checked.primitives[0].kind is PrimitiveKind.HOME  # the string kind was parsed
    assert validate_plan(_plan(lift), holding="cup").primitives == (lift,)


VOCABULARY = sorted({w for s in CATALOGUE.skills.values() for p in s.phrases for w in p.split()}
                    | {"gently", "then", "and", "please", ",", "with", "crush", "tea", "button",
                       "tray", "N", "newtons", "2", "3.4", "3.5", "50", "0"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(VOCABULARY), max_size=14).map(" ".join),
    st.tuples(st.sampled_from([p for s in CATALOGUE.skills.values() for p in s.phrases]),
              st.floats(allow_nan=True, allow_infinity=True),
              st.sampled_from(["N", "n", " newtons", " newton"])).map(
        lambda t: f"{t[0]} with {t[1]}{t[2]}"),
))
def test_arbitrary_text_only_raises_brainbody_errors_and_never_over_grips(text):
    try:
        plan = PLANNER.plan(text)
    except BrainBodyError:
        return
    assert plan.primitives
    for primitive in plan.primitives:
        primitive.check()
        assert primitive.grip_force_n <= CUP_LIMIT_N


def test_brain_never_imports_rclpy():
    for path in pathlib.Path(brainbody.brain.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "rclpy" for n in names), path
