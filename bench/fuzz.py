"""fuzz: hypothesis-generated primitives and streamed joint trajectories, garbage included (NaN,
inf, huge, negative, wrong kinds and types, unknown objects, empty ids, wrong joint names and
sizes, stale or future stamps), against the real body: a BodyController on the embedded MuJoCo
plant, driven by the one ControlLoop. Accepted commands run for RUN_TICKS, are cancelled and
brake. Every command is checked at the write() boundary against the plant's own actuator ranges
(test/fuzz_harness.py, independent of the body's supervisor and servo).

No baseline: these are counts of a safety property, each with a target of zero.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test"))
from fuzz_harness import BRAKE_TICKS, RUN_TICKS, BodyFuzzer, Tally, primitives, trajectories  # noqa: E402

TITLE = "fuzzing the body: generated primitives and trajectories, garbage included, against the envelope"

PRIMITIVE_CASES = 5000
TRAJECTORY_CASES = 5000
SEED = 20251
TARGET_KEYS = ("out_of_envelope_commands", "rejects_without_code", "crashes", "internal_faults")


def _settings(n: int):
    return settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck))


def run(primitive_cases: int = PRIMITIVE_CASES, trajectory_cases: int = TRAJECTORY_CASES) -> dict:
    import logging
    logging.getLogger("brainbody").setLevel(logging.CRITICAL)   # thousands of refusals would flood the log
    tally = Tally()
    body_primitives, body_trajectories = BodyFuzzer(seed=SEED), BodyFuzzer(seed=SEED + 1)

    @seed(SEED)
    @_settings(primitive_cases)
    @given(primitives())
    def fuzz_primitives(primitive):
        tally.add(body_primitives.primitive(primitive), "primitive", primitive)

    @seed(SEED + 1)
    @_settings(trajectory_cases)
    @given(trajectories())
    def fuzz_trajectories(case):
        tally.add(body_trajectories.trajectory(case), "trajectory", case)

    t0 = time.perf_counter()
    fuzz_primitives()
    fuzz_trajectories()
    result = dict(vars(tally))
    result.update(run_ticks=RUN_TICKS, brake_ticks=BRAKE_TICKS, seed=SEED, fuzz_wall_time_s=time.perf_counter() - t0,
                  sim_sessions=body_primitives.sessions + body_trajectories.sessions)
    result["targets_met"] = result["cases"] >= 10_000 and all(result[k] == 0 for k in TARGET_KEYS)
    return result


def markdown(result: dict) -> str:
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(result["codes"].items()))
    rows = [("cases (primitives + trajectories)",
             f"{result['cases']} ({result['primitive_cases']} + {result['trajectory_cases']})", "≥ 10000"),
            ("accepted and run in sim", str(result["accepted"]), "—"),
            ("commands checked at write()", str(result["commands_checked"]), "—"),
            ("out_of_envelope_commands", str(result["out_of_envelope_commands"]), "0"),
            ("rejects_without_code", str(result["rejects_without_code"]), "0"),
            ("crashes", str(result["crashes"]), "0"),
            ("control ticks that raised (loop held and ran on)", str(result["internal_faults"]), "0")]
    lines = ["| measure | value | target |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    text = "\n".join(lines)
    text += (f"\n\nSeed {result['seed']}; each accepted command runs {result['run_ticks']} ticks (1 kHz sim time), "
             f"then is cancelled and brakes (at most {result['brake_ticks']} ticks); a fresh MuJoCo session every "
             f"25 cases ({result['sim_sessions']} in all); {result['fuzz_wall_time_s']:.0f} s wall. "
             f"Error codes seen (refusals, and 204 for the cancels): {codes}. "
             f"Envelope: the plant's actuator ranges (arm torques, finger forces) and finiteness, checked by "
             f"`test/fuzz_harness.py`, which shares no code with the body's supervisor. "
             f"`make test` runs a fixed sample of the same properties (`test/unit/test_fuzz_body.py`).")
    if result.get("examples"):
        text += "\n\nFirst failures:\n" + "\n".join(f"- {e['case']}: `{e['input']}` → `{e['outcome']}`"
                                                    for e in result["examples"])
    return text
