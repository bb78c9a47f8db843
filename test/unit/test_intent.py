"""Intent parsing: phrases and paraphrases map to skills; everything else is refused."""
import pytest

from brainbody.brain.intent import MAX_INTENT_CHARS, IntentMatch, IntentParser, NegatedIntentError, parse
from brainbody.brain.skills import SkillCatalogueError, catalogue_from_mapping, load_catalogue
from brainbody.exceptions import (ErrorCode, ForceLimitError, OutOfRangeError,
                                  UnknownIntentError, UnsafeRequestError)

CATALOGUE = load_catalogue()
PARSER = IntentParser(CATALOGUE)
ALL_PHRASES = [(p, s.name, b) for s, examples in
               ((CATALOGUE.skills[n], e) for n, e in PARSER.phrase_examples().items())
               for p, b in examples]


@pytest.mark.parametrize("phrase, skill, bindings", ALL_PHRASES)
def test_every_catalogue_phrase_maps_to_its_skill(phrase, skill, bindings):
    match = PARSER.parse(phrase)
    assert match.skills == (skill,) and match.bindings == (bindings,) and match.layers == ("parser",)


@pytest.mark.parametrize("text, place", [
    ("put the mug on the serving tray", "tray"), ("take the cup to the hand-over spot", "handover"),
    ("place the cup under the spout", "dispense_spot"), ("carry my cup to the coffee machine", "dispense_spot"),
])
def test_place_parameter_binds_to_the_named_place(text, place):
    assert PARSER.parse(text).bindings == ({"place": place},)


def test_it_refers_to_the_object_of_the_previous_step():
    match = PARSER.parse("make coffee and then bring it to the hand over spot")
    assert match.skills == ("make_coffee", "move_cup") and match.bindings[1] == {"place": "handover"}
    # With one graspable object in the catalogue, a first "it" means that object.
    assert PARSER.parse("bring it to me").skills == ("bring_cup",)


@pytest.mark.parametrize("text, skill", [
    ("Please make me a coffee!", "make_coffee"),
    ("Can you make coffee for me?", "make_coffee"),
    ("COFFEE, PLEASE", "make_coffee"),
    ("I'd like a coffee, thanks", "make_coffee"),
    ("hey robot, brew a coffee now", "make_coffee"),
    ("make_coffee", "make_coffee"),
    ("could you bring me the cup please", "bring_cup"),
    ("hand me the mug", "bring_cup"),
    ("Fetch my cup.", "bring_cup"),
    ("please put the cup onto the tray", "move_cup"),
    ("set the cup on the tray for me", "move_cup"),
    ("push the button", "press_button"),
    ("Would you please run the coffee machine?", "press_button"),
    ("Return home.", "go_home"),
    ("  go   home  ", "go_home"),
])
def test_paraphrases_map_to_the_right_skill(text, skill):
    match = PARSER.parse(text)
    assert match.skills == (skill,)
    assert match.text == text.strip()
    assert not match.gentle and match.grip_force_n is None


@pytest.mark.parametrize("text", [
    "make tea", "dance", "press the cup", "bring me the button", "put the tray on the cup",
    "make coffee then dance", "make", "cup", "please", "grip the cup with 3 N",
    "make coffee 2", "make coffee with -2 N",
])
def test_unknown_intents_are_refused_listing_the_skills(text):
    with pytest.raises(UnknownIntentError) as info:
        PARSER.parse(text)
    assert info.value.code is ErrorCode.UNKNOWN_INTENT
    assert 'make_coffee ("make coffee")' in info.value.message
    assert "go_home" in info.value.message


@pytest.mark.parametrize("text, expected", [
    ("", "empty"), ("   \n\t", "empty"), ("x" * 10_000, f"limit is {MAX_INTENT_CHARS}"),
    ("go home" + " " * MAX_INTENT_CHARS, "limit is"),
    (None, "got NoneType"), (42, "got int"), (b"make coffee", "got bytes"),
])
def test_malformed_requests_are_refused(text, expected):
    with pytest.raises(UnknownIntentError, match=expected):
        PARSER.parse(text)


@pytest.mark.parametrize("text, word", [
    ("crush the cup", "crush"), ("throw the cup", "throw"), ("squeeze the cup hard", "squeeze"),
    ("smash the cup", "smash"), ("toss me the cup", "toss"), ("drop the cup", "drop"),
    ("break the cup", "break"), ("spill the coffee", "spill"), ("grip harder", "harder"),
    ("make coffee and then throw the cup", "throw"), ("please knock over the cup", "knock over"),
    ("bring me the cup, crushing it", "crushing"), ("Dropped the mug", "dropped"),
])
def test_unsafe_requests_are_refused_with_a_reason(text, word):
    with pytest.raises(UnsafeRequestError) as info:
        PARSER.parse(text)
    assert info.value.code is ErrorCode.UNSAFE_REQUEST
    assert f"{word!r} is not allowed because" in info.value.message


@pytest.mark.parametrize("text, skill, bindings", [
    ("switch the coffee machine on", "press_button", {}),
    ("power on the machine", "press_button", {}),
    ("turn on the coffee machine and then go home", "press_button", {}),
    ("drop off the mug on the tray", "move_cup", {"place": "tray"}),
    ("drop my cup off on the tray", "move_cup", {"place": "tray"}),
    ("drop it off on the serving tray", "move_cup", {"place": "tray"}),
])
def test_phrasal_verbs_read_as_the_word_they_mean(text, skill, bindings):
    match = PARSER.parse(text)
    assert match.skills[0] == skill and match.bindings[0] == bindings and match.layers[0] == "parser"


@pytest.mark.parametrize("text", [
    "drop the mug", "drop it on the tray", "drop my cup off the counter", "drop off the counter",
    "drop off the cup on the tray, then drop it",
])
def test_drop_stays_unsafe_unless_it_is_the_phrasal_verb_for_delivering(text):
    with pytest.raises(UnsafeRequestError):
        PARSER.parse(text)


@pytest.mark.parametrize("text", [
    "park yourself", "reset your arm", "return to your rest pose", "go back to the resting position",
    "move the arm back home", "home the robot arm",
])
def test_the_arm_and_its_rest_pose_mean_home(text):
    assert PARSER.parse(text).skills == ("go_home",)


@pytest.mark.parametrize("text", [
    "don't go home", "do not bring me the cup", "never press the button", "stop making coffee",
    "make coffee but don't bring it to me", "cancel",
])
def test_negated_requests_are_refused_not_read_past(text):
    with pytest.raises(NegatedIntentError, match="says what not to do") as info:
        PARSER.parse(text)
    assert info.value.code is ErrorCode.UNKNOWN_INTENT


@pytest.mark.parametrize("text", [
    "grip the cup with 50 N", "bring me the cup with 50 newtons", "make coffee with 3.5 N",
    "bring me the cup using a force of 4 N", "bring me the cup 1000000000000000000000n",
])
def test_force_above_the_limit_is_refused(text):
    with pytest.raises(ForceLimitError) as info:
        PARSER.parse(text)
    assert info.value.code is ErrorCode.FORCE_LIMIT
    assert "3.4 N" in info.value.message


@pytest.mark.parametrize("text, force_n", [
    ("bring me the cup with 2 N", 2.0), ("bring me the cup with 2.5 newtons", 2.5),
    ("hand me the cup 2n", 2.0), ("make coffee at 3.4 N", 3.4), ("pass the cup, 1 newton", 1.0),
])
def test_explicit_force_is_extracted(text, force_n):
    assert PARSER.parse(text).grip_force_n == pytest.approx(force_n)


def test_bad_explicit_forces():
    with pytest.raises(OutOfRangeError):
        PARSER.parse("bring me the cup with 0 N")
    with pytest.raises(UnknownIntentError, match="grasps nothing"):
        PARSER.parse("press the button with 2 N")
    with pytest.raises(UnknownIntentError, match="2 different grip forces"):
        PARSER.parse("bring me the cup with 2 N then make coffee with 3 N")


@pytest.mark.parametrize("text", [
    "gently bring me the cup", "bring me the cup gently", "carefully make coffee",
    "make coffee, be careful", "Please hand me the cup with care",
])
def test_gentle_modifier(text):
    match = PARSER.parse(text)
    assert match.gentle and match.modifiers == ("gentle",)


@pytest.mark.parametrize("text, skills", [
    ("make coffee and then go home", ("make_coffee", "go_home")),
    ("press the button, then go home", ("press_button", "go_home")),
    ("go home; then bring me the cup", ("go_home", "bring_cup")),
    ("press the button and make coffee. after that go home",
     ("press_button", "make_coffee", "go_home")),
])
def test_sequences_concatenate_skills(text, skills):
    assert PARSER.parse(text).skills == skills


def test_module_level_parse_and_match_validation():
    assert parse("go home", CATALOGUE) == IntentMatch(text="go home", skills=("go_home",))
    with pytest.raises(ValueError):
        IntentMatch(text="x", skills=())
    with pytest.raises(ValueError):
        IntentMatch(text="x", skills=("go_home",), grip_force_n=float("inf"))


def _catalogue_with(**phrases):
    data = {"version": 1, "objects": {"cup": {"max_grip_force_n": 3.4}},
            "defaults": {"grip_force_n": 3.0, "lift_height_m": 0.1, "max_speed_mps": 0.25,
                         "timeout_s": 30.0},
            "modifiers": {"gentle": {"words": ["gently"], "grip_force_n": 2.0}},
            "language": {"separators": ["then"], "unsafe": [{"words": ["crush"], "reason": "r"}],
                         "negations": ["never"]},
            "skills": {name: {"phrases": p, "steps": ["home"]} for name, p in phrases.items()}}
    return catalogue_from_mapping(data, source="test.yaml")


@pytest.mark.parametrize("phrases, message", [
    ({"a": ["go home"], "b": ["go home"]}, "also matches skill 'a'"),
    ({"a": ["go then home"]}, "contains a separator"),
    ({"a": ["gently home"]}, "contains a modifier"),
    ({"a": ["crush home"]}, "unsafe word"),
    ({"a": ["never go home"]}, "contains a negation"),
])
def test_phrases_that_could_never_match_or_are_ambiguous_are_refused(phrases, message):
    with pytest.raises(SkillCatalogueError, match=message):
        IntentParser(_catalogue_with(**phrases))


@pytest.mark.parametrize("phrasal, message", [
    ({"drop": "put"}, "two words"), ({"drop off now": "put"}, "two words"),
    ({"drop off": "put it"}, "mean one word"),
])
def test_malformed_phrasal_verbs_are_refused_on_load(phrasal, message):
    data = {"version": 1, "defaults": {"grip_force_n": 3.0, "lift_height_m": 0.1, "max_speed_mps": 0.2,
                                       "timeout_s": 10.0},
            "objects": {"cup": {"max_grip_force_n": 3.4}},
            "language": {"phrasal_verbs": phrasal},
            "skills": {"go_home": {"phrases": ["go home"], "steps": ["home"]}}}
    with pytest.raises(SkillCatalogueError, match=f"language.phrasal_verbs.*{message}"):
        catalogue_from_mapping(data, source="test.yaml")
