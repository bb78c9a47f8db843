"""Seeded campaigns: N independent episodes of one intent, run in parallel and judged by
simulator ground truth.

An :class:`Episode` names the intent, the seed and the set-up; :func:`run_episode` runs it
in a fresh :class:`~brainbody.runtime.sim_session.SimSession` and returns a JSON-able dict,
never raising for the episode's own failures. :func:`run_campaign` runs many of them

- ``inline``: one after the other in this process (the reference, and for debugging);
- ``local``: a ``ProcessPoolExecutor`` of ``workers`` processes (spawned, default one per core);
- ``ray``: Ray tasks, on a local instance (``address="local"``) or a cluster.

Results come back in the order of the specs (seed order) whichever finished first, and every
field outside :data:`NONDETERMINISTIC_FIELDS` is the same for the same spec on any executor:
:func:`result_differences` checks that (tests and ``bench/campaign.py``).

Heavy imports (MuJoCo, the body, Ray) happen inside the functions that need them, so the
process that only schedules stays light and nothing but a Ray campaign imports Ray.
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import re
import signal
import socket
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterable, Iterator, Optional, Sequence, TextIO

from brainbody.sim import PLANTS

EXECUTORS = ("inline", "local", "ray")
GRIP_FORCE_SOURCES = ("pad_sensors", "finger_effort")
# Fields that depend on the machine and its load, not on the episode: left out of comparisons.
NONDETERMINISTIC_FIELDS = frozenset({"wall_time_s", "real_time_factor", "worker", "traceback"})
# A bare count ("10") or comma-separated seeds and inclusive ranges ("0-4,7,9-12").
_COUNT = re.compile(r"\d+")
_ITEM = re.compile(r"(\d+)(?:-(\d+))?")


@dataclasses.dataclass(frozen=True)
class Episode:
    """One seeded run of an intent.

    Args:
        text: the intent, planned by the offline parser-based planner (as ``brainbody plan
            --parser-only``).
        seed: the simulator's seed (places the cup, seeds the plant's perturbations and noise).
        drivetrain: a profile of ``config/sim_drivetrain.yaml`` for all 7 arm joints, used for
            the simulated plant and, under the same name, the servo's estimates.
        grip_force_source: what the grip loop closes on (``pad_sensors`` or ``finger_effort``).
        plant: ``ideal`` or ``honest`` (a unit off its datasheet, ``robot_seed`` picks which).

    Raises:
        ValueError: an empty text, a negative or non-integer seed, an unknown grip force source
            or plant.
    """

    text: str
    seed: int
    drivetrain: str = "harmonic"
    grip_force_source: str = "pad_sensors"
    plant: str = "ideal"
    robot_seed: int = 0

    def __post_init__(self):
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"episode text must be a non-empty string, got {self.text!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"episode seed must be an integer >= 0, got {self.seed!r}")
        if not isinstance(self.drivetrain, str) or not self.drivetrain:
            raise ValueError(f"episode drivetrain must name a profile, got {self.drivetrain!r}")
        if self.grip_force_source not in GRIP_FORCE_SOURCES:
            raise ValueError(f"grip_force_source must be one of {GRIP_FORCE_SOURCES}, "
                             f"got {self.grip_force_source!r}")
        if self.plant not in PLANTS:
            raise ValueError(f"plant must be one of {PLANTS}, got {self.plant!r}")


def parse_seeds(spec: str) -> list[int]:
    """Seeds from a command-line spec, sorted: ``"10"`` is a count (seeds 0-9), ``"0-9"`` an
    inclusive range, ``"1,5,7"`` a list (items may be ranges: ``"0-3,8"``).

    Raises:
        ValueError: a malformed spec, a count of 0, a range whose end is below its start, or a
            seed given twice; the message quotes the bad part.
    """
    text = str(spec).strip()
    if _COUNT.fullmatch(text):
        count = int(text)
        if count < 1:
            raise ValueError(f"seeds {spec!r}: a count must be at least 1")
        return list(range(count))
    seeds: list[int] = []
    for item in text.split(","):
        match = _ITEM.fullmatch(item.strip())
        if not match:
            raise ValueError(f"seeds {spec!r}: {item.strip()!r} is not a seed or a range like 0-9 "
                             "(use a count '10', a range '0-9' or a list '1,5,7')")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if high < low:
            raise ValueError(f"seeds {spec!r}: range {item.strip()!r} ends below its start")
        seeds += range(low, high + 1)
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(f"seeds {spec!r}: {', '.join(map(str, repeated))} given more than once")
    return sorted(seeds)


def default_workers() -> int:
    """One worker per core."""
    return os.cpu_count() or 1


# --- one episode -------------------------------------------------------------------------

def run_episode(spec: Episode) -> dict:
    """Run ``spec`` in a fresh simulation and judge it by ground truth.

    Returns a JSON-able dict: ``success`` (every primitive succeeded and the ground truth
    agrees, see :func:`judge`), ``reasons`` for a failure, ``ground_truth`` (the simulator's
    cup verdict: final position in m, peak squeeze in N, ...), ``primitives`` (the body's
    report of each one run), ``sim_time_s``, ``error``/``error_code`` when something raised,
    and the non-deterministic ``wall_time_s`` (from building the simulation to the verdict),
    ``real_time_factor`` and ``worker`` (host and process id).

    Never raises for the episode's own failures: a refused intent, an exception in the
    simulation or the body become a failed result with the error's text.
    """
    result: dict = {"text": spec.text, "seed": spec.seed, "drivetrain": spec.drivetrain,
                    "grip_force_source": spec.grip_force_source, "plant": spec.plant,
                    "robot_seed": spec.robot_seed, "success": False, "reasons": [],
                    "judged_by": None, "error": None, "error_code": None, "plan": [], "primitives": [],
                    "ground_truth": None, "sim_time_s": 0.0}
    session = None
    wall0 = time.perf_counter()
    try:
        # Here, not at the top: the process that only schedules episodes never needs MuJoCo.
        from brainbody.body.body_config import BodyConfig
        from brainbody.brain.planner import Planner
        from brainbody.brain.skills import load_catalogue
        from brainbody.runtime.sim_session import SimSession
        from brainbody.sim.scene import SceneConfig

        wall0 = time.perf_counter()   # a worker's first episode still loads the compiled kernels
        config = BodyConfig(drivetrain_estimates=(spec.drivetrain,) * 7, grip_force_source=spec.grip_force_source)
        session = SimSession(seed=spec.seed, body_config=config, sim_drivetrain=(spec.drivetrain,) * 7,
                             scene_config=SceneConfig(plant=spec.plant, robot_seed=spec.robot_seed))
        plan = Planner(load_catalogue(), session.body.world).plan(spec.text)
        result["plan"] = [p.id for p in plan.primitives]
        reports = session.run_plan(plan)
        result["primitives"] = [_report_dict(p.id, r) for p, r in zip(plan.primitives, reports)]
        result.update(judge(plan, reports, session.sim.verdict()))
    except Exception as exc:  # noqa: BLE001 - an episode's failure is its result, not the campaign's
        result.update(success=False, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        code = getattr(exc, "code", None)
        result["error_code"] = int(code) if isinstance(code, int) else None
        result["reasons"] = [result["error"]]
        if session is not None:   # what the world looked like when it raised
            try:
                result["ground_truth"] = _verdict_dict(session.sim.verdict())
            except Exception:  # noqa: BLE001 - the error above is the one to report
                pass
    if session is not None:
        result["sim_time_s"] = float(session.body.time_s)
    wall = time.perf_counter() - wall0
    result.update(wall_time_s=wall, real_time_factor=result["sim_time_s"] / wall if wall > 0 else 0.0,
                  worker={"host": socket.gethostname(), "pid": os.getpid()})
    # Through JSON once, so every executor hands back exactly what the merged file holds.
    return json.loads(json.dumps(result))


def judge(plan, reports, verdict) -> dict:
    """Success by ground truth: every primitive of ``plan`` succeeded, and ``verdict`` holds.

    A plan that presses the coffee button and ends by placing the cup on the tray is held to
    the whole coffee criterion (on the tray, upright, filled, not crushed, not dropped); any
    other plan must at least never crush or drop the cup (as ``brainbody demo`` judges).
    """
    reasons = []
    completed = len(reports) == len(plan.primitives) and all(r.status.name == "SUCCEEDED" for r in reports)
    if not completed:
        last = reports[-1] if reports else None
        reasons.append(f"primitive {plan.primitives[len(reports) - 1].id} ended {last.status.name.lower()}: "
                       f"[{last.error_code}] {last.message}" if last else "no primitive ran")
    if brews_to_tray(plan):
        judged_by = "coffee"
        reasons += list(verdict.reasons)
    else:
        judged_by = "cup_intact"
        if verdict.crushed:
            reasons.append(f"cup crushed ({verdict.peak_squeeze_n:.2f} N > {verdict.crush_force_n:.1f} N)")
        if verdict.dropped:
            reasons.append("cup was dropped or tipped over")
    return {"success": not reasons, "reasons": reasons, "judged_by": judged_by,
            "ground_truth": _verdict_dict(verdict)}


def brews_to_tray(plan) -> bool:
    """Whether ``plan`` presses the coffee button and its last place puts the cup on the tray."""
    from brainbody.primitives import PrimitiveKind
    places = [p.target_id for p in plan.primitives if p.kind is PrimitiveKind.PLACE]
    pressed = any(p.kind is PrimitiveKind.PRESS and p.object_id == "coffee_button" for p in plan.primitives)
    return pressed and bool(places) and places[-1] == "tray"


def _report_dict(primitive_id: str, report) -> dict:
    return {"id": primitive_id, "status": report.status.name.lower(), "error_code": int(report.error_code),
            "message": report.message, "duration_s": float(report.duration_s),
            "peak_grip_force_n": float(report.peak_grip_force_n),
            "final_grip_force_n": float(report.final_grip_force_n),
            "tool_position_m": [float(v) for v in report.tool_position_m]}


def _verdict_dict(verdict) -> dict:
    values = dataclasses.asdict(verdict)
    values["reasons"] = list(values["reasons"])
    values["final_position_m"] = list(values["final_position_m"])
    return values


def failed_result(spec, error: BaseException) -> dict:
    """The result of an episode whose worker could not return one (it died or was lost)."""
    text = f"{type(error).__name__}: {error}"
    if not isinstance(spec, Episode):     # another runner's spec (a dataclass): its fields, failed
        return {**dataclasses.asdict(spec), "success": False, "reasons": [text], "error": text}
    return {"text": spec.text, "seed": spec.seed, "drivetrain": spec.drivetrain,
            "grip_force_source": spec.grip_force_source, "plant": spec.plant,
            "robot_seed": spec.robot_seed, "success": False, "reasons": [text],
            "judged_by": None, "error": text, "error_code": None, "plan": [], "primitives": [],
            "ground_truth": None, "sim_time_s": 0.0, "wall_time_s": 0.0, "real_time_factor": 0.0,
            "worker": None}


# --- comparing executors -------------------------------------------------------------------

def deterministic_fields(result: dict) -> dict:
    """``result`` without the fields that depend on the machine (wall clock, worker)."""
    return {k: v for k, v in result.items() if k not in NONDETERMINISTIC_FIELDS}


def result_differences(expected: Sequence[dict], actual: Sequence[dict]) -> list[str]:
    """Every difference between two campaigns' results outside :data:`NONDETERMINISTIC_FIELDS`,
    one readable line each; empty when they match. Floats must be equal bit for bit."""
    if len(expected) != len(actual):
        return [f"{len(expected)} episodes against {len(actual)}"]
    lines: list[str] = []
    for a, b in zip(expected, actual):
        found: list[str] = []
        _differences("", deterministic_fields(a), deterministic_fields(b), found)
        lines += [f"seed {a.get('seed')} ({a.get('text')!r}): {line}" for line in found]
    return lines


_MISSING = "<missing>"


def _differences(path: str, a, b, out: list[str]) -> None:
    """Append ``path: a != b`` for every leaf where ``a`` and ``b`` differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            _differences(f"{path}.{key}" if path else str(key), a.get(key, _MISSING), b.get(key, _MISSING), out)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _differences(f"{path}[{i}]", x, y, out)
    else:
        # Through JSON so that NaN equals NaN and 1.0 differs from 1.0000000000000002.
        left, right = json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)
        if left != right:
            out.append(f"{path}: {_clip(left)} != {_clip(right)}")


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# --- executors -----------------------------------------------------------------------------

def run_campaign(specs: Sequence, *, executor: str = "local", workers: Optional[int] = None,
                 ray_address: str = "local", on_result: Optional[Callable[[int, dict], None]] = None,
                 runner: Optional[Callable[[object], dict]] = None) -> list[dict]:
    """Run every episode of ``specs`` and return their results in the order of ``specs``.

    Args:
        specs: the episodes (normally one intent over many seeds, in seed order).
        runner: runs one spec and returns its JSON-able result (with ``success``); a module-level
            function, so that worker processes can import it. Default :func:`run_episode`, whose
            specs are :class:`Episode`; another runner takes its own (picklable) specs, such as
            the wear soak's robots (``runtime/wear_soak.py``).
        executor: ``inline``, ``local`` or ``ray`` (module docstring).
        workers: parallel episodes; default one per core. With ``ray`` and ``ray_address``
            ``"local"`` it is the number of CPUs of the instance started; on a cluster it caps
            the tasks in flight (default: all, the cluster schedules them).
        ray_address: ``"local"`` starts a Ray instance for this campaign and stops it after;
            anything else is handed to ``ray.init(address=...)`` (``"auto"``, ``"head:6379"``; Ray Client's
            ``ray://`` addresses need ``ray[client]``, which is not installed here).
            When Ray is already initialised in this process, that instance is used and left running.
        on_result: called in this process as each episode ends, with its index in ``specs``
            and its result (progress display).

    Raises:
        ValueError: an unknown executor, ``workers`` < 1, or an empty ``specs``.
        ImportError: ``executor="ray"`` and Ray is not installed.
        ConnectionError: the Ray cluster at ``ray_address`` cannot be reached.
        KeyboardInterrupt: passed on after pending episodes are cancelled and workers stopped.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    specs = list(specs)
    if not specs:
        raise ValueError("a campaign needs at least one episode")
    if runner is None:
        runner = run_episode
        if not all(isinstance(s, Episode) for s in specs):
            raise ValueError("specs must be Episode instances")
    if executor == "inline":
        stream = ((i, runner(s)) for i, s in enumerate(specs))
    elif executor == "local":
        stream = _run_local(specs, min(workers or default_workers(), len(specs)), runner)
    else:
        stream = _run_ray(specs, workers, ray_address, runner)
    results: list[Optional[dict]] = [None] * len(specs)
    try:
        for index, result in stream:
            results[index] = result
            if on_result is not None:
                on_result(index, result)
    finally:
        stream.close()    # on Ctrl-C, cancels what is pending and stops the workers
    return results


_PR_SET_PDEATHSIG = 1     # linux/prctl.h


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides what to stop,
    # so workers do not each print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent ended otherwise (SIGTERM, SIGKILL, a crash) runs no clean-up: its workers would
    # run their episodes to the end for nobody (a soak's robot: many minutes). Linux ends
    # them with it.
    if sys.platform.startswith("linux"):
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() == 1:      # the parent was gone before that took hold
        os._exit(1)


def _run_local(specs: list, workers: int, runner: Callable = run_episode) -> Iterator[tuple[int, dict]]:
    # spawn, not fork: the parent may run threads (a progress display, ROS, numba's pool),
    # and a forked child inherits their locks in whatever state they were.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init)
    futures = {pool.submit(runner, spec): index for index, spec in enumerate(specs)}
    done = False
    try:
        for future in as_completed(futures):
            index = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker died (a crash in native code)
                result = failed_result(specs[index], exc)
            yield index, result
        done = True
    finally:
        if done:
            pool.shutdown(wait=True)
        else:
            _stop_pool(pool)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel pending episodes and end the running ones now (they ignore SIGINT)."""
    terminate = getattr(pool, "terminate_workers", None)   # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    # Before 3.14 there is no public way: running work would finish first, so end the processes.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5.0)


def _run_ray(specs: list, workers: Optional[int], address: str, runner: Callable = run_episode
             ) -> Iterator[tuple[int, dict]]:
    try:
        import ray
    except ImportError as exc:
        raise ImportError("the ray executor needs Ray: pip install ray==2.60.0 "
                          "(requirements/common.txt)") from exc
    owned = not ray.is_initialized()
    limit = workers if (workers and address != "local") else len(specs)
    queue = list(enumerate(specs))
    in_flight: dict = {}
    try:
        if owned:
            if address == "local":
                # "local" always starts a new instance, never one left by `ray start`.
                ray.init(address="local", num_cpus=workers or default_workers(), include_dashboard=False)
            else:
                _check_reachable(address)
                ray.init(address=address)
        # No retries: a crashed worker is a failed episode, as with the local pool.
        remote = ray.remote(num_cpus=1, max_retries=0)(runner)
        while queue or in_flight:
            while queue and len(in_flight) < limit:
                index, spec = queue.pop(0)
                in_flight[remote.remote(spec)] = index
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            index = in_flight.pop(ready[0])
            try:
                result = ray.get(ready[0])
            except Exception as exc:  # noqa: BLE001 - worker crashed or node lost
                result = failed_result(specs[index], exc)
            yield index, result
    finally:
        for ref in in_flight:
            ray.cancel(ref, force=True)
        if owned:
            ray.shutdown()


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a ``host:port`` or ``ray://host:port`` nobody answers: ``ray.init`` would
    retry for minutes, deaf to Ctrl-C for 30 s at a time. Other forms (``auto``) go to Ray as
    they are.

    Raises:
        ConnectionError: no TCP connection within ``timeout_s``.
    """
    match = re.fullmatch(r"(?:ray://)?\[?([^\[\]/]+?)\]?:(\d+)", address.strip())
    if not match:
        return
    host, port = match.group(1), int(match.group(2))
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise ConnectionError(f"cannot reach {host}:{port} ({exc})") from None


# --- progress and the merged file ------------------------------------------------------------

class Progress:
    """A progress line on ``stream`` (stderr): ``campaign: [####------] 3/10 episodes, 2
    succeeded, 41 s``. Rewritten in place on a terminal; one line per episode otherwise (logs,
    CI). A failed episode also gets a line of its own with its first reason."""

    def __init__(self, total: int, *, stream: Optional[TextIO] = None, width: int = 20,
                 clock: Callable[[], float] = time.monotonic):
        self.total, self.done, self.succeeded = total, 0, 0
        self.stream = stream if stream is not None else sys.stderr
        self.width, self.clock = width, clock
        self.start = clock()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self) -> str:
        filled = round(self.width * self.done / self.total) if self.total else self.width
        return (f"campaign: [{'#' * filled}{'-' * (self.width - filled)}] {self.done}/{self.total} episodes, "
                f"{self.succeeded} succeeded, {self.clock() - self.start:.0f} s")

    def update(self, result: dict) -> None:
        self.done += 1
        self.succeeded += bool(result.get("success"))
        if not result.get("success"):
            reason = (result.get("reasons") or ["failed"])[0]
            self._write(f"campaign: seed {result.get('seed')} failed: {reason}", final=True)
        self._write(self.line(), final=self.done == self.total)

    def _write(self, text: str, *, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End an unfinished line (after Ctrl-C)."""
        if self.tty and self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()


def campaign_report(specs: Sequence[Episode], results: Iterable[Optional[dict]], *, executor: str,
                    workers: Optional[int], ray_address: Optional[str], wall_time_s: float,
                    interrupted: bool = False) -> dict:
    """The merged JSON of a campaign: its settings, a summary and every episode in seed order
    (episodes that did not finish are left out and counted in ``summary.not_run``)."""
    results = list(results)
    finished = [r for r in results if r is not None]
    failed = [r["seed"] for r in finished if not r["success"]]
    return {
        "campaign": {"intents": sorted({s.text for s in specs}), "seeds": [s.seed for s in specs],
                     "drivetrain": sorted({s.drivetrain for s in specs}),
                     "grip_force_source": sorted({s.grip_force_source for s in specs}),
                     "plant": sorted({f"{s.plant} {s.robot_seed}" if s.plant != "ideal" else s.plant for s in specs}),
                     "executor": executor, "workers": workers,
                     "ray_address": ray_address if executor == "ray" else None,
                     "wall_time_s": wall_time_s,
                     "episodes_per_minute": 60.0 * len(finished) / wall_time_s if wall_time_s > 0 else 0.0,
                     "interrupted": interrupted},
        "summary": {"episodes": len(specs), "finished": len(finished), "succeeded": len(finished) - len(failed),
                    "failed": len(failed), "failed_seeds": failed, "not_run": len(results) - len(finished),
                    "sim_time_s": sum(r["sim_time_s"] for r in finished)},
        "episodes": finished,
    }
