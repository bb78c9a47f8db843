"""slip: the paper cup is held in the air by the whole robot in the coffee scene (reach, grasp
with a light grip, lift), then, during a wait, its mass rises by 0.2 kg at once (the coffee
machine's fill in one go). Measured from MuJoCo ground truth: the cup's height relative to
the finger pads (how far it slides and when that motion stops) and the judge's squeeze from
the contact forces (crushed above 4 N). Slip detection time is when the body's detector
first flags it, counted from the mass step.

Baseline in the same run: the same event with the slip reflex switched off (the grip loop
keeps regulating its set-point, as a force-controlled gripper without slip sensing does).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.slip_detection import SlipState
from brainbody.primitives import PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.sim.disturbance import set_body_mass
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import SceneConfig

HEADLINES = {"displacement_ratio": "cup slide with reflex / without (median)",
             "median_baseline_displacement_m": "cup slide without reflex (median), m"}
TITLE = "slip reflex: a held cup gets 0.2 kg heavier at once"

SEEDS = (0, 1, 2)
HOLD_FORCES_N = (0.5, 0.8)
MASS_STEP_KG = 0.2
STEP_AFTER_S = 0.2           # into the wait primitive
OBSERVE_S = 0.5
MOVING_MPS = 0.002           # relative speed above this counts as slipping
DIFF_S = 0.005               # relative speed from positions this far apart
TARGETS = {"detected_s": 0.030, "arrested_s": 0.050, "displacement_m": 0.002}



def hold_cup_plan(hold_n: float) -> TaskPlan:
    """Reach, grasp with ``hold_n`` and lift the cup: the state every slip trial starts from."""
    return TaskPlan("hold-cup", "hold the cup", (
        TaskPrimitive("reach", PrimitiveKind.REACH, object_id="cup"),
        TaskPrimitive("grasp", PrimitiveKind.GRASP, object_id="cup", grip_force_n=hold_n),
        TaskPrimitive("lift", PrimitiveKind.LIFT, object_id="cup")))


def trial(seed: int, hold_n: float, reflex: bool, plant: str = "ideal") -> dict:
    config = dataclasses.replace(BodyConfig(), slip_reflex=reflex)
    session = SimSession(seed=seed, body_config=config, scene_config=SceneConfig(plant=plant))
    body, sim = session.body, session.sim
    reports = session.run_plan(hold_cup_plan(hold_n))
    if reports[-1].status.name != "SUCCEEDED" or len(reports) < 3:
        raise RuntimeError(f"setup failed: {reports[-1].message}")
    m, d = sim.model, sim.data
    cup = m.body("cup").id
    pads = [m.body(n).id for n in ("panda_leftpad", "panda_rightpad")]
    session.refresh_world()
    execution = body.execute(TaskPrimitive("hold", PrimitiveKind.WAIT, duration_s=STEP_AFTER_S + OBSERVE_S))
    t_step = body.time_s + STEP_AFTER_S
    trace = {"stepped": False, "t_step": t_step, "squeeze_before": 0.0, "detected": None}
    rel, times = [], []

    def observe() -> None:
        """Between ticks: add the mass once it is time, then record the cup against the pads."""
        if not trace["stepped"]:
            if body.time_s >= trace["t_step"]:
                trace["squeeze_before"] = sim.judge.peak_squeeze_n
                set_body_mass(m, d, cup, float(m.body_mass[cup]) + MASS_STEP_KG)
                trace["stepped"], trace["t_step"] = True, float(d.time)
            return
        times.append(float(d.time) - trace["t_step"])
        rel.append(float(d.xpos[cup][2] - 0.5 * (d.xpos[pads[0]][2] + d.xpos[pads[1]][2])))
        if trace["detected"] is None and body.grip.slip.state is not SlipState.NONE:
            trace["detected"] = float(d.time) - trace["t_step"]

    session.loop.every(0.0, observe)
    session.loop.run_execution(execution, max_time_s=2.0 * (STEP_AFTER_S + OBSERVE_S))
    detected, squeeze_before = trace["detected"], trace["squeeze_before"]
    times, rel = np.asarray(times), np.asarray(rel)
    rel0 = rel[0]
    displacement = float(np.max(np.abs(rel - rel0)))
    lag = max(int(round(DIFF_S / sim.period_s)), 1)
    speed = np.abs(rel[lag:] - rel[:-lag]) / (times[lag:] - times[:-lag])
    moving = np.flatnonzero(speed > MOVING_MPS)
    if not len(moving):
        arrested = 0.0
    elif moving[-1] + lag + 1 < len(times) - int(0.1 / sim.period_s):
        arrested = float(times[moving[-1] + lag])
    else:
        arrested = float("inf")          # still sliding at the end of the window
    report = body.report(execution)
    verdict = sim.verdict()
    return {"seed": seed, "hold_n": hold_n, "reflex": reflex, "detected_s": detected, "arrested_s": arrested,
            "displacement_m": displacement, "peak_squeeze_n": verdict.peak_squeeze_n,
            "squeeze_before_step_n": squeeze_before, "crushed": verdict.crushed, "dropped": verdict.dropped,
            "final_grip_n": body.grip.measured_force_n, "primitive_status": report.status.name,
            "error_code": report.error_code}


def _met(t: dict) -> bool:
    return (t["detected_s"] is not None and t["detected_s"] <= TARGETS["detected_s"]
            and t["arrested_s"] <= TARGETS["arrested_s"] and t["displacement_m"] <= TARGETS["displacement_m"]
            and not t["crushed"] and not t["dropped"])


def run(plant: str = "ideal") -> dict:
    rows = []
    for hold in HOLD_FORCES_N:
        for seed in SEEDS:
            pair = {"reflex": trial(seed, hold, True, plant), "baseline": trial(seed, hold, False, plant)}
            r, b = pair["reflex"], pair["baseline"]
            print(f"hold {hold} N seed {seed}: reflex detected {r['detected_s'] * 1e3:.0f} ms, arrested "
                  f"{r['arrested_s'] * 1e3:.0f} ms, moved {r['displacement_m'] * 1e3:.2f} mm, peak "
                  f"{r['peak_squeeze_n']:.2f} N | baseline moved {b['displacement_m'] * 1e3:.1f} mm, arrested "
                  f"{b['arrested_s'] * 1e3:.0f} ms, dropped {b['dropped']}")
            rows.append(pair)
    met = all(_met(p["reflex"]) for p in rows)
    worst = {k: max(p["reflex"][k] for p in rows) for k in ("detected_s", "arrested_s", "displacement_m",
                                                             "peak_squeeze_n")}
    base_disp = float(np.median([p["baseline"]["displacement_m"] for p in rows]))
    return {"plant": plant, "trials": rows, "targets": TARGETS, "mass_step_kg": MASS_STEP_KG, "worst_reflex": worst,
            "median_baseline_displacement_m": base_disp,
            "displacement_ratio": float(np.median([p["reflex"]["displacement_m"] / max(p["baseline"]["displacement_m"], 1e-9)
                                                   for p in rows])),
            "targets_met": bool(met)}


def _ms(v) -> str:
    if v is None:
        return "never"
    return "not arrested" if not np.isfinite(v) else f"{v * 1e3:.0f} ms"


def markdown(r: dict) -> str:
    t = r["targets"]
    lines = [f"Cup lifted 0.1 m by the arm, held with a light grip, +{r['mass_step_kg']} kg at once. Targets: "
             f"detected ≤ {t['detected_s'] * 1e3:.0f} ms, arrested ≤ {t['arrested_s'] * 1e3:.0f} ms (relative "
             f"speed below {MOVING_MPS * 1e3:.0f} mm/s for good), moves ≤ {t['displacement_m'] * 1e3:.0f} mm "
             "relative to the pads, never crushed (4 N).", "",
             "| hold | seed | reflex: detected / arrested / moved / peak squeeze | baseline (no reflex): moved / "
             "arrested / dropped / peak squeeze | moved ratio | met |", "|---|---|---|---|---|---|"]
    for p in r["trials"]:
        a, b = p["reflex"], p["baseline"]
        ratio = a["displacement_m"] / max(b["displacement_m"], 1e-9)
        lines.append(f"| {a['hold_n']:.1f} N | {a['seed']} | {_ms(a['detected_s'])} / {_ms(a['arrested_s'])} / "
                     f"{a['displacement_m'] * 1e3:.3f} mm / {a['peak_squeeze_n']:.2f} N | "
                     f"{b['displacement_m'] * 1e3:.1f} mm / {_ms(b['arrested_s'])} / {b['dropped']} / "
                     f"{b['peak_squeeze_n']:.2f} N | {ratio:.3f} | {'yes' if _met(a) else '**no**'} |")
    w = r["worst_reflex"]
    lines += ["", f"Worst with the reflex: detected {_ms(w['detected_s'])}, arrested {_ms(w['arrested_s'])}, moved "
              f"{w['displacement_m'] * 1e3:.3f} mm, peak squeeze {w['peak_squeeze_n']:.2f} N. Median displacement "
              f"ratio reflex / baseline: {r['displacement_ratio']:.3f}. Targets met: **{r['targets_met']}**.", "",
              "Detection is the body's friction-cone detector (3-axis pad forces, friction estimate 0.8 against the "
              "plant's 1.2) leaving NONE; it reacts on the first tick the load reaches the pads, before the cup has "
              "moved. \"Arrested\" is when the cup's ground-truth speed relative to the pads last exceeds the "
              "threshold; 0 ms means it never did. A mass step in MuJoCo also raises the contact force for a few "
              "milliseconds (contact impedance scales with the bodies' masses), which is in the peak squeeze."]
    return "\n".join(lines)
