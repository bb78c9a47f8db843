"""The wear soak: robots age through many coffee tasks while the body watches their gears.

One :class:`WearRobot` is one unit (an honest plant, ``robot_seed`` = its number) whose
reducers wear with the load they carry (``sim/reducer_wear.py``, accelerated). It runs
``tasks`` coffee tasks in a row, each in a fresh scene (a new cup placement) on the same
reducers, and before every ``check_every``-th task a drivetrain check
(``body/drivetrain_check.py``) whose estimates go to the robot's wear record
(``body/wear_monitor.py``), carried from task to task like a robot's health log. Robots run
in parallel through the campaign runner (``runtime/campaign.py``: ``run_campaign(...,
runner=run_wear_robot)``).

Judged against the plant: at each check, whether each joint's true lost motion has doubled
since the robot's first check, against the record's flag; the record's remaining life against
the operating time the plant really took to double (known once the soak has gone past it).
"""
from __future__ import annotations

import dataclasses
import math
import time
import traceback
from typing import Optional

import numpy as np


@dataclasses.dataclass(frozen=True)
class WearRobot:
    """One robot of the soak.

    Args:
        robot: the unit (its honest-plant ``robot_seed``).
        tasks: coffee tasks in a row.
        check_every: a drivetrain check before every this-many tasks (and one after the last).
        acceleration: how many times faster than real use the reducers wear.
        adaptive: the body's ``adaptive_compensation``.
        first_seed: the first task's cup placement (then +1 per task).
    """

    robot: int
    tasks: int
    check_every: int = 5
    acceleration: float = 3e4
    adaptive: bool = False
    first_seed: int = 0

    def __post_init__(self):
        if self.robot < 0 or self.tasks < 1 or self.check_every < 1 or not self.acceleration > 0.0:
            raise ValueError(f"a wear robot needs robot >= 0, tasks >= 1, check_every >= 1, acceleration > 0: {self}")


def run_wear_robot(spec: WearRobot) -> dict:
    """Run one robot's soak; a JSON-able result (``success``: every task succeeded). Never raises
    for the robot's own failures: an exception ends its soak and is reported."""
    from brainbody.body.body_config import BodyConfig
    from brainbody.body.wear_monitor import WearMonitor
    from brainbody.brain.planner import Planner
    from brainbody.brain.skills import load_catalogue
    from brainbody.lifecycle import Status
    from brainbody.runtime.sim_session import SimSession
    from brainbody.sim.reducer_wear import ReducerWearConfig
    from brainbody.sim.scene import SceneConfig

    wall0 = time.perf_counter()
    monitor, hours, life = WearMonitor(), 0.0, (0.0,) * 7
    tasks, checks, error = [], [], None
    catalogue = load_catalogue()
    try:
        for k in range(spec.tasks + 1):
            check = k % spec.check_every == 0 or k == spec.tasks
            if k == spec.tasks and not check:
                break
            wear = ReducerWearConfig(enabled=True, acceleration=spec.acceleration, life_used=life)
            session = SimSession(seed=spec.first_seed + k, body_config=BodyConfig(adaptive_compensation=spec.adaptive),
                                 scene_config=SceneConfig(plant="honest", robot_seed=spec.robot, wear=wear))
            body = session.body
            body.resume_wear(monitor, hours)
            if check:
                duration = body.check_drivetrain()
                session.loop.run_until(lambda: False, max_time_s=duration + 0.2)
                checks.append({"task": k, "hours": body.operating_hours,
                               "true_lost_motion_factor": [float(v) for v in session.sim.wear.lost_motion_factor],
                               "ratio": [float(v) for v in monitor.ratio],
                               "flagged": [bool(v) for v in monitor.flagged],
                               "remaining_life_h": [float(v) for v in monitor.remaining_life_h]})
            if k < spec.tasks:
                plan = Planner(catalogue, body.world).plan("make coffee")
                reports = session.run_plan(plan)
                verdict = session.sim.verdict()
                ok = bool(verdict.success and all(r.status is Status.SUCCEEDED for r in reports))
                failed = [r.message for r in reports if r.status is not Status.SUCCEEDED]
                tasks.append({"task": k, "success": ok, "reasons": failed + list(verdict.reasons)})
            hours = body.operating_hours
            life = tuple(float(v) for v in session.sim.wear.life_used)
    except Exception as exc:  # noqa: BLE001 - the robot's failure is its result
        error = f"{type(exc).__name__}: {exc}"
        tasks.append({"task": len(tasks), "success": False, "reasons": [error], "traceback": traceback.format_exc()})
    return {**dataclasses.asdict(spec), "success": error is None and all(t["success"] for t in tasks),
            "reasons": [r for t in tasks for r in t["reasons"]][:3], "error": error, "tasks": tasks,
            "checks": checks, "flag_margin": monitor.flag_margin, "life_used": list(life), "operating_hours": hours,
            "wall_time_s": time.perf_counter() - wall0}


def judge_robot(result: dict, *, flag_ratio: float = 2.0, flag_margin: Optional[float] = None,
                joints: tuple = (0, 1, 2, 3, 4, 5)) -> dict:
    """One robot's flags and remaining-life estimates against its plant (see the module docstring).

    The flags are the record's own, or with ``flag_margin`` those a wear record flagging at
    that margin (``body/wear_monitor.py``) would have raised on the recorded ratios: a flag is
    a threshold on the ratio, kept once raised, so a soak's runs judge any margin. (The
    remaining-life estimates stay the record's.)

    Returns counts ``tp``, ``fp``, ``tn``, ``fn`` over (check, joint) pairs of ``joints`` after
    the first check, the same per joint (``per_joint``, keyed by the joint's number, 1-based),
    ``fp_truth`` and ``fn_truth`` (the plant's true ratio at each false flag and each doubling
    not flagged), ``rul_errors`` (|estimate - truth| / truth at checks with an estimate and a
    known true remaining time), ``rul_missing`` (checks with a known true remaining time but no finite
    estimate), ``first_flag_task`` and ``first_failure_task`` (taken from ``result["tasks"]``,
    or from a recorded ``result["first_failure_task"]``).
    """
    checks = result["checks"]
    first_failure = (next((t["task"] for t in result["tasks"] if not t["success"]), None) if "tasks" in result
                     else result["first_failure_task"])
    out = {"tp": 0, "fp": 0, "tn": 0, "fn": 0, "fp_truth": [], "fn_truth": [], "rul_errors": [], "rul_missing": 0,
           "first_flag_task": None,
           "first_failure_task": first_failure,
           "per_joint": {str(j + 1): {"tp": 0, "fp": 0, "tn": 0, "fn": 0} for j in joints}}
    if len(checks) < 2:
        return out
    base = np.array(checks[0]["true_lost_motion_factor"])
    hours = np.array([c["hours"] for c in checks])
    truth = np.array([c["true_lost_motion_factor"] for c in checks]) / base
    # When each joint's true ratio passed flag_ratio (interpolated between checks), if it did.
    doubled_at = np.full(truth.shape[1], math.nan)
    for j in range(truth.shape[1]):
        past = np.flatnonzero(truth[:, j] >= flag_ratio)
        if past.size and past[0] > 0:
            i = past[0]
            f = (flag_ratio - truth[i - 1, j]) / (truth[i, j] - truth[i - 1, j])
            doubled_at[j] = hours[i - 1] + f * (hours[i] - hours[i - 1])
    if flag_margin is None:
        flags = np.array([c["flagged"] for c in checks], dtype=bool)
    else:
        ratios = np.array([c["ratio"] for c in checks], dtype=float)
        flags = np.logical_or.accumulate(ratios >= flag_ratio * (1.0 + flag_margin), axis=0)
    for i, check in enumerate(checks[1:], start=1):
        for j in joints:
            real, flagged = truth[i, j] >= flag_ratio, bool(flags[i, j])
            outcome = "tp" if real and flagged else "fn" if real else "fp" if flagged else "tn"
            out[outcome] += 1
            out["per_joint"][str(j + 1)][outcome] += 1
            if outcome in ("fp", "fn"):
                out[f"{outcome}_truth"].append(float(truth[i, j]))
            if flagged and out["first_flag_task"] is None:
                out["first_flag_task"] = check["task"]
            estimate, remaining = check["remaining_life_h"][j], doubled_at[j] - hours[i]
            if math.isfinite(remaining) and remaining > 0.0:
                if math.isfinite(estimate):
                    out["rul_errors"].append(abs(estimate - remaining) / remaining)
                else:
                    out["rul_missing"] += 1
    return out
