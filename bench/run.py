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
BENCHMARKS = ("coffee_rtf", "backlash", "friction", "arm", "grip", "grip_sources", "slip", "cost", "intent",
              "backends", "fuzz", "faults", "campaign")


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"


def available() -> list[str]:
    return [name for name in BENCHMARKS if (HERE / f"{name}.py").is_file()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {available()})")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available()}")
    RESULTS.mkdir(exist_ok=True)
    all_met = True
    for name in names:
        module = importlib.import_module(name)
        print(f"== {name}: {module.TITLE}", flush=True)
        t0 = time.perf_counter()
        result = module.run()
        result.update(name=name, machine=machine(), bench_wall_time_s=time.perf_counter() - t0,
                      command=f"make bench BENCH={name}")
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
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
        sections.append(f"## {name} — {module.TITLE}\n\n"
                        f"Command: `{result.get('command', 'make bench')}` on {result.get('machine', '?')}. "
                        f"Raw numbers: `bench/results/{name}.json`.\n\n"
                        f"{module.markdown(result).strip()}\n")
    text = ("# Benchmark results\n\n"
            "Produced by `make bench` (= `python bench/run.py` inside `scripts/env.sh`) on the 2-core "
            "development machine. Every ratio is against a baseline measured in the same run.\n\n"
            + "\n".join(sections))
    (HERE / "RESULTS.md").write_text(text)


if __name__ == "__main__":
    sys.exit(main())
