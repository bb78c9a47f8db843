"""arm: the whole "make coffee" motion on the 7-joint arm, comparing servos and drivetrains
by end-effector path error: the distance between the ground-truth tool centre point
(MuJoCo site) and the tool position the controller commands (forward kinematics of its
link set-point), as the session's own judge samples it (``path_error.py``: every 10th tick
while a motion is commanded — the same figure `brainbody demo` prints).

Baseline (same run): plain PID + gravity on "budget planetary" joints (20 arcmin
backlash, high friction). Compared: the compensated servo on the same joints, and the
plain servo on "harmonic" joints (what better hardware buys). The task itself is judged
by the simulator's ground truth for each run.
"""
from __future__ import annotations

from brainbody.body.body_config import BodyConfig
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.sim.scene import SceneConfig
from brainbody.runtime.sim_session import SimSession
from brainbody.runtime.joint_rig import COMPENSATED, PLAIN

HEADLINES = {"budget_compensated_over_budget_plain": "tool path RMS, budget arm compensated / plain",
             "budget_compensated_over_harmonic_plain": "tool path RMS, budget compensated / harmonic plain"}
TITLE = "end-effector path error over the coffee task: budget joints compensated vs plain, vs harmonic joints"
SEED = 0


def _coffee(drivetrain: str, switches: dict, plant: str) -> dict:
    names = (drivetrain,) * 7
    session = SimSession(seed=SEED, body_config=BodyConfig(drivetrain_estimates=names, **switches),
                         scene_config=SceneConfig(drivetrain=names, plant=plant))
    body = session.body
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    reports = session.run_plan(plan)
    verdict = session.sim.verdict()
    error = session.path_error
    return {"drivetrain": drivetrain, "servo": "compensated" if switches is COMPENSATED else "plain PID",
            "rms_mm": error.rms_m * 1000.0, "max_mm": error.max_m * 1000.0, "samples": error.samples,
            "primitives_done": sum(r.status.name == "SUCCEEDED" for r in reports),
            "primitives": len(plan.primitives), "task_success": bool(verdict.success),
            "peak_squeeze_n": verdict.peak_squeeze_n, "sim_time_s": body.time_s}


def run(plant: str = "ideal") -> dict:
    runs = [_coffee("budget_planetary", PLAIN, plant), _coffee("budget_planetary", COMPENSATED, plant),
            _coffee("harmonic", PLAIN, plant), _coffee("harmonic", COMPENSATED, plant)]
    base = runs[0]["rms_mm"]
    for r in runs:
        r["ratio_to_budget_plain"] = r["rms_mm"] / base
        print(f"  {r['drivetrain']:17s} {r['servo']:12s} RMS {r['rms_mm']:6.2f} mm  "
              f"max {r['max_mm']:6.2f}  ratio {r['ratio_to_budget_plain']:.3f}  task success {r['task_success']} "
              f"({r['primitives_done']}/{r['primitives']} primitives)")
    budget_comp, harmonic_plain = runs[1], runs[2]
    return {"plant": plant, "seed": SEED, "runs": runs,
            "budget_compensated_over_budget_plain": budget_comp["rms_mm"] / base,
            "budget_compensated_over_harmonic_plain": budget_comp["rms_mm"] / harmonic_plain["rms_mm"],
            # The issue sets no number here; the compensated budget arm must at least beat
            # its plain self and finish the task.
            "targets_met": budget_comp["rms_mm"] < base and budget_comp["task_success"]}


def markdown(r: dict) -> str:
    rows = "\n".join(f"| {x['drivetrain']} | {x['servo']} | {x['rms_mm']:.2f} | {x['max_mm']:.2f} | "
                     f"{x['ratio_to_budget_plain']:.3f} | {x['task_success']} ({x['primitives_done']}/{x['primitives']}) |"
                     for x in r["runs"])
    return f"""Seed {r['seed']}; error = |ground-truth TCP − FK(commanded link set-point)|, every 10th tick while moving.

| joints | servo | RMS (mm) | max (mm) | ratio to budget + plain | task success (primitives) |
|---|---|---|---|---|---|
{rows}

Budget joints compensated / plain: **{r['budget_compensated_over_budget_plain']:.3f}**; compensated budget joints /
plain harmonic joints: **{r['budget_compensated_over_harmonic_plain']:.3f}** (below 1: cheap gears with the body's
compensation track better than precision gears without it).
{_HISTORY if r.get('plant', 'ideal') == 'ideal' else ''}"""


_HISTORY = """
History: at commit 1fc9e05 the compensated rows rose (budget 0.331 → 0.368 mm, harmonic 0.186 →
0.249 mm; ideal plant) with two changes between the measurements, not separated: the judge now
compares the set-point with the tool at the same state's instant instead of one physics step later
(81beac5; alone it took seed 2's coffee path RMS from 0.17 to 0.25 mm), and the joint paths became
C1 through their waypoints (cabcaf7). Issue 10's "nothing else moves" is judged against the
figures after that re-measurement.
"""
