"""Each supported ROS 2 distribution has its own pins and lock, CI runs a leg for each, and
the interpreter running this suite is the one of the distribution it was set up for."""
import importlib.metadata
import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
REQS = ROOT / "requirements"
# rclpy's major version per distribution (Jazzy 7.x, Kilted 9.x).
RCLPY_MAJOR = {"jazzy": 7, "kilted": 9}


def supported() -> list[str]:
    text = (ROOT / "scripts" / "distro.sh").read_text()
    return re.search(r'^BB_DISTROS="([^"]+)"', text, re.M).group(1).split()


def pins(path: pathlib.Path) -> dict[str, str]:
    found = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(), re.M))
    assert found, f"{path} pins nothing"
    return found


def test_supported_distributions_are_the_tested_ones():
    assert set(supported()) == set(RCLPY_MAJOR)


@pytest.mark.parametrize("distro", sorted(RCLPY_MAJOR))
def test_each_distribution_pins_every_direct_ros_package_exactly(distro):
    text = (REQS / f"{distro}.txt").read_text()
    assert "-r common.txt" in text
    direct = [line for line in text.splitlines() if line.startswith("ros-")]
    assert direct and all("==" in line for line in direct), "every ros-* requirement is pinned"
    prefix = f"ros-{distro}-" if distro == "jazzy" else "ros-"
    assert all(line.startswith(prefix) for line in direct)
    lock = pins(REQS / f"{distro}.lock")
    for name, version in pins(REQS / f"{distro}.txt").items():
        assert lock.get(name) == version, f"{name}=={version} is not what {distro}.lock pins"
    for name, version in pins(REQS / "common.txt").items():
        assert lock.get(name) == version, f"common {name}=={version} differs in {distro}.lock"


def test_ci_runs_make_test_on_every_supported_distribution():
    text = (ROOT / ".ci" / "run").read_text()
    assert "make test" in text
    legs = re.search(r"^for distro in ([\w ]+); do", text, re.M).group(1).split()
    assert legs == supported()


def test_this_suite_runs_on_the_distribution_it_was_set_up_for():
    distro = os.environ.get("ROS_DISTRO", "kilted")
    assert distro in RCLPY_MAJOR
    version = importlib.metadata.version("rclpy")
    assert int(version.split(".")[0]) == RCLPY_MAJOR[distro], f"rclpy {version} on {distro}"


def test_an_unknown_distribution_stops_the_set_up_with_one_line():
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "bootstrap.sh")], capture_output=True, text=True,
                          env={**os.environ, "ROS_DISTRO": "humble"}, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "brainbody: unknown ROS_DISTRO 'humble'; known: kilted, jazzy"
