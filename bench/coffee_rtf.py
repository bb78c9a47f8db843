"""coffee_rtf: the full "make coffee" task headless, judged by ground truth, measured
  (a) through the core control loop with no ROS, and (b) through the ROS nodes in one
  process (`brainbody demo`), with the median control-step time. The baseline measured in
  the same run is bare MuJoCo stepping of the same scene with no controller: the printed
  ratio says what the controller costs on top of physics.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import mujoco
import numpy as np

from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.runtime.sim_session import SimSession


def bare_physics_step_s(seed: int, steps: int = 20000) -> float:
    session = SimSession(seed=seed)
    model, data = session.sim.model, session.sim.data
    t0 = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data)
    return (time.perf_counter() - t0) / steps


def coffee_core(seed: int) -> dict:
    session = SimSession(seed=seed)
    plan = Planner(load_catalogue(), session.body.world).plan("make coffee")
    step_times: list[float] = []
    body = session.body
    t_wall0 = time.perf_counter()
    session.run_plan(plan, step_times_s=step_times)
    wall = time.perf_counter() - t_wall0
    verdict = session.sim.verdict()
    return {"seed": seed, "success": verdict.success, "sim_time_s": body.time_s, "wall_time_s": wall,
            "real_time_factor": body.time_s / wall, "median_step_us": float(np.median(step_times) * 1e6),
            "p99_step_us": float(np.percentile(step_times, 99) * 1e6),
            "peak_squeeze_n": verdict.peak_squeeze_n}


def coffee_ros(seed: int) -> dict:
    proc = subprocess.run([sys.executable, "-m", "brainbody.cli", "demo", "make coffee", "--seed", str(seed)],
                          capture_output=True, text=True, timeout=900, env=os.environ.copy())
    match = re.search(r"sim time ([\d.]+) s \| wall time ([\d.]+) s \| real-time factor ([\d.]+)x", proc.stdout)
    return {"seed": seed, "success": proc.returncode == 0 and "SUCCESS" in proc.stdout,
            "sim_time_s": float(match.group(1)) if match else None,
            "wall_time_s": float(match.group(2)) if match else None,
            "real_time_factor": float(match.group(3)) if match else None}


TITLE = "the coffee task headless, 1 kHz lock-step control + MuJoCo physics"


def run() -> dict:
    seeds = (0, 1, 2)
    baseline = bare_physics_step_s(0)
    core = [coffee_core(s) for s in seeds]
    ros = [coffee_ros(s) for s in seeds]
    median_step = float(np.median([r["median_step_us"] for r in core]))
    result = {
        "seeds": list(seeds),
        "baseline_bare_physics_step_us": baseline * 1e6,
        "core": core, "ros_in_process": ros,
        "core_rtf_median": float(np.median([r["real_time_factor"] for r in core])),
        "ros_rtf_median": float(np.median([r["real_time_factor"] or 0.0 for r in ros])),
        "median_control_step_us": median_step,
        "control_step_over_bare_physics": median_step / (baseline * 1e6),
        "all_succeeded": all(r["success"] for r in core + ros),
    }
    # The ROS figure is reported against the same target but is a known gap (RESULTS.md).
    result["targets_met"] = result["all_succeeded"] and result["core_rtf_median"] >= 10.0
    print(f"bare physics step {result['baseline_bare_physics_step_us']:.1f} us (baseline); control step "
          f"median {median_step:.1f} us = {result['control_step_over_bare_physics']:.2f}x baseline")
    print(f"real-time factor, core loop: {result['core_rtf_median']:.1f}x (target >= 10x); "
          f"through ROS nodes: {result['ros_rtf_median']:.1f}x; success {result['all_succeeded']}")
    return result


def markdown(r: dict) -> str:
    return f"""| measure | value | target |
|---|---|---|
| baseline: bare MuJoCo step of the scene (no controller) | {r['baseline_bare_physics_step_us']:.1f} µs | — |
| median control step (read, executor, servo, grip loop, write, physics step) | {r['median_control_step_us']:.1f} µs ({r['control_step_over_bare_physics']:.2f}× baseline) | — |
| real-time factor, core loop (no ROS), median of 3 seeds | {r['core_rtf_median']:.1f}× | ≥ 10× |
| real-time factor through the ROS nodes in one process (`brainbody demo`) | {r['ros_rtf_median']:.1f}× | ≥ 10× |
| ground-truth success on every run | {r['all_succeeded']} | True |

{'The core loop meets the ≥ 10× target.' if r['core_rtf_median'] >= 10 else '**The ≥ 10× target is not met** (it was, at 11.3×, before issue 3).'}
What the loop carries now (issue 3): every arm joint is two hinges with a gear stage whose
twist torque, Stribeck friction and encoder quantisation the plant computes each step (bare
physics {r['baseline_bare_physics_step_us']:.0f} µs against 19 µs for rigid joints), and the servo adds inertia and friction
feed-forward, backlash and compliance compensation, the grip loop slip detection (together
~40 µs per step against ~20 µs plain; `cost` below). Through the ROS nodes, action feedback
and world traffic also compete with the 1 kHz loop for the GIL. Next steps: run the control
loop in its own process, and move the plant's per-step Python (drivetrain, ground-truth judge)
into a MuJoCo plugin.
"""
