"""Reducer wear in the plant: life used by the published cubic law, and worn gear stages
(more lost motion, more friction) in MuJoCo."""
from __future__ import annotations

import math

import numpy as np
import pytest

from brainbody.runtime.sim_session import SimSession
from brainbody.sim.reducer_wear import ReducerWear, ReducerWearConfig
from brainbody.sim.scene import SceneConfig

LIMIT = np.array([87.0] * 4 + [12.0] * 3)
GEARED = [True] * 7


def _life_after(torque_frac: float, speed_radps: float, seconds: float, **config) -> float:
    wear = ReducerWear(ReducerWearConfig(enabled=True, **config), LIMIT, GEARED)
    for _ in range(int(round(seconds / 0.01))):
        wear.step(torque_frac * LIMIT, np.full(7, speed_radps), 0.01)
    return float(wear.life_used[0])


def test_life_used_follows_the_cubic_torque_and_linear_speed_law():
    base = _life_after(0.3, 1.0, 10.0, rated_life_h=1.0)          # rated torque and speed
    assert base == pytest.approx(10.0 / 3600.0, rel=1e-9)          # 10 s of a 1 h life
    assert _life_after(0.6, 1.0, 10.0, rated_life_h=1.0) == pytest.approx(8.0 * base, rel=1e-9)
    assert _life_after(0.3, 2.0, 10.0, rated_life_h=1.0) == pytest.approx(2.0 * base, rel=1e-9)
    assert _life_after(0.3, -1.0, 10.0, rated_life_h=1.0) == pytest.approx(base, rel=1e-9)   # either way
    assert _life_after(0.3, 0.0, 10.0, rated_life_h=1.0) == 0.0    # loaded at rest: no wear
    assert _life_after(0.3, 1.0, 10.0, rated_life_h=1.0, acceleration=100.0) == pytest.approx(100.0 * base)


def test_a_worn_reducer_has_more_lost_motion_and_friction_and_off_means_as_built():
    wear = ReducerWear(ReducerWearConfig(enabled=True, lost_motion_at_end=3.0, friction_growth_at_end=0.5,
                                         life_used=(0.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0)), LIMIT, GEARED)
    np.testing.assert_allclose(wear.lost_motion_factor[:3], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(wear.friction_factor[:3], [1.0, 1.25, 1.5])
    np.testing.assert_allclose(wear.life_to_factor(2.0), 0.5)
    off = ReducerWear(ReducerWearConfig(), LIMIT, GEARED)
    off.step(LIMIT, np.ones(7), 1.0)
    assert not off.life_used.any()
    rigid = ReducerWear(ReducerWearConfig(enabled=True, life_used=(0.5,) * 7), LIMIT, [False] * 7)
    assert not rigid.life_used.any()                               # no reducer, no wear


@pytest.mark.parametrize("bad", [dict(rated_life_h=0.0), dict(acceleration=math.nan), dict(rated_torque_frac=1.5),
                                 dict(lost_motion_at_end=0.5), dict(friction_growth_at_end=-0.1),
                                 dict(life_used=(0.0,) * 6), dict(life_used=(-0.1,) + (0.0,) * 6)])
def test_a_malformed_wear_config_is_refused(bad):
    with pytest.raises(ValueError):
        ReducerWearConfig(**bad)


@pytest.mark.parametrize("plant", ["ideal", "honest"])
def test_the_plant_gear_stage_wears_with_the_load_it_carries(plant):
    """Holding the arm up against gravity for a while at an accelerated life: a joint that turns
    under load wears, and the gear stage's gap widens as its life is used."""
    wear = ReducerWearConfig(enabled=True, acceleration=1e6, life_used=(0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0))
    worn = SimSession(seed=0, scene_config=SceneConfig(plant=plant, wear=wear)).sim
    new = SimSession(seed=0, scene_config=SceneConfig(plant=plant)).sim
    # Already half worn: joint 2's gap is twice the new one (lost_motion_at_end 3).
    ratio = worn.drivetrain._gears["half_gap"] / new.drivetrain._gears["half_gap"]
    assert ratio[1] == pytest.approx(2.0) and ratio[0] == pytest.approx(1.0)
    # Its friction grows by half at the end of life: 1.25x at half life, in the plant's own
    # friction (MuJoCo frictionloss on the ideal plant, the LuGre levels on the honest one).
    assert worn.wear.friction_factor[1] == pytest.approx(1.25) and worn.wear.friction_factor[0] == pytest.approx(1.0)
    if plant == "honest":
        coulomb_worn, coulomb_new = worn.realism.sliding_friction()[0], new.realism.sliding_friction()[0]
        assert coulomb_worn[1] == pytest.approx(1.25 * coulomb_new[1]) and coulomb_worn[0] == pytest.approx(coulomb_new[0])
    else:
        assert worn.model.dof_frictionloss.sum() > new.model.dof_frictionloss.sum()
    # A shoulder move under gravity uses life on that joint; the base, at rest, wears little.
    session = SimSession(seed=0, scene_config=SceneConfig(plant=plant, wear=wear))
    body, sim = session.body, session.sim
    q0 = body.q_cmd_rad.copy()
    body.follow_trajectory([0.0, 0.6, 1.2], [q0, q0 + [0.0, 0.3, 0, 0, 0, 0, 0], q0])
    session.loop.run_until(lambda: False, max_time_s=1.3)
    used = sim.wear.life_used
    assert used[1] > 0.5 + 1e-3 and used[0] < 0.1 * (used[1] - 0.5)
    truth = sim.wear.ground_truth()
    assert truth["enabled"] and truth["lost_motion_factor"][1] > 2.0
    gap = sim.drivetrain._gears["half_gap"][1] / new.drivetrain._gears["half_gap"][1]
    assert gap == pytest.approx(truth["lost_motion_factor"][1], rel=1e-3)   # the stage really widened
