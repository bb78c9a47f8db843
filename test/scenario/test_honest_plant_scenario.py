"""The coffee task on honest units (sim/plant_realism.py): a robot that differs from its
datasheet in inertias, payload, friction model, drive and sensor errors, unknown to the body.
Judged by the simulator's ground truth; the compensated servo still beats the plain one."""
from __future__ import annotations

import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.jit import KERNELS
from brainbody.runtime.kernel_warmup import warm_up
from brainbody.runtime.joint_rig import ARCMIN, COMPENSATED, PLAIN, quintic_moves, run_joint
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import SceneConfig


@pytest.mark.parametrize("drivetrain, robot_seed", [("budget_planetary", 1), ("harmonic", 4)])
def test_make_coffee_on_an_honest_unit(drivetrain, robot_seed):
    names = (drivetrain,) * 7
    warm_up()
    signatures = {k: len(k.signatures) for k in KERNELS}
    session = SimSession(seed=2, body_config=BodyConfig(drivetrain_estimates=names), sim_drivetrain=names,
                         scene_config=SceneConfig(plant="honest", robot_seed=robot_seed))
    assert session.sim.realism is not None
    plan = Planner(load_catalogue(), session.body.world).plan("make coffee")
    reports = session.run_plan(plan)
    assert [r.status.name for r in reports] == ["SUCCEEDED"] * len(plan.primitives), [r.message for r in reports]
    verdict = session.sim.verdict()
    assert verdict.success, verdict.reasons
    assert verdict.peak_squeeze_n < verdict.crush_force_n
    assert session.path_error.rms_m < 1e-3
    # warm_up compiled all the honest plant needs too (nothing compiles mid-run).
    assert [k.py_func.__qualname__ for k in KERNELS if len(k.signatures) != signatures[k]] == []


def test_backlash_compensation_still_pays_on_an_honest_unit():
    budget_j1 = ("budget_planetary",) + ("harmonic",) * 6
    reference, duration, _ = quintic_moves(0, [0.15, -0.15], move_s=1.0, hold_s=0.5)
    rms = {name: run_joint(reference, duration, drivetrain=budget_j1, estimate_sets=budget_j1, switches=sw,
                           plant="honest").rms(0) for name, sw in (("plain", PLAIN), ("compensated", COMPENSATED))}
    assert rms["plain"] > 5 * ARCMIN
    assert rms["compensated"] < 0.2 * rms["plain"], {k: v / ARCMIN for k, v in rms.items()}
