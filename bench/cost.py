"""cost: wall time of one control step of the control law — the 7-joint servo and the
gripper's force loop (with slip detection) — on the inputs of a real run (the first five
primitives of "make coffee", reach and grasp included).

Baseline (same run, same inputs): the plain PID + gravity servo. Both are timed inside
the same process on the same ticks: every tick calls the plain servo on a twin
controller fed the same measurements, so the ratio is not skewed by machine noise.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.joint_servo import JointServo
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.sim_session import SimSession
from brainbody.joint_rig import PLAIN

TITLE = "control-step cost: 7-joint servo + grip loop with all compensation on, vs plain PID"
PRIMITIVES = 5


def run() -> dict:
    session = SimSession(seed=0)
    body = session.body
    plain = JointServo(BodyConfig(**PLAIN), body.model, body.hardware.period_s)
    servo_torque, grip_update = body.servo.torque, body.grip.update
    full_us: list[float] = []
    plain_us: list[float] = []
    clock = time.perf_counter

    def timed_torque(q_des, qd_des, q, qd):
        t0 = clock()
        tau = servo_torque(q_des, qd_des, q, qd)
        t1 = clock()
        plain.torque(q_des, qd_des, q, qd)
        t2 = clock()
        timed_torque.servo_s, timed_torque.plain_s = t1 - t0, t2 - t1
        return tau

    def timed_grip(*args, **kwargs):
        t0 = clock()
        out = grip_update(*args, **kwargs)
        grip_s = clock() - t0
        full_us.append((timed_torque.servo_s + grip_s) * 1e6)
        plain_us.append((timed_torque.plain_s + grip_s) * 1e6)
        return out

    body.servo.torque = timed_torque
    body.grip.update = timed_grip
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    plan = dataclasses.replace(plan, primitives=plan.primitives[:PRIMITIVES])
    session.run_plan(plan)
    full, base = np.asarray(full_us[100:]), np.asarray(plain_us[100:])   # skip start-up
    result = {"ticks": int(full.size), "median_us": float(np.median(full)), "p99_us": float(np.percentile(full, 99)),
              "baseline_plain_median_us": float(np.median(base)),
              "baseline_plain_p99_us": float(np.percentile(base, 99)),
              "ratio_to_plain": float(np.median(full) / np.median(base)), "target_median_us": 50.0}
    result["targets_met"] = result["median_us"] <= 50.0
    print(f"  all compensation: median {result['median_us']:.1f} us (p99 {result['p99_us']:.1f}); plain PID: "
          f"median {result['baseline_plain_median_us']:.1f} us -> ratio {result['ratio_to_plain']:.2f}; "
          f"{result['ticks']} ticks")
    return result


def markdown(r: dict) -> str:
    return f"""Servo (7 joints) + grip loop per control tick, {r['ticks']} ticks of a real run, both timed on the same ticks.

| control law | median (µs) | p99 (µs) |
|---|---|---|
| plain PID + gravity, grip loop (baseline) | {r['baseline_plain_median_us']:.1f} | {r['baseline_plain_p99_us']:.1f} |
| all compensation on (inertia, friction, backlash, compliance), grip loop with slip detection | **{r['median_us']:.1f}** | {r['p99_us']:.1f} |

Ratio {r['ratio_to_plain']:.2f}× the plain step. Target: median ≤ 50 µs — met: {r['targets_met']}.
"""
