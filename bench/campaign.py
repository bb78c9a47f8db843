"""campaign: episodes per minute of a seeded campaign (runtime/campaign.py, `brainbody campaign`)
on 1 local worker (the baseline, measured in the same run), 2 local workers and a local Ray
instance of 2 CPUs, side by side, and whether every executor gave the baseline's results
(every field but wall clock and worker, bit for bit).

Each figure includes what a user waits for: worker start-up (spawned processes import MuJoCo,
the body and the compiled kernels) and, for Ray, starting and stopping the instance, which is
also reported on its own. ``BRAINBODY_BENCH_CAMPAIGN_EPISODES`` (default 4) and
``BRAINBODY_BENCH_CAMPAIGN_INTENT`` (default "make coffee") shrink it for a quick check;
``python bench/campaign.py`` runs it and prints the table without writing bench/results/.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from brainbody.runtime.campaign import Episode, result_differences, run_campaign, run_episode

TITLE = "seeded campaigns: episodes per minute on 1 and 2 local workers and on local Ray"
WORKERS = 2


def _ray_import_s() -> float:
    """Import time of Ray in a fresh interpreter (this one may have imported it already)."""
    code = "import time; t = time.perf_counter(); import ray; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                timeout=120).stdout.strip())


def _measure(name: str, specs, **executor) -> dict:
    t0 = time.perf_counter()
    results = run_campaign(specs, **executor)
    wall = time.perf_counter() - t0
    return {"name": name, **executor, "wall_time_s": wall, "results": results}


def run() -> dict:
    n = int(os.environ.get("BRAINBODY_BENCH_CAMPAIGN_EPISODES", "4"))
    intent = os.environ.get("BRAINBODY_BENCH_CAMPAIGN_INTENT", "make coffee")
    specs = [Episode(intent, seed) for seed in range(n)]
    # Compile or load the kernels once, so that no configuration pays for a cold cache.
    run_episode(Episode("go home", 0))

    runs = [_measure("1 local worker (baseline)", specs, executor="local", workers=1),
            _measure(f"{WORKERS} local workers", specs, executor="local", workers=WORKERS)]
    import ray   # only here: the local runs above must not carry it
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=WORKERS, include_dashboard=False)
    ray_init_s = time.perf_counter() - t0
    try:
        ray_run = _measure(f"local Ray, {WORKERS} CPUs", specs, executor="ray", workers=WORKERS)
    finally:
        t0 = time.perf_counter()
        ray.shutdown()
        ray_shutdown_s = time.perf_counter() - t0
    ray_run["running_instance_wall_time_s"] = ray_run["wall_time_s"]
    ray_run["wall_time_s"] += ray_init_s + ray_shutdown_s   # what `--ray local` costs a user
    runs.append(ray_run)

    baseline = runs[0]
    configurations = []
    for r in runs:
        differences = result_differences(baseline["results"], r["results"])
        entry = {k: v for k, v in r.items() if k != "results"}
        entry.update(episodes_per_minute=60.0 * n / r["wall_time_s"],
                     succeeded=sum(x["success"] for x in r["results"]),
                     matches_baseline=not differences, differences=differences[:10],
                     sim_time_s=sum(x["sim_time_s"] for x in r["results"]))
        configurations.append(entry)
    for entry in configurations:
        entry["ratio_to_baseline"] = entry["episodes_per_minute"] / configurations[0]["episodes_per_minute"]
    ray_entry = configurations[-1]
    ray_entry["running_instance_episodes_per_minute"] = 60.0 * n / ray_entry["running_instance_wall_time_s"]

    result = {
        "intent": intent, "episodes": n, "seeds": list(range(n)), "workers": WORKERS, "cpus": os.cpu_count(),
        "configurations": configurations,
        "ray_import_s": _ray_import_s(), "ray_init_s": ray_init_s, "ray_shutdown_s": ray_shutdown_s,
        "all_matched": all(c["matches_baseline"] for c in configurations),
        "all_succeeded": all(c["succeeded"] == n for c in configurations),
    }
    result["targets_met"] = result["all_matched"] and result["all_succeeded"]
    for c in configurations:
        print(f"{c['name']}: {c['episodes_per_minute']:.2f} episodes/min ({c['ratio_to_baseline']:.2f}x baseline), "
              f"{c['succeeded']}/{n} succeeded, results match baseline {c['matches_baseline']}")
    print(f"Ray: import {result['ray_import_s']:.2f} s, start {ray_init_s:.2f} s, stop {ray_shutdown_s:.2f} s")
    return result


def markdown(r: dict) -> str:
    rows = "\n".join(
        f"| {c['name']} | {c['wall_time_s']:.1f} s | {c['episodes_per_minute']:.2f} | {c['ratio_to_baseline']:.2f}× "
        f"| {c['succeeded']}/{r['episodes']} | {c['matches_baseline']} |" for c in r["configurations"])
    ray = r["configurations"][-1]
    return f"""{r['episodes']} episodes of {r['intent']!r} (seeds 0-{r['episodes'] - 1}) on {r['cpus']} cores; each
wall time includes starting the workers (and for Ray, starting and stopping the instance).

| executor | wall time | episodes per minute | ratio to baseline | succeeded | results match baseline |
|---|---|---|---|---|---|
{rows}

Ray's own cost: import {r['ray_import_s']:.2f} s, starting a local instance {r['ray_init_s']:.2f} s, stopping it
{r['ray_shutdown_s']:.2f} s; on an instance already running, {ray['running_instance_episodes_per_minute']:.2f}
episodes per minute. "Results match" compares every field but wall clock and worker, bit for bit
(`campaign.result_differences`).
"""


if __name__ == "__main__":
    print(markdown(run()))
