"""faults: the fault-injection suite (issue 9, section 3). Each case runs brain, body and the
MuJoCo process as three processes over DDS (topic_based profile, lock-step) in a process of
its own (``test/graph/fault_harness.py CASE``), injects one fault and is judged from the
simulator's ground truth: cup dropped or crushed, commands outside the plant's envelope seen
by the MuJoCo process, joint limits and workspace from the true link angles and TCP.

No baseline: these are counts of safety properties, each with a target (all survived, 0 dropped,
0 crushed, 0 unsafe commands).
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from brainbody.sim.obstacle import HELD_CONTACT_LIMIT_N, TRANSIENT_CONTACT_LIMIT_N

HARNESS = Path(__file__).resolve().parents[1] / "test" / "graph" / "fault_harness.py"
TITLE = "fault injection: brain, body and MuJoCo as processes over DDS, judged by ground truth"
# In priority order (issue 9): the brain killed carrying the full cup, e-stop and resume, a lossy
# and slow brain-body link, bad values into commands and sensors, the simulator frozen and killed,
# the full cup slipping (held by the reflex; beyond its force limit, set down), a box dropped into
# the arm's path.
CASES = ("brain_kill", "estop_reset_resume", "lossy_link", "nan_commands", "nan_sensors", "sim_freeze", "sim_kill",
         "cup_slip", "cup_slip_set_down", "obstacle_in_path")
NOT_RUN: tuple = ()


def one(case: str) -> dict:
    if case == "lossy_link":   # brain and body on two "hosts" (network namespaces) joined by a lossy wire
        sys.path.insert(0, str(HARNESS.parent))
        import dataclasses
        from fault_harness import run_across_link
        return {"case": case, **dataclasses.asdict(run_across_link(loss=0.2, delay_ms=50.0))}
    env = os.environ.copy()
    # A private DDS domain per case, on loopback, as the tests do (test/conftest.py).
    env.update(ROS_DOMAIN_ID=str(random.randint(120, 200)), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    proc = subprocess.run([sys.executable, str(HARNESS), case], capture_output=True, text=True, timeout=900, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:    # the harness itself broke: a failed case with its output, never a missing one
        return {"case": case, "fault": case, "survived": False, "dropped": False, "crushed": False,
                "unsafe_commands": 0, "reaction_ms": None,
                "failures": [f"harness exit {proc.returncode}: {(proc.stdout + proc.stderr)[-2000:]}"]}
    return {"case": case, **json.loads(lines[-1])}


def run() -> dict:
    cases = []
    for case in CASES:
        print(f"  {case} ...", flush=True)
        result = one(case)
        print(f"    survived {result['survived']}, reaction {result['reaction_ms']} ms"
              + ("" if result["survived"] else f": {result['failures'][0]}"), flush=True)
        cases.append(result)
    totals = {"faults_injected": len(cases),
              "faults_survived": sum(bool(c["survived"]) for c in cases),
              "objects_dropped": sum(bool(c["dropped"]) for c in cases),
              "objects_crushed": sum(bool(c["crushed"]) for c in cases),
              "unsafe_commands": sum(int(c["unsafe_commands"]) for c in cases)}
    met = (totals["faults_survived"] == totals["faults_injected"] and totals["objects_dropped"] == 0
           and totals["objects_crushed"] == 0 and totals["unsafe_commands"] == 0)
    return {"cases": cases, **totals, "not_run": list(NOT_RUN), "targets_met": met}


def markdown(r: dict) -> str:
    rows = ["| fault | survived | dropped | crushed | unsafe commands | reaction ms | reaction | outcome |",
            "|---|---|---|---|---|---|---|---|"]
    for c in r["cases"]:
        reaction = "—" if c.get("reaction_ms") is None else f"{c['reaction_ms']:.0f}"
        outcome = c.get("outcome", "") if c["survived"] else "FAILED: " + "; ".join(
            f for f in c.get("failures", []) if not f.startswith("logs:"))
        rows.append(f"| {c['fault']} | {c['survived']} | {c['dropped']} | {c['crushed']} | {c['unsafe_commands']} | "
                    f"{reaction} | {c.get('reaction', '')} | {outcome.replace('|', '/')} |")
    return (f"Targets (all survived, 0 dropped, 0 crushed, 0 unsafe commands): "
            f"**{'met' if r['targets_met'] else 'NOT met'}** — {r['faults_survived']} of {r['faults_injected']} "
            f"faults survived, {r['objects_dropped']} dropped, {r['objects_crushed']} crushed, "
            f"{r['unsafe_commands']} unsafe commands.\n\n" + "\n".join(rows) + "\n\n"
            "Each case: `sim_node` (MuJoCo, topic_based, lock-step), `body_node` and `intent_node` as processes, "
            "started afresh (`python test/graph/fault_harness.py CASE`); for the link case the brain runs in one "
            "network namespace and body, MuJoCo and the judge in another, every frame between them through "
            "`test/graph/lossy_wire.py` (20 % dropped each way, the rest delayed 50 ms), with the body's "
            "commander_timeout_s at 0.5 s (the relay, a user-space process, is starved by the two real-time "
            "lock-step threads on 2 cores: a live brain's beats were seen 358 ms apart). *Unsafe commands*: command messages "
            "that reached the MuJoCo process with a non-finite value or one beyond the actuator's range, "
            "counted there before it refuses or applies them. A case also fails on a period that ends with a "
            "true link angle past its URDF range or the true TCP outside the workspace box (none seen), a "
            "reaction later than 1 s, a dead body or a traceback. *Reaction*: wall time from the injection "
            "to the body's report of it (its log stamp), a refusal's answer, or the `/diagnostics` count of "
            "refused states (10 Hz). The bad joint states go out on the robot's state topic, which keeps the "
            "last sample only: one the robot's next sample overtakes before the body's executor takes it is "
            "never seen (nothing acts on it either), so each is sent again until the body has counted it (at "
            "most three sends; the outcome says how many were). The body holds on a state older than 0.6 s here (`stale_hold_s`; the "
            "demo allows 2 s in lock-step), which is why a frozen or killed simulator reacts after ~600 ms. "
            "The obstacle: a 3 kg box of 20 cm sides (`/sim/disturbance/obstacle_drop`) dropped on the table beside "
            "the hand-over spot while the cup is carried there; the hand lowering the cup lands on it. Judged by "
            "the robot's contact force on the box (MuJoCo contacts, ground truth): its peak at most "
            f"{TRANSIENT_CONTACT_LIMIT_N:g} N (the transient contact value ISO/TS 15066 allows on the hand, twice its "
            f"140 N quasi-static one) and at most {HELD_CONTACT_LIMIT_N:g} N once the arm rests (on the box, not "
            "pressing it); its reaction is in sim time, from the "
            "first touch to the body's collision trip. The peak comes from the impact itself, before any "
            "detection can act; MuJoCo's contacts are soft (20 ms), so a steel box would give a higher one. "
            + ("Not run yet: " + "; ".join(r["not_run"]) + ". " if r.get("not_run") else "") + "\n\n"
            "Seen while building the suite, not in the table: a cup made 0.6 kg heavier at once (holding it "
            "needs 4.7 N per finger, above the 4 N it crushes at) was dropped: it slid out during the set-down, "
            "whose support check (the load on the pads falls) took the lost cup for a surface at 0.37 m. With a "
            "CI run and two test runs on the same 2 cores (load 13), a live brain's heartbeat once went silent "
            "for 254 ms and the body abandoned the primitive with COMMANDER_LOST (the cup held, the task "
            "failed); the default commander_timeout_s is 0.25 s. Across the lossy link, before the fixes it "
            "found: a lift judged on a world older than its end (the brain now judges a failed postcondition "
            "again on newer worlds), a result expired after rclpy 9's 10 s (now kept 900 s) and goals unaccepted "
            "within 10 s (now 30 s); once a goal named a brain whose first beat had not crossed the link within "
            "the body's 0.5 s first-beat grace (discovery over the lossy link) and the body held with "
            "COMMANDER_LOST.")
