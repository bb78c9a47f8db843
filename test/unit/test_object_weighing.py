"""Weighing the held object with the 3-axis pad sensors (body/object_weighing.py): alone on
synthetic pad readings, then through the body on an honest unit against the plant's cup."""
import math

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.object_weighing import STANDARD_GRAVITY_MPS2, ObjectWeighing
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.primitives import PrimitiveKind
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import SceneConfig

DT = 0.001
AT_REST = np.zeros(7)
MOVING = np.array([0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0])
ZERO = np.array([[0.01, -0.03, -0.02], [-0.02, 0.01, -0.03]])    # the pads' free-air reading


def _hanging(mass_kg: float, squeeze_n: float = 3.0) -> np.ndarray:
    """Raw pad readings (2, 3) with ``mass_kg`` hanging on the pads' friction: half its weight
    on each pad along -z, the squeeze along y in opposite senses, on top of the zero."""
    load = np.array([[0.0, squeeze_n, -0.5 * mass_kg * STANDARD_GRAVITY_MPS2],
                     [0.0, -squeeze_n, -0.5 * mass_kg * STANDARD_GRAVITY_MPS2]])
    return ZERO + load


def _ticks(weighing, t, n, pads, qd=AT_REST, approaching=False, zero=ZERO):
    for _ in range(n):
        t += DT
        weighing.update(t, DT, approaching, zero, qd, pads)
    return t


def test_the_weight_is_the_in_plane_load_at_rest_less_the_zero_taken_at_the_approach():
    w = ObjectWeighing()
    t = _ticks(w, 0.0, 5, ZERO, approaching=True)
    # The source's learned zero creeps while a light touch stays under its threshold: the
    # weighing keeps the one from the approach's start.
    t = _ticks(w, t, 50, _hanging(0.2), qd=MOVING, zero=ZERO + 0.05)
    t = _ticks(w, t, 40, _hanging(0.2), zero=ZERO + 0.05)
    assert w.weigh(t) == pytest.approx(0.2, rel=1e-9)
    assert w.weighing and w.weighed_at_s == t and w.rest_s == pytest.approx(0.040)


def test_no_weight_before_the_arm_rested_long_enough():
    w = ObjectWeighing(min_rest_s=0.02)
    t = _ticks(w, 0.0, 5, ZERO, approaching=True)
    t = _ticks(w, t, 100, _hanging(0.05), qd=MOVING)
    t = _ticks(w, t, 10, _hanging(0.05))
    assert math.isnan(w.weigh(t))
    # Refined while the arm stays at rest: the weight appears once the rest is long enough.
    t = _ticks(w, t, 15, _hanging(0.05))
    assert w.mass_kg == pytest.approx(0.05, rel=1e-9)


def test_the_weight_stands_once_the_arm_moves_on():
    w = ObjectWeighing()
    t = _ticks(w, 0.0, 5, ZERO, approaching=True)
    t = _ticks(w, t, 20, _hanging(0.1), qd=MOVING)      # the lift
    t = _ticks(w, t, 50, _hanging(0.1))
    w.weigh(t)
    t = _ticks(w, t, 20, _hanging(0.3), qd=MOVING)     # carried on: accelerations, not weight
    t = _ticks(w, t, 50, _hanging(0.3))                 # at rest elsewhere (placing: on a support)
    assert not w.weighing
    assert w.mass_kg == pytest.approx(0.1, rel=1e-9)


def test_a_new_grasp_forgets_the_last_weight():
    w = ObjectWeighing()
    t = _ticks(w, 0.0, 5, ZERO, approaching=True)
    t = _ticks(w, t, 50, _hanging(0.1))
    w.weigh(t)
    _ticks(w, t, 1, ZERO, approaching=True)
    assert math.isnan(w.mass_kg) and not w.weighing


@pytest.mark.parametrize("kwargs", [{"rest_speed_radps": 0.0}, {"rest_speed_radps": math.nan},
                                    {"min_rest_s": -1.0}, {"min_rest_s": math.inf}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        ObjectWeighing(**kwargs)


def test_an_honest_unit_weighs_the_cup_before_and_after_filling():
    """Unit 4 (not among those the thresholds were set on): the pads weigh the cup at both
    lifts of the coffee task within 10 % of the plant's cup, empty (12 g) and full."""
    session = SimSession(seed=1, body_config=BodyConfig(), scene_config=SceneConfig(plant="honest", robot_seed=4))
    body, sim = session.body, session.sim
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    weighed, lifted = [], []

    def after_each(primitive):
        if lifted:      # the primitive after the lift has moved the arm on: the weighing is final
            weighed.append((body.weighing.mass_kg, lifted.pop()))
        if primitive.kind is PrimitiveKind.LIFT:
            lifted.append(sim.coffee_machine.cup_mass_kg)

    reports = session.run_plan(plan, after_each=after_each)
    assert [r.status.name for r in reports] == ["SUCCEEDED"] * len(plan.primitives), reports[-1].message
    assert [round(truth, 3) for _, truth in weighed] == [0.012, 0.212]
    for mass, truth in weighed:
        assert mass == pytest.approx(truth, rel=0.10)
    assert sim.verdict().success
