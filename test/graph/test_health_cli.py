"""`brainbody health` against a body node running as its own process: the report names every
arm joint with its motor temperatures, and the trends are saved as PNG plots; with no body on
the graph it says so and exits 3."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest


from brainbody.body.robot_model import ARM_JOINTS  # noqa: E402

from polling import stop_processes  # noqa: E402

pytestmark = pytest.mark.graph

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_report_and_the_plots_of_a_running_body(tmp_path):
    body = subprocess.Popen([sys.executable, "-m", "brainbody.ros.body_node", "--ros-args",
                             "-p", "diagnostics_rate_hz:=10.0"], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc = subprocess.run([sys.executable, "-m", "brainbody.cli", "health", "--duration", "2",
                               "--timeout", "60", "--out", str(tmp_path / "plots")],
                              capture_output=True, text=True, timeout=120, env=os.environ.copy())
    finally:
        stop_processes([body])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("body health: ")
    for name in ARM_JOINTS:
        line = next(i for i, text in enumerate(lines) if f"body/joint/{name}:" in text)
        assert lines[line].split()[0] in ("OK", "WARN")
        assert "winding" in lines[line + 1] and " C;" in lines[line + 1]
    files = sorted((tmp_path / "plots").glob("*.png"))
    assert {"winding_temperature_c.png", "magnet_temperature_c.png"} <= {f.name for f in files}
    assert all(f.read_bytes().startswith(PNG) for f in files)
    assert "Traceback" not in proc.stderr


def test_no_body_on_the_graph_is_said_in_one_line():
    env = dict(os.environ, ROS_DOMAIN_ID=str((int(os.environ.get("ROS_DOMAIN_ID", "0")) + 31) % 200 + 1))
    proc = subprocess.run([sys.executable, "-m", "brainbody.cli", "health", "--timeout", "1"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 3
    assert "nothing on /diagnostics within 1 s: is a body running" in proc.stderr
    assert "Traceback" not in proc.stderr
