"""``bench/results/health.json``: the health keys issue 11 names, written by several benchmarks
(thermal, backlash_id), each updating its own keys and keeping the others'."""
from __future__ import annotations

import json
from pathlib import Path

HEALTH = Path(__file__).resolve().parent / "results" / "health.json"


def update_health(values: dict) -> None:
    health = json.loads(HEALTH.read_text()) if HEALTH.is_file() else {}
    health.update(values)
    HEALTH.parent.mkdir(exist_ok=True)
    HEALTH.write_text(json.dumps(health, indent=2) + "\n")
