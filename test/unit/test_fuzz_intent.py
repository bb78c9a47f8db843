"""Intent text fuzzing (issue 9, section 4): whatever text arrives on /brain/execute_intent or
/brain/intent, the brain's pipeline (parser, then the offline semantic matcher) returns a
validated plan or a typed refusal with a documented code; nothing else escapes."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.intent_pipeline import IntentPipeline
from brainbody.brain.skills import load_catalogue
from brainbody.exceptions import BrainBodyError
from brainbody.primitives import Pose
from brainbody.world import WorldModel, WorldObject

from fuzz_harness import has_code

PIPELINE = IntentPipeline(load_catalogue(), BrainConfig())
WORLD = WorldModel([
    WorldObject("cup", "container", Pose((0.45, -0.2, 0.0)), size_m=(0.06, 0.06, 0.08), mass_kg=0.012,
                max_grip_force_n=3.4, graspable=True),
    WorldObject("coffee_button", "button", Pose((0.6, 0.33, 0.32)), size_m=(0.04, 0.04, 0.02)),
    WorldObject("dispense_spot", "place", Pose((0.45, 0.25, 0.0))),
    WorldObject("tray", "place", Pose((0.3, -0.45, 0.01))),
    WorldObject("handover", "place", Pose((0.25, 0.45, 0.0)))])

# Catalogue words and numbers spliced into arbitrary unicode, so the parser's deeper paths
# (sequences, "it", forces, modifiers) are reached, not only the "not understood" refusal.
WORDS = st.sampled_from(["make", "coffee", "and", "then", "bring", "me", "the", "cup", "it", "to", "tray",
                         "press", "button", "with", "N", "gently", "don't", "crush", "grip", "put", "on",
                         "1e308", "nan", "inf", "-3", "0", "999999999999999999999", "please", "home", ",", "."])
TEXTS = st.one_of(st.text(max_size=80), st.lists(st.one_of(WORDS, st.text(max_size=6)), max_size=14).map(" ".join),
                  st.text(alphabet=st.characters(codec="utf-8"), max_size=300))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, with_world=st.booleans())
def test_any_text_gives_a_plan_or_a_coded_refusal(text, with_world):
    try:
        planned = PIPELINE.plan(text, WORLD if with_world else None)
    except BrainBodyError as exc:
        assert has_code(exc), repr(exc)
        return
    assert planned.plan.primitives
    for primitive in planned.plan.primitives:
        assert primitive.check() is primitive


def test_text_that_is_not_a_string_is_refused_with_a_code():
    for value in (None, b"make coffee", 42, ["make coffee"], "\x00" * 3):
        try:
            PIPELINE.plan(value)
        except BrainBodyError as exc:
            assert has_code(exc), repr(exc)
        else:
            raise AssertionError(f"{value!r} was planned")
