"""Static checks of launch/brainbody_sim.launch.py and docker/Dockerfile.

``launch`` and ``launch_ros`` are not installable here (no ROS distribution), so the launch
file is checked by reading it (ast) and by running ``generate_launch_description`` against
small stand-ins that record what it builds. The Docker image cannot be built on the
development machines (no Docker engine); its COPY sources and launch target are checked.
"""
import ast
import dataclasses
import fnmatch
import importlib.util
import os
import re
import shlex
import sys
import types

import pathlib
import pytest
import yaml

from brainbody.body.body_config import BodyConfig
from brainbody.brain.brain_config import BrainConfig
from brainbody.node_params import BodyNodeConfig, IntentNodeConfig, SimNodeConfig

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


# -- the launch file, run against stand-ins ------------------------------------------------

class Recorded:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class Substitution(Recorded):
    pass


@pytest.fixture(scope="module")
def description():
    return run_launch(LAUNCH)


def run_launch(path):
    """Run generate_launch_description() of ``path`` with recording stand-ins for launch/launch_ros."""
    fakes = {
        "launch": types.ModuleType("launch"),
        "launch.actions": types.ModuleType("launch.actions"),
        "launch.substitutions": types.ModuleType("launch.substitutions"),
        "launch_ros": types.ModuleType("launch_ros"),
        "launch_ros.actions": types.ModuleType("launch_ros.actions"),
        "launch_ros.parameter_descriptions": types.ModuleType("launch_ros.parameter_descriptions"),
        "ament_index_python": types.ModuleType("ament_index_python"),
        "ament_index_python.packages": types.ModuleType("ament_index_python.packages"),
    }
    fakes["launch"].LaunchDescription = type("LaunchDescription", (Recorded,), {})
    fakes["launch.actions"].DeclareLaunchArgument = type("DeclareLaunchArgument", (Recorded,), {})
    fakes["launch.actions"].IncludeLaunchDescription = type("IncludeLaunchDescription", (Recorded,), {})
    fakes["launch.actions"].SetEnvironmentVariable = type("SetEnvironmentVariable", (Recorded,), {})
    fakes["launch.substitutions"].LaunchConfiguration = type("LaunchConfiguration", (Substitution,), {})
    fakes["launch_ros.actions"].Node = type("Node", (Recorded,), {})
    fakes["launch_ros.parameter_descriptions"].ParameterValue = type("ParameterValue", (Recorded,), {})
    share = ROOT / "_share_"

    def get_package_share_directory(package):
        assert package == setup_info()[0], f"unknown package {package!r}"
        return str(share)

    fakes["ament_index_python.packages"].get_package_share_directory = get_package_share_directory
    saved = {name: sys.modules.get(name) for name in fakes}
    sys.modules.update(fakes)
    try:
        spec = importlib.util.spec_from_file_location(path.stem.replace(".", "_"), path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = module.generate_launch_description()
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    assert type(result).__name__ == "LaunchDescription"
    entities = result.args[0] if result.args else result.kwargs["initial_entities"]
    return {"share": share, "entities": list(entities)}


def nodes(description):
    return [e for e in description["entities"] if type(e).__name__ == "Node"]


def arguments(description):
    return {e.kwargs.get("name", e.args[0] if e.args else None): e.kwargs
            for e in description["entities"] if type(e).__name__ == "DeclareLaunchArgument"}


def share_relative(description, path):
    return pathlib.Path(path).relative_to(description["share"]).as_posix()


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


def test_every_file_the_launch_names_exists():
    for node in ast.walk(ast.parse(LAUNCH.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and re.fullmatch(r"[\w./-]+\.(yaml|urdf|xml)", node.value):
            candidates = [ROOT / "config" / node.value, ROOT / "urdf" / node.value, ROOT / node.value]
            assert any(c.is_file() for c in candidates), node.value


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


def _override_names(node) -> set:
    names = set()
    for entry in node.kwargs.get("parameters", []):
        if isinstance(entry, dict):
            names |= set(entry)
    return names


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_every_launch_file_starts_installed_nodes_with_declared_parameters(path):
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
    assert installed("launch/" + path.name), f"setup.py does not install {path.name}"
    described = run_launch(path)
    _, scripts, _ = setup_info()
    started = nodes(described)
    assert started, f"{path.name} starts no node"
    declared_args = set(arguments(described))
    for node in started:
        kwargs = node.kwargs
        assert kwargs["executable"] in scripts, f"{kwargs['executable']} is not a console_script"
        unknown = _override_names(node) - node_parameters(kwargs["name"])
        assert not unknown, f"{path.name}: {kwargs['name']} does not declare {sorted(unknown)}"
        for entry in kwargs.get("parameters", []):
            if isinstance(entry, str):
                assert (ROOT / share_relative(described, entry)).is_file(), entry
        # Every launch argument a node uses is declared.
        for entry in kwargs.get("parameters", []):
            if isinstance(entry, dict):
                for value in entry.values():
                    config = value.args[0] if type(value).__name__ == "ParameterValue" else value
                    if type(config).__name__ == "LaunchConfiguration":
                        assert config.args[0] in declared_args, f"{path.name}: undeclared argument {config.args[0]}"


def test_the_mujoco_process_launch_runs_the_body_on_ros2_control():
    described = run_launch(ROOT / "launch" / "brainbody_mujoco_process.launch.py")
    started = {n.kwargs["name"]: n.kwargs for n in nodes(described)}
    assert set(started) == {"sim_node", "body_node", "intent_node"}
    body = next(e for e in started["body_node"]["parameters"] if isinstance(e, dict))
    sim = next(e for e in started["sim_node"]["parameters"] if isinstance(e, dict))
    assert body["backend"] == "ros2_control" and sim["profile"] == "ros2_control"
