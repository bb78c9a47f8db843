"""Benchmarks (run with `make bench`, or `python bench/run.py [name ...]` for some of them).

Each benchmark is a module here with ``NAME``, ``TITLE``, ``run() -> dict`` and
``markdown(result) -> str``. A result carries its baseline, measured in the same run,
and a ``targets_met`` flag. This script writes ``bench/results/<name>.json`` and rebuilds
``bench/RESULTS.md`` from every result file present, so running one benchmark keeps the
others' last recorded results.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

# Order of sections in RESULTS.md.
BENCHMARKS = ("coffee_rtf", "backlash", "friction", "arm", "grip", "grip_sources", "slip", "backlash_id", "friction_payload_id", "adaptive", "thermal", "cost",
              "intent", "backends", "fuzz", "faults", "campaign")


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


PLANTS = ("ideal", "honest")


# Soaks: in RESULTS.md, but run only by name (`make soak`), not by a bare `make bench`.
SOAKS = ("wear_soak",)


def available() -> list[str]:
    return [name for name in BENCHMARKS + SOAKS if (HERE / f"{name}.py").is_file()]


def on_either_plant() -> list[str]:
    """The benchmarks whose ``run`` takes a ``plant`` (the drivetrain, grip and slip ones)."""
    return [name for name in available()
            if "plant" in inspect.signature(importlib.import_module(name).run).parameters]


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _figure(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def plant_comparison() -> str:
    """The ideal-plant and honest-plant figures of each benchmark that has both, side by side."""
    rows = []
    for name in available():
        ideal, honest = _load(name), _load(f"{name}_honest")
        headlines = getattr(importlib.import_module(name), "HEADLINES", {})
        if not (ideal and honest and headlines):
            continue
        for key, label in headlines.items():
            rows.append(f"| {name} | {label} | {_figure(ideal.get(key, '-'))} | {_figure(honest.get(key, '-'))} |")
        rows.append(f"| {name} | targets met | {ideal.get('targets_met')} | {honest.get('targets_met')} |")
    if not rows:
        return ""
    return ("## Ideal plant vs honest plant\n\n"
            "The same benchmarks on the robot as its datasheet says (ideal) and on a unit that differs from it as "
            "a real one does (honest: perturbed inertias and an unknown payload, LuGre friction with ripple and "
            "temperature, cogging, drive and sensor errors, gear stiffness and lost motion off the datasheet; "
            "`sim/plant_realism.py`, robot seed 0). The body's estimates are the same in both.\n\n"
            "| benchmark | figure | ideal plant | honest plant |\n|---|---|---|---|\n" + "\n".join(rows) + "\n\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {available()})")
    parser.add_argument("--plant", choices=PLANTS, default="ideal",
                        help="the simulated robot: its datasheet (ideal) or a unit that differs from it as a real "
                             "one does (honest, sim/plant_realism.py); honest results go to <name>_honest.json")
    args = parser.parse_args(argv)
    names = args.names or ([n for n in available() if n not in SOAKS] if args.plant == "ideal" else on_either_plant())
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available()}")
    if args.plant != "ideal" and set(names) - set(on_either_plant()):
        parser.error(f"--plant {args.plant} is for {on_either_plant()}; not for {sorted(set(names) - set(on_either_plant()))}")
    RESULTS.mkdir(exist_ok=True)
    all_met = True
    for name in names:
        module = importlib.import_module(name)
        print(f"== {name}: {module.TITLE}", flush=True)
        t0 = time.perf_counter()
        result = module.run() if args.plant == "ideal" else module.run(plant=args.plant)
        stem, command = (name, f"make bench BENCH={name}") if args.plant == "ideal" else (
            f"{name}_{args.plant}", f"make bench BENCH={name} PLANT={args.plant}")
        result.update(name=name, machine=machine(), bench_wall_time_s=time.perf_counter() - t0, command=command)
        (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
        all_met &= bool(result.get("targets_met", True))
    write_results_md()
    return 0 if all_met else 1


def write_results_md() -> None:
    sections = []
    for name in available():
        path = RESULTS / f"{name}.json"
        if not path.is_file():
            continue
        result = json.loads(path.read_text())
        module = importlib.import_module(name)
        section = (f"## {name} — {module.TITLE}\n\n"
                   f"Command: `{result.get('command', 'make bench')}` on {result.get('machine', '?')}. "
                   f"Raw numbers: `bench/results/{name}.json`.\n\n"
                   f"{module.markdown(result).strip()}\n")
        honest = _load(f"{name}_honest")
        if honest:
            section += (f"\n### {name} on the honest plant\n\n"
                        f"Command: `{honest.get('command')}` on {honest.get('machine', '?')}. "
                        f"Raw numbers: `bench/results/{name}_honest.json`.\n\n"
                        f"{module.markdown(honest).strip()}\n")
        sections.append(section)
    text = ("# Benchmark results\n\n"
            "Produced by `make bench` (= `python bench/run.py` inside `scripts/env.sh`) on the 2-core "
            "development machine. Every ratio is against a baseline measured in the same run.\n\n"
            + plant_comparison() + "\n".join(sections))
    (HERE / "RESULTS.md").write_text(text)


if __name__ == "__main__":
    sys.exit(main())
