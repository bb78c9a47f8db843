"""The body's health statuses, built in the core from a running session."""
from brainbody.body.diagnostics import BodyDiagnostics, Level, compensation_label
from brainbody.body.robot_model import ARM_JOINTS
from brainbody.runtime.sim_session import SimSession


def test_one_status_per_joint_then_gripper_and_loop_with_units_in_keys():
    session = SimSession(seed=0)
    session.loop.run_until(lambda: False, max_time_s=0.05)
    statuses = BodyDiagnostics(session.body, joint_tracking_warn_rad=0.005).statuses(session.loop.timing)
    assert [s.name for s in statuses] == [f"body/joint/{n}" for n in ARM_JOINTS] + ["body/gripper", "body/commands",
                                                                                   "body/monitor", "body/control_loop"]
    joint = dict(statuses[0].values)
    assert {"link_tracking_error_rad", "backlash_offset_arcmin", "compensation_backlash"} <= set(joint)
    loop = dict(statuses[-1].values)
    assert float(loop["period_p50_ms"]) == 1.0
    assert all(s.level is Level.OK for s in statuses)


def test_a_joint_beyond_the_warn_threshold_is_warn():
    session = SimSession(seed=0)
    session.loop.run_until(lambda: False, max_time_s=0.01)
    session.body.q_cmd_rad = session.body.q_cmd_rad + 0.01     # a set-point the arm has not reached
    statuses = BodyDiagnostics(session.body, joint_tracking_warn_rad=0.005).joint_statuses()
    assert all(s.level is Level.WARN and "above" in s.message for s in statuses)


def test_compensation_label():
    assert compensation_label({"gravity": True, "inertia": False}) == "plain PID + gravity"
    assert compensation_label({"gravity": True, "backlash": True}) == "compensated (gravity, backlash)"


def test_the_gripper_status_names_its_force_source_and_what_it_cannot_see():
    import dataclasses
    from brainbody.body.body_config import BodyConfig
    pads = dict(BodyDiagnostics(SimSession(seed=0).body, joint_tracking_warn_rad=0.005).gripper_status().values)
    assert (pads["grip_force_source"], pads["grip_force_uncertainty_n"]) == ("pad_sensors", "0.000")
    effort = SimSession(seed=0, body_config=dataclasses.replace(BodyConfig(), grip_force_source="finger_effort",
                                                                finger_friction_estimate_n=1.25))
    values = dict(BodyDiagnostics(effort.body, joint_tracking_warn_rad=0.005).gripper_status().values)
    assert (values["grip_force_source"], values["grip_force_uncertainty_n"]) == ("finger_effort", "1.250")
    # Weighing needs the pads: the 3-axis pad hand reports it (nothing held yet), the other does not.
    assert pads["held_object_weighed_kg"].startswith("none held")
    assert "held_object_weighed_kg" not in values


def test_the_gripper_status_reports_the_held_object_weighed():
    session = SimSession(seed=0)
    body = session.body
    body.holding = "cup"
    body.weighing.mass_kg = 0.0121
    values = dict(BodyDiagnostics(body, joint_tracking_warn_rad=0.005).gripper_status().values)
    assert values["held_object_weighed_kg"] == "0.0121"
    body.holding = None     # let go: a weight of nothing held is not reported
    values = dict(BodyDiagnostics(body, joint_tracking_warn_rad=0.005).gripper_status().values)
    assert values["held_object_weighed_kg"].startswith("none held")


def test_the_gripper_status_reports_the_drives_weighing_from_tare_to_result():
    session = SimSession(seed=0)
    body = session.body
    values = dict(BodyDiagnostics(body, joint_tracking_warn_rad=0.005).gripper_status().values)
    assert values["payload_weighing"].startswith("never run")
    assert values["payload_weighed_kg"].startswith("not weighed yet")
    body.weigh_payload()
    session.loop.run_until(lambda: False, max_time_s=0.1)
    values = dict(BodyDiagnostics(body, joint_tracking_warn_rad=0.005).gripper_status().values)
    assert values["payload_weighing"] == "running: taring with the hand empty"
    session.loop.run_until(lambda: not body.drive_weighing.running, max_time_s=20.0)
    values = dict(BodyDiagnostics(body, joint_tracking_warn_rad=0.005).gripper_status().values)
    assert values["payload_weighing"].startswith("tared at")
    assert (values["payload_weighed_std_kg"], values["payload_weighed_object"]) == ("-", "")
