"""The ground-truth cup judge: its contact sensors against MuJoCo's own contact list."""
import math

import mujoco
import numpy as np
import pytest

from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession
from brainbody.sim import ground_truth
from brainbody.sim.ground_truth import CupJudge, _cup_contacts, _jaw_force
from brainbody.sim.scene import CUP_JAW_SENSORS, CUP_JAW_SLOTS, CUP_TOUCH_SENSOR, SceneConfig


def _from_contact_list(sim):
    """What the judge would find walking MuJoCo's contact list (the fallback's kernel)."""
    d, judge = sim.data, sim.judge
    n = d.ncon
    return _cup_contacts(d.contact.geom[:n], d.contact.efc_address[:n], d.efc_force,
                         judge._geom_body, judge._cup_geom, judge._jaw_of_body)


def test_the_sensors_report_what_the_contact_list_holds_through_a_grasp():
    """Each step of a reach and a 3 N grasp: whether anything touches the cup, and each jaw's
    normal force on it, from the sensors equal (to the bit) the sums over MuJoCo's contacts."""
    session = SimSession(seed=0)
    sim = session.sim
    m, sd = sim.model, sim.data.sensordata
    touch = m.sensor_adr[m.sensor(CUP_TOUCH_SENSOR).id]
    left, right = (m.sensor_adr[m.sensor(name).id] for name, _ in CUP_JAW_SENSORS)
    steps = squeezed = 0
    for kind, force in ((PrimitiveKind.REACH, 0.0), (PrimitiveKind.GRASP, 3.0)):
        session.refresh_world()
        execution = session.body.execute(TaskPrimitive(kind.name.lower(), kind, object_id="cup", grip_force_n=force))
        while not execution.status.done:
            session.loop.step()
            touching, want_left, want_right = _from_contact_list(sim)
            assert (sd[touch] > 0) == touching
            assert (_jaw_force(sd, left), _jaw_force(sd, right)) == (want_left, want_right)
            steps += 1
            squeezed += want_left > 0.5 and want_right > 0.5
        assert execution.status is Status.SUCCEEDED
    assert steps > 1000 and squeezed > 100        # the grasp's squeeze was compared, not only free air
    assert 2.0 < sim.judge.peak_squeeze_n < session.scene_config.cup_crush_force_n


def test_a_jaw_with_more_contacts_than_slots_reads_as_unknown():
    """More contacts than the sensor has slots: NaN (the judge then walks the contact list),
    never a sum over the first few."""
    data = np.zeros(1 + 4 * CUP_JAW_SLOTS + 1)
    data[1], data[1 + 1], data[1 + 4 + 1] = 2, 1.5, -0.25     # two contacts (one frame flipped)
    assert _jaw_force(data, 1) == 1.75
    data[1] = CUP_JAW_SLOTS + 1
    assert math.isnan(_jaw_force(data, 1))


def _grasp(session):
    for kind, force in ((PrimitiveKind.REACH, 0.0), (PrimitiveKind.GRASP, 3.0)):
        session.refresh_world()
        execution = session.body.execute(TaskPrimitive(kind.name.lower(), kind, object_id="cup", grip_force_n=force))
        session.run_until_done(execution, max_time_s=20.0)
        assert execution.status is Status.SUCCEEDED


def test_steps_beyond_the_slots_are_judged_from_the_contact_list(monkeypatch):
    """A step whose sensors ran out of slots is judged from MuJoCo's contact list: forced onto
    that path every step, a grasp ends with the same findings to the bit."""
    sensors = SimSession(seed=0)
    _grasp(sensors)
    walked = []

    def out_of_slots(*args):
        walked.append(1)
        return False

    monkeypatch.setattr(ground_truth, "_judge_step", out_of_slots)   # update() takes the contact list
    contact_list = SimSession(seed=0)
    _grasp(contact_list)
    assert len(walked) > 1000
    a, b = sensors.sim.judge, contact_list.sim.judge
    assert a.peak_squeeze_n > 2.0
    assert (a.peak_squeeze_n, a.dropped, a.tipped) == (b.peak_squeeze_n, b.dropped, b.tipped)


def test_a_scene_without_the_sensors_is_refused():
    spec = mujoco.MjSpec()
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    cup = spec.worldbody.add_body(name="cup")
    cup.add_freejoint()
    cup.add_geom(name="cup_wall", type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[0.04, 0.05, 0])
    model = spec.compile()
    with pytest.raises(ValueError, match="contact sensors"):
        CupJudge(model, mujoco.MjData(model), SceneConfig())
