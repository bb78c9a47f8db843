"""Loading and validating the skill catalogue (config/skills.yaml)."""
import copy
import dataclasses
import pathlib

import pytest
import yaml

from brainbody.brain.skills import (CONFIG_DIR_ENV, SkillCatalogueError, Step,
                                    catalogue_from_mapping, default_skills_path, load_catalogue)
from brainbody.exceptions import BrainBodyError, UnknownIntentError
from brainbody.primitives import PrimitiveKind

PATH = default_skills_path()
RAW = yaml.safe_load(PATH.read_text())
CATALOGUE = load_catalogue(PATH)


def edited(**changes):
    """A deep copy of the shipped YAML document with dotted-path keys replaced."""
    data = copy.deepcopy(RAW)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def test_default_path_finds_the_checkout_config():
    assert PATH == pathlib.Path(__file__).resolve().parents[2] / "config" / "skills.yaml"


def test_env_var_overrides_and_must_point_at_a_file(tmp_path, monkeypatch):
    (tmp_path / "skills.yaml").write_text(PATH.read_text())
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    assert default_skills_path() == tmp_path / "skills.yaml"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(SkillCatalogueError, match="nowhere"):
        default_skills_path()


def test_shipped_catalogue_has_the_five_skills_with_defaults_applied():
    assert list(CATALOGUE.skills) == ["make_coffee", "bring_cup", "move_cup", "press_button",
                                      "go_home"]
    grasp = CATALOGUE.skills["bring_cup"].steps[1]
    assert (grasp.kind, grasp.object_id, grasp.grip_force_n) == (PrimitiveKind.GRASP, "cup", 3.0)
    lift = CATALOGUE.skills["bring_cup"].steps[2]
    assert lift.lift_height_m == pytest.approx(0.10)
    for skill in CATALOGUE.skills.values():
        for step in skill.steps:
            assert step.timeout_s == 30.0
            assert step.max_speed_mps == (0.0 if step.kind is PrimitiveKind.WAIT else 0.25)
    gentle = CATALOGUE.modifiers["gentle"]
    assert (gentle.grip_force_n, gentle.max_speed_mps) == (2.0, 0.12)
    assert CATALOGUE.grip_limit_n("cup") == 3.4
    assert CATALOGUE.grip_limit_n("coffee_button") == 0.0


def test_catalogue_objects_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOGUE.skills["go_home"].steps[0].timeout_s = 1.0
    with pytest.raises(TypeError):
        CATALOGUE.skills["nap"] = None


def test_unknown_skill_lookup_lists_capabilities():
    with pytest.raises(UnknownIntentError, match='make_coffee \\("make coffee"\\)'):
        CATALOGUE.skill("dance")


@pytest.mark.parametrize("data, message", [
    (edited(versoin=1), "top level: unknown key 'versoin'"),
    (edited(version=2), "unsupported version 2"),
    (edited(defaults__grip_force_n=float("nan")), "defaults.grip_force_n"),
    (edited(defaults__timeout_s=-1), "defaults.timeout_s"),
    (edited(skills__bring_cup__steps__1={"kind": "grasp", "object": "cup", "grip_forc_n": 2}),
     "skills.bring_cup.steps[1] (grasp): unknown key 'grip_forc_n'"),
    (edited(skills__go_home__steps__0={"kind": "press", "object": "coffee_button",
                                        "grip_force_n": 2}),
     "skills.go_home.steps[0] (press): unknown key 'grip_force_n'"),
    (edited(skills__go_home__steps__0="dance"), "skills.go_home.steps[0].kind: unknown primitive"),
    (edited(skills__go_home__steps__0={"kind": "wait"}), "wait needs duration_s"),
    (edited(skills__go_home__steps__0={"kind": "reach", "object": "teapot"}),
     "skills.go_home.steps[0]: unknown object 'teapot'"),
    (edited(skills__bring_cup__steps__1={"kind": "grasp", "object": "cup", "grip_force_n": 5}),
     "exceeds the max_grip_force_n 3.4 N of 'cup'"),
    (edited(skills__go_home__phrases=[]), "skills.go_home.phrases: expected a non-empty list"),
    (edited(language__synonyms__give=["mug"]), "'mug' is already a synonym of 'cup'"),
    (edited(objects__cup={"max_grip_force_n": "lots"}), "objects.cup.max_grip_force_n"),
    ([1, 2], "top level: expected a mapping, got list"),
])
def test_bad_catalogue_is_refused_naming_the_key(data, message):
    with pytest.raises(SkillCatalogueError) as info:
        catalogue_from_mapping(data, source="bad.yaml")
    assert str(info.value).startswith("bad.yaml: ")
    assert message in str(info.value)
    assert isinstance(info.value, BrainBodyError)


def test_unreadable_and_malformed_files_name_the_file(tmp_path):
    with pytest.raises(SkillCatalogueError, match="missing.yaml: cannot read"):
        load_catalogue(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("skills: [unclosed\n")
    with pytest.raises(SkillCatalogueError, match="bad.yaml: not valid YAML"):
        load_catalogue(bad)


def test_step_validates_on_construction():
    with pytest.raises(BrainBodyError, match="grasp needs grip_force_n"):
        Step(kind=PrimitiveKind.GRASP, object_id="cup")
    assert Step(kind="home").kind is PrimitiveKind.HOME
