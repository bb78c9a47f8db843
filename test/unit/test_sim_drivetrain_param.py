"""The body node's sim_drivetrain parameter (the simulated plant's gearbox per joint), the
demo options that set it, and the tool path error figure: validated without ROS."""
import argparse
import dataclasses

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.cli import DRIVETRAINS, _ros_value, demo_body_parameters
from brainbody.exceptions import BrainBodyError
from brainbody.node_params import BodyNodeConfig
from brainbody.sim.path_error import PathErrorStats
from brainbody.sim.drivetrain import load_profiles, profile_names
from brainbody.runtime.sim_session import SimSession


def test_known_profiles_are_the_plant_file_plus_rigid():
    names = profile_names()
    assert set(names) == set(load_profiles()) | {"rigid"}
    assert {"harmonic", "budget_planetary", "rigid"} <= set(names)


def test_profile_names_of_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(BrainBodyError, match="cannot read drivetrain profiles"):
        profile_names(tmp_path / "nothing.yaml")


def test_default_and_mixed_profiles_are_accepted():
    assert BodyNodeConfig().sim_drivetrain == ("harmonic",) * 7
    mixed = ("harmonic", "budget_planetary", "rigid", "harmonic", "budget_planetary", "rigid", "harmonic")
    assert BodyNodeConfig(sim_drivetrain=mixed).sim_drivetrain == mixed


def test_unknown_profile_is_refused_naming_parameter_joint_and_known_names():
    with pytest.raises(ValueError) as info:
        BodyNodeConfig(sim_drivetrain=("harmonic",) * 6 + ("budget",))
    message = str(info.value)
    assert "sim_drivetrain" in message and "'budget'" in message and "joint 7" in message
    assert "budget_planetary" in message and "harmonic" in message and "rigid" in message


@pytest.mark.parametrize("bad, match", [
    (("harmonic",) * 6, "7 arm joints"),
    (("harmonic",) * 8, "7 arm joints"),
    ((), "7 arm joints"),
    ("harmonic", "list of values"),
    (("harmonic",) * 6 + (3,), "not a str"),
])
def test_wrong_length_or_type_is_refused(bad, match):
    with pytest.raises(ValueError, match="sim_drivetrain") as info:
        BodyNodeConfig(sim_drivetrain=bad)
    assert match in str(info.value)


def test_hardware_mode_does_not_read_the_plant_profiles(monkeypatch):
    # No simulated plant in hardware mode: the names are not looked up (the length still is).
    import brainbody.sim.drivetrain as plant

    def not_here():
        raise AssertionError("hardware mode read the simulated plant's profiles")

    monkeypatch.setattr(plant, "profile_names", not_here)
    BodyNodeConfig(mode="hardware", backend="ros2_control", sim_drivetrain=("anything",) * 7)
    with pytest.raises(ValueError, match="sim_drivetrain"):
        BodyNodeConfig(mode="hardware", backend="ros2_control", sim_drivetrain=("anything",) * 6)
    with pytest.raises(AssertionError, match="profiles"):      # sim mode does look them up
        BodyNodeConfig(sim_drivetrain=("anything",) * 7)


def test_parameter_is_read_only_and_documented():
    field = next(f for f in dataclasses.fields(BodyNodeConfig) if f.name == "sim_drivetrain")
    assert field.metadata["read_only"] is True
    assert "drivetrain_estimates" in field.metadata["description"]


def test_sim_session_builds_the_plant_it_is_given():
    budget = SimSession(sim_drivetrain=("budget_planetary",) * 7)
    assert budget.scene_config.drivetrain == ("budget_planetary",) * 7
    assert budget.sim.drivetrain.any_geared
    assert budget.sim.read().q_link_rad is None         # budget joints have no link encoder
    assert budget.body.servo.estimates.names == ("harmonic",) * 7   # the controller keeps its own
    rigid = SimSession(sim_drivetrain=("rigid",) * 7)
    assert not rigid.sim.drivetrain.any_geared
    with pytest.raises(BrainBodyError, match="unknown drivetrain profile"):
        SimSession(sim_drivetrain=("harmonic",) * 6 + ("budget",))


def test_path_error_is_sampled_only_while_moving():
    session = SimSession(sim_drivetrain=("rigid",) * 7)
    for _ in range(30):
        session.body.tick()
        session.sample_path_error()
    assert session.path_error.samples == 0      # holding still: not a path
    goal = np.asarray(session.body_config.home_q_rad) + [0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    session.body.follow_trajectory([1.0], [goal])
    for tick in range(1000):
        session.body.tick()
        if tick % 10 == 0:
            session.sample_path_error()
    assert session.path_error.samples >= 90
    # The tool moves ~10 cm; it follows its command to within millimetres (ground truth).
    assert 0.0 < session.path_error.max_m < 0.01


def test_path_error_statistics():
    stats = PathErrorStats()
    assert stats.as_dict() == {"path_error_rms_m": 0.0, "path_error_max_m": 0.0, "path_error_samples": 0}
    assert stats.add([0.0, 0.0, 0.0], [0.003, 0.004, 0.0]) == pytest.approx(0.005)
    stats.add(np.zeros(3), np.zeros(3))
    assert stats.samples == 2 and stats.max_m == pytest.approx(0.005)
    assert stats.rms_m == pytest.approx(np.sqrt(0.005 ** 2 / 2))
    for bad in ([0.0, 0.0], [0.0, np.nan, 0.0]):
        with pytest.raises(ValueError, match="3 finite numbers"):
            stats.add(bad, np.zeros(3))
    stats.reset()
    assert stats.samples == 0 and stats.rms_m == 0.0


def demo_args(**changes):
    values = dict(seed=3, realtime_factor=0.0, drivetrain="harmonic", plain=False, backend="embedded",
                  grip_force_source="pad_sensors", plant="ideal", robot_seed=0, plant_process=False)
    values.update(changes)
    return argparse.Namespace(**values)


def split(values):
    node = {f.name for f in dataclasses.fields(BodyNodeConfig)}
    return ({k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in node},
            {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k not in node})


@pytest.mark.parametrize("choice", sorted(DRIVETRAINS))
@pytest.mark.parametrize("plain", [False, True])
def test_demo_options_become_valid_body_parameters(choice, plain):
    values = demo_body_parameters(demo_args(drivetrain=choice, plain=plain))
    node, body = split(values)
    node_config, body_config = BodyNodeConfig(**node), BodyConfig(**body)   # every name is declared
    profile = DRIVETRAINS[choice]
    assert node_config.sim_drivetrain == (profile,) * 7
    assert body_config.drivetrain_estimates == (profile,) * 7     # the matching estimate set
    switches = (body_config.inertia_feedforward, body_config.friction_compensation,
                body_config.backlash_compensation, body_config.compliance_compensation)
    assert body_config.gravity_feedforward
    assert switches == ((False,) * 4 if plain else (True,) * 4)


def test_budget_means_budget_planetary_in_both_files():
    from brainbody.body.drivetrain_estimates import load_estimates
    assert DRIVETRAINS["budget"] == "budget_planetary"
    for profile in DRIVETRAINS.values():
        assert profile in load_profiles()
        load_estimates((profile,) * 7)      # raises on an unknown set


def test_separate_processes_get_the_same_values_as_ros_args():
    values = demo_body_parameters(demo_args(drivetrain="budget", plain=True))
    assert _ros_value(values["sim_drivetrain"]) == "[" + ",".join(["budget_planetary"] * 7) + "]"
    assert _ros_value(values["backlash_compensation"]) == "false"
    assert _ros_value(values["gravity_feedforward"]) == "true"
    assert _ros_value(values["realtime_factor"]) == "0.0" and _ros_value(values["seed"]) == "3"


def test_demo_grip_force_source_reaches_the_body_only_when_not_the_default():
    assert "grip_force_source" not in demo_body_parameters(demo_args())
    values = demo_body_parameters(demo_args(grip_force_source="finger_effort"))
    assert values["grip_force_source"] == "finger_effort"
    _, body = split(values)
    assert BodyConfig(**body).grip_force_source == "finger_effort"
