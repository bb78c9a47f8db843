"""friction_payload_id: the body identifies each joint's Coulomb and viscous friction
(``body/friction_identification.py``) and the hand's load (``body/payload_identification.py``)
online from the torque it commands and its motor encoders, during the coffee task on three
honest units. Judged against the plant's ground truth, which the body never reads.

Ground truth, defined from the plant's parameters (``sim/plant_realism.py``, ``sim/drivetrain.py``):

* Coulomb friction of a joint = the LuGre motor friction's steady-state Coulomb level (past the
  Stribeck region; its ripple and the motor's cogging average out over the motion) + the
  output bearing's Coulomb friction. Both oppose the motion the motor drives, both are in
  output-side N m, and the motor current cannot tell them apart (the body estimates their sum).
* Viscous friction = the LuGre model's viscous coefficient at the lubricant's temperature at
  the end of the run (it starts at the room's, 12-35 C by unit, and rises by hundredths of a
  degree during one task).
* In physical torque. The body's estimate is in commanded torque: the unit's torque constant is
  up to 3 % off, which shows 1:1 in the estimate and is not removed.
* Hand load = the tool bracket the unit carries (50-250 g, unknown to the body) + the cup
  while it is lifted (12 g empty, 212 g after brewing). The body's model also gets the hand's
  and link 7's own masses wrong (by about 8 %, about 0.1 kg together): joint torques cannot
  tell that apart from a payload. The mass at the wrist beyond the body's model (everything
  below link 6, plant less URDF, plus the cup) is reported beside it, as what is observable.
* Held object = the cup's mass, against the identified load while lifted less the empty hand's
  just before the grasp (the wrist's model error cancels), and against the hand's weighing with
  its 3-axis pad sensors (``body/object_weighing.py``), read when the primitive after the lift
  ends (the weighing is refined while the arm rests at the lifted pose).
* Payload weighed by the drives (``body/payload_weighing.py``, ``/body/weigh_payload``): a second
  run of the same task on each unit (units 0-5: 3-5 held out) in which the body tares above the
  cup after each REACH (hand empty) and weighs the cup after each LIFT, judged against the cup's
  mass. That is the issue's payload target ("from the signals a real drive has ... payload mass,
  for example the cup before and after filling"): the commanded torque and the motor encoders.
  The tare carries the bracket and the hand's own mass error, which no joint torque can tell
  from a payload; the hand's whole load from the task's own motion (the online estimate above)
  is reported beside it.

* Friction measured by the friction check (``body/friction_check.py``, ``/body/check_friction``):
  a fresh run of each unit (units 0-8: 3-8 held out; the check's speeds, sweep, settling time and
  inertia correction were chosen on 0-2) in which the body runs the check from its ready pose and nothing else,
  judged against the same truth at the check's end. That is the issue's friction target
  ("from the signals a real drive has ... Coulomb and viscous friction"): the commanded torque
  and the motor encoders. The online estimate from the task's own motion is reported beside it.

Baseline in the same run: the datasheet friction estimates (``config/drivetrain_estimates.yaml``).

Writes ``friction_id_error_max_frac`` (the friction check's Coulomb and viscous, every joint of units 0-8),
``payload_id_error_max_frac`` (the cup weighed by the drives at both lifts, every unit) and
``held_object_weighed_error_max_frac`` (the held cup weighed by the pads at both lifts) into
``bench/results/health.json``.
"""
from __future__ import annotations

import math

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.primitives import PrimitiveKind
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import SceneConfig, build_model
from health_file import update_health   # bench/health_file.py

TITLE = "online friction and payload identification from the commanded torque during the coffee task, honest units"
UNITS = (0, 1, 2)
# 3-8 held out: the check's constants were set on 0-2. Units 3-5 were seen once before its last
# change (the inertia taken off): 6-8 are the fresh hold-out.
CHECK_UNITS = (0, 1, 2, 3, 4, 5, 6, 7, 8)
WEIGHING_UNITS = (0, 1, 2, 3, 4, 5)     # 3-5 held out: the weighing's constants were set on 0-2
FRICTION_TARGET_FRAC = 0.15
PAYLOAD_TARGET_FRAC = 0.10
_WRIST = "panda_link7"     # its subtree: link 7, hand, fingers, the unknown bracket


def _wrist_model_error_kg(scene: SceneConfig) -> float:
    """Plant less datasheet mass of everything from link 7 on (cup not held)."""
    honest = build_model(scene)
    ideal = build_model(SceneConfig(drivetrain=scene.drivetrain))
    return float(honest.body_subtreemass[honest.body(_WRIST).id] - ideal.body_subtreemass[ideal.body(_WRIST).id])


def _nan_to_none(values) -> list:
    return [None if not math.isfinite(v) else float(v) for v in values]


def _unit(robot_seed: int) -> dict:
    scene = SceneConfig(plant="honest", robot_seed=robot_seed)
    session = SimSession(seed=1, body_config=BodyConfig(), scene_config=scene)
    body, sim = session.body, session.sim
    payload_kg = float(sim.model.body("unknown_payload").mass[0])
    wrist_error_kg = _wrist_model_error_kg(session.scene_config)
    cup = sim.model.body("cup").id
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    lifts = []

    def after_each(primitive) -> None:
        if lifts and "weighed_kg" not in lifts[-1]:     # the arm has moved on from the lifted pose
            lifts[-1]["weighed_kg"] = _nan_to_none([body.weighing.mass_kg])[0]
            lifts[-1]["weighed_rest_s"] = body.weighing.rest_s
        if primitive.kind is PrimitiveKind.LIFT:
            cup_kg = sim.coffee_machine.cup_mass_kg
            lifted = bool(sim.data.xpos[cup][2] > scene.cup_height_m / 2 + 0.005)
            held_truth = cup_kg if lifted else 0.0
            lifts.append({"cup_kg": cup_kg, "cup_lifted": lifted,
                          "load_identified_kg": _nan_to_none([body.payload_id.mass_kg])[0],
                          "load_std_kg": body.payload_id.mass_std_kg,
                          "held_identified_kg": _nan_to_none([body.payload_id.held_object_kg])[0],
                          "true_in_hand_kg": payload_kg + held_truth,
                          "true_beyond_model_kg": wrist_error_kg + held_truth})

    reports = session.run_plan(plan, after_each=after_each)
    ok = len(reports) == len(plan.primitives) and all(r.status.name == "SUCCEEDED" for r in reports)
    truth_coulomb, truth_viscous = sim.realism.sliding_friction()
    truth_coulomb = truth_coulomb + np.array([d.output_coulomb_nm for d in scene.drivetrains()])
    est = body.servo.estimates
    datasheet_coulomb = est.coulomb_nm + est.output_coulomb_nm
    coulomb, viscous = body.friction_id.coulomb_nm, body.friction_id.viscous_nms_per_rad
    rel = lambda a, b: np.abs(a - b) / b   # noqa: E731
    for lift in lifts:
        value = lift["load_identified_kg"]
        lift["load_error_frac_in_hand"] = None if value is None else abs(value - lift["true_in_hand_kg"]) / lift["true_in_hand_kg"]
        # In kg: the mass beyond the model can be near zero (a light hand carrying a bracket).
        lift["load_error_kg_beyond_model"] = None if value is None else value - lift["true_beyond_model_kg"]
        held = lift["held_identified_kg"]
        lift["held_error_kg"] = None if held is None else held - (lift["cup_kg"] if lift["cup_lifted"] else 0.0)
        weighed = lift.get("weighed_kg")
        lift["weighed_error_frac"] = (None if weighed is None or not lift["cup_lifted"]
                                      else abs(weighed - lift["cup_kg"]) / lift["cup_kg"])
    return {"robot_seed": robot_seed, "task_success": ok and bool(sim.verdict().success),
            "payload_kg": payload_kg, "wrist_model_error_kg": wrist_error_kg,
            "lube_temp_c": sim.realism.lube_temp_c.tolist(),
            "true_coulomb_nm": truth_coulomb.tolist(), "true_viscous_nms_per_rad": truth_viscous.tolist(),
            "identified_coulomb_nm": _nan_to_none(coulomb), "identified_viscous_nms_per_rad": _nan_to_none(viscous),
            "coulomb_error_frac": _nan_to_none(rel(coulomb, truth_coulomb)),
            "viscous_error_frac": _nan_to_none(rel(viscous, truth_viscous)),
            "datasheet_coulomb_error_frac": rel(datasheet_coulomb, truth_coulomb).tolist(),
            "datasheet_viscous_error_frac": rel(est.viscous_nms_per_rad, truth_viscous).tolist(),
            "lifts": lifts}


def _weighing_unit(robot_seed: int) -> dict:
    """The coffee task with the drives weighing the cup: a tare above it after each REACH, the
    weighing after each LIFT (``/body/weigh_payload`` at those moments)."""
    scene = SceneConfig(plant="honest", robot_seed=robot_seed)
    session = SimSession(seed=1, body_config=BodyConfig(), scene_config=scene)
    body, sim = session.body, session.sim
    plan = Planner(load_catalogue(), body.world).plan("make coffee")
    weighings = []

    def weigh() -> None:
        duration = body.weigh_payload()
        session.loop.run_until(lambda: not body.drive_weighing.running, max_time_s=duration + 1.0)

    def after_each(primitive) -> None:
        if primitive.kind is PrimitiveKind.REACH:
            weigh()
        elif primitive.kind is PrimitiveKind.LIFT:
            weigh()
            w = body.drive_weighing
            cup = sim.coffee_machine.cup_mass_kg
            ok = w.state.value == "weighed"
            weighings.append({"cup_kg": cup, "state": w.state.value, "message": w.message,
                              "weighed_kg": w.mass_kg if ok else None, "std_kg": w.mass_std_kg if ok else None,
                              "offset_m": _nan_to_none(w.offset_m) if ok else None,
                              "fit_residual_nm": w.fit_residual_nm if ok else None,
                              "error_frac": abs(w.mass_kg - cup) / cup if ok else None})

    reports = session.run_plan(plan, after_each=after_each)
    ok = len(reports) == len(plan.primitives) and all(r.status.name == "SUCCEEDED" for r in reports)
    return {"robot_seed": robot_seed, "task_success": ok and bool(sim.verdict().success),
            "monitor_trips": body.monitor_trips, "weighings": weighings}


def _checked_unit(robot_seed: int) -> dict:
    """The friction check alone on a fresh run of the unit (``/body/check_friction``)."""
    scene = SceneConfig(plant="honest", robot_seed=robot_seed)
    session = SimSession(seed=1, body_config=BodyConfig(), scene_config=scene)
    body, sim = session.body, session.sim
    session.loop.run_until(lambda: body.time_s > 0.05)
    end = body.time_s + body.check_friction() + 0.2
    session.loop.run_until(lambda: body.time_s > end)
    check = body.friction_check
    truth_coulomb, truth_viscous = sim.realism.sliding_friction()
    truth_coulomb = truth_coulomb + np.array([d.output_coulomb_nm for d in scene.drivetrains()])
    rel = lambda a, b: np.abs(a - b) / b   # noqa: E731
    return {"robot_seed": robot_seed, "state": check.state.value, "message": check.message,
            "monitor_trips": body.monitor_trips, "duration_s": body.time_s,
            "true_coulomb_nm": truth_coulomb.tolist(), "true_viscous_nms_per_rad": truth_viscous.tolist(),
            "checked_coulomb_nm": _nan_to_none(check.coulomb_nm),
            "checked_viscous_nms_per_rad": _nan_to_none(check.viscous_nms_per_rad),
            "coulomb_error_frac": _nan_to_none(rel(check.coulomb_nm, truth_coulomb)),
            "viscous_error_frac": _nan_to_none(rel(check.viscous_nms_per_rad, truth_viscous))}


def _complete_max(values) -> float | None:
    """The largest error, or None when any is missing (a joint the check gave no figure is no pass)."""
    values = list(values)
    return None if not values or any(v is None for v in values) else max(values)


def _max(values) -> float | None:
    values = [v for v in values if v is not None]
    return max(values) if values else None


def run() -> dict:
    """On the honest plant only: identification is judged against a unit that differs from its datasheet."""
    units = [_unit(s) for s in UNITS]
    weighing_units = [_weighing_unit(s) for s in WEIGHING_UNITS]
    checked_units = [_checked_unit(s) for s in CHECK_UNITS]
    for u in checked_units:
        print(f"  unit {u['robot_seed']}, friction check ({u['message']}): Coulomb error "
              f"{['-' if e is None else f'{e:.1%}' for e in u['coulomb_error_frac']]}, viscous error "
              f"{['-' if e is None else f'{e:.1%}' for e in u['viscous_error_frac']]}", flush=True)
    for u in weighing_units:
        print(f"  unit {u['robot_seed']}, weighed by the drives: "
              f"{[(w['cup_kg'], w['weighed_kg'], w['error_frac']) for w in u['weighings']]}; "
              f"task success {u['task_success']}", flush=True)
    for u in units:
        print(f"  unit {u['robot_seed']}: Coulomb error {['-' if e is None else f'{e:.0%}' for e in u['coulomb_error_frac']]}, "
              f"viscous error {['-' if e is None else f'{e:.0%}' for e in u['viscous_error_frac']]}; "
              f"loads at the lifts {[(lf['load_identified_kg'], round(lf['true_in_hand_kg'], 3)) for lf in u['lifts']]}; "
              f"task success {u['task_success']}")
    coulomb = _max(e for u in units for e in u["coulomb_error_frac"])
    viscous = _max(e for u in units for e in u["viscous_error_frac"])
    online_friction = _max([coulomb, viscous])
    # The friction check: every joint of every unit counts (one without a figure fails it).
    check_coulomb = _complete_max(e for u in checked_units for e in u["coulomb_error_frac"])
    check_viscous = _complete_max(e for u in checked_units for e in u["viscous_error_frac"])
    friction = None if check_coulomb is None or check_viscous is None else max(check_coulomb, check_viscous)
    check_train = _complete_max(e for u in checked_units if u["robot_seed"] in UNITS
                                for e in u["coulomb_error_frac"] + u["viscous_error_frac"])
    check_fresh = _complete_max(e for u in checked_units if u["robot_seed"] >= 6
                                for e in u["coulomb_error_frac"] + u["viscous_error_frac"])
    check_trips = sum(u["monitor_trips"] for u in checked_units)
    lifts = [lf for u in units for lf in u["lifts"]]
    hand_load = _max(lf["load_error_frac_in_hand"] for lf in lifts)
    # Every lift of every unit counts: a weighing that did not conclude (None) is no figure at all.
    drive_weighed = [w["error_frac"] for u in weighing_units for w in u["weighings"]]
    complete = (drive_weighed and all(e is not None for e in drive_weighed)
                and all(len(u["weighings"]) == 2 for u in weighing_units))
    payload = max(drive_weighed) if complete else None
    payload_train = _max(w["error_frac"] for u in weighing_units if u["robot_seed"] in UNITS for w in u["weighings"])
    # Every lift counts: one the pads did not weigh (None) is no figure at all.
    weighed = [lf["weighed_error_frac"] for lf in lifts]
    weighed_max = None if not weighed or any(e is None for e in weighed) else max(weighed)
    beyond = _max(None if lf["load_error_kg_beyond_model"] is None else abs(lf["load_error_kg_beyond_model"])
                  for lf in lifts)
    full = [lf for lf in lifts if lf["cup_lifted"] and lf["cup_kg"] > 0.1]
    held_full = _max(None if lf["held_error_kg"] is None else abs(lf["held_error_kg"]) / lf["cup_kg"] for lf in full)
    held_kg = _max(None if lf["held_error_kg"] is None else abs(lf["held_error_kg"]) for lf in lifts)
    update_health({"friction_id_error_max_frac": friction, "payload_id_error_max_frac": payload,
                   "held_object_weighed_error_max_frac": weighed_max})
    return {"plant": "honest", "units": units,
            "friction_id_error_max_frac": friction, "checked_units": checked_units,
            "check_coulomb_error_max_frac": check_coulomb, "check_viscous_error_max_frac": check_viscous,
            "check_error_max_frac_units_0_2": check_train, "check_error_max_frac_units_6_8": check_fresh,
            "check_monitor_trips": check_trips,
            "online_friction_id_error_max_frac": online_friction, "coulomb_id_error_max_frac": coulomb,
            "viscous_id_error_max_frac": viscous,
            "datasheet_coulomb_error_max_frac": max(e for u in units for e in u["datasheet_coulomb_error_frac"]),
            "datasheet_viscous_error_max_frac": max(e for u in units for e in u["datasheet_viscous_error_frac"]),
            "payload_id_error_max_frac": payload, "payload_id_error_max_frac_units_0_2": payload_train,
            "weighing_units": weighing_units, "hand_load_online_error_max_frac": hand_load,
            "held_object_weighed_error_max_frac": weighed_max,
            "payload_beyond_model_error_max_kg": beyond,
            "held_full_cup_error_max_frac": held_full, "held_object_error_max_kg": held_kg,
            "friction_target_frac": FRICTION_TARGET_FRAC, "payload_target_frac": PAYLOAD_TARGET_FRAC,
            "targets_met": (friction is not None and friction <= FRICTION_TARGET_FRAC and check_trips == 0
                            and payload is not None
                            and payload <= PAYLOAD_TARGET_FRAC
                            and all(u["task_success"] for u in units + weighing_units))}


def _fig(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _pct1(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def markdown(r: dict) -> str:
    rows = []
    for u in r["units"]:
        for j in range(7):
            rows.append(f"| {u['robot_seed']} | {j + 1} | {u['true_coulomb_nm'][j]:.3f} | "
                        f"{_fig(u['identified_coulomb_nm'][j], 3)} "
                        f"({_pct(u['coulomb_error_frac'][j])}) | {_pct(u['datasheet_coulomb_error_frac'][j])} | "
                        f"{u['true_viscous_nms_per_rad'][j]:.3f} | "
                        f"{_fig(u['identified_viscous_nms_per_rad'][j], 3)} "
                        f"({_pct(u['viscous_error_frac'][j])}) | {_pct(u['datasheet_viscous_error_frac'][j])} |")
    worst = max(((e, u["robot_seed"], j + 1) for u in r["checked_units"]
                 for j, e in enumerate(u["viscous_error_frac"]) if e is not None), default=(None, None, None))
    worst_text = ("—" if worst[0] is None else
                  f"joint {worst[2]} of unit {worst[1]}{' (held out)' if worst[1] not in UNITS else ''}, {worst[0]:.1%}")
    checked = []
    for u in r["checked_units"]:
        for j in range(7):
            checked.append(f"| {u['robot_seed']}{' (held out)' if u['robot_seed'] not in UNITS else ''} | {j + 1} | "
                           f"{u['true_coulomb_nm'][j]:.3f} | {_fig(u['checked_coulomb_nm'][j], 3)} "
                           f"({_pct1(u['coulomb_error_frac'][j])}) | {u['true_viscous_nms_per_rad'][j]:.4f} | "
                           f"{_fig(u['checked_viscous_nms_per_rad'][j], 4)} ({_pct1(u['viscous_error_frac'][j])}) |")
    loads = []
    for u in r["units"]:
        for k, lf in enumerate(u["lifts"]):
            ident = "—" if lf["load_identified_kg"] is None else f"{lf['load_identified_kg']:.3f} ± {lf['load_std_kg']:.3f}"
            held = "—" if lf["held_identified_kg"] is None else f"{lf['held_identified_kg']:.3f}"
            weighed = ("—" if lf.get("weighed_kg") is None else
                       f"{lf['weighed_kg']:.4f} ({_pct1(lf['weighed_error_frac'])})")
            loads.append(f"| {u['robot_seed']} | {k + 1} | {lf['cup_kg']:.3f} | {u['payload_kg']:.3f} | "
                         f"{lf['true_in_hand_kg']:.3f} | {lf['true_beyond_model_kg']:.3f} | {ident} | "
                         f"{_pct(lf['load_error_frac_in_hand'])} | {_fig(lf['load_error_kg_beyond_model'], 3)} | {held} | "
                         f"{weighed} |")
    weighed = []
    for u in r["weighing_units"]:
        for k, w in enumerate(u["weighings"]):
            offset = "—" if not w["offset_m"] or w["offset_m"][0] is None else \
                f"{1000 * w['offset_m'][0]:.0f}, {1000 * w['offset_m'][1]:.0f}"
            weighed.append(f"| {u['robot_seed']}{' (held out)' if u['robot_seed'] not in UNITS else ''} | {k + 1} | "
                           f"{w['cup_kg']:.3f} | {_fig(w['weighed_kg'], 4)} ± {_fig(w['std_kg'], 4)} | "
                           f"{_pct1(w['error_frac'])} | {offset} | {_fig(w['fit_residual_nm'], 4)} | "
                           f"{u['task_success']} |")
    return f"""Coffee task, cup seed 1, honest units {', '.join(str(u['robot_seed']) for u in r['units'])} (harmonic gears;
LuGre motor friction with ripple, cogging, torque-constant and current errors; link masses ~8 % off; an
unknown 50-250 g bracket on the hand). Identified from the commanded torque, the motor encoders and the
body's own rigid-body model; truth as defined in `bench/friction_payload_id.py`.

Friction measured by the friction check (`/body/check_friction`, `body/friction_check.py`): a fresh run
of each unit, the body sweeping each joint alone at 0.3, 0.6 and 0.9 rad/s both ways (then at 0.9, 0.6
and 0.3 again), {r['checked_units'][0]['duration_s']:.0f} s of motion; half the commanded torque's
difference between up and down at equal angles, less the body's gravity model, averaged over whole
motor revolutions, the settling speed's inertia taken off, and a line through the three speeds.
Truth at the check's end (Coulomb: LuGre steady-state level + output bearing, N m; viscous at the
lubricant's temperature, N m s/rad). Units 3-8 are held out: the speeds, the sweep, the settling time
and the inertia correction were chosen on units 0-2. Units 3-5 were run once before the last of these
(the inertia correction; viscous then within 17 % on them), so units 6-8 are the fresh hold-out.
Runtime monitor trips during the checks: {r['check_monitor_trips']}.

| unit | joint | true Coulomb | checked (error) | true viscous | checked (error) |
|---|---|---|---|---|---|
{chr(10).join(checked)}

Friction identified online during the coffee task (`body/friction_identification.py`; Coulomb and
viscous as above; identified value, its error, and the datasheet estimate's error against the same truth):

| unit | joint | true Coulomb | identified (error) | datasheet error | true viscous | identified (error) | datasheet error |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Hand load at the end of each lift (1: empty cup, 2: after brewing), kg:

| unit | lift | cup | bracket | true in hand | true beyond model | identified ± std | error vs in hand | error vs beyond model (kg) | held object identified | held object weighed by the pads (error vs cup) |
|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(loads)}

The cup weighed by the drives (`/body/weigh_payload`, `body/payload_weighing.py`): the same task run
again on each unit, the body taring above the cup after each REACH (hand empty) and weighing it after
each LIFT; each weighing moves every joint 0.04 rad out and back (each the way that keeps the hand
stillest), 4 periods of 1.5 s, at the tare's pose.
The centre of mass is reported from 20 g up (mm from the TCP, world x and y).

| unit | lift | cup (kg) | weighed ± std (kg) | error | centre of mass (mm) | fit residual (N m) | task success |
|---|---|---|---|---|---|---|---|
{chr(10).join(weighed)}

| target | measured | met |
|---|---|---|
| payload within ±{r['payload_target_frac']:.0%}: the cup before and after filling, weighed by the drives (every weighing, units 0-5) | {_pct1(r['payload_id_error_max_frac'])} (units 0-2: {_pct1(r['payload_id_error_max_frac_units_0_2'])}) | {r['payload_id_error_max_frac'] is not None and r['payload_id_error_max_frac'] <= r['payload_target_frac']} |
| friction within ±{r['friction_target_frac']:.0%}: Coulomb and viscous measured by the friction check (every joint, units 0-8) | {_pct1(r['friction_id_error_max_frac'])} (units 0-2: {_pct1(r['check_error_max_frac_units_0_2'])}) | {r['friction_id_error_max_frac'] is not None and r['friction_id_error_max_frac'] <= r['friction_target_frac']} |
| of which Coulomb | {_pct1(r['check_coulomb_error_max_frac'])} | {r['check_coulomb_error_max_frac'] is not None and r['check_coulomb_error_max_frac'] <= r['friction_target_frac']} |
| of which viscous | {_pct1(r['check_viscous_error_max_frac'])} | {r['check_viscous_error_max_frac'] is not None and r['check_viscous_error_max_frac'] <= r['friction_target_frac']} |
| beside it: friction identified online during the task (identified joints, units 0-2) | {_pct(r['online_friction_id_error_max_frac'])} | |
| of which Coulomb | {_pct(r['coulomb_id_error_max_frac'])} (datasheet {_pct(r['datasheet_coulomb_error_max_frac'])}) | |
| of which viscous | {_pct(r['viscous_id_error_max_frac'])} (datasheet {_pct(r['datasheet_viscous_error_max_frac'])}) | |
| beside it: the hand's whole load (bracket + cup) identified online from the task's own motion | {_pct(r['hand_load_online_error_max_frac'])} | |
| held object (the cup before and after filling) weighed by the pads (hand sensors, beside the target) | {_pct1(r['held_object_weighed_error_max_frac'])} | |
| hand load against the mass beyond the body's model (observable), kg | {_fig(r['payload_beyond_model_error_max_kg'], 3)} | |
| held full cup (load lifted less empty hand before the grasp) | {_pct(r['held_full_cup_error_max_frac'])} | |
| held object, either cup, kg | {_fig(r['held_object_error_max_kg'], 3)} | |

The pads weigh the held cup: at rest, the tangential load both pads carry is its weight (their normal
forces cancel), free of the hand's own mass, which is what defeats the joint torques. They are hand
sensors, not the drive signals the target names, so they do not meet it; they show what the body
knows of the object it holds. The zero is the pads' free-air reading from before the grasp's first
touch (`body/object_weighing.py`). Its two thresholds (at rest below 0.02 rad/s on every joint, at least 20 ms of rest) were set on units 0-3's
recorded pad signals; units 4-6 (`_unit(4)` .. `_unit(6)`, not in this table) weighed the empty cup
within 3.1 % and the full cup within 1.7 %.

The drives weigh the cup from the commanded torque alone. At rest a joint's friction sits anywhere in
its stiction band (about ±1 N m on the shoulder, the weight of 0.2 kg half a metre out); moved out and
back over the same angles, whole periods at a time, the friction's mean cancels, and so do inertia,
ripple and cogging, leaving gravity. Against the tare, taken at the same pose with the hand empty, the
bracket and the hand's own mass error cancel too; least squares over the seven joints gives the mass
and its horizontal centre. The motion's size and length (0.04 rad, 4 x 1.5 s) were set on a
prototype on units 0-2; units 3-5 are held out (the empty cup up to 6.1 % off there, 2.9 % on 0-2;
all joints moving one way, 6.7 % and 1.7 %, with the hand sweeping 4-5 cm instead of about 1). Since
the body's magnets lag their winding (`thermal`), the table's stds are narrower (the magnets' estimated
warming since the tare is smaller) and the empty cup comes out up to 5.9 % off on 3-5 and 4.5 % on 0-2.
The std is the fit's (a 2 mN m floor per joint, widened by the magnets' estimated warming since the
tare: the torque constant falls about 0.1 %/C, which on the elbow's 22 N m at this pose is 5 g per
degree) together with the torque constant's catalogue tolerance (±5 %: 2.9 % of the mass as one
std); these units' constants, up to 3 % off, are most of the full cup's error. Tried and not adopted: weighing at one fixed pose (the home pose) reached in a
joint move from wherever the lift ended: the hand tilted by 2.4° on the way, the cup slid about 4 mm
between the pads each time, and one or two units in six then failed the set-down after the brewing
(grip force over its limit); correcting the torque constant by the body's magnet estimate instead of
widening the std (a scratch run of that fixed-pose flow, before the magnets lagged their winding): the
estimate's early rise was about twice the plant's, and the empty cup came out 13-21 % light.

What this says. The friction check measures both figures on every joint of the nine units: Coulomb
within {_pct1(r['check_coulomb_error_max_frac'])}, viscous within {_pct1(r['check_viscous_error_max_frac'])}
(units 0-2, where its constants were chosen: {_pct1(r['check_error_max_frac_units_0_2'])}; the worst viscous
figure is {worst_text}; on the fresh hold-out, units 6-8: {_pct1(r['check_error_max_frac_units_6_8'])}). The torque is the one commanded, so a unit's torque constant off its
datasheet (up to 3 % here) scales both figures.
During the task itself, Coulomb friction is identified online within the target on every joint of every unit, about
three times closer than the datasheet. Viscous friction is not identified there: at the coffee task's speeds it is worth
hundredths of a N m, less than the model's pose-dependent errors (link masses and inertias off their
datasheet) that happen to grow with speed along this path; the datasheet value, off only by the
lubricant's temperature, is closer. The hand's whole load, identified from the task's own motion,
is beside the target: joint torques cannot tell a payload from the hand's and the wrist's own mass error (about 0.1 kg on these units, see
"beyond model"). The change at a grasp (the held object's own mass) is free of that, but it rests on
the second or so of the lift and scatters by up to about 0.1 kg (the empty cup's rows): the full cup
lands within {_pct(r['held_full_cup_error_max_frac'])} on these three units (within 9 % when the joint
paths were straight segments between waypoints: the figure moves with the lift's motion, not one to
rely on).
The identifier's speed and acceleration thresholds were chosen on units 0-2's recorded signals; a
held-out check on units 3-5 (`_unit(3)` .. `_unit(5)` of this module, not in this table) gave Coulomb
within 4.8 %, viscous off by up to 343 %, the full cup at 0.201, 0.215 and 0.277 kg (up to 31 % off)
and the empty cup at -0.048 to +0.110 kg.

How the check came to be (scratch prototypes on units 0-2, each change measured; not reproducible
from this benchmark). Two earlier prototypes, constant speeds of 0.2-0.6 rad/s about the home pose and
summed sinusoids, left joints 2-4 21-80 % off. With speeds 0.4-1.2 rad/s, half-differences in position
bins and no settling skip, viscous came out 43-110 % low on joints 1-3: the servo's catch-up after each
ramp rings on the link's inertia, and near the turns that torque reads as friction falling with speed.
Skipping 0.15 s after each ramp brought most joints within 7 %, but the figures then scattered by
±25 % with the choice of bins on the shoulder and elbow. The plant's own LuGre friction, averaged the
same way, matched its viscous coefficient within 0.2 % once the averaging spanned whole motor
revolutions, so the check averages over those. It also takes the body's gravity model off first,
after which a shift of the samples by half a period no longer moved the result. At up to 1.2 rad/s,
joint 2 (and joint 4 on unit 0) still read 18-25 % high. At up to 0.9 rad/s over ±0.45 rad, with
0.25 s skipped, the worst joint on units 0-2 came within 11 %, and within 17 % on units 3-5. The
speed was still settling in the windows: with the inertia's torque taken off as well (the body's
model and the rotor's datasheet inertia times the measured change of speed), units 0-2 came within
6 %. Ramps shaped as S-curves (the acceleration rising from zero and falling back to it) changed
nothing measurable and were left out. Switching off the plant's cogging, or
its gears' structural damping, changed nothing measurable at these speeds. The speeds run up and
then down again, so that a drift over the check (the motors warming, their torque constant falling)
weighs on every speed alike. On these units that ordering moved the figures by a few per cent either
way.

Not done:
- the check's estimates fed to the friction compensator (adaptive compensation follows the online
  Coulomb level; the check's viscous coefficient goes to `/diagnostics` only);
- the absolute load (tool and payload together: the weighing gives what the hand took up since its tare);
- the weighing run by the body itself around every grasp (here the benchmark asks for it, as a user
  would over `/body/weigh_payload`);
- the payload estimate fed to the gravity feed-forward (the Coulomb estimate goes to the friction
  compensator: `adaptive_compensation`, see the adaptive benchmark).
"""
