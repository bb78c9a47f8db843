"""The ``brainbody`` command.

``brainbody demo "make coffee"`` starts brain and body (one process, or two with
``--separate``), sends the intent over ``/brain/execute_intent``, prints progress per
primitive and a final report judged from simulator ground truth. Exit 0 on success.
``--drivetrain budget`` gives every joint the budget planetary gearbox (the simulated
plant and the servo's matching estimates); ``--plain`` switches every compensation off
but gravity, so the tool path error printed at the end shows what compensation buys.

``--backend ros2_control|gz|topic_based`` runs MuJoCo as a process of its own speaking that
set-up's topics (``sim_node``), the body on the matching backend and the brain: three
processes over DDS, judged by the same ground truth. ``--command-mode position`` hands the
arm's servo to the robot's own position loop (the body sends motor-side set-points).

``brainbody plan "<text>"`` prints the plan without moving anything (``--json`` for
scripts); it exits non-zero with the reason when the brain refuses.

``brainbody campaign "make coffee" --seeds 0-9`` runs one seeded episode per seed in the
core loop (no ROS), in parallel over this machine's cores or on Ray (``--ray local`` or a
cluster's address), prints progress on stderr and a line per episode, and writes every result
to ``--out`` as one JSON (``runtime/campaign.py``). Exit 0 when every episode succeeded by
ground truth, 1 when one did not, 2 for a bad argument or a refused intent.

``brainbody health`` listens to ``/diagnostics`` (``--duration`` seconds), prints the latest
status per joint with its temperatures and identified drivetrain figures, and saves a PNG plot
per trend in ``--out`` (``runtime/health_report.py``). Exit 3 when no status arrived.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Optional

from brainbody.sim import PLANTS
from brainbody.topic_layout import COMMAND_MODES, PROFILE_MODES, PROFILES

EXIT_OK, EXIT_TASK_FAILED, EXIT_REFUSED, EXIT_NO_ROS = 0, 1, 2, 3
EXIT_INTERRUPTED = 130      # 128 + SIGINT, as a shell reports a Ctrl-C
BACKENDS = ("embedded",) + PROFILES
# --drivetrain choice -> profile of config/sim_drivetrain.yaml and set of
# config/drivetrain_estimates.yaml (same name in both files).
DRIVETRAINS = {"harmonic": "harmonic", "budget": "budget_planetary"}
_PLAIN = {"gravity_feedforward": True, "inertia_feedforward": False, "friction_compensation": False,
          "backlash_compensation": False, "compliance_compensation": False}


def _wait_fresh_truth(truth, *, samples: int, timeout_s: float, stop: Optional[threading.Event] = None,
                      slow_note: Optional[str] = None) -> bool:
    """Wait (wall clock) until ``samples`` more ground-truth messages arrived (``truth``: the
    topic's :class:`~brainbody.ros.latest_message.LatestMessage`), or ``stop`` is set; True
    when they came. ``slow_note`` is printed once when the wait passes 3 s."""
    seen, start = truth.count, time.monotonic()
    noted = slow_note is None
    while truth.count < seen + samples and not (stop and stop.is_set()):
        waited = time.monotonic() - start
        if waited > timeout_s:
            return False
        if not noted and waited > 3.0:
            print(slow_note, flush=True)
            noted = True
        time.sleep(0.01)
    return truth.count >= seen + samples


def _cmd_plan(args) -> int:
    from brainbody.brain.brain_config import BrainConfig
    from brainbody.brain.intent_pipeline import IntentPipeline
    from brainbody.brain.skills import load_catalogue
    from brainbody.exceptions import BrainBodyError
    try:
        config = BrainConfig(semantic_enabled=not args.parser_only)
        planned = IntentPipeline(load_catalogue(), config).plan(args.text)
    except BrainBodyError as exc:
        if args.json:
            print(json.dumps({"refused": True, "error_code": int(exc.code), "error": exc.code.name,
                              "message": str(exc)}, indent=2))
        print(f"refused [{int(exc.code)} {exc.code.name}]: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    plan = planned.plan
    if args.json:
        print(json.dumps({"plan_id": plan.plan_id, "intent": plan.intent,
                          "understood_by": list(planned.layers), "confidence": round(planned.confidence, 3),
                          "skills": list(planned.match.skills) if planned.match else [],
                          "bindings": [dict(b) for b in planned.match.bindings] if planned.match else [],
                          "primitives": [
            {"id": p.id, "kind": p.kind.name.lower(), "object_id": p.object_id, "target_id": p.target_id,
             "grip_force_n": p.grip_force_n, "lift_height_m": p.lift_height_m, "max_speed_mps": p.max_speed_mps,
             "duration_s": p.duration_s, "timeout_s": p.timeout_s} for p in plan.primitives]}, indent=2))
    else:
        print(planned.describe())
    return EXIT_OK


def _cmd_health(args) -> int:
    try:
        from brainbody.ros.health_listener import DIAGNOSTICS_TOPIC, listen
    except ImportError as exc:
        print(f"error: ROS 2 Python packages are missing ({exc}); run `make setup`", file=sys.stderr)
        return EXIT_NO_ROS
    from brainbody.ros.node_main import ros_context

    shown = []

    def progress(count: int, elapsed_s: float) -> None:
        shown.append(count)
        print(f"\rhealth: {count} statuses in {elapsed_s:.0f}/{args.duration:g} s", end="", file=sys.stderr,
              flush=True)

    with ros_context() as stop:
        history = listen(duration_s=args.duration, first_timeout_s=args.timeout, on_progress=progress,
                         stop=stop)
    if shown:
        print("", file=sys.stderr)
    if not len(history):
        print(f"error: nothing on {DIAGNOSTICS_TOPIC} within {args.timeout:g} s: is a body running on this "
              f"ROS graph (ROS_DOMAIN_ID={os.environ.get('ROS_DOMAIN_ID', '0')})?", file=sys.stderr)
        return EXIT_NO_ROS
    print(history.report())
    files = history.plot(args.out)
    print(f"plots: {len(files)} PNG in {args.out}/ ({', '.join(f.name for f in files) or 'no trends'})")
    return EXIT_OK


def _cmd_campaign(args) -> int:
    from brainbody.brain.planner import Planner
    from brainbody.brain.skills import load_catalogue
    from brainbody.exceptions import BrainBodyError
    from brainbody.runtime.campaign import (Episode, Progress, campaign_report, default_workers,
                                            run_campaign)
    try:   # refuse a bad intent here, once, rather than in every episode
        Planner(load_catalogue()).plan(args.intent)
    except BrainBodyError as exc:
        print(f"refused [{int(exc.code)} {exc.code.name}]: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    specs = [Episode(args.intent, seed, drivetrain=DRIVETRAINS[args.drivetrain],
                     grip_force_source=args.grip_force_source, plant=args.plant, robot_seed=args.robot_seed)
             for seed in args.seeds]
    executor = "ray" if args.ray else "local"
    workers = args.workers if args.workers is not None or args.ray not in (None, "local") else default_workers()
    where = (f"Ray at {args.ray}" if args.ray not in (None, "local") else
             f"a local Ray instance of {workers} CPUs" if args.ray else f"{min(workers, len(specs))} local workers")
    print(f"campaign: {len(specs)} episodes of {args.intent!r} (seeds {_seed_ranges(args.seeds)}) on {where}",
          file=sys.stderr, flush=True)
    progress = Progress(len(specs))
    results: list = [None] * len(specs)

    def on_result(index: int, result: dict) -> None:
        results[index] = result
        progress.update(result)

    wall0 = time.monotonic()
    interrupted = False
    try:
        run_campaign(specs, executor=executor, workers=workers, ray_address=args.ray or "local", on_result=on_result)
    except KeyboardInterrupt:
        interrupted = True
        progress.close()
        print(f"campaign: interrupted after {progress.done}/{len(specs)} episodes; pending ones cancelled",
              file=sys.stderr)
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except ConnectionError as exc:   # ray.init could not reach the cluster
        print(f"error: Ray at {args.ray}: {exc}", file=sys.stderr)
        return EXIT_NO_ROS
    report = campaign_report(specs, results, executor=executor, workers=workers, ray_address=args.ray,
                             wall_time_s=time.monotonic() - wall0, interrupted=interrupted)
    for result in report["episodes"]:
        truth = result["ground_truth"] or {}
        verdict = "SUCCESS" if result["success"] else "FAILURE"
        print(f"seed {result['seed']:4d}: {verdict}  sim {result['sim_time_s']:6.1f} s"
              f"  wall {result['wall_time_s']:6.1f} s  peak squeeze {truth.get('peak_squeeze_n', float('nan')):.2f} N"
              + ("" if result["success"] else "  " + "; ".join(result["reasons"])))
    summary, meta = report["summary"], report["campaign"]
    print(f"{summary['succeeded']}/{summary['episodes']} episodes succeeded"
          + (f", failed seeds {summary['failed_seeds']}" if summary["failed"] else "")
          + (f", {summary['not_run']} not run" if summary["not_run"] else "")
          + f"; {meta['wall_time_s']:.1f} s wall, {meta['episodes_per_minute']:.1f} episodes per minute")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
        print(f"results: {args.out}")
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if summary["succeeded"] == summary["episodes"] else EXIT_TASK_FAILED


def _seed_ranges(seeds) -> str:
    """[0, 1, 2, 5] -> '0-2,5'."""
    parts, start = [], None
    for i, seed in enumerate(seeds):
        start = seed if start is None else start
        if i + 1 == len(seeds) or seeds[i + 1] != seed + 1:
            parts.append(str(seed) if seed == start else f"{start}-{seed}")
            start = None
    return ",".join(parts)


def _seeds_arg(text: str) -> list:
    from brainbody.runtime.campaign import parse_seeds
    try:
        return parse_seeds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"workers must be an integer >= 1, got {text!r}")
    return value


def _cmd_demo(args) -> int:
    from brainbody.ros.node_main import ros_context

    # Ctrl-C only sets ``stop`` (rclpy's own handler would shut the context down under the
    # running nodes): the brain cancels its plan, the body brakes to a hold, then all ends.
    with ros_context() as stop:
        code = _demo(args, stop)
    if code == EXIT_INTERRUPTED:
        print("interrupted: the plan was cancelled and the arm brought to a hold", file=sys.stderr)
    return code


def _demo(args, stop: threading.Event) -> int:
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter
    from std_msgs.msg import String

    from brainbody_interfaces.action import ExecuteIntent
    from brainbody.ros.action_client import BlockingActionClient, TaskResult
    from brainbody.ros.events_thread import EventsThread
    from brainbody.ros.latest_message import LatestMessage
    from brainbody.ros.qos_audit import create_node

    children: list[subprocess.Popen] = []
    local_nodes = []
    executor = MultiThreadedExecutor(num_threads=6)
    client_node = create_node("brainbody_demo")
    # Made before any thread spins the node (SerializedActionClient also survives being made on
    # a spinning one: ros/action_client.py).
    client = BlockingActionClient(client_node, ExecuteIntent, "/brain/execute_intent")
    executor.add_node(client_node)
    body_values = demo_body_parameters(args)
    body_params = [Parameter(name, value=value) for name, value in body_values.items()]
    if args.connect:
        print("connecting to the brain and body already running on this ROS graph")
    elif args.backend != "embedded" or args.separate:
        processes = [("brainbody.ros.body_node", body_values), ("brainbody.ros.intent_node", {})]
        if args.backend != "embedded":
            processes.insert(0, ("brainbody.ros.sim_node", demo_sim_parameters(args)))
        for module, values in processes:
            children.append(subprocess.Popen([sys.executable, "-m", module, *ros_args(values)],
                                             env=os.environ.copy()))
        names = [module.rsplit(".", 1)[1] for module, _ in processes]
        print(f"started {', '.join(names)} as processes {[c.pid for c in children]}")
    else:
        from brainbody.ros.body_node import BodyNode
        from brainbody.ros.intent_node import IntentNode
        local_nodes = [BodyNode(parameter_overrides=body_params), IntentNode()]
        for node in local_nodes:
            executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()

    from diagnostic_msgs.msg import DiagnosticArray
    health: dict = {}

    def on_diagnostics(msg: DiagnosticArray) -> None:
        for st in msg.status:
            if st.name in ("body/control_loop", "body/hardware"):
                health[st.name] = {kv.key: kv.value for kv in st.values}

    from brainbody.ros.body_node import LATCHED
    # Ground truth (10 Hz of sim time) and diagnostics: taken by an events executor, not the
    # demo's executor (ros/events_thread.py); the truth kept as it came until read (three times a
    # task: ros/latest_message.py).
    truth_io = EventsThread("brainbody_demo_truth")
    truth_msgs = LatestMessage(truth_io.node, String, "/sim/ground_truth", LATCHED)

    def latest_truth() -> dict:
        msg = truth_msgs.latest()
        return json.loads(msg.data) if msg is not None else {}

    truth_io.node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    truth_io.start()
    try:
        # Nodes already running elsewhere may take longer to discover over a slow link.
        deadline = time.monotonic() + (min(args.timeout, 120.0) if args.connect else 30.0)
        while not client.wait_for_server(0.1):
            if stop.is_set():
                return EXIT_INTERRUPTED
            if time.monotonic() > deadline:
                print("error: /brain/execute_intent did not come up", file=sys.stderr)
                return EXIT_NO_ROS
        last_step = [0]
        # The task runs from its first primitive's start, as the core loop's does: before it the
        # brain's first intent also waits for discovery (the world model, the body's action
        # server), which is start-up, reported on its own line.
        first: dict = {}

        def on_feedback(fb) -> None:
            if not first and fb.step >= 1:
                first.update(wall=time.monotonic(), sim=latest_truth().get("sim_time_s", 0.0))
            if fb.step != last_step[0]:
                last_step[0] = fb.step
                p = fb.primitive
                print(f"[{fb.step:2d}/{fb.total}] {_describe(p)}", flush=True)

        # The sim time of the task runs from a fresh ground-truth sample (the latched one can be
        # seconds old: the nodes start while the simulator already runs). A body started as a
        # process of its own may take seconds to be discovered, and about 20 s to start after a
        # source change (its compiled kernels are cached per source: it compiles them first).
        # The intent goes out only once the simulator answers: sent earlier, the brain found no
        # world and refused it.
        truth_wait_s = min(args.timeout, 120.0) if args.connect else 90.0
        fresh = _wait_fresh_truth(truth_msgs, samples=2, timeout_s=truth_wait_s, stop=stop,
                                  slow_note="waiting for the simulator's /sim/ground_truth (a body starting "
                                            "after a source change compiles its kernels first, about 20 s)")
        if stop.is_set():
            return EXIT_INTERRUPTED
        if not fresh:
            print(f"error: no /sim/ground_truth from the simulator within {truth_wait_s:g} s", file=sys.stderr)
            return EXIT_NO_ROS
        wall0 = time.monotonic()
        sim0 = latest_truth().get("sim_time_s", 0.0)
        print(f"intent: {args.intent!r} (seed {args.seed}, backend {args.backend}, {args.command_mode} commands)")
        profile = DRIVETRAINS[args.drivetrain]
        print(f"drivetrain: {profile} on all 7 joints (simulated plant and the servo's estimates) | servo: "
              + ("plain PID + gravity feed-forward (--plain)" if args.plain
                 else "compensated (gravity, inertia, friction, backlash, compliance)")
              + f" | grip force from {args.grip_force_source}"
              + (f" | honest plant: unit {args.robot_seed}, off its datasheet (the body is not told)"
                 if args.plant == "honest" else ""), flush=True)
        outcome, result = client.run(ExecuteIntent.Goal(intent=args.intent, dry_run=False),
                                     timeout_s=args.timeout, on_feedback=on_feedback, should_cancel=stop.is_set)
        if stop.is_set():
            return EXIT_INTERRUPTED
        wall = time.monotonic() - wall0
        _wait_fresh_truth(truth_msgs, samples=2, timeout_s=3.0)    # the state after the end
        if result is None:
            print(f"FAILURE: no result from the brain ({outcome.value})")
            return EXIT_TASK_FAILED
        truth = latest_truth()
        end_sim = truth.get("sim_time_s", 0.0)
        print("-" * 72)
        if first:
            print(f"start-up: the first primitive began {first['wall'] - wall0:.2f} s (wall) and "
                  f"{first['sim'] - sim0:.1f} s (sim) after the intent was sent")
            wall, sim0 = wall - (first["wall"] - wall0), first["sim"]
        sim_time = end_sim - sim0
        print(f"brain result: {'success' if result.success else 'failure'} "
              f"[{result.error_code}] {result.message}")
        if not truth:
            print("FAILURE: no ground truth from the simulator")
            return EXIT_TASK_FAILED
        # Two decimals: the benchmark reads its ratio from this line (a 3 s task rounded to 0.1 s
        # moved it by up to 1.5 %).
        print(f"sim time {sim_time:.2f} s | wall time {wall:.2f} s | real-time factor {sim_time / wall:.1f}x")
        print(f"peak grip force {truth['peak_squeeze_n']:.2f} N vs crush force {truth['crush_force_n']:.1f} N "
              "(ground truth, MuJoCo contact forces)")
        task_ok = outcome is TaskResult.SUCCEEDED and result.success
        # A plan that brews and ends with the cup on the tray is held to the whole coffee
        # criterion; any other plan must at least never crush or drop the cup.
        truth_ok = truth["success"] if _brews_to_tray(result.plan) else not (truth["crushed"] or truth["dropped"])
        x, y, z = truth["final_position_m"]
        print(f"cup: at ({x:.3f}, {y:.3f}, {z:.3f}) m, on tray {truth['on_tray']}, upright {truth['upright']}, "
              f"filled {truth['fill_fraction']:.0%}, crushed {truth['crushed']}, dropped {truth['dropped']}")
        if truth.get("path_error_samples"):
            print(f"tool path error while moving: RMS {truth['path_error_rms_m'] * 1e3:.2f} mm, "
                  f"max {truth['path_error_max_m'] * 1e3:.2f} mm over {truth['path_error_samples']} samples "
                  f"(ground-truth TCP vs the commanded tool position; plant {_joined(truth['sim_drivetrain'])})")
        loop, hardware = health.get("body/control_loop"), health.get("body/hardware")
        if loop and hardware:
            print(f"control loop ({args.backend}): period p50 {loop['period_p50_ms']} ms, p99 {loop['period_p99_ms']} "
                  f"ms, max {loop['period_max_ms']} ms (state stamps); state-to-command latency p50 "
                  f"{hardware['latency_p50_ms']} ms, p99 {hardware['latency_p99_ms']} ms; deadline misses "
                  f"{hardware['stale_steps']}; refused states {hardware['refused_states']}; commands sent again "
                  f"{hardware.get('resent_commands', '0')}; {loop['periods']} periods, thread {loop['scheduling']}; "
                  f"longest wall gap between periods {loop.get('wall_gap_max_ms', '-')} ms "
                  f"({loop.get('wall_gaps_over_100ms', '-')} over 100 ms)")
            print(f"  period histogram (ms): {loop['period_histogram_ms']}")
            print(f"  latency histogram (ms): {hardware['latency_histogram_ms']}")
        if task_ok and truth_ok:
            print("SUCCESS")
            return EXIT_OK
        reasons = ([] if task_ok else [result.message]) + ([] if truth_ok else list(truth["reasons"]))
        print("FAILURE: " + "; ".join(reasons))
        return EXIT_REFUSED if result.error_code and 100 <= result.error_code < 200 else EXIT_TASK_FAILED
    finally:
        # Stop the body's control loop first (it publishes), then the executor, and only
        # then destroy the nodes: destroying a node the executor still spins aborts in rcl.
        for node in local_nodes:
            if hasattr(node, "stop_loop"):
                node.stop_loop()
        executor.shutdown(timeout_sec=2.0)
        spinner.join(timeout=5.0)   # a thread left in rcl's wait set aborts the process at exit
        truth_io.close()
        for node in local_nodes:
            node.destroy_node()
        client_node.destroy_node()
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                child.kill()


# Lock-step over DDS on a loaded machine: a state's wall-clock age says how busy the machine
# is, not how old the robot's state is, so the demo allows more than a robot driver would.
_LOCKSTEP_DEADLINES = {"state_deadline_s": 0.5, "stale_hold_s": 2.0}


def demo_body_parameters(args) -> dict:
    """The body_node parameters the demo's options stand for (name -> value)."""
    profile = DRIVETRAINS[args.drivetrain]
    if args.backend == "embedded":
        values = {"seed": args.seed, "realtime_factor": float(args.realtime_factor),
                  "sim_drivetrain": [profile] * 7, "drivetrain_estimates": [profile] * 7,
                  "sim_plant": args.plant, "sim_robot_seed": args.robot_seed,
                  "sim_plant_process": bool(args.plant_process)}
    else:
        values = {"backend": args.backend, "command_mode": args.command_mode, "drivetrain_estimates": [profile] * 7,
                  "control_rate_hz": float(args.control_rate_hz)}
        if args.realtime_factor <= 0.0:
            values.update(_LOCKSTEP_DEADLINES)
    if args.plain:
        values.update(_PLAIN)
    if args.grip_force_source != "pad_sensors":
        values["grip_force_source"] = args.grip_force_source
    return values


def demo_sim_parameters(args) -> dict:
    """The sim_node parameters of a topic-backend demo: lock-step unless a real-time factor is given."""
    values = {"profile": args.backend, "command_mode": args.command_mode, "seed": args.seed,
              "sim_drivetrain": [DRIVETRAINS[args.drivetrain]] * 7, "pacing": "lockstep",
              "command_rate_hz": float(args.control_rate_hz), "plant": args.plant, "robot_seed": args.robot_seed}
    if args.realtime_factor > 0.0:
        values.update(pacing="wall", realtime_factor=float(args.realtime_factor))
    return values


def ros_args(values: dict) -> list[str]:
    out = ["--ros-args"] if values else []
    for name, value in values.items():
        out += ["-p", f"{name}:={_ros_value(value)}"]
    return out


def _ros_value(value) -> str:
    """A parameter value as ``--ros-args -p name:=value`` reads it (YAML)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_ros_value(v) for v in value) + "]"
    return str(value)


def _joined(names) -> str:
    names = list(names)
    return f"{names[0]} x{len(names)}" if names and len(set(names)) == 1 else ", ".join(names)


def _brews_to_tray(plan_msg) -> bool:
    from brainbody_interfaces.msg import TaskPrimitive
    kinds = [(p.kind, p.object_id, p.target_id) for p in plan_msg.primitives]
    places = [target for kind, _, target in kinds if kind == TaskPrimitive.KIND_PLACE]
    pressed = any(kind == TaskPrimitive.KIND_PRESS and obj == "coffee_button" for kind, obj, _ in kinds)
    return pressed and bool(places) and places[-1] == "tray"


def _describe(p) -> str:
    from brainbody.ros.conversions import primitive_from_msg
    try:
        return primitive_from_msg(p).describe()
    except Exception:  # a feedback message is informative only
        return p.id


def _plant_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plant", choices=PLANTS, default="ideal",
                        help="the simulated robot: ideal (exactly its datasheet) or honest (a unit that differs "
                             "from it as a real one does: inertias and an unknown payload, another friction model, "
                             "cogging, drive and sensor errors; the body is not told)")
    parser.add_argument("--robot-seed", type=int, default=0, metavar="N",
                        help="which honest unit (its fixed deviations from the datasheet); default 0")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (value > 0.0 and value < 1e6):
        raise argparse.ArgumentTypeError(f"must be > 0 and finite, got {text}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="brainbody", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run an intent end to end in simulation")
    demo.add_argument("intent", nargs="?", default="make coffee")
    demo.add_argument("--seed", type=int, default=0, help="places the cup (+/- 3 cm)")
    demo.add_argument("--separate", action="store_true", help="brain and body as separate processes")
    demo.add_argument("--connect", action="store_true",
                      help="start no nodes: send the intent to the brain already running on this ROS graph "
                           "(on this host or another) and judge by the simulator's /sim/ground_truth")
    demo.add_argument("--backend", choices=BACKENDS, default="embedded",
                      help="embedded: MuJoCo inside the body; ros2_control, gz, topic_based: MuJoCo as its "
                           "own process speaking that set-up's topics, with body and brain as two more")
    demo.add_argument("--command-mode", choices=COMMAND_MODES, default="effort",
                      help="effort: the body's servo writes torques; position: motor-side set-points for "
                           "the robot's own position loop (topic backends that take them)")
    demo.add_argument("--control-rate-hz", type=float, default=500.0,
                      help="topic backends: the rate the simulated robot publishes state and the body commands")
    demo.add_argument("--realtime-factor", type=float, default=0.0,
                      help="0: as fast as possible; 1: paced to the wall clock")
    demo.add_argument("--timeout", type=float, default=600.0, help="wall-time limit in seconds")
    demo.add_argument("--drivetrain", choices=sorted(DRIVETRAINS), default="harmonic",
                      help="gearbox of every arm joint: harmonic (strain wave, ~1 arcmin) or budget "
                           "(planetary, 20 arcmin backlash); sets the simulated plant and the servo's estimates")
    demo.add_argument("--grip-force-source", choices=("pad_sensors", "finger_effort"), default="pad_sensors",
                      help="what the grip loop closes on: the pads' force sensors, or the finger drives' "
                           "effort (no slip reflex; grasps it cannot bound below the object's limit are refused)")
    _plant_args(demo)
    demo.add_argument("--plant-process", action="store_true",
                      help="embedded backend: the simulated robot steps in a process of its own, one control "
                           "period ahead of the body, as a real drive runs (a second core, kept busy)")
    demo.add_argument("--plain", action="store_true",
                      help="plain PID with gravity feed-forward: inertia, friction, backlash and "
                           "compliance compensation off")
    plan = sub.add_parser("plan", help="print the plan for an intent without moving")
    plan.add_argument("text")
    plan.add_argument("--json", action="store_true", help="machine-readable plan or refusal")
    plan.add_argument("--parser-only", action="store_true",
                      help="only the deterministic parser (no semantic matcher)")
    campaign = sub.add_parser("campaign", help="run seeded episodes of an intent in parallel (cores or Ray), "
                                                "judged by ground truth")
    campaign.add_argument("intent", nargs="?", default="make coffee")
    campaign.add_argument("--seeds", type=_seeds_arg, default="0-9",
                          help="'0-9' (inclusive range), '1,5,7' (list; items may be ranges) or a count '10' "
                               "(seeds 0-9); default 0-9")
    campaign.add_argument("--workers", type=_workers_arg, default=None,
                          help="episodes in parallel (default: one per core); with --ray local, the CPUs of "
                               "the Ray instance; on a cluster, a cap on the tasks in flight")
    campaign.add_argument("--ray", metavar="ADDRESS", default=None,
                          help="run on Ray: 'local' starts an instance for this campaign, otherwise a cluster's "
                               "address for ray.init ('auto', 'head:6379'); its nodes need this "
                               "checkout's environment")
    campaign.add_argument("--out", metavar="PATH", help="write the merged results (one JSON) here")
    campaign.add_argument("--drivetrain", choices=sorted(DRIVETRAINS), default="harmonic",
                          help="gearbox of every arm joint, as for demo")
    campaign.add_argument("--grip-force-source", choices=("pad_sensors", "finger_effort"), default="pad_sensors",
                          help="what the grip loop closes on, as for demo")
    _plant_args(campaign)
    health = sub.add_parser("health", help="listen to /diagnostics, print the body's health report and save "
                                           "PNG plots of its trends (temperatures, identified parameters, wear)")
    health.add_argument("--duration", type=_positive_seconds, default=5.0,
                        help="listen this long (wall s) from the first status; default 5")
    health.add_argument("--timeout", type=_positive_seconds, default=10.0,
                        help="give up when no status arrived within this long (wall s); default 10")
    health.add_argument("--out", default="health", metavar="DIR", help="where the PNG plots go; default ./health")
    args = parser.parse_args(argv)
    if args.command == "campaign" and args.ray is not None and not args.ray.strip():
        campaign.error("--ray needs an address or 'local'")
    if args.command == "demo" and args.command_mode != "effort":
        if args.backend not in PROFILE_MODES or args.command_mode not in PROFILE_MODES[args.backend]:
            takes = [b for b, modes in PROFILE_MODES.items() if args.command_mode in modes]
            parser.error(f"--command-mode {args.command_mode} needs --backend {' or '.join(takes)}")
    if args.command == "plan":
        return _cmd_plan(args)
    if args.command == "health":
        return _cmd_health(args)
    if args.command == "campaign":
        try:
            return _cmd_campaign(args)
        except KeyboardInterrupt:   # outside the episodes (start-up, the summary): nothing to cancel
            print("campaign: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
    return _cmd_demo(args)


if __name__ == "__main__":
    sys.exit(main())
