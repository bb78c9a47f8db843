"""Static checks of every launch file in launch/ and of docker/Dockerfile.

``launch``, ``launch_ros``, Gazebo and ros2_control are not installable here (no ROS
distribution), so each launch file is checked by reading it (ast) and by running
``generate_launch_description`` (and its OpaqueFunctions and event handlers) against small
stand-ins that record what it builds, with the package's share directory installed into a
temporary directory from setup.py's data_files. What they assert: the file compiles and is
installed; every executable is a console_script of brainbody or a listed executable of a ROS
package; every parameter it sets is declared by the node's config dataclasses and its values
are ones those dataclasses accept; every parameter file, URDF, SDF and YAML it names exists
and is installed; the Gazebo ones bridge, spawn and command the topics brainbody.topic_layout
resolves. The Docker image cannot be built on the development machines (no Docker engine);
its COPY sources and launch target are checked.
"""
import ast
import atexit
import dataclasses
import fnmatch
import functools
import importlib.util
import os
import re
import shlex
import shutil
import sys
import tempfile
import types
import xml.etree.ElementTree as ET

import pathlib
import pytest
import yaml

from brainbody.body.body_config import BodyConfig
from brainbody.brain.brain_config import BrainConfig
from brainbody.node_params import BodyNodeConfig, IntentNodeConfig, SimNodeConfig
from brainbody.topic_layout import PROFILE_MODES

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAUNCH = ROOT / "launch" / "brainbody_sim.launch.py"
SETUP = ROOT / "src" / "brainbody" / "setup.py"
DOCKERFILE = ROOT / "docker" / "Dockerfile"


# -- setup.py, read statically ---------------------------------------------------------------

def setup_info():
    """Package name, console_scripts {name: module} and data_files globs {folder: pattern}."""
    tree = ast.parse(SETUP.read_text(encoding="utf-8"))
    name = scripts = None
    globs = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "package_name" for t in node.targets):
            name = node.value.value
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "console_scripts":
                    scripts = {}
                    for item in value.elts:
                        script, target = (s.strip() for s in item.value.split("="))
                        scripts[script] = target.split(":")
        if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "top_files"
                and all(isinstance(a, ast.Constant) for a in node.args)):
            folder, pattern = (a.value for a in node.args)
            globs.setdefault(folder, []).append(pattern)
    assert name and scripts and globs, "could not read setup.py"
    return name, scripts, globs


def installed(relative):
    """Whether setup.py's data_files install ``relative`` (e.g. ``config/body.yaml``)."""
    folder, _, filename = relative.partition("/")
    return any(fnmatch.fnmatch(filename, p) for p in setup_info()[2].get(folder, []))


# What each node declares: its node config plus the core config (BodyConfig, BrainConfig).
NODE_CONFIGS = {"body_node": (BodyNodeConfig, BodyConfig), "intent_node": (IntentNodeConfig, BrainConfig),
                "sim_node": (SimNodeConfig,)}


def node_parameters(node_name):
    names = {"use_sim_time"}
    for cls in NODE_CONFIGS[node_name]:
        names |= {f.name for f in dataclasses.fields(cls)}
    return names


# -- the launch files, run against stand-ins ------------------------------------------------
# Packages of a ROS install the launch files may look up, and the executables and launch files
# of theirs they may start (anything else is a typo or a dependency the README does not name).
EXTERNAL_PACKAGES = {"ros_gz_sim", "ros_gz_bridge", "robot_state_publisher", "controller_manager"}
EXTERNAL_EXECUTABLES = {("ros_gz_sim", "create"), ("ros_gz_bridge", "parameter_bridge"),
                        ("robot_state_publisher", "robot_state_publisher"), ("controller_manager", "spawner")}
# ros_gz_sim's gz_sim.launch.py and the arguments it declares (Jazzy and Kilted).
EXTERNAL_LAUNCH_FILES = {("ros_gz_sim", "gz_sim.launch.py"): {"gz_args", "gz_version", "on_exit_shutdown",
                                                              "debugger", "ign_args", "ign_version"}}


class Recorded:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class Substitution(Recorded):
    pass


class LaunchConfigurationStandIn(Substitution):
    def perform(self, context):
        return context.launch_configurations[self.args[0]]


class Context:
    def __init__(self, launch_configurations):
        self.launch_configurations = dict(launch_configurations)


@functools.lru_cache(maxsize=None)
def install_tree() -> pathlib.Path:
    """share/ as colcon would install it from setup.py's data_files, in a temporary directory:
    a launch file finds a file only if setup.py installs it."""
    base = pathlib.Path(tempfile.mkdtemp(prefix="brainbody_share_"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    package, _, globs = setup_info()
    share = base / package
    for folder, patterns in globs.items():
        for pattern in patterns:
            for source in (ROOT / folder).glob(pattern):
                (share / folder).mkdir(parents=True, exist_ok=True)
                shutil.copy(source, share / folder / source.name)
    for name in EXTERNAL_PACKAGES:
        (base / "_external_" / name).mkdir(parents=True, exist_ok=True)
    return share


@pytest.fixture(scope="module")
def description():
    return run_launch(LAUNCH)


def _fakes():
    names = ["launch", "launch.actions", "launch.substitutions", "launch.event_handlers",
             "launch.launch_description_sources", "launch_ros", "launch_ros.actions",
             "launch_ros.parameter_descriptions", "ament_index_python", "ament_index_python.packages"]
    fakes = {name: types.ModuleType(name) for name in names}
    fakes["launch"].LaunchDescription = type("LaunchDescription", (Recorded,), {})
    for name in ("DeclareLaunchArgument", "IncludeLaunchDescription", "SetEnvironmentVariable", "OpaqueFunction",
                 "RegisterEventHandler"):
        setattr(fakes["launch.actions"], name, type(name, (Recorded,), {}))
    fakes["launch.event_handlers"].OnProcessExit = type("OnProcessExit", (Recorded,), {})
    fakes["launch.launch_description_sources"].PythonLaunchDescriptionSource = type(
        "PythonLaunchDescriptionSource", (Recorded,), {})
    fakes["launch.substitutions"].LaunchConfiguration = type("LaunchConfiguration", (LaunchConfigurationStandIn,), {})
    fakes["launch_ros.actions"].Node = type("Node", (Recorded,), {})
    fakes["launch_ros.parameter_descriptions"].ParameterValue = type("ParameterValue", (Recorded,), {})
    share = install_tree()

    def get_package_share_directory(package):
        if package == setup_info()[0]:
            return str(share)
        assert package in EXTERNAL_PACKAGES, f"unknown package {package!r}"
        return str(share.parent / "_external_" / package)

    fakes["ament_index_python.packages"].get_package_share_directory = get_package_share_directory
    return fakes


def run_launch(path, **overrides):
    """Run generate_launch_description() of ``path`` with recording stand-ins for launch/launch_ros.

    OpaqueFunctions run with the declared defaults updated by ``overrides``. Returns
    ``share`` (the install tree), ``entities`` (everything started, including what the event
    handlers start), ``handlers`` ((target, [started on its exit]) pairs) and ``arguments``
    ({name: default} after the overrides).
    """
    fakes = _fakes()
    saved = {name: sys.modules.get(name) for name in fakes}
    sys.modules.update(fakes)
    try:
        spec = importlib.util.spec_from_file_location(path.stem.replace(".", "_"), path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = module.generate_launch_description()
        assert type(result).__name__ == "LaunchDescription"
        top = list(result.args[0] if result.args else result.kwargs["initial_entities"])
        declared = {e.args[0] if e.args else e.kwargs["name"]: e.kwargs.get("default_value")
                    for e in top if type(e).__name__ == "DeclareLaunchArgument"}
        unknown = set(overrides) - set(declared)
        assert not unknown, f"{path.name} declares no argument {sorted(unknown)}"
        values = {**declared, **overrides}
        context = Context(values)
        entities, handlers = [], []

        def expand(items):
            for entity in items:
                kind = type(entity).__name__
                if kind == "OpaqueFunction":
                    expand(entity.kwargs["function"](context))
                elif kind == "RegisterEventHandler":
                    handler = entity.args[0] if entity.args else entity.kwargs["event_handler"]
                    assert type(handler).__name__ == "OnProcessExit"
                    on_exit = list(handler.kwargs["on_exit"])
                    handlers.append((handler.kwargs["target_action"], on_exit))
                    expand(on_exit)
                else:
                    entities.append(entity)

        expand(top)
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    return {"share": install_tree(), "entities": entities, "handlers": handlers, "arguments": values,
            "module": module}


def nodes(description):
    return [e for e in description["entities"] if type(e).__name__ == "Node"]


def node(description, name):
    found = [n for n in nodes(description) if n.kwargs.get("name") == name]
    assert len(found) == 1, f"expected one node named {name}, found {len(found)}"
    return found[0]


def arguments(description):
    return {e.kwargs.get("name", e.args[0] if e.args else None): e.kwargs
            for e in description["entities"] if type(e).__name__ == "DeclareLaunchArgument"}


def resolve(value, values):
    """A parameter value as the node would receive it, with the launch arguments ``values``."""
    kind = type(value).__name__
    if kind == "LaunchConfiguration":
        return values[value.args[0]]
    if kind == "ParameterValue":
        text = resolve(value.args[0], values)
        value_type = value.kwargs.get("value_type")
        if value_type is bool:
            assert text in ("true", "false", "True", "False"), f"not a bool: {text!r}"
            return text in ("true", "True")
        if value_type in (int, float):
            return value_type(text)
        if value_type is str or value_type is None:
            return text
        parsed = yaml.safe_load(text)       # List[str] and friends: launch_ros reads YAML
        assert isinstance(parsed, list), f"not a list: {text!r}"
        return parsed
    return value


def overrides(node_entity, values) -> dict:
    """The resolved parameter overrides (dict entries) of a Node."""
    merged = {}
    for entry in node_entity.kwargs.get("parameters", []):
        if isinstance(entry, dict):
            merged.update({k: resolve(v, values) for k, v in entry.items()})
    return merged


def parameter_files(node_entity, values) -> list:
    return [resolve(p, values) for p in node_entity.kwargs.get("parameters", []) if not isinstance(p, dict)]


def share_relative(description, path):
    return pathlib.Path(path).relative_to(description["share"]).as_posix()


def build_configs(name, params) -> list:
    """Construct the node's config dataclasses from ``params`` (lists as tuples): the values
    the launch file gives must be ones the node accepts."""
    built = []
    for cls in NODE_CONFIGS[name]:
        fields = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items() if k in fields}
        built.append(cls(**kwargs))
    return built


# -- launch/brainbody_sim.launch.py ------------------------------------------------------

def test_launch_file_compiles_and_defines_generate_launch_description():
    source = LAUNCH.read_text(encoding="utf-8")
    compile(source, str(LAUNCH), "exec")
    functions = {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    assert "generate_launch_description" in functions
    assert installed("launch/" + LAUNCH.name), "setup.py does not install the launch file"


def test_launch_starts_body_and_intent_nodes_from_console_scripts(description):
    package, scripts, _ = setup_info()
    started = {n.kwargs["name"]: n.kwargs for n in nodes(description)}
    assert set(started) == {"body_node", "intent_node"}
    for name, kwargs in started.items():
        assert kwargs["package"] == package
        assert kwargs["executable"] in scripts, f"{kwargs['executable']} is not a console_script"
        module, function = scripts[kwargs["executable"]]
        path = ROOT / "src" / "brainbody" / (module.replace(".", "/") + ".py")
        assert path.is_file(), path
        assert function in {n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)}


def test_launch_arguments_and_their_defaults(description):
    args = arguments(description)
    assert args["use_sim_time"]["default_value"] == "true"
    assert args["seed"]["default_value"] == "0"
    assert float(args["realtime_factor"]["default_value"]) == 1.0
    assert all(kwargs.get("description") for kwargs in args.values())


def test_parameter_files_exist_are_installed_and_have_the_node_block(description):
    for node in nodes(description):
        name = node.kwargs["name"]
        files = [p for p in node.kwargs["parameters"] if isinstance(p, str)]
        assert files, f"{name} gets no parameter file"
        for path in files:
            relative = share_relative(description, path)
            assert (ROOT / relative).is_file(), f"{relative} does not exist in the repository"
            assert installed(relative), f"setup.py does not install {relative}"
            document = yaml.safe_load((ROOT / relative).read_text())
            assert isinstance(document.get(name, {}).get("ros__parameters"), dict), \
                f"{relative} has no '{name}: ros__parameters:' block"
            unknown = set(document[name]["ros__parameters"]) - node_parameters(name)
            assert not unknown, f"{relative} sets parameters {name} does not declare: {sorted(unknown)}"


def test_overrides_are_declared_by_the_nodes_and_wired_to_the_arguments(description):
    args = arguments(description)
    for node in nodes(description):
        name = node.kwargs["name"]
        overrides = {}
        for entry in node.kwargs["parameters"]:
            if isinstance(entry, dict):
                overrides.update(entry)
        assert "use_sim_time" in overrides, f"{name} ignores use_sim_time"
        unknown = set(overrides) - node_parameters(name)
        assert not unknown, f"launch sets parameters {name} does not declare: {sorted(unknown)}"
        for key, value in overrides.items():
            configuration = value.args[0] if type(value).__name__ == "ParameterValue" else value
            if type(configuration).__name__ == "LaunchConfiguration":
                assert configuration.args[0] in args, f"{key} reads an undeclared launch argument"
    body = next(n for n in nodes(description) if n.kwargs["name"] == "body_node")
    body_overrides = {k for e in body.kwargs["parameters"] if isinstance(e, dict) for k in e}
    assert {"seed", "realtime_factor"} <= body_overrides


def test_drivetrain_arguments_are_string_lists_of_known_names(description):
    from typing import List

    from brainbody.body.drivetrain_estimates import load_estimates
    from brainbody.sim.drivetrain import profile_names
    args = arguments(description)
    body = next(n for n in nodes(description) if n.kwargs["name"] == "body_node")
    overrides = {k: v for e in body.kwargs["parameters"] if isinstance(e, dict) for k, v in e.items()}
    for name in ("sim_drivetrain", "drivetrain_estimates"):
        value = overrides[name]
        assert type(value).__name__ == "ParameterValue" and value.kwargs["value_type"] == List[str], name
        assert value.args[0].args[0] == name
        # launch_ros reads a List[str] argument as YAML: the default must be 7 known names.
        default = yaml.safe_load(args[name]["default_value"])
        assert isinstance(default, list) and len(default) == 7 and all(isinstance(v, str) for v in default)
        if name == "sim_drivetrain":
            assert set(default) <= set(profile_names())
            BodyNodeConfig(sim_drivetrain=tuple(default))
        else:
            load_estimates(tuple(default))


# -- docker/Dockerfile -------------------------------------------------------------------

def dockerfile_instructions():
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            yield keyword.upper(), rest.strip()


def test_dockerfile_builds_on_jazzy_and_copies_existing_paths():
    instructions = list(dockerfile_instructions())
    assert instructions[0][0] in ("FROM", "ARG")
    assert any(k == "FROM" and re.match(r"ros:(jazzy|kilted|rolling)", v) for k, v in instructions)
    copies = [shlex.split(v) for k, v in instructions if k == "COPY"]
    assert copies
    for args in copies:
        sources = [a for a in args[:-1] if not a.startswith("--")]
        for source in sources:      # relative to the build context, the repository root
            assert (ROOT / source).exists(), f"COPY source {source} does not exist"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv/", "build/", "install/", "log/"} <= set(ignored)


def test_dockerfile_pins_the_same_mujoco_and_launches_the_installed_launch_file():
    text = DOCKERFILE.read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([\w-]+)==([\w.]+)", (ROOT / "requirements" / "common.txt").read_text(), re.M))
    assert f"mujoco=={pins['mujoco']}" in text
    commands = [v for k, v in dockerfile_instructions() if k in ("CMD", "ENTRYPOINT")]
    cmd = next(v for k, v in dockerfile_instructions() if k == "CMD")
    words = ast.literal_eval(cmd) if cmd.startswith("[") else shlex.split(cmd)
    assert words[:2] == ["ros2", "launch"]
    assert words[2] == setup_info()[0]
    assert (ROOT / "launch" / words[3]).is_file() and installed("launch/" + words[3])
    assert "colcon build" in text
    assert any("entrypoint" in c for c in commands)


def test_docker_readme_says_it_was_not_built():
    text = (ROOT / "docker" / "README.md").read_text(encoding="utf-8").lower()
    assert "never built" in text and "statically" in text


# -- every launch file: the same static checks ----------------------------------------------
LAUNCH_FILES = sorted((ROOT / "launch").glob("*.launch.py"))
# The launch files issue 8 asks for; a missing one fails here (the glob alone would not notice).
EXPECTED_LAUNCH_FILES = {"brainbody_sim.launch.py", "brainbody_mujoco_process.launch.py",
                         "brainbody_gazebo.launch.py", "brainbody_gazebo_ros2_control.launch.py",
                         "brainbody_hardware.launch.py", "brainbody_body.launch.py", "brainbody_brain.launch.py"}
NAMED_FILE = re.compile(r"[\w./-]+\.(yaml|urdf|sdf|xml)")


def test_the_expected_launch_files_exist():
    assert EXPECTED_LAUNCH_FILES <= {p.name for p in LAUNCH_FILES}, \
        sorted(EXPECTED_LAUNCH_FILES - {p.name for p in LAUNCH_FILES})


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_every_launch_file_compiles_is_installed_and_documents_its_arguments(path):
    source = path.read_text(encoding="utf-8")
    compile(source, str(path), "exec")
    assert "generate_launch_description" in {n.name for n in ast.parse(source).body
                                              if isinstance(n, ast.FunctionDef)}
    assert installed("launch/" + path.name), f"setup.py does not install {path.name}"
    assert ast.get_docstring(ast.parse(source)), f"{path.name} has no docstring saying how to run it"
    described = run_launch(path)
    for name, kwargs in arguments(described).items():
        assert kwargs.get("description"), f"{path.name}: argument {name} has no description"
        assert "default_value" in kwargs, f"{path.name}: argument {name} has no default"


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_every_launch_file_starts_known_executables(path):
    package, scripts, _ = setup_info()
    described = run_launch(path)
    started = nodes(described)
    assert any(n.kwargs["package"] == package for n in started), f"{path.name} starts no brainbody node"
    for entity in started:
        kwargs = entity.kwargs
        if kwargs["package"] == package:
            assert kwargs["executable"] in scripts, f"{kwargs['executable']} is not a console_script"
            module, function = scripts[kwargs["executable"]]
            source = ROOT / "src" / "brainbody" / (module.replace(".", "/") + ".py")
            assert source.is_file(), source
            assert function in {n.name for n in ast.parse(source.read_text()).body if isinstance(n, ast.FunctionDef)}
            assert kwargs["name"] == kwargs["executable"], "the node name is the one its parameter file uses"
        else:
            assert (kwargs["package"], kwargs["executable"]) in EXTERNAL_EXECUTABLES, \
                f"{path.name}: unknown executable {kwargs['package']} {kwargs['executable']}"
    for entity in described["entities"]:
        if type(entity).__name__ == "IncludeLaunchDescription":
            source = entity.args[0] if entity.args else entity.kwargs["launch_description_source"]
            included = pathlib.Path(source.args[0])
            key = (included.parent.parent.name, included.name)
            assert key in EXTERNAL_LAUNCH_FILES, f"{path.name} includes unknown {included}"
            given = dict(entity.kwargs.get("launch_arguments", ()))
            assert set(given) <= EXTERNAL_LAUNCH_FILES[key], f"{included.name} declares no {set(given)}"


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_every_launch_file_sets_only_declared_parameters_with_accepted_values(path):
    described = run_launch(path)
    values = described["arguments"]
    for entity in nodes(described):
        name = entity.kwargs["name"]
        if name not in NODE_CONFIGS:
            continue
        for entry in entity.kwargs.get("parameters", []):      # every argument a node uses is declared
            for value in (entry.values() if isinstance(entry, dict) else [entry]):
                config = value.args[0] if type(value).__name__ == "ParameterValue" else value
                if type(config).__name__ == "LaunchConfiguration":
                    assert config.args[0] in values, f"{path.name}: undeclared argument {config.args[0]}"
        params = overrides(entity, values)
        unknown = set(params) - node_parameters(name)
        assert not unknown, f"{path.name}: {name} does not declare {sorted(unknown)}"
        if name != "sim_node":
            assert "use_sim_time" in params, f"{path.name}: {name} ignores use_sim_time"
        build_configs(name, params)          # raises if the node would refuse the values


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_every_parameter_file_exists_is_installed_and_has_the_node_block(path):
    described = run_launch(path)
    for entity in nodes(described):
        name = entity.kwargs["name"]
        if name not in NODE_CONFIGS:
            continue
        for file in parameter_files(entity, described["arguments"]):
            relative = share_relative(described, file)
            assert (ROOT / relative).is_file(), f"{relative} does not exist in the repository"
            assert installed(relative) and pathlib.Path(file).is_file(), f"setup.py does not install {relative}"
            document = yaml.safe_load((ROOT / relative).read_text())
            block = document.get(name, {}).get("ros__parameters")
            assert isinstance(block, dict), f"{relative} has no '{name}: ros__parameters:' block"
            unknown = set(block) - node_parameters(name)
            assert not unknown, f"{relative} sets parameters {name} does not declare: {sorted(unknown)}"


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_every_file_a_launch_file_names_exists_and_is_installed(path):
    named = [n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant)
             and isinstance(n.value, str) and NAMED_FILE.fullmatch(n.value)]
    for value in named:
        candidates = [f"{folder}/{value}" for folder in ("config", "urdf", "worlds")] + [value]
        found = [c for c in candidates if (ROOT / c).is_file()]
        assert found, f"{path.name} names {value}, which is not in the repository"
        assert any(installed(c) for c in found), f"{path.name} names {value}, which setup.py does not install"


# -- the MuJoCo process launch ----------------------------------------------------------------
MUJOCO_PROCESS = ROOT / "launch" / "brainbody_mujoco_process.launch.py"


def test_the_mujoco_process_launch_runs_the_body_on_ros2_control_by_default():
    described = run_launch(MUJOCO_PROCESS)
    assert {n.kwargs["name"] for n in nodes(described)} == {"sim_node", "body_node", "intent_node"}
    values = described["arguments"]
    body, sim = overrides(node(described, "body_node"), values), overrides(node(described, "sim_node"), values)
    assert body["backend"] == sim["profile"] == "ros2_control"
    assert body["command_mode"] == sim["command_mode"] == "effort"
    # Empty: effort_controller in effort mode, as the old default said.
    body_config, _ = build_configs("body_node", body)
    assert body_config.topic_layout("effort").arm_command_topic == "/effort_controller/commands"
    assert overrides(node(described, "sim_node"), values)["pacing"] == "lockstep"


@pytest.mark.parametrize("profile,command_mode",
                         [(p, m) for p, modes in PROFILE_MODES.items() for m in modes])
def test_the_mujoco_process_launch_gives_sim_and_body_the_same_profile_and_mode(profile, command_mode):
    described = run_launch(MUJOCO_PROCESS, profile=profile, command_mode=command_mode)
    values = described["arguments"]
    body, sim = overrides(node(described, "body_node"), values), overrides(node(described, "sim_node"), values)
    assert (body["backend"], body["command_mode"]) == (profile, command_mode)
    assert (sim["profile"], sim["command_mode"]) == (profile, command_mode)
    body_node_config, body_config = build_configs("body_node", body)
    (sim_config,) = build_configs("sim_node", sim)
    assert body_config.command_mode == command_mode
    # Both ends resolve the same topics.
    assert body_node_config.topic_layout(command_mode) == sim_config.topic_layout()


# -- hardware, body only, brain only ------------------------------------------------------------

def test_the_hardware_launch_runs_the_body_in_hardware_mode_on_ros2_control_with_the_wall_clock():
    described = run_launch(ROOT / "launch" / "brainbody_hardware.launch.py")
    assert {n.kwargs["name"] for n in nodes(described)} == {"body_node", "intent_node"}
    values = described["arguments"]
    body = overrides(node(described, "body_node"), values)
    assert (body["mode"], body["backend"], body["use_sim_time"]) == ("hardware", "ros2_control", False)
    assert overrides(node(described, "intent_node"), values)["use_sim_time"] is False
    body_node_config, _ = build_configs("body_node", body)
    assert body_node_config.command_joints == BodyNodeConfig().command_joints
    assert body_node_config.joint_states_topic == "/joint_states"


def test_the_hardware_launch_takes_another_controller_and_joint_order():
    joints = [f"j{i}" for i in range(1, 8)] + ["left", "right"]
    described = run_launch(ROOT / "launch" / "brainbody_hardware.launch.py", controller_name="arm_effort",
                           command_joints="[" + ", ".join(reversed(joints)) + "]", command_mode="position")
    body = overrides(node(described, "body_node"), described["arguments"])
    assert body["command_joints"] == list(reversed(joints))
    assert (body["controller_name"], body["command_mode"]) == ("arm_effort", "position")


@pytest.mark.parametrize("backend", ["embedded", "ros2_control", "gz", "topic_based"])
def test_the_body_launch_runs_the_body_alone_on_each_backend(backend):
    described = run_launch(ROOT / "launch" / "brainbody_body.launch.py", backend=backend)
    assert [n.kwargs["name"] for n in nodes(described)] == ["body_node"]
    body = overrides(node(described, "body_node"), described["arguments"])
    assert body["backend"] == backend
    build_configs("body_node", body)


def test_the_brain_launch_runs_the_brain_alone():
    described = run_launch(ROOT / "launch" / "brainbody_brain.launch.py")
    assert [n.kwargs["name"] for n in nodes(described)] == ["intent_node"]
    files = parameter_files(node(described, "intent_node"), described["arguments"])
    assert [share_relative(described, f) for f in files] == ["config/brain.yaml"]


# -- the Gazebo launch files ------------------------------------------------------------------
GAZEBO = ROOT / "launch" / "brainbody_gazebo.launch.py"
GAZEBO_ROS2_CONTROL = ROOT / "launch" / "brainbody_gazebo_ros2_control.launch.py"


def _include(described):
    includes = [e for e in described["entities"] if type(e).__name__ == "IncludeLaunchDescription"]
    assert len(includes) == 1, "one Gazebo include expected"
    source = includes[0].args[0] if includes[0].args else includes[0].kwargs["launch_description_source"]
    return pathlib.Path(source.args[0]), dict(includes[0].kwargs["launch_arguments"])


def _bridge_pairs(entries) -> set:
    return {(e["ros_topic_name"], e["gz_topic_name"], e["ros_type_name"], e["gz_type_name"], e["direction"])
            for e in entries}


def _gz_expected_bridge(gz_world, gz_model) -> set:
    """The topics the body's gz backend speaks in either mode, as bridge entries."""
    config = BodyNodeConfig(backend="gz", gz_world=gz_world, gz_model=gz_model)
    expected = {("/clock", "/clock", "rosgraph_msgs/msg/Clock", "gz.msgs.Clock", "GZ_TO_ROS")}
    for mode in ("effort", "position"):
        layout = config.topic_layout(mode)
        expected.add((layout.state_topic, layout.state_topic, "sensor_msgs/msg/JointState", "gz.msgs.Model",
                      "GZ_TO_ROS"))
        expected |= {(t, layout.gz_joint_command_topics[j], "std_msgs/msg/Float64", "gz.msgs.Double", "ROS_TO_GZ")
                     for j, t in layout.joint_command_topics.items()}
    expected |= {(t, t, "geometry_msgs/msg/WrenchStamped", "gz.msgs.Wrench", "GZ_TO_ROS")
                 for t in config.pad_force_topics}
    return expected


@pytest.mark.parametrize("command_mode", ["effort", "position"])
@pytest.mark.parametrize("names", [("default", "panda"), ("kitchen", "fr3")], ids=["default", "renamed"])
def test_the_gazebo_launch_spawns_the_mode_robot_and_bridges_what_the_body_speaks(command_mode, names):
    gz_world, gz_model = names
    described = run_launch(GAZEBO, command_mode=command_mode, gz_world=gz_world, gz_model=gz_model)
    values = described["arguments"]
    started = {n.kwargs["name"]: n for n in nodes(described)}
    assert set(started) == {"robot_state_publisher", "spawn_panda", "gz_bridge", "body_node", "intent_node"}
    # Gazebo runs the installed world.
    included, launch_args = _include(described)
    assert (included.parent.parent.name, included.name) == ("ros_gz_sim", "gz_sim.launch.py")
    world = pathlib.Path(values["world"])
    assert world.is_file() and share_relative(described, world) == "worlds/brainbody_coffee.sdf"
    assert launch_args["gz_args"].split()[-1] == str(world) and "-r" in launch_args["gz_args"].split()
    # The robot of the command mode, spawned from robot_description under the model name.
    urdf = {"effort": "urdf/panda_gz.urdf", "position": "urdf/panda_gz_position.urdf"}[command_mode]
    state_publisher = overrides(started["robot_state_publisher"], values)
    assert state_publisher["robot_description"] == (ROOT / urdf).read_text(encoding="utf-8")
    assert state_publisher["use_sim_time"] is True
    spawn = started["spawn_panda"].kwargs["arguments"]
    flags = dict(zip(spawn[::2], spawn[1::2]))
    assert flags == {"-world": gz_world, "-name": gz_model, "-topic": "robot_description"}
    # The bridge carries exactly the gz backend's topics for these names.
    bridge_file = pathlib.Path(overrides(started["gz_bridge"], values)["config_file"])
    assert bridge_file.is_file()
    if names == ("default", "panda"):
        assert share_relative(described, bridge_file) == "config/gz_bridge.yaml"
    bridged = _bridge_pairs(yaml.safe_load(bridge_file.read_text()))
    assert bridged == _gz_expected_bridge(gz_world, gz_model)
    # The body on gz with the same names and mode.
    body = overrides(started["body_node"], values)
    assert (body["backend"], body["command_mode"], body["gz_world"], body["gz_model"]) == \
        ("gz", command_mode, gz_world, gz_model)
    body_node_config, _ = build_configs("body_node", body)
    layout = body_node_config.topic_layout(command_mode)
    ros_topics = {entry[0]: entry[4] for entry in bridged}
    assert ros_topics[layout.state_topic] == "GZ_TO_ROS"
    assert all(ros_topics[t] == "ROS_TO_GZ" for t in layout.joint_command_topics.values())
    assert all(ros_topics[t] == "GZ_TO_ROS" for t in body_node_config.pad_force_topics)


def test_the_gazebo_launch_refuses_an_unknown_command_mode():
    with pytest.raises(RuntimeError, match="command_mode"):
        run_launch(GAZEBO, command_mode="velocity")
    with pytest.raises(RuntimeError, match="command_mode"):
        run_launch(GAZEBO_ROS2_CONTROL, command_mode="velocity")


def _controllers_yaml():
    return yaml.safe_load((ROOT / "config" / "controllers.yaml").read_text())


@pytest.mark.parametrize("command_mode", ["effort", "position"])
def test_the_gz_ros2_control_launch_spawns_controllers_in_order_then_the_body(command_mode):
    described = run_launch(GAZEBO_ROS2_CONTROL, command_mode=command_mode)
    values = described["arguments"]
    started = {n.kwargs["name"]: n for n in nodes(described)}
    assert set(started) == {"robot_state_publisher", "spawn_panda", "gz_bridge", "spawn_joint_state_broadcaster",
                            "spawn_controllers", "body_node", "intent_node"}
    # robot_description: the ros2_control URDF with the controllers file resolved to the installed one.
    description_xml = overrides(started["robot_state_publisher"], values)["robot_description"]
    root = ET.fromstring(description_xml)
    plugin = root.find("gazebo/plugin[@name='gz_ros2_control::GazeboSimROS2ControlPlugin']")
    controllers_file = pathlib.Path(plugin.find("parameters").text)
    assert controllers_file.is_file() and share_relative(described, controllers_file) == "config/controllers.yaml"
    source = (ROOT / "urdf" / "panda_gz_ros2_control.urdf").read_text(encoding="utf-8")
    assert description_xml == source.replace("$(find brainbody)", str(described["share"]))
    # Event chain: spawned robot -> joint_state_broadcaster -> the mode's controllers -> body and brain.
    chain = {target.kwargs["name"]: [e.kwargs["name"] for e in on_exit] for target, on_exit in described["handlers"]}
    assert chain == {"spawn_panda": ["spawn_joint_state_broadcaster"],
                     "spawn_joint_state_broadcaster": ["spawn_controllers"],
                     "spawn_controllers": ["body_node", "intent_node"]}

    def spawned(name):
        args = started[name].kwargs["arguments"]
        assert pathlib.Path(args[args.index("--param-file") + 1]) == controllers_file
        return args[:args.index("--param-file")]

    assert spawned("spawn_joint_state_broadcaster") == ["joint_state_broadcaster"]
    controller_names = spawned("spawn_controllers")
    assert set(controller_names) <= set(_controllers_yaml()["controller_manager"]["ros__parameters"])
    # The body commands exactly the controllers that were spawned.
    body = overrides(started["body_node"], values)
    assert (body["backend"], body["command_mode"], body["use_sim_time"]) == ("ros2_control", command_mode, True)
    body_node_config, _ = build_configs("body_node", body)
    layout = body_node_config.topic_layout(command_mode)
    commanded = {layout.arm_command_topic, layout.gripper_command_topic} - {None}
    assert commanded == {f"/{name}/commands" for name in controller_names}


def test_the_gz_ros2_control_launch_bridges_the_clock_and_the_pads_with_the_bridge_yaml_types():
    described = run_launch(GAZEBO_ROS2_CONTROL)
    bridge = node(described, "gz_bridge").kwargs["arguments"]
    known = {e["ros_topic_name"]: (e["ros_type_name"], e["gz_type_name"], e["direction"])
             for e in yaml.safe_load((ROOT / "config" / "gz_bridge.yaml").read_text())}
    bridged = {}
    for argument in bridge:      # topic@ros_type[gz_type: Gazebo to ROS only
        match = re.fullmatch(r"([\w/]+)@([\w/]+)\[([\w.]+)", argument)
        assert match, f"not a GZ_TO_ROS bridge argument: {argument}"
        bridged[match[1]] = (match[2], match[3], "GZ_TO_ROS")
    assert set(bridged) == {"/clock", *BodyNodeConfig().pad_force_topics}
    assert all(bridged[t] == known[t] for t in bridged)


def test_the_gz_ros2_control_launch_uses_the_urdf_with_the_pad_sensors_the_bridge_carries():
    described = run_launch(GAZEBO_ROS2_CONTROL)
    root = ET.fromstring(overrides(node(described, "robot_state_publisher"), described["arguments"])
                         ["robot_description"])
    topics = {s.findtext("topic") for s in root.iter("sensor") if s.get("type") == "force_torque"}
    assert topics == set(BodyNodeConfig().pad_force_topics)
