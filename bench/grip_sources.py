"""grip_sources: what closing the grip loop on the finger drives' effort costs against pad sensors.

The same grip controller (body/grip_force.py) on the gripper rig (sim/gripper_rig.py: the URDF
hand, 1 N finger friction, the paper cup that crushes at 4 N), fed either by the pads' force
sensors or by the finger-effort estimate (body/finger_effort.py: drive effort less the friction
learned while the finger moves freely; contact from a stalled finger; no slip reflex). Every
figure is MuJoCo's contact force between cup and fingers, never the controller's estimate.

(a) Set-points the body accepts for the cup with either source (0.5-2.0 N: with the effort source
    it refuses more than the cup's 3.4 N limit less the finger friction, 2.4 N on a fresh
    estimate): signed steady-state error of the true squeeze, and peak, on the nominal plant and
    20 randomised plants (friction, contact, finger friction and damping, mass x U(0.7, 1.3)).
(b) 300 randomised grasps per source, set-point half at the largest the effort source accepts
    (2.4 N) and half U(0.5, 2.4) N: peak squeeze against the crush force.
The pad-sensor runs on the same plants and set-points are the baseline.
"""
from __future__ import annotations

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.grip_force import GripForceController
from brainbody.body.grip_force_source import check_grip_margin, grip_force_source
from brainbody.exceptions import ForceLimitError
from brainbody.sim.gripper_rig import GripperRig, RigPlant

from grip import CUP_LIMIT_N, STEADY_S, TOUCH_N, _run

TITLE = "grip force sources: finger effort against pad sensors, on the same plants"

SOURCES = ("pad_sensors", "finger_effort")
SETPOINTS_N = (0.5, 1.0, 1.5, 2.0)
RANDOM_PLANTS = 20
CRUSH_TRIALS = 300
WINDOW_S = 0.6
CRUSH_AFTER_CONTACT_S = 0.3


def _grasp(config: BodyConfig, target_n: float, rig: GripperRig, plant) -> tuple[float, float]:
    """Steady true squeeze (mean of both fingers over the last STEADY_S) and peak, one grasp."""
    rig.reset(plant)
    grip = GripForceController(config)
    grip.grasp(target_n, CUP_LIMIT_N)
    times, squeeze = _run(rig, grip, WINDOW_S, grip_force_source(config))
    if not len(squeeze) or squeeze.max() <= TOUCH_N:
        return float("nan"), 0.0
    steady = float(squeeze[times >= times[-1] - STEADY_S].mean())
    return steady, float(squeeze.max())


def run() -> dict:
    rig = GripperRig(object_kind="cup")
    configs = {s: BodyConfig(grip_force_source=s) for s in SOURCES}
    rng = np.random.default_rng(11)
    plants = [None] + [RigPlant.draw(rng, max_offset_m=0.0) for _ in range(RANDOM_PLANTS)]
    rows = []
    for target in SETPOINTS_N:
        row = {"setpoint_n": target}
        for source, config in configs.items():
            runs = [_grasp(config, target, rig, p) for p in plants]
            errors = np.array([s - target for s, _ in runs])
            row[source] = {"nominal_error_n": float(errors[0]), "mean_error_n": float(np.nanmean(errors)),
                           "max_abs_error_n": float(np.nanmax(np.abs(errors))),
                           "max_peak_n": float(max(p for _, p in runs)),
                           "no_contact": int(np.sum(np.isnan(errors)))}
        rows.append(row)
    fresh = grip_force_source(configs["finger_effort"])
    largest = CUP_LIMIT_N - fresh.uncertainty_n
    try:
        check_grip_margin(fresh, 3.0, CUP_LIMIT_N, "cup")
        refuses_3n = False
    except ForceLimitError:
        refuses_3n = True
    draws = np.random.default_rng(12)
    trial_plants = [RigPlant.draw(draws) for _ in range(CRUSH_TRIALS)]
    targets = [largest if i % 2 else float(draws.uniform(0.5, largest)) for i in range(CRUSH_TRIALS)]
    crush = {}
    for source, config in configs.items():
        peaks, grasped = [], 0
        for plant, target in zip(trial_plants, targets):
            rig.reset(plant)
            grip = GripForceController(config)
            grip.grasp(target, CUP_LIMIT_N)
            _, squeeze = _run(rig, grip, CRUSH_AFTER_CONTACT_S, grip_force_source(config))
            peaks.append(float(squeeze.max()) if len(squeeze) else 0.0)
            grasped += int(len(squeeze) and squeeze[-1].min() > 0.5 * target)
        peaks = np.asarray(peaks)
        crush[source] = {"trials": len(peaks), "below_crush": int(np.sum(peaks < rig.crush_force_n)),
                         "max_peak_n": float(peaks.max()), "grasped": grasped}
    for r in rows:
        p, e = r["pad_sensors"], r["finger_effort"]
        print(f"cup {r['setpoint_n']:.1f} N: pads error {p['mean_error_n']:+.2f} N (max |{p['max_abs_error_n']:.2f}|), "
              f"effort error {e['mean_error_n']:+.2f} N (max |{e['max_abs_error_n']:.2f}|), peaks "
              f"{p['max_peak_n']:.2f} / {e['max_peak_n']:.2f} N")
    print(f"crush trials at <= {largest:.2f} N: " + ", ".join(
        f"{s} {c['below_crush']}/{c['trials']} below {rig.crush_force_n} N (max {c['max_peak_n']:.2f} N)"
        for s, c in crush.items()))
    met = refuses_3n and crush["finger_effort"]["below_crush"] == CRUSH_TRIALS
    return {"setpoints": rows, "crush": crush, "crush_force_n": rig.crush_force_n,
            "effort_largest_accepted_n": largest, "effort_refuses_3n_on_cup": refuses_3n,
            "random_plants": RANDOM_PLANTS, "targets_met": bool(met)}


def markdown(r: dict) -> str:
    lines = ["Signed steady-state error of the true squeeze (mean of both fingers, last 100 ms of a 0.6 s grasp) "
             f"on the paper cup; nominal plant and {r['random_plants']} randomised plants.", "",
             "| set-point | pads: nominal / mean / max abs error | effort: nominal / mean / max abs error | "
             "largest peak pads / effort |", "|---|---|---|---|"]
    for x in r["setpoints"]:
        p, e = x["pad_sensors"], x["finger_effort"]
        lines.append(f"| {x['setpoint_n']:.1f} N | {p['nominal_error_n']:+.2f} / {p['mean_error_n']:+.2f} / "
                     f"{p['max_abs_error_n']:.2f} N | {e['nominal_error_n']:+.2f} / {e['mean_error_n']:+.2f} / "
                     f"{e['max_abs_error_n']:.2f} N | {p['max_peak_n']:.2f} / {e['max_peak_n']:.2f} N |")
    c = r["crush"]
    lines += ["", f"Randomised grasps ({c['finger_effort']['trials']} per source, set-point half at "
              f"{r['effort_largest_accepted_n']:.1f} N, the most the effort source accepts for the cup, half below):",
              "", "| source | peak < crush force (4 N) | largest peak | grasped (squeeze > half the set-point "
              "0.3 s after contact) |", "|---|---|---|---|"]
    for s in SOURCES:
        lines.append(f"| {s} | {c[s]['below_crush']}/{c[s]['trials']} | {c[s]['max_peak_n']:.2f} N | "
                     f"{c[s]['grasped']} |")
    lines += ["", f"With the effort source the body refuses 3 N on the cup (FORCE_LIMIT, 106): "
              f"**{r['effort_refuses_3n_on_cup']}**. Targets met (that refusal, and no crush): "
              f"**{r['targets_met']}**.", "",
              "What the effort source costs: the squeeze is the drive's effort less the friction the body learned "
              "while the finger moved freely, so it reads low by whatever the friction does at rest (MuJoCo's "
              "dry friction relaxes once the finger stalls, so the true squeeze sits above the estimate) and it "
              "has no tangential force, so no slip reflex. The body therefore keeps the object's limit minus the "
              "learned friction as the most it will ask for."]
    return "\n".join(lines)
