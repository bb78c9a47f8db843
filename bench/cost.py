"""cost: wall time of one control step of the control law — the 7-joint servo and the
gripper's force loop (with slip detection) — on the inputs of a real run (the first five
primitives of "make coffee", reach and grasp included).

The run is recorded once (every servo input and every call into the grip loop, in
order), then replayed through fresh controllers, timing each control step: the full
servo with every compensation on, and the baseline plain PID + gravity servo, on the
same inputs in the same process, three times each. Replaying keeps the simulator's own
work out of the timing, as on a robot where physics is not sharing the core.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.grip_force import GripForceController
from brainbody.body.joint_servo import JointServo
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.runtime.joint_rig import COMPENSATED, PLAIN
from brainbody.runtime.sim_session import SimSession

TITLE = "control-step cost: 7-joint servo + grip loop with all compensation on, vs plain PID"
PRIMITIVES = 5
REPEATS = 3


class _Recorder:
    """Stands in for the grip loop during the recorded run, logging every method call."""

    def __init__(self, grip, log):
        object.__setattr__(self, "_grip", grip)
        object.__setattr__(self, "_log", log)

    def __getattr__(self, name):
        value = getattr(self._grip, name)
        if callable(value):
            def call(*args, **kwargs):
                self._log.append((name, tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args),
                                  kwargs))
                return value(*args, **kwargs)
            return call
        return value

    def __setattr__(self, name, value):
        self._log.append(("__setattr__", (name, value), {}))
        setattr(self._grip, name, value)


def _record() -> tuple[SimSession, list]:
    session = SimSession(seed=0)
    body = session.body
    log: list = []
    servo_torque = body.servo.torque

    def torque(q_des, qd_des, q, qd, dt_s=None):     # the loop passes its measured period
        log.append(("servo", (q_des.copy(), qd_des.copy(), q.copy(), qd.copy(), dt_s), {}))
        return servo_torque(q_des, qd_des, q, qd, dt_s)

    body.servo.torque = torque
    body.grip = _Recorder(body.grip, log)
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    session.run_plan(dataclasses.replace(plan, primitives=plan.primitives[:PRIMITIVES]))
    return session, log


def _replay(log, servo: JointServo, grip: GripForceController) -> np.ndarray:
    clock = time.perf_counter
    steps = []
    pending = 0.0
    for name, args, kwargs in log:
        if name == "servo":
            t0 = clock()
            servo.torque(*args)
            pending = clock() - t0
        elif name == "update":
            t0 = clock()
            grip.update(*args, **kwargs)
            steps.append(pending + clock() - t0)     # one control step: servo + grip loop
        elif name == "__setattr__":
            setattr(grip, *args)
        else:
            getattr(grip, name)(*args, **kwargs)
    return np.asarray(steps[100:]) * 1e6              # skip start-up


def run() -> dict:
    session, log = _record()
    body = session.body
    period = body.hardware.period_s
    full, plain = [], []
    for _ in range(REPEATS):
        full.append(np.median(_replay(log, JointServo(BodyConfig(**COMPENSATED), body.model, period),
                                      GripForceController(body.config))))
        plain.append(np.median(_replay(log, JointServo(BodyConfig(**PLAIN), body.model, period),
                                       GripForceController(body.config))))
    ticks = sum(1 for e in log if e[0] == "update")
    result = {"ticks": ticks, "repeats": REPEATS, "median_us": float(np.median(full)),
              "median_us_per_repeat": [float(v) for v in full],
              "baseline_plain_median_us": float(np.median(plain)),
              "baseline_plain_median_us_per_repeat": [float(v) for v in plain],
              "target_median_us": 50.0}
    result["ratio_to_plain"] = result["median_us"] / result["baseline_plain_median_us"]
    result["targets_met"] = result["median_us"] <= 50.0
    print(f"  all compensation: median {result['median_us']:.1f} us; plain PID: median "
          f"{result['baseline_plain_median_us']:.1f} us -> ratio {result['ratio_to_plain']:.2f}; "
          f"{ticks} ticks x {REPEATS} replays")
    return result


def markdown(r: dict) -> str:
    return f"""Servo (7 joints) + grip loop per control tick, on the recorded inputs of {r['ticks']} ticks of a real
run, replayed {r['repeats']} times (median of the per-replay medians).

| control law | median per step (µs) |
|---|---|
| plain PID + gravity, grip loop (baseline) | {r['baseline_plain_median_us']:.1f} |
| all compensation on (inertia, friction, backlash, compliance), grip loop with slip detection | **{r['median_us']:.1f}** |

Ratio {r['ratio_to_plain']:.2f}× the plain step. Target: median ≤ 50 µs — met: {r['targets_met']}.
This is the servo and grip loop replayed alone, caches warm. Inside the running task the whole
control tick (read, executor, servo, grip loop, runtime monitor, identification, write) is timed
by `coffee_rtf` (`tick_median_us` in `bench/results/coffee_rtf.json`).
"""
