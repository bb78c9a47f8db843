"""The health report of `brainbody health` from statuses as the body publishes them: the latest
figures per joint, and a PNG per trend with numbers in it (never a plotted "not observed")."""
from __future__ import annotations

from brainbody.runtime.health_report import HealthHistory

PNG = b"\x89PNG\r\n\x1a\n"


def _history() -> HealthHistory:
    history = HealthHistory()
    for step in range(20):
        t = 0.5 * step
        for j, name in enumerate(("panda_joint1", "panda_joint2")):
            values = {"winding_temperature_c": f"{25.0 + (j + 1) * 0.1 * step:.1f}",
                      "backlash_identified_arcmin": "not observed yet (the load has not changed sign)"
                      if step < 10 else f"{17.0 + j:.3f}",
                      "wear_lost_motion_growth_frac": f"{0.01 * step:.3f}",
                      "remaining_life_h": "unknown (no wear model yet)",
                      "coulomb_identified_nm": f"{0.5 + 0.01 * step:.3f}",
                      "estimate_set": "harmonic"}
            history.add(t, f"body/joint/{name}", 1 if (j == 1 and step == 19) else 0,
                        f"tracking error {step * 0.1:.1f} arcmin", values)
        history.add(t, "body/control_loop", 0, "running", {"periods": str(step * 500)})
    return history


def test_the_report_gives_each_joints_latest_level_and_figures():
    report = _history().report()
    lines = report.splitlines()
    assert lines[0].startswith("body health: 60 statuses over 9.5 s")
    # Joints first, then the other statuses; the newest sample's level and message.
    assert lines[1] == "OK    body/joint/panda_joint1: tracking error 1.9 arcmin"
    assert "winding 26.9 C" in lines[2] and "lost motion identified 17.000 arcmin" in lines[2]
    assert "wear lost motion growth frac 0.190" in lines[2] and "coulomb identified nm 0.690" in lines[2]
    assert lines[3].startswith("WARN  body/joint/panda_joint2") and "winding 28.8 C" in lines[4]
    assert lines[5] == "OK    body/control_loop: running"
    assert "estimate_set" not in report and "periods" not in report


def test_a_plot_per_trend_with_numbers_only_from_the_numbers(tmp_path):
    history = _history()
    files = history.plot(tmp_path / "plots")
    # remaining_life_h never had a number: no plot for it.
    assert sorted(f.name for f in files) == ["backlash_identified_arcmin.png", "coulomb_identified_nm.png",
                                             "wear_lost_motion_growth_frac.png", "winding_temperature_c.png"]
    for f in files:
        data = f.read_bytes()
        assert data.startswith(PNG) and len(data) > 5000
    times, values = history.series("backlash_identified_arcmin")["body/joint/panda_joint1"]
    assert times == [0.5 * s for s in range(10, 20)] and set(values) == {17.0}


def test_series_are_in_time_order_and_an_empty_history_says_so(tmp_path):
    history = HealthHistory()
    for t in (2.0, 1.0, 3.0):
        history.add(t, "body/joint/panda_joint1", 0, "ok", {"winding_temperature_c": str(20.0 + t)})
    assert history.series("winding_temperature_c")["body/joint/panda_joint1"] == ([1.0, 2.0, 3.0],
                                                                                  [21.0, 22.0, 23.0])
    assert history.latest("body/joint/panda_joint1").time_s == 3.0
    assert HealthHistory().report() == "no statuses"
    assert HealthHistory().plot(tmp_path) == []


def test_once_every_joint_has_a_measured_torque_constant_the_report_gives_the_commissioning_line():
    history = HealthHistory()
    joints = [f"body/joint/panda_joint{j + 1}" for j in range(7)]
    for j, name in enumerate(joints):
        history.add(1.0, name, 0, "ok", {"torque_constant_25c_nm_per_a": "not measured (no drive voltage, or ...)"})
    assert history.torque_constants_at_25c() is None and "commissioning" not in history.report()
    for j, name in enumerate(joints[:6]):
        history.add(2.0, name, 0, "ok", {"torque_constant_25c_nm_per_a": f"{0.1 + 0.001 * j:.5f}"})
    assert history.torque_constants_at_25c() is None           # joint 7 not measured yet
    history.add(2.0, joints[6], 0, "ok", {"torque_constant_25c_nm_per_a": "0.05100"})
    assert history.torque_constants_at_25c() == [0.1, 0.101, 0.102, 0.103, 0.104, 0.105, 0.051]
    assert history.report().splitlines()[-1].endswith(
        "torque_constant_reference_nm_per_a): [0.1, 0.101, 0.102, 0.103, 0.104, 0.105, 0.051]")
