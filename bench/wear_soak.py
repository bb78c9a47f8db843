"""wear_soak: honest robots age through coffee tasks with accelerated reducer wear while the body
watches their gears (``runtime/wear_soak.py``); half with fixed compensation, half adaptive.

Robots run in parallel through the campaign runner (one worker per core) with its progress
line. ``SOAK_TASKS`` (default 1000) is the total number of coffee tasks, split over
``SOAK_ROBOTS`` robots (default 20: ten units, each once with fixed and once with adaptive
compensation); ``make soak`` runs it (about 2.5 h of CPU on this machine at the default size).

Judged against the plant at every drivetrain check (joints 1-6; joint 7's gap is not
observable): true positive = the joint's true lost motion has doubled since the robot's first
check and the body has flagged it. Remaining life: the body's estimate against the operating
time the plant really took to reach the doubling, at checks before it.
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Optional

import numpy as np

from brainbody.body.wear_monitor import WearMonitor
from brainbody.runtime.campaign import Progress, default_workers, run_campaign
from brainbody.runtime.wear_soak import WearRobot, judge_robot, run_wear_robot
from health_file import update_health

HEADLINES = {"wear_tpr": "doubled lost motion flagged (true-positive rate)",
             "wear_fpr": "flags before a doubling (false-positive rate)"}
TITLE = "wear soak: honest robots with accelerated reducer wear, flags and remaining life against the plant"
CHECK_EVERY = 4
PARTIAL = Path(__file__).resolve().parent / "results" / "wear_soak.partial.json"
ACCELERATIONS = (4e4, 5e4, 6e4)


def specs(total_tasks: int, robots: int) -> list[WearRobot]:
    per_robot = max(total_tasks // robots, 1)
    out = []
    for i in range(robots):
        unit = i // 2
        out.append(WearRobot(robot=unit, tasks=per_robot, check_every=CHECK_EVERY,
                             acceleration=ACCELERATIONS[unit % len(ACCELERATIONS)], adaptive=bool(i % 2),
                             first_seed=100 * unit))
    return out


def run() -> dict:
    total = int(os.environ.get("SOAK_TASKS", "1000"))
    robots = int(os.environ.get("SOAK_ROBOTS", "20"))
    robot_specs = specs(total, robots)
    progress = Progress(len(robot_specs))
    finished: list = []

    def on_result(_index: int, result: dict) -> None:
        progress.update(result)
        finished.append(result)     # robots done so far, kept should the soak be stopped
        PARTIAL.write_text(json.dumps(finished) + "\n")

    t0 = time.perf_counter()
    results = run_campaign(robot_specs, runner=run_wear_robot, workers=default_workers(), on_result=on_result)
    wall = time.perf_counter() - t0
    judged = [judge_robot(r) for r in results]
    by_mode = {}
    for mode in (False, True):
        tasks = [t for r in results if r["adaptive"] is mode for t in r["tasks"]]
        by_mode["adaptive" if mode else "fixed"] = {"tasks": len(tasks), "succeeded": sum(t["success"] for t in tasks)}
    out = {"tasks": sum(len(r["tasks"]) for r in results), "robots": len(results), "check_every": CHECK_EVERY,
           "success_by_compensation": by_mode, "soak_wall_time_s": wall, "workers": default_workers(),
           "robots_detail": [{k: r[k] for k in ("robot", "adaptive", "acceleration", "success", "error", "life_used",
                                                "operating_hours", "checks", "wall_time_s")} | {"judged": j}
                             for r, j in zip(results, judged)]}
    out.update(summary(judged, out["tasks"]))
    out["flag_margin"] = WearMonitor().flag_margin
    update_health({k: out[k] for k in HEALTH_KEYS})
    json.dumps(out)   # JSON-able (the runner writes it)
    return out


HEALTH_KEYS = ("wear_tpr", "wear_fpr", "wear_flagged_before_failure", "rul_error_frac")


def _rate(hits: int, misses: int) -> float:
    return hits / (hits + misses) if hits + misses else math.nan


def summary(judged: list[dict], tasks: int) -> dict:
    """The soak's figures from every robot's judgement: pooled over (check, joint) pairs as the
    targets read, and per joint beside them (joints that never wear add true negatives only,
    so the pooled false-positive rate is lower than the rate on a joint that does wear)."""
    tp, fp, tn, fn = (sum(j[k] for j in judged) for k in ("tp", "fp", "tn", "fn"))
    per_joint = {}
    for joint in judged[0]["per_joint"] if judged else ():
        c = {k: sum(j["per_joint"][joint][k] for j in judged) for k in ("tp", "fp", "tn", "fn")}
        per_joint[joint] = c | {"tpr": _rate(c["tp"], c["fn"]), "fpr": _rate(c["fp"], c["tn"])}
    worn = [c for c in per_joint.values() if c["tp"] + c["fn"]]
    rul_errors = [e for j in judged for e in j["rul_errors"]]
    before_failure = all(j["first_failure_task"] is None or
                         (j["first_flag_task"] is not None and j["first_flag_task"] <= j["first_failure_task"])
                         for j in judged)
    out = {"tp": tp, "fp": fp, "tn": tn, "fn": fn, "wear_tpr": _rate(tp, fn), "wear_fpr": _rate(fp, tn),
           "per_joint": per_joint,
           "wear_tpr_worst_joint": min((c["tpr"] for c in worn), default=math.nan),
           "wear_fpr_worst_joint": max((c["fpr"] for c in per_joint.values() if c["fp"] + c["tn"]), default=math.nan),
           "wear_flagged_before_failure": before_failure,
           "rul_error_frac": float(np.median(rul_errors)) if rul_errors else math.nan,
           "rul_error_frac_p90": float(np.percentile(rul_errors, 90)) if rul_errors else math.nan,
           "rul_error_frac_mean": float(np.mean(rul_errors)) if rul_errors else math.nan,
           "rul_error_frac_max": float(np.max(rul_errors)) if rul_errors else math.nan,
           "rul_estimates_judged": len(rul_errors),
           "rul_estimates_missing": sum(j["rul_missing"] for j in judged)}
    out["targets_met"] = bool(tasks >= 1000 and out["wear_tpr"] >= 0.9 and out["wear_fpr"] <= 0.01 and before_failure)
    return out


def _recorded_run(robot: dict) -> dict:
    """What the judge needs of a recorded robot: its checks and its first failed task."""
    return {"checks": robot["checks"], "first_failure_task": robot["judged"]["first_failure_task"]}


def rejudge(path: Path = Path(__file__).resolve().parent / "results" / "wear_soak.json", *,
            run_flag_margin: Optional[float] = None) -> dict:
    """Judges a recorded soak again with the present judge and the present wear record's flag
    margin (no robot runs: the checks' ratios and each robot's first failed task are in the
    record). ``run_flag_margin``: the margin the robots ran with, for a record that does not
    say. Rewrites the record and the health keys."""
    record = json.loads(path.read_text())
    margin = WearMonitor().flag_margin
    for d in record["robots_detail"]:
        ran = d.get("flag_margin", run_flag_margin)
        d["flag_margin"] = ran
        d["judged"] = judge_robot(_recorded_run(d), flag_margin=None if ran == margin else margin)
    record.update(summary([d["judged"] for d in record["robots_detail"]], record["tasks"]))
    ran = sorted({d["flag_margin"] for d in record["robots_detail"]}, key=str)
    record["flag_margin"] = margin
    ran_with = ", ".join("unknown" if m is None else f"{m:.0%}" for m in ran)
    record["judged_again"] = (f"judged again by rejudge() at the present flag margin ({margin:.0%}; the robots "
                              f"ran with {ran_with}); the runs are the recorded ones")
    path.write_text(json.dumps(record, indent=2) + "\n")
    update_health({k: record[k] for k in HEALTH_KEYS})
    return record


def spot_check(robots: int = 4, path: Path = Path(__file__).resolve().parent / "results" / "wear_soak.json") -> dict:
    """Runs the soak's first ``robots`` robots again with the present code and records them
    beside the soak (``spot_check`` in its record) against the same robots' recorded runs,
    judged alike; the soak's own figures stay as they were measured. For a change to what the
    soak measures when the whole soak cannot be re-run at once."""
    record = json.loads(path.read_text())
    robot_specs = specs(record["tasks"], record["robots"])[:robots]
    progress = Progress(len(robot_specs))
    t0 = time.perf_counter()
    results = run_campaign(robot_specs, runner=run_wear_robot, workers=default_workers(),
                           on_result=lambda _i, result: progress.update(result))
    judged = [judge_robot(r) for r in results]
    recorded = [d["judged"] for d in record["robots_detail"][:robots]]
    tally = lambda js: {k: sum(j[k] for j in js) for k in ("tp", "fp", "tn", "fn")}     # noqa: E731
    record["spot_check"] = {
        "robots": robots, "tasks": sum(len(r["tasks"]) for r in results), "wall_time_s": time.perf_counter() - t0,
        "now": tally(judged), "recorded": tally(recorded),
        "succeeded_now": sum(t["success"] for r in results for t in r["tasks"]),
        "first_flag_task_now": [j["first_flag_task"] for j in judged],
        "first_flag_task_recorded": [j["first_flag_task"] for j in recorded],
        "rul_error_median_now": float(np.median([e for j in judged for e in j["rul_errors"]] or [math.nan])),
        "rul_error_median_recorded": float(np.median([e for j in recorded for e in j["rul_errors"]] or [math.nan]))}
    path.write_text(json.dumps(record, indent=2) + "\n")
    return record["spot_check"]


def _spot_check(r: dict) -> str:
    c = r.get("spot_check")
    if not c:
        return ""
    rate = lambda t: f"TPR {_rate(t['tp'], t['fn']):.2f} ({t['tp']}/{t['tp'] + t['fn']}), FPR {_rate(t['fp'], t['tn']):.3f} ({t['fp']}/{t['fp'] + t['tn']})"   # noqa: E731
    return f"""
A spot check, the soak's first {c['robots']} robots run again with later code ({c['tasks']} tasks,
`make soak-spot SPOT_ROBOTS={c['robots']}`,
{c['wall_time_s'] / 60:.0f} min): now {rate(c['now'])}, their recorded runs {rate(c['recorded'])}; first flag at task
{c['first_flag_task_now']} (recorded {c['first_flag_task_recorded']}); remaining-life error median
{c['rul_error_median_now']:.2f} (recorded {c['rul_error_median_recorded']:.2f}); {c['succeeded_now']} of {c['tasks']} tasks succeeded.
"""


def misjudged_truth(r: dict) -> dict[str, list[float]]:
    """The plant's true ratio at each misjudged (check, joint) pair of a soak record: ``fp``
    (flagged short of the doubling) and ``fn`` (doubled, not flagged yet)."""
    judged = [d["judged"] for d in r["robots_detail"]]
    return {k: [v for j in judged for v in j.get(f"{k}_truth", [])] for k in ("fp", "fn")}


def margin_sweep(r: dict, margins=(0.0, 0.02, 0.04, 0.06)) -> list[dict]:
    """The soak's rates had the wear record flagged at other margins, judged from the recorded
    ratios (``judge_robot(flag_margin=...)``): the runs are the same, only the threshold differs."""
    out = []
    for margin in margins:
        judged = [judge_robot(_recorded_run(d), flag_margin=margin) for d in r["robots_detail"]]
        rates = summary(judged, r["tasks"])
        out.append({"margin": margin, "tpr": rates["wear_tpr"], "fpr": rates["wear_fpr"],
                    "tpr_worst_joint": rates["wear_tpr_worst_joint"], "fpr_worst_joint": rates["wear_fpr_worst_joint"]})
    return out


def _sweep_rows(r: dict) -> str:
    return "\n".join(f"| {m['margin']:.0%} ({2.0 * (1 + m['margin']):.2f}x) | {m['tpr']:.3f} | {m['fpr']:.4f} | "
                     f"{m['tpr_worst_joint']:.2f} | {m['fpr_worst_joint']:.3f} |" for m in margin_sweep(r))


def final_wear(r: dict) -> list[float]:
    """Joints 1-6: the largest true lost motion at a robot's last check, over its first."""
    worst = [0.0] * 6
    for robot in r["robots_detail"]:
        if robot["checks"]:
            first, last = robot["checks"][0]["true_lost_motion_factor"], robot["checks"][-1]["true_lost_motion_factor"]
            worst = [max(w, b / a) for w, a, b in zip(worst, first, last)]
    return worst


def _range(values: list[float]) -> str:
    return "none" if not values else f"{min(values):.2f}-{max(values):.2f}x ({len(values)})"


def _margin_history(r: dict) -> str:
    """Why the flag sits at the doubling, told for the robots the record holds."""
    earlier = ("A 4 % margin was chosen on an earlier soak: with the check's earlier fit (the model's "
               "torque) the shoulder was flagged at 5 of 86 checks at a true 1.94-1.99x.")
    margin = r.get("flag_margin", 0.0)
    if {d.get("flag_margin", margin) for d in r["robots_detail"]} != {margin}:
        return (earlier + " The robots recorded here ran with it, and with the check's present fit it only "
                "made doublings late (the table of margins), so the record flags at the doubling again.")
    return (earlier + " With the check's present fit it only made doublings late (the table of margins), "
            "so the robots recorded here ran at the doubling.")


def _margin_note(r: dict) -> str:
    margin = r.get("flag_margin", 0.0)
    ran = {d.get("flag_margin", margin) for d in r["robots_detail"]}
    note = f"`body/wear_monitor.py`, flag margin {margin:.0%}"
    if ran != {margin}:
        ran_with = ", ".join("an unknown" if m is None else f"{m:.0%}" for m in sorted(ran, key=str))
        note += (f"; the robots ran with {ran_with}, and the figures above judge their recorded ratios "
                 "at the present margin, as the table of margins does")
    return note


def _per_joint_met(r: dict) -> str:
    tpr, fpr = r.get("wear_tpr_worst_joint", math.nan), r.get("wear_fpr_worst_joint", math.nan)
    return "met" if tpr >= 0.9 and fpr <= 0.01 else "**not met**"


def _joint_rows(r: dict) -> str:
    return "\n".join(f"| {j} | {c['tp']} | {c['fn']} | {c['fp']} | {c['tn']} | "
                     + (f"{c['tpr']:.2f}" if c["tp"] + c["fn"] else "-") + f" | {c['fpr']:.3f} |"
                     for j, c in r.get("per_joint", {}).items())


def markdown(r: dict) -> str:
    modes = r["success_by_compensation"]
    rows = "\n".join(f"| {name} | {m['succeeded']} / {m['tasks']} |" for name, m in modes.items())
    return f"""{r['tasks']} coffee tasks on {r['robots']} robots (honest units, accelerated reducer wear, a drivetrain check
before every {r['check_every']} tasks), {r['workers']} workers, {r['soak_wall_time_s'] / 60:.0f} min.

| measure | value | target |
|---|---|---|
| coffee tasks | {r['tasks']} | ≥ 1000 |
| doubled lost motion flagged (TPR; {r['tp']} of {r['tp'] + r['fn']}) | {r['wear_tpr']:.2f} | ≥ 0.90 |
| flags before a doubling (FPR; {r['fp']} of {r['fp'] + r['tn']}) | {r['wear_fpr']:.3f} | ≤ 0.01 |
| the same on the worst joint alone: TPR / FPR | {r.get('wear_tpr_worst_joint', math.nan):.2f} / {r.get('wear_fpr_worst_joint', math.nan):.3f} | (≥ 0.90 / ≤ 0.01 per joint: {_per_joint_met(r)}) |
| flagged before any task failed | {r['wear_flagged_before_failure']} | True |
| remaining-life error, median (p90; mean; max) over {r['rul_estimates_judged']} estimates | {r['rul_error_frac']:.2f} ({r['rul_error_frac_p90']:.2f}; {r.get('rul_error_frac_mean', math.nan):.2f}; {r.get('rul_error_frac_max', math.nan):.1f}) | reported |
| checks before a doubling with no remaining-life estimate | {r.get('rul_estimates_missing', '-')} | reported |

Per joint (pairs of check and joint; the targets read pooled over all of them, as above):

| joint | TP | FN | FP | TN | TPR | FPR |
|---|---|---|---|---|---|---|
{_joint_rows(r)}

The same robots' recorded ratios judged at other flag margins (only the threshold differs):

| flag margin | TPR | FPR | worst joint TPR | worst joint FPR |
|---|---|---|---|---|
{_sweep_rows(r)}

Task success over the soak:

| compensation | succeeded |
|---|---|
{rows}

Targets met, pooled as they read: {r['targets_met']}; judged per joint: {_per_joint_met(r)}.
{_spot_check(r)}
Judged at every drivetrain check after a robot's first, joints 1-6 (pairs of check and joint);
by their last check the robots' joints 1-6 had reached at most {', '.join(f'{w:.1f}x' for w in final_wear(r))}
their first lost motion (the shoulder wears fastest). Each check's lost motion is the check's own fit
(`body/drivetrain_check.py`, `FlankFit`): a line through both flanks' residuals against the
drive's torque, so the error of the body's twist model drops out. A joint is flagged once its
ratio to its first check reaches the doubling ({_margin_note(r)}). {_margin_history(r)} True ratio at the false flags here: {_range(misjudged_truth(r)['fp'])}; at
the doublings not flagged yet: {_range(misjudged_truth(r)['fn'])}. The targets read pooled over every
(check, joint) pair, and joints that never wear add only true negatives there; joint by joint
the worst rates are TPR {r.get('wear_tpr_worst_joint', math.nan):.2f} and FPR {r.get('wear_fpr_worst_joint', math.nan):.3f} (a joint with few doublings
reads coarse: joint 4 has a handful). No task failed in either mode: a harmonic gear with 3x its
lost motion still makes coffee, so "flagged before a failure" held without being tested, and
adaptive compensation made no difference to success here (it does to tracking: `adaptive`).
"""
