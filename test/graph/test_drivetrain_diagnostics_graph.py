"""The body node as a separate process with a budget planetary plant: per-joint figures on
/diagnostics (tracking error, compensation state, estimates in use), the plant and the tool
path error on /sim/ground_truth, and a refused sim_drivetrain that stops the node cleanly."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import rclpy
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus  # noqa: E402
from std_msgs.msg import String  # noqa: E402
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint  # noqa: E402
from builtin_interfaces.msg import Duration  # noqa: E402

from brainbody.body.body_config import BodyConfig  # noqa: E402
from brainbody.body.robot_model import ARM_JOINTS  # noqa: E402
from brainbody.ros.body_node import LATCHED  # noqa: E402

from polling import spin_in_thread, stop_processes, wait_for, stop_spinning  # noqa: E402

pytestmark = pytest.mark.graph

BUDGET_X7 = "[" + ",".join(["budget_planetary"] * 7) + "]"
WARN_RAD = 5e-5   # far below the default: a short move must cross it
MOTION_KEYS = {"link_setpoint_rad", "link_estimate_rad", "link_tracking_error_rad", "motor_setpoint_rad",
               "motor_error_rad", "velocity_radps", "transmitted_torque_estimate_nm", "backlash_side",
               "backlash_offset_arcmin", "twist_offset_arcmin"}
SWITCH_KEYS = {f"compensation_{name}" for name in ("gravity", "inertia", "friction", "backlash", "compliance")}
ESTIMATE_KEYS = {"estimate_set", "estimate_backlash_arcmin", "estimate_coulomb_nm", "estimate_static_nm",
                 "estimate_viscous_nms_per_rad", "estimate_stiffness_k1_nm_per_rad",
                 "estimate_reflected_inertia_kgm2"}


class Watcher:
    def __init__(self):
        self.node = rclpy.create_node("drivetrain_graph_test")
        self.diagnostics: list[DiagnosticArray] = []
        self.truth: list[dict] = []
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 50)
        self.node.create_subscription(String, "/sim/ground_truth", lambda m: self.truth.append(json.loads(m.data)),
                                      LATCHED)
        self.trajectory = self.node.create_publisher(JointTrajectory, "/body/joint_trajectory", 10)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self._thread = spin_in_thread(self.executor)

    def wait_for(self, predicate, timeout_s: float = 30.0) -> bool:
        return wait_for(predicate, timeout_s)


def joint_statuses(msg: DiagnosticArray) -> dict[str, DiagnosticStatus]:
    return {s.name: s for s in msg.status if s.name.startswith("body/joint/")}


@pytest.fixture(scope="module")
def watcher():
    args = ["--ros-args", "-p", "seed:=3", "-p", "realtime_factor:=0.0", "-p", "diagnostics_rate_hz:=10.0",
            "-p", f"joint_tracking_warn_rad:={WARN_RAD}", "-p", f"sim_drivetrain:={BUDGET_X7}",
            "-p", f"drivetrain_estimates:={BUDGET_X7}", "-p", "backlash_compensation:=false"]
    proc = subprocess.Popen([sys.executable, "-m", "brainbody.ros.body_node", *args], env=os.environ.copy())
    rclpy.init()
    w = Watcher()
    try:
        assert w.wait_for(lambda: w.diagnostics and w.truth), "body_node published no diagnostics"
        yield w
    finally:
        stop_spinning(w.executor, w._thread)
        rclpy.try_shutdown()
        stop_processes([proc])


def test_one_status_per_arm_joint_with_the_figures_and_estimates(watcher):
    statuses = joint_statuses(watcher.diagnostics[-1])
    assert sorted(statuses) == sorted(f"body/joint/{name}" for name in ARM_JOINTS)
    for name in ARM_JOINTS:
        status = statuses[f"body/joint/{name}"]
        assert status.hardware_id == name
        values = {kv.key: kv.value for kv in status.values}
        assert MOTION_KEYS | SWITCH_KEYS | ESTIMATE_KEYS <= set(values), sorted(values)
        # The budget plant has no link encoder: no figure is made up for one.
        assert "link_encoder_error_rad" not in values
        for key in MOTION_KEYS | ESTIMATE_KEYS - {"estimate_set"}:
            assert np.isfinite(float(values[key])), (key, values[key])
        assert values["estimate_set"] == "budget_planetary"
        assert float(values["estimate_backlash_arcmin"]) == pytest.approx(19.0)
        # Error = set-point - estimate, as published.
        assert float(values["link_tracking_error_rad"]) == pytest.approx(
            float(values["link_setpoint_rad"]) - float(values["link_estimate_rad"]), abs=2e-6)


def test_compensation_state_follows_the_parameters(watcher):
    defaults = BodyConfig()
    for status in joint_statuses(watcher.diagnostics[-1]).values():
        values = {kv.key: kv.value for kv in status.values}
        assert values["compensation_backlash"] == "false"      # switched off at start-up
        assert values["compensation_gravity"] == str(defaults.gravity_feedforward).lower() == "true"
        assert values["compensation_friction"] == values["compensation_compliance"] == "true"
        assert float(values["backlash_offset_arcmin"]) == 0.0  # off: no offset applied
        assert "compensated" in status.message and "backlash" not in status.message.split(";")[1]


def test_motion_raises_warn_and_the_path_error_is_judged_from_ground_truth(watcher):
    truth = watcher.truth[-1]
    assert truth["sim_drivetrain"] == ["budget_planetary"] * 7
    samples_before = truth["path_error_samples"]
    statuses = joint_statuses(watcher.diagnostics[-1])
    setpoint = np.array([float({kv.key: kv.value for kv in statuses[f"body/joint/{n}"].values}["link_setpoint_rad"])
                         for n in ARM_JOINTS])
    goal = setpoint + [0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    msg = JointTrajectory(joint_names=list(ARM_JOINTS),
                          points=[JointTrajectoryPoint(positions=goal.tolist(), time_from_start=Duration(sec=1))])
    seen = len(watcher.diagnostics)
    watcher.trajectory.publish(msg)
    assert watcher.wait_for(lambda: watcher.truth[-1]["path_error_samples"] > samples_before + 50), \
        "no path error samples while moving"

    def warned():
        return any(joint_statuses(d)["body/joint/panda_joint1"].level == DiagnosticStatus.WARN
                   for d in watcher.diagnostics[seen:])
    assert watcher.wait_for(warned, 10.0), "joint 1 never reported its tracking error above the threshold"
    warn = next(joint_statuses(d)["body/joint/panda_joint1"] for d in watcher.diagnostics[seen:]
                if joint_statuses(d)["body/joint/panda_joint1"].level == DiagnosticStatus.WARN)
    assert "above" in warn.message
    error = float({kv.key: kv.value for kv in warn.values}["link_tracking_error_rad"])
    assert abs(error) > WARN_RAD
    truth = watcher.truth[-1]
    # The tool swings ~25 cm; the true TCP follows the command to within a centimetre.
    assert 0.0 < truth["path_error_rms_m"] <= truth["path_error_max_m"] < 0.01


def test_unknown_sim_drivetrain_stops_the_node_with_a_clear_message():
    bad = "[" + ",".join(["budget"] + ["harmonic"] * 6) + "]"
    proc = subprocess.run([sys.executable, "-m", "brainbody.ros.body_node", "--ros-args",
                           "-p", f"sim_drivetrain:={bad}"], capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "sim_drivetrain: unknown profile 'budget' (joint 1)" in proc.stderr
    assert "budget_planetary" in proc.stderr and "Traceback" not in proc.stderr
