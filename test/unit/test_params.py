"""Parameters: BodyConfig validates on construction and config/body.yaml matches what the
nodes declare (no unknown keys, values in range)."""
import dataclasses
import math
import pathlib

import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.share_files import dataclass_from_mapping, load_ros_parameters
from brainbody.exceptions import BrainBodyError
from brainbody.node_params import BodyNodeConfig, IntentNodeConfig
from brainbody.param_spec import param, table, validate

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIELDS = {f.name: f for f in dataclasses.fields(BodyConfig)}
DEFAULTS = BodyConfig()


def ranged_fields():
    for name, f in FIELDS.items():
        if f.metadata.get("lo") is not None or f.metadata.get("hi") is not None:
            yield name


def with_element(name, value):
    """``value`` for a scalar field, or the default tuple with its first element replaced."""
    default = getattr(DEFAULTS, name)
    return (value,) + tuple(default[1:]) if isinstance(default, tuple) else value


def rejects(name, value):
    with pytest.raises(ValueError) as info:
        BodyConfig(**{name: value})
    assert name in str(info.value), f"the message should name {name!r}: {info.value}"


def test_defaults_are_valid_and_every_field_is_documented():
    validate(DEFAULTS)
    for name, f in FIELDS.items():
        assert f.metadata.get("description"), f"{name} has no description"
    assert "| `gripper_max_force_n` |" in table(BodyConfig)


@pytest.mark.parametrize("name", list(ranged_fields()))
def test_values_outside_the_declared_range_are_refused_naming_the_field(name):
    lo, hi = FIELDS[name].metadata["lo"], FIELDS[name].metadata["hi"]
    if hi is not None:
        rejects(name, with_element(name, hi + max(abs(hi) * 0.01, 1e-3)))
    if lo is not None:
        rejects(name, with_element(name, lo - max(abs(lo) * 0.01, 1e-3)))


@pytest.mark.parametrize("name", list(ranged_fields()))
@pytest.mark.parametrize("bad", [math.nan, math.inf, "1.0", True])
def test_non_numbers_are_refused_naming_the_field(name, bad):
    rejects(name, with_element(name, bad))


@pytest.mark.parametrize("name,length", [
    ("joint_stiffness_nm_per_rad", 6), ("joint_damping_nms_per_rad", 8), ("home_q_rad", 0),
    ("workspace_min_m", 2), ("workspace_max_m", 4),
])
def test_wrong_lengths_are_refused_naming_the_field(name, length):
    rejects(name, tuple([0.5] * length))


@pytest.mark.parametrize("name", ["home_q_rad", "workspace_max_m"])
def test_a_scalar_where_a_list_belongs_is_refused(name):
    rejects(name, 0.5)


def test_a_list_where_a_scalar_belongs_is_refused():
    rejects("max_wait_s", (1.0, 2.0))


def test_bool_field_takes_only_a_bool():
    rejects("gravity_feedforward", 1)
    rejects("gravity_feedforward", "false")
    assert BodyConfig(gravity_feedforward=False).gravity_feedforward is False


def test_default_speed_above_the_maximum_is_refused():
    with pytest.raises(ValueError, match="default_tool_speed_mps"):
        BodyConfig(default_tool_speed_mps=0.4, max_tool_speed_mps=0.3)


def test_values_at_the_range_ends_are_accepted():
    BodyConfig(joint_speed_scale=1.0, gripper_max_force_n=1.0, max_tool_speed_mps=1.5, default_tool_speed_mps=1.0)


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULTS.gripper_max_force_n = 100.0


def test_validate_checks_any_param_dataclass():
    @dataclasses.dataclass(frozen=True)
    class Tiny:
        gain: float = param(1.0, "a gain", lo=0.0, hi=2.0)
        name: str = param("x", "a name")

        def __post_init__(self):
            validate(self)

    Tiny(gain=2.0, name="y")
    with pytest.raises(ValueError, match="gain"):
        Tiny(gain=2.5)
    with pytest.raises(ValueError, match="name"):
        Tiny(name=3)


def test_dataclass_from_mapping_refuses_unknown_keys_and_names_the_source():
    with pytest.raises(BrainBodyError, match="unknown parameter.*gripper_max_force"):
        dataclass_from_mapping(BodyConfig, {"gripper_max_force": 5.0}, source="body.yaml")
    with pytest.raises(BrainBodyError, match="gripper_max_force_n"):
        dataclass_from_mapping(BodyConfig, {"gripper_max_force_n": 500.0}, source="body.yaml")
    config = dataclass_from_mapping(BodyConfig, {"home_q_rad": [0.0] * 3 + [-1.0] + [0.0, 1.0, 0.0]})
    assert isinstance(config.home_q_rad, tuple)


# -- config/*.yaml against what the nodes declare ------------------------------------------

def declared_fields(config_cls):
    return {f.name for f in dataclasses.fields(config_cls)}


BODY_YAML = ROOT / "config" / "body.yaml"
BRAIN_YAML = ROOT / "config" / "brain.yaml"


def test_body_yaml_parses_into_body_config():
    params = load_ros_parameters(BODY_YAML, "body_node")
    node_keys = declared_fields(BodyNodeConfig)
    assert not node_keys & set(FIELDS), "a key is declared twice"
    unknown = sorted(set(params) - set(FIELDS) - node_keys)
    assert not unknown, f"config/body.yaml has keys no node declares: {unknown}"
    body = {k: v for k, v in params.items() if k in FIELDS}
    config = dataclass_from_mapping(BodyConfig, body, source=str(BODY_YAML))
    for name in body:
        assert getattr(config, name) == pytest.approx(getattr(DEFAULTS, name), abs=1e-5), \
            f"config/body.yaml sets {name} to {getattr(config, name)}, the declared default is " \
            f"{getattr(DEFAULTS, name)}; change the default in body_config.py too"


def test_brain_yaml_has_only_declared_keys():
    from brainbody.brain.brain_config import BrainConfig
    params = load_ros_parameters(BRAIN_YAML, "intent_node")
    assert not declared_fields(IntentNodeConfig) & declared_fields(BrainConfig), "a key is declared twice"
    unknown = sorted(set(params) - declared_fields(IntentNodeConfig) - declared_fields(BrainConfig))
    assert not unknown, f"config/brain.yaml has keys intent_node does not declare: {unknown}"
    brain = {k: v for k, v in params.items() if k in declared_fields(BrainConfig)}
    config = dataclass_from_mapping(BrainConfig, brain, source=str(BRAIN_YAML))
    for name in brain:
        assert getattr(config, name) == getattr(BrainConfig(), name), \
            f"config/brain.yaml sets {name}; change the declared default in brain_config.py too"


def test_load_ros_parameters_refuses_a_file_without_the_node(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("other_node:\n  ros__parameters: {a: 1}\n")
    with pytest.raises(BrainBodyError, match="body_node"):
        load_ros_parameters(path, "body_node")


def test_readme_parameter_tables_are_generated_from_the_declarations():
    from brainbody.param_spec import readme_tables
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    begin, end = "<!-- parameters:begin -->\n", "\n<!-- parameters:end -->"
    assert begin in readme and end in readme
    current = readme.split(begin, 1)[1].split(end, 1)[0]
    assert current == readme_tables(), "README parameter tables are stale: paste `python -m brainbody.param_spec`"


@pytest.mark.parametrize("cls, field, bad", [(BodyNodeConfig, "realtime_factor", -1.0),
                                              (BodyNodeConfig, "seed", -3),
                                              (IntentNodeConfig, "body_server_timeout_s", 1e9)])
def test_node_configs_enforce_their_ranges_without_ros(cls, field, bad):
    with pytest.raises(ValueError, match=field):
        cls(**{field: bad})
