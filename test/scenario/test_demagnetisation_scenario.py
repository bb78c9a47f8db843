"""A motor demagnetised before the run, noticed from its drive's back-EMF while the arm works
(body/torque_constant.py), on an honest unit: judged against the plant's torque constants."""
import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.diagnostics import BodyDiagnostics
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.motor_thermal import MotorThermalPlantConfig
from brainbody.sim.scene import SceneConfig


def test_the_body_reports_the_shoulder_that_lost_15_percent_of_its_torque_constant():
    session = SimSession(seed=1, scene_config=SceneConfig(plant="honest", robot_seed=0),
                         motor_thermal=MotorThermalPlantConfig(kt_loss=(0.0, 0.15, 0.0, 0.0, 0.0, 0.0, 0.0)))
    body = session.body
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    statuses = lambda: BodyDiagnostics(body, joint_tracking_warn_rad=0.05).joint_statuses()  # noqa: E731
    assert all(dict(s.values)["torque_constant_ratio"].startswith("not measured") for s in statuses())
    for primitive in plan.primitives[:3]:            # home, reach the cup, grasp it: about 5.5 s
        execution = body.execute(primitive)
        session.run_until_done(execution)
        assert execution.status.name == "SUCCEEDED"
    truth = session.sim.motor_thermal.kt_nm_per_a / np.array([0.1] * 4 + [0.05] * 3)
    ratio = body.torque_constant.ratio
    # The unit's motors as built are a few per cent off their sheet (unknown to the body), the
    # shoulder 15 % under that.
    built = session.sim.realism.motors.kt_factor
    assert truth[1] == pytest.approx(0.85 * built[1], abs=0.002)
    np.testing.assert_allclose(ratio, truth, atol=0.03)
    assert ratio[1] == pytest.approx(truth[1], abs=0.01)
    assert body.torque_constant.demagnetised.tolist() == [False, True] + [False] * 5
    shoulder = statuses()[1]
    assert shoulder.level.name == "WARN" and "magnets demagnetised" in shoulder.message
    assert float(dict(shoulder.values)["torque_constant_ratio"]) == pytest.approx(truth[1], abs=0.01)
    # What commissioning would record, taken back to 25 C: the motor as built, less what it lost.
    assert float(dict(shoulder.values)["torque_constant_25c_nm_per_a"]) == pytest.approx(0.1 * built[1] * 0.85,
                                                                                        rel=0.012)
    assert all(s.level.name == "OK" for i, s in enumerate(statuses()) if i != 1), [s.message for s in statuses()]


@pytest.mark.parametrize("adaptive", [False, True])
def test_with_adaptive_compensation_the_arm_makes_coffee_on_a_shoulder_that_lost_30_percent(adaptive):
    """Without it the shoulder delivers 30 % less than the servo asks: the runtime monitor reads
    the missing torque as a collision and stops the task. With it the body writes that joint's
    commands scaled up by what the back-EMF says it lost, and the task succeeds."""
    session = SimSession(seed=1, body_config=BodyConfig(adaptive_compensation=adaptive),
                         scene_config=SceneConfig(plant="honest", robot_seed=0),
                         motor_thermal=MotorThermalPlantConfig(kt_loss=(0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0)))
    body = session.body
    reports = session.run_plan(Planner(load_catalogue(), body.world).plan("make coffee"))
    if not adaptive:
        assert body.monitor_trips == 1 and "collision" in reports[-1].message and "joint 2" in reports[-1].message
        assert not session.sim.verdict().success
        return
    assert all(r.status.name == "SUCCEEDED" for r in reports) and session.sim.verdict().success
    assert body.monitor_trips == 0
    assert body.adaptive.torque_share[1] == pytest.approx(0.7, abs=0.02)
    np.testing.assert_allclose(np.delete(body.adaptive.torque_share, 1), 1.0)
    # The monitor judges saturation on what the drives are written: that joint's at 0.7 x its limit.
    np.testing.assert_array_equal(body.monitor.torque_share, body.adaptive.torque_share)
    values = dict(BodyDiagnostics(body, joint_tracking_warn_rad=0.05).joint_statuses()[1].values)
    assert float(values["adaptive_torque_share"]) == pytest.approx(0.7, abs=0.02)
