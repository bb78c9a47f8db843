"""thermal: motor thermal protection judged on the simulated motors (sim/motor_thermal.py:
three nodes, iron loss, its own numbers, each motor's thermal values spread +/-5 % per seed),
which the body's estimator (body/motor_thermal.py: the maker's two-term impedance from
config/motor_datasheets.yaml) never sees.

Two duties on all seven motors, each run with the estimate only (baseline: what the motors go
through without protection), with derating as the body runs it (the drives' voltage correcting
the estimate) and with derating from current and housing alone, in the same run:
- normal: pick and place for 30 minutes (a 12 s cycle: two accelerations to 2x the continuous
  torque on a load drifting between 0.3 and 0.8 of it);
- 3x overload: three times the continuous torque for 15 minutes.
Then the whole arm (MuJoCo, body controller, motors spread as above and soaked at 90 C) held
against a 90 N push on the hand for 40 s (about 3x the continuous torque at joint 4), with and
without protection (runtime monitor off, or it would stop the push as a collision).

Writes ``bench/results/health.json`` (the thermal keys only: winding_temp_error_max_c,
magnet_margin_min_c, demagnetisation_events), keeping keys other benchmarks put there.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.motor_thermal import MotorThermal, ThermalLimits, load_datasheets
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.motor_thermal import MotorThermalPlant, MotorThermalPlantConfig
from brainbody.sim.scene import SceneConfig
from health_file import update_health   # bench/health_file.py

TITLE = "motor thermal protection: estimate vs plant, derating under a 3x overload"

SEEDS = (0, 1, 2)
SPREAD = 0.05                 # each plant motor's thermal values within +/-5 % of its type
DT_S = 0.01
EFFORT_LIMIT_NM = np.array([87.0] * 4 + [12.0] * 3)
RATED_NM = np.array([25.0] * 4 + [3.5] * 3)          # continuous torque of each joint
SHEETS = ("large",) * 4 + ("small",) * 3
GRADE_LIMIT_C, WINDING_LIMIT_C = 150.0, 155.0
ARM_PUSH_N, ARM_START_C, ARM_S = 90.0, 90.0, 40.0
# The magnets' estimate leans on one catalogue value more than the others: the rotor's thermal
# time constant. The overload is run again with it this far off the sheet, either way.
MAGNET_TAU_SCALES = (0.9, 1.1)


def normal_duty(t: float) -> np.ndarray:
    phase = t % 12.0
    base = 0.55 + 0.25 * np.sin(2 * np.pi * t / 12.0 + np.arange(7))
    burst = 1.6 if phase < 1.0 or 6.0 < phase < 7.0 else 0.0
    return RATED_NM * (base + burst * np.sign(np.sin(2 * np.pi * phase)))


def overload(t: float) -> np.ndarray:
    return 3.0 * RATED_NM


DUTIES = {"normal": (normal_duty, 1800.0), "overload_3x": (overload, 900.0)}


def drive_signals(plant: MotorThermalPlant, speed: np.ndarray, electrical: bool) -> dict:
    """What the drives reported over the last step, for ``MotorThermal.update`` (nothing
    without ``electrical``: a robot whose drives report no voltage)."""
    if not electrical:
        return {}
    return {"drive_current_a": plant.drive_current_a, "drive_voltage_v": plant.drive_voltage_v,
            "joint_speed_radps": speed}


def motors_run(duty: str, seed: int, protect: bool, electrical: bool = True, magnet_tau_scale: float = 1.0) -> dict:
    """One duty on the seven plant motors with the body's estimator (and derating if
    ``protect``; the winding's resistance correcting it if ``electrical``; the sheets' magnet
    time constant times ``magnet_tau_scale``)."""
    demand, duration = DUTIES[duty]
    plant = MotorThermalPlant(MotorThermalPlantConfig(parameter_spread=SPREAD, seed=seed), period_s=DT_S,
                              torque_limit_nm=EFFORT_LIMIT_NM)
    sheets = [dataclasses.replace(d, magnet_time_constant_s=d.magnet_time_constant_s * magnet_tau_scale)
              for d in load_datasheets(SHEETS)]
    body = MotorThermal(sheets, ThermalLimits.from_config(BodyConfig()),
                        effort_limit_nm=EFFORT_LIMIT_NM, housing_c=plant.housing_sensor_c, protect=protect)
    w_err = m_err = w_max = m_max = 0.0
    m_margin_est = m_under = np.inf
    sq_demand = sq_given = 0.0
    speed = np.zeros(7)
    for k in range(int(duration / DT_S)):
        t = k * DT_S
        body.update(DT_S, plant.housing_sensor_c, **drive_signals(plant, speed, electrical))
        wanted = demand(t)
        command = body.derate(wanted)
        body.wrote(command)
        given = plant.torque(command)
        speed = np.full(7, 0.5 if t % 12.0 < 1.0 else 0.0)
        plant.step(speed)
        w_err = max(w_err, float(np.max(np.abs(body.winding_c - plant.winding_c))))
        m_err = max(m_err, float(np.max(np.abs(body.magnet_c - plant.magnet_c))))
        m_under = min(m_under, float(np.min(body.magnet_c - plant.magnet_c)))
        w_max = max(w_max, float(plant.winding_c.max()))
        m_max = max(m_max, float(plant.magnet_c.max()))
        m_margin_est = min(m_margin_est, float(np.min(GRADE_LIMIT_C - body.magnet_c)))
        sq_demand += float(wanted @ wanted)
        sq_given += float(given @ given)
    return {"duty": duty, "seed": seed, "protected": protect, "duration_s": duration,
            "winding_error_max_c": w_err, "magnet_error_max_c": m_err, "winding_max_c": w_max,
            "magnet_max_c": m_max, "magnet_margin_min_est_c": m_margin_est, "magnet_error_min_signed_c": m_under,
            "demagnetisation_events": int(plant.demagnetisation_events.sum()),
            "kt_loss_max_frac": float(plant.kt_loss_fraction.max()),
            "drive_readings_rejected": int(body.implausible_drive_readings.sum()),
            "torque_delivered_frac": float(np.sqrt(sq_given / sq_demand))}


def arm_run(protect: bool) -> dict:
    """The whole arm held against a push, motors soaked hot (see the module docstring)."""
    # Its motors spread like the motor runs' (seed 0's draw): the estimate never meets its sheet's values.
    session = SimSession(seed=0, body_config=BodyConfig(runtime_monitor=False, thermal_protection=protect),
                         motor_thermal=MotorThermalPlantConfig(initial_c=ARM_START_C, parameter_spread=SPREAD, seed=0))
    body, plant = session.body, session.sim.motor_thermal
    session.sim.data.xfrc_applied[session.sim.model.body("panda_hand").id, 2] = -ARM_PUSH_N
    q0 = session.sim.read().q_rad.copy()
    w_err = w_max = m_err = 0.0
    m_margin_est = np.inf
    excess = 0.0
    for _ in range(int(ARM_S / session.sim.period_s)):
        body.tick()
        w_err = max(w_err, float(np.max(np.abs(body.thermal.winding_c - plant.winding_c))))
        m_err = max(m_err, float(np.max(np.abs(body.thermal.magnet_c - plant.magnet_c))))
        w_max = max(w_max, float(plant.winding_c.max()))
        m_margin_est = min(m_margin_est, float(np.min(GRADE_LIMIT_C - body.thermal.magnet_c)))
        if protect:
            excess = max(excess, float(np.max(np.abs(body._last_arm) - body.thermal.torque_limit_nm)))
    return {"protected": protect, "winding_error_max_c": w_err, "magnet_error_max_c": m_err, "winding_max_c": w_max,
            "magnet_max_c": float(plant.magnet_c.max()), "magnet_margin_min_est_c": m_margin_est,
            "demagnetisation_events": int(plant.demagnetisation_events.sum()),
            "joint4_torque_limit_nm": float(body.thermal.torque_limit_nm[3]),
            "joint4_sag_rad": float(q0[3] - session.sim.read().q_rad[3]), "written_above_limit_nm": excess}


# The torque constant from the back-EMF: the coffee task on honest units (their motors a few per
# cent off their sheets, as built), healthy and with a motor demagnetised before the run. Each unit
# is first commissioned: its healthy run's constants at 25 C are recorded as its reference. Then
# (unit, the share of each joint's constant lost for good, adaptive compensation on), each checked
# against that reference; the cases without adaptive compensation against the datasheet too.
_HEALTHY = (0.0,) * 7
COMMISSIONED_UNITS = (0, 1, 2)
DEMAGNETISED = ((1, _HEALTHY, True),
                (0, (0.0, 0.15, 0.0, 0.0, 0.0, 0.0, 0.0), False), (1, (0.0, 0.0, 0.0, 0.0, 0.0, 0.10, 0.0), False),
                (2, (0.0, 0.10, 0.0, 0.0, 0.0, 0.0, 0.0), False),
                (0, (0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0), False), (0, (0.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0), True))


def torque_constant_run(unit: int, kt_loss: tuple, adaptive: bool = False, reference=None) -> dict:
    """The coffee task on honest unit ``unit`` with its motors' constants ``kt_loss`` short, the
    body comparing with ``reference`` (its commissioning constants; None: the datasheet's): the
    body's measured constants against the plant's, and when each joint was first flagged."""
    config = BodyConfig(adaptive_compensation=adaptive,
                        **({} if reference is None else {"torque_constant_reference_nm_per_a": tuple(reference)}))
    session = SimSession(seed=1, body_config=config, scene_config=SceneConfig(plant="honest", robot_seed=unit),
                         motor_thermal=MotorThermalPlantConfig(kt_loss=kt_loss))
    body, plant = session.body, session.sim.motor_thermal
    sheet_kt = np.array([d.kt_nm_per_a for d in load_datasheets(SHEETS)])
    flagged_at = [None] * 7
    errors = []

    def after(primitive):
        errors.append(np.abs(body.torque_constant.measured_nm_per_a - plant.kt_nm_per_a) / sheet_kt)
        for j in np.flatnonzero(body.torque_constant.demagnetised):
            flagged_at[j] = flagged_at[j] if flagged_at[j] is not None else round(body.time_s, 2)

    reports = session.run_plan(Planner(load_catalogue(), body.world).plan("make coffee"), after_each=after)
    if reports[-1].status.name != "SUCCEEDED":
        after(None)           # where the task stopped
    errors = np.array(errors)
    known = np.isfinite(errors)
    at_25c = body.torque_constant.constant_at_25c_nm_per_a
    return {"unit": unit, "kt_loss": list(kt_loss), "adaptive": adaptive, "against": "datasheet" if reference is None
            else "commissioning", "ratio": body.torque_constant.ratio.tolist(),
            "torque_share": None if body.adaptive is None else body.adaptive.torque_share.tolist(),
            "monitor_trips": body.monitor_trips,
            "built_over_sheet": session.sim.realism.motors.kt_factor.tolist(),
            "truth": (plant.kt_nm_per_a / sheet_kt).tolist(),
            "constant_at_25c_nm_per_a": [float(v) if np.isfinite(v) else None for v in at_25c],
            "error_max": float(errors[known].max()) if known.any() else float("nan"),
            "first_known_primitive": int(np.argmax(known.all(axis=1))) + 1 if known.all(axis=1).any() else None,
            "flagged_at_s": flagged_at, "primitives_done": len(reports),
            "task_success": all(r.status.name == "SUCCEEDED" for r in reports) and bool(session.sim.verdict().success),
            "last_message": reports[-1].message}


def commissioning_reference(run: dict) -> np.ndarray:
    """What commissioning records from a healthy unit's run: its constants at 25 C (0 where a
    joint was not measured: that joint keeps its datasheet)."""
    return np.array([0.0 if v is None else v for v in run["constant_at_25c_nm_per_a"]])


def _flag_figures(runs: list) -> dict:
    """Misses (a motor that lost 10 % or more, not flagged), false flags (a healthy joint
    flagged) and the latest first flag of a demagnetised motor, over ``runs``."""
    flagged = [r["flagged_at_s"][j] for r in runs for j in range(7) if r["kt_loss"][j] >= 0.1]
    return {"missed": sum(1 for t in flagged if t is None),
            "false_flags": sum(1 for r in runs for j in range(7)
                               if r["flagged_at_s"][j] is not None and r["kt_loss"][j] == 0.0),
            "flagged_by_s": max((t for t in flagged if t is not None), default=None)}


def run() -> dict:
    runs = []
    for duty in DUTIES:
        for seed in SEEDS:
            # Baseline (estimate only), protection as the body runs it (the drives' voltage
            # correcting the model), and protection from current and housing alone.
            for protect, electrical in ((False, True), (True, True), (True, False)):
                r = motors_run(duty, seed, protect, electrical)
                r["electrical"] = electrical
                runs.append(r)
                label = "baseline " if not protect else ("derating " if electrical else "no voltage")
                print(f"  {duty:12s} seed {seed} {label}: winding max "
                      f"{r['winding_max_c']:6.1f} C, estimate error {r['winding_error_max_c']:5.2f} C, magnets max "
                      f"{r['magnet_max_c']:6.1f} C, demagnetisations {r['demagnetisation_events']}, torque delivered "
                      f"{r['torque_delivered_frac']:.3f}", flush=True)
    sensitivity = []
    for scale in MAGNET_TAU_SCALES:
        for seed in SEEDS:
            r = motors_run("overload_3x", seed, True, True, magnet_tau_scale=scale)
            r["magnet_tau_scale"] = scale
            sensitivity.append(r)
            print(f"  overload_3x  seed {seed} magnet time constant x{scale}: magnet estimate error "
                  f"{r['magnet_error_max_c']:5.2f} C (at most {-r['magnet_error_min_signed_c']:.2f} C below the plant)",
                  flush=True)
    arm = [arm_run(False), arm_run(True)]
    demag, references, commissioning_errors = [], {}, []
    sheet_kt = np.array([d.kt_nm_per_a for d in load_datasheets(SHEETS)])
    for unit in COMMISSIONED_UNITS:
        r = torque_constant_run(unit, _HEALTHY)
        demag.append(r)
        references[unit] = reference = commissioning_reference(r)
        # What commissioning recorded against the unit's motors as built (measured joints).
        measured = reference > 0.0
        commissioning_errors.append(float(np.max(np.abs(reference / sheet_kt - r["built_over_sheet"])[measured],
                                                 initial=0.0)))
        print(f"  coffee task, honest unit {unit} commissioned: constants at 25 C {np.round(references[unit], 5).tolist()} "
              f"(built {np.round(r['built_over_sheet'], 3).tolist()} x sheet), error max {r['error_max']:.4f}, flagged "
              f"{r['flagged_at_s']}", flush=True)
    for unit, loss, adaptive in DEMAGNETISED:
        for reference in ((references[unit],) if adaptive else (references[unit], None)):
            r = torque_constant_run(unit, loss, adaptive, reference)
            demag.append(r)
            print(f"  coffee task, honest unit {unit}, constants lost {loss}{', adaptive' if adaptive else ''}, "
                  f"against its {r['against']}: error max {r['error_max']:.4f}, ratio {np.round(r['ratio'], 3).tolist()}, "
                  f"flagged {r['flagged_at_s']}, task success {r['task_success']} ({r['last_message']})", flush=True)
    for r in arm:
        print(f"  arm push     {'derating ' if r['protected'] else 'baseline '}: winding max {r['winding_max_c']:6.1f} C, "
              f"estimate error {r['winding_error_max_c']:5.2f} C, demagnetisations {r['demagnetisation_events']}, "
              f"joint 4 limit {r['joint4_torque_limit_nm']:.1f} N m, sag {r['joint4_sag_rad']:.3f} rad", flush=True)

    def pick(duty=None, protected=None, key=None, fn=max, electrical=True):
        values = [r[key] for r in runs if (duty is None or r["duty"] == duty)
                  and (protected is None or r["protected"] == protected) and r["electrical"] == electrical]
        return fn(values)

    protected_arm = arm[1]
    summary = {
        "error_normal_c": pick("normal", True, "winding_error_max_c"),
        "error_overload_protected_c": pick("overload_3x", True, "winding_error_max_c"),
        "error_arm_protected_c": protected_arm["winding_error_max_c"],
        "magnet_error_normal_c": pick("normal", True, "magnet_error_max_c"),
        "magnet_error_overload_protected_c": pick("overload_3x", True, "magnet_error_max_c"),
        "magnet_below_plant_max_c": -pick(None, True, "magnet_error_min_signed_c", min),
        "drive_readings_rejected": pick(None, True, "drive_readings_rejected", sum),
        "drive_readings_rejected_baseline_overload": pick("overload_3x", False, "drive_readings_rejected", sum),
        "error_normal_no_voltage_c": pick("normal", True, "winding_error_max_c", electrical=False),
        "error_overload_no_voltage_c": pick("overload_3x", True, "winding_error_max_c", electrical=False),
        "magnet_error_overload_no_voltage_c": pick("overload_3x", True, "magnet_error_max_c", electrical=False),
        "winding_max_overload_baseline_c": pick("overload_3x", False, "winding_max_c"),
        "winding_max_overload_protected_c": pick("overload_3x", True, "winding_max_c"),
        "magnet_max_overload_baseline_c": pick("overload_3x", False, "magnet_max_c"),
        "magnet_max_overload_protected_c": pick("overload_3x", True, "magnet_max_c"),
        "demag_overload_baseline": pick("overload_3x", False, "demagnetisation_events", sum),
        "demag_protected": pick(None, True, "demagnetisation_events", sum) + protected_arm["demagnetisation_events"],
        "demag_arm_baseline": arm[0]["demagnetisation_events"],
        "magnet_margin_min_est_c": min(pick(None, True, "magnet_margin_min_est_c", min),
                                       protected_arm["magnet_margin_min_est_c"]),
        "normal_torque_delivered_frac": pick("normal", True, "torque_delivered_frac", min),
        "overload_torque_delivered_frac": pick("overload_3x", True, "torque_delivered_frac", min),
    }
    for scale in MAGNET_TAU_SCALES:
        these = [r for r in sensitivity if r["magnet_tau_scale"] == scale]
        summary[f"magnet_error_overload_tau_x{scale}_c"] = max(r["magnet_error_max_c"] for r in these)
        summary[f"magnet_below_plant_overload_tau_x{scale}_c"] = -min(r["magnet_error_min_signed_c"] for r in these)
    summary["torque_constant_error_max"] = max(r["error_max"] for r in demag)
    # The healthy runs are their own commissioning (against the datasheet, nothing recorded yet).
    commissioned = [r for r in demag if r["against"] == "commissioning"]
    sheet_only = [r for r in demag if r["against"] == "datasheet"]
    for prefix, these in (("torque_constant", commissioned), ("torque_constant_datasheet", sheet_only)):
        for key, value in _flag_figures(these).items():
            summary[f"{prefix}_{key}"] = value
    summary["commissioning_error_max_frac"] = max(commissioning_errors)
    summary["commissioning_unmeasured_joints"] = int(sum(np.sum(ref == 0.0) for ref in references.values()))
    weak = [r for r in commissioned if max(r["kt_loss"]) >= 0.3]
    summary["weak_shoulder_task_success"] = {("adaptive" if r["adaptive"] else "fixed"): r["task_success"]
                                             for r in weak}
    ambient = 25.0
    summary["overload_winding_rise_ratio"] = ((summary["winding_max_overload_protected_c"] - ambient)
                                              / (summary["winding_max_overload_baseline_c"] - ambient))
    # The estimate's worst error wherever the motors were protected (a baseline overload burns
    # the winding at 500+ C: its error there says nothing).
    health = {"winding_temp_error_max_c": _winding_error_max(summary),
              "magnet_margin_min_c": summary["magnet_margin_min_est_c"],
              "demagnetisation_events": summary["demag_protected"]}
    targets = judge(summary, protected_arm)
    # The back-EMF's torque constant (not in issue 11's text: what noticing a demagnetised motor needs).
    targets["demagnetised motors (10 % and more) flagged in the task against the unit's commissioning constants, "
            "healthy ones never"] = (
        summary["torque_constant_missed"] == 0 and summary["torque_constant_false_flags"] == 0)
    targets["with adaptive compensation the task succeeds on a shoulder 30 % weak"] = (
        summary["weak_shoulder_task_success"].get("adaptive", False))
    print("  " + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in targets.items()))
    print(f"  ratios: overload winding rise protected/baseline {summary['overload_winding_rise_ratio']:.3f}; "
          f"torque delivered normal {summary['normal_torque_delivered_frac']:.3f}, overload "
          f"{summary['overload_torque_delivered_frac']:.3f}; demagnetisations baseline "
          f"{summary['demag_overload_baseline']} vs protected {summary['demag_protected']}")
    update_health(health)
    return {"seeds": list(SEEDS), "spread": SPREAD, "runs": runs, "sensitivity": sensitivity, "arm": arm,
            "torque_constant": demag,
            "summary": summary, "health": health,
            "targets": targets, "targets_met": all(targets.values())}


def _winding_error_max(summary: dict) -> float:
    """The winding estimate's worst error over the protected runs with the drives' voltage."""
    return max(summary["error_normal_c"], summary["error_overload_protected_c"], summary["error_arm_protected_c"])


def judge(summary: dict, protected_arm: dict) -> dict:
    """The targets against a run's summary (the drives' voltage is not in issue 11's text, so
    the estimate from current and housing alone is judged too)."""
    error_max = _winding_error_max(summary)
    return {
        "estimate within 3 C, normal duty": summary["error_normal_c"] <= 3.0,
        "estimate within 3 C, every protected run with the drives' voltage": error_max <= 3.0,
        "estimate within 3 C from current and housing alone (no drive voltage)":
            max(summary["error_normal_no_voltage_c"], summary["error_overload_no_voltage_c"]) <= 3.0,
        "magnets estimated within 3 C, every protected run": max(summary["magnet_error_normal_c"],
                                                                 summary["magnet_error_overload_protected_c"],
                                                                 protected_arm["magnet_error_max_c"]) <= 3.0,
        "winding under 155 C under 3x overload": max(summary["winding_max_overload_protected_c"],
                                                      protected_arm["winding_max_c"]) < WINDING_LIMIT_C,
        "estimated magnets >= 20 C under their limit": summary["magnet_margin_min_est_c"] >= 20.0,
        "zero demagnetisations with protection": summary["demag_protected"] == 0,
    }


def markdown(r: dict) -> str:
    s, h = r["summary"], r["health"]
    base = {(x["duty"], x["seed"]): x for x in r["runs"] if not x["protected"]}
    no_voltage = {(x["duty"], x["seed"]): x for x in r["runs"] if x["protected"] and not x["electrical"]}
    rows = "\n".join(
        f"| {x['duty']} | {x['seed']} | {base[(x['duty'], x['seed'])]['winding_max_c']:.1f} | {x['winding_max_c']:.1f} | "
        f"{base[(x['duty'], x['seed'])]['magnet_max_c']:.1f} | {x['magnet_max_c']:.1f} | "
        f"{base[(x['duty'], x['seed'])]['demagnetisation_events']} | {x['demagnetisation_events']} | "
        f"{100 * base[(x['duty'], x['seed'])]['kt_loss_max_frac']:.0f} % | "
        f"{x['winding_error_max_c']:.2f} | {no_voltage[(x['duty'], x['seed'])]['winding_error_max_c']:.2f} | "
        f"{x['magnet_error_max_c']:.2f} | {x['torque_delivered_frac']:.3f} |"
        for x in r["runs"] if x["protected"] and x["electrical"])
    arm0, arm1 = r["arm"]

    def lost(x):
        return ", ".join(f"joint {j + 1} {100 * v:.0f} %" for j, v in enumerate(x["kt_loss"]) if v) or "none"

    def flagged(x):
        return ", ".join(f"joint {j + 1} at {t:.1f} s" for j, t in enumerate(x["flagged_at_s"]) if t is not None) or "none"

    def share(x):
        if x["torque_share"] is None:
            return "—"
        return ", ".join(f"joint {j + 1} {v:.3f}" for j, v in enumerate(x["torque_share"]) if v < 1.0) or "all 1"

    kt_rows = "\n".join(
        f"| {x['unit']} | {lost(x)} | {x['against']} | {'on' if x['adaptive'] else 'off'} | "
        f"{100 * x['error_max']:.2f} % | {flagged(x)} | {share(x)} | {x['primitives_done']}/12, {x['task_success']} | "
        f"{x['last_message'][:90]} |"
        for x in r["torque_constant"])
    built = "; ".join(f"unit {x['unit']}: " + ", ".join(f"{v:.3f}" for v in x["built_over_sheet"])
                      for x in r["torque_constant"] if x["against"] == "datasheet" and not any(x["kt_loss"]))

    def by(key):
        return s[key] if s[key] is not None else float("nan")
    targets = "\n".join(f"- {k}: **{'met' if v else 'not met'}**" for k, v in r["targets"].items())
    return f"""Plant: seven motors (4 large, 3 small), thermal values spread ±{r['spread'] * 100:.0f} % per seed
{r['seeds']}, 25 C ambient, housing thermistors (10 Hz, ±0.1 C noise, 0.1 C steps), drives reporting
their q-axis current (±0.6 % gain error, 10 mA noise) and voltage (dead-time residual up to ±30 mV, 50 mV
noise). Body: estimate from the commanded current and the housing readings, corrected by the winding's
resistance from the drives' voltage and current (`body/winding_resistance.py`), derating to 20 C under
class F (155 C) and the magnets 20 C under the SH grade (150 C). Baseline: the same duty with the estimate
only (no derating). "No voltage": the same protection from current and housing alone (a robot whose drives
do not report their voltage), same run.

| duty | seed | winding max, baseline (C) | winding max, derating (C) | magnets max, baseline (C) | magnets max, derating (C) | demagnetisations, baseline | demagnetisations, derating | Kt lost for good, baseline | estimate error winding (C) | estimate error winding, no voltage (C) | estimate error magnets (C) | torque delivered / asked, derating |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
{rows}

Whole arm (its motors spread ±{r['spread'] * 100:.0f} % like the motor runs, seed 0), motors soaked at {ARM_START_C:.0f} C, {ARM_PUSH_N:.0f} N pushing the hand down for {ARM_S:.0f} s: without
protection the hottest winding reaches {arm0['winding_max_c']:.1f} C ({arm0['demagnetisation_events']} demagnetisations);
with it {arm1['winding_max_c']:.1f} C (0 written above the thermal limit: {arm1['written_above_limit_nm']:.1e} N m), joint 4
derated to {arm1['joint4_torque_limit_nm']:.1f} N m, the arm giving way by {arm1['joint4_sag_rad']:.2f} rad at joint 4;
estimate error {arm1['winding_error_max_c']:.2f} C winding, {arm1['magnet_error_max_c']:.2f} C magnets.

Ratios (same run): under the 3x overload the hottest winding's rise over ambient with derating / without
**{s['overload_winding_rise_ratio']:.3f}**; torque delivered / asked with derating: normal duty
**{s['normal_torque_delivered_frac']:.3f}** (the same as without: never derated; below 1 because a warm
magnet's Kt is lower), 3x overload **{s['overload_torque_delivered_frac']:.3f}** (without derating the
motors delivered more for those 15 minutes and lost up to half their torque constant for good).

`bench/results/health.json`: winding_temp_error_max_c **{h['winding_temp_error_max_c']:.2f}** (worst over every
protected run with the drives' voltage, which this plant reports: normal duty {s['error_normal_c']:.2f} C, 3x overload
{s['error_overload_protected_c']:.2f} C, arm {s['error_arm_protected_c']:.2f} C; from current and housing alone the 3x overload's
estimate is {s['error_overload_no_voltage_c']:.1f} C off, see below), magnet_margin_min_c **{h['magnet_margin_min_c']:.1f}** (grade limit less the
estimated magnets, every protected run), demagnetisation_events **{h['demagnetisation_events']}** (protected runs;
baseline overload: {s['demag_overload_baseline']}).

Targets:
{targets}

From current and housing alone the winding estimate is {s['error_overload_no_voltage_c']:.1f} C off under the
3x overload (normal duty {s['error_normal_no_voltage_c']:.2f} C): a few per cent of difference in winding
resistance and heat capacity between datasheet and motor is a few per cent of a 100 C rise, and the housing
sees it too late. The winding's resistance sees it at once; calibrated against the model in the first
seconds (winding near the housing), it holds the estimate to {s['error_overload_protected_c']:.2f} C
({s['drive_readings_rejected']} averaged readings rejected as implausible over the protected runs; without
protection the overloaded windings pass 250 C, where the readings are no longer believed:
{s['drive_readings_rejected_baseline_overload']} rejected).
The magnets' estimate is the model's: the rotor as a mass the winding heats across the air gap and the
housing cools, lagging the winding by the sheet's rotor time constant (125 s large, 115 s small). It is
{s['magnet_error_overload_protected_c']:.2f} C off at worst under the 3x overload (at most {s['magnet_below_plant_max_c']:.2f} C below the
plant in any protected run), {s['magnet_error_normal_c']:.2f} C at normal duty and {r['arm'][1]['magnet_error_max_c']:.2f} C on the pushed arm; from current and housing alone
{s['magnet_error_overload_no_voltage_c']:.1f} C (the winding it follows is off). That time constant is the one catalogue
value the magnets lean on: with it 10 % off the sheet the overload's magnet error is
{s['magnet_error_overload_tau_x0.9_c']:.2f} C (x0.9, at most {s['magnet_below_plant_overload_tau_x0.9_c']:.2f} C below the plant) and
{s['magnet_error_overload_tau_x1.1_c']:.2f} C (x1.1, at most {s['magnet_below_plant_overload_tau_x1.1_c']:.2f} C below), same run.

**The torque constant from the back-EMF** (`body/torque_constant.py`): the coffee task (seed 1) on
honest units, whose motors are built a few per cent off their sheets (the plant's constant, for the
torque and the back-EMF alike; the body does not know it), with the body's least-squares fit of each
drive's voltage on motor speed, current and the current's sign. Built over sheet: {built}.
Each unit is commissioned first: its healthy run's constants taken back to 25 C are recorded
(`torque_constant_reference_nm_per_a`; {s['commissioning_error_max_frac'] * 100:.1f} % off the built motors at worst,
{s['commissioning_unmeasured_joints']} joints not measured). Then motors demagnetised before the run (the plant's
constant that much short for good; the drives still convert torque to current with the datasheet's),
checked against the unit's commissioning constants, and the cases without adaptive compensation
against the datasheet too. "Constant error": the body's measured constant against the plant's, over
the sheet's, worst joint, sampled at the end of every primitive once measured. Flagged: under
`torque_constant_warn_frac` (8 %) of the reference at the magnets' estimated temperature, WARN on
`/diagnostics`. Torque share: what adaptive compensation takes each flagged joint to deliver of what
is written (it writes that joint's commands scaled up by its inverse).

| unit | constants lost | against | adaptive | constant error | flagged | torque share | primitives, ground-truth success | last report |
|---|---|---|---|---|---|---|---|---|
{kt_rows}

Against the commissioning constants every motor that lost 10 % or more was flagged by
{by('torque_constant_flagged_by_s'):.1f} s of the task ({s['torque_constant_missed']} missed, {s['torque_constant_false_flags']} false flags). Against the
datasheet, {s['torque_constant_datasheet_missed']} of the same motors were missed ({s['torque_constant_datasheet_false_flags']} false flags): a motor built
strong that lost 10 % is still within a catalogue's tolerance of its sheet. The measured constants
were within {100 * s['torque_constant_error_max']:.1f} % of the plant's. A shoulder that lost 15 % or 30 % delivers that
much less than the servo asks: the runtime monitor reads the missing torque on the arm's weight as a collision
and stops the task. With adaptive compensation the 30 % shoulder's commands are scaled up by what the
back-EMF says it lost, and the task succeeds; on a healthy unit adaptive compensation scales nothing.

History of the magnet estimate (same benchmark): the previous body model put the magnets a fixed fraction of
the way from the housing to the winding along the slow term, rising from the first second of a load. The
plant's rotor cannot warm before its winding has, so that model ran up to 13.6 C above the plant in the
overload's first minutes (never more than 0.28 C below). The sheets' time constants were set 7-9 % under
the built motors' nominal ones (rotor heat capacity times its two thermal resistances in parallel: 137 s
and 123 s), as the other sheet values are a few per cent off; the x0.9 and x1.1 figures above show what
that choice is worth. Tried offline and not adopted: the magnets' back-EMF as a thermometer. With this
benchmark's 1 s of motion in every 12 s and the drives' 50 mV noise at 100 Hz, one motion reads the magnets
to about 1-2 C (large motors) and 3-5 C (small ones). A Kalman filter fusing those readings with the lagged
model, its time constant 20 % over the sheet's, cut the overload's worst error only from 6.5 C to 4.1-4.4 C
and raised the normal duty's from 0.8 C to 1.0-1.2 C.
"""
