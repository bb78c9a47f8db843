"""The body's health as ``brainbody health`` shows it: a history of the statuses the body
publishes on ``/diagnostics`` (plain data here; the ROS adapter in ``cli.py`` collects them),
the latest report per status, and PNG plots of the trends.

A trend is a per-joint figure that says how the drive is doing over time: motor temperatures
and the thermal torque limit, the identified drivetrain parameters, the tracking error, and
wear and remaining life where the body reports them. Values that are not numbers (``not
observed yet``) are left out of the plots, never drawn as zero.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Mapping, Optional

LEVELS = {0: "OK", 1: "WARN", 2: "ERROR", 3: "STALE"}

# Trend keys, in the order they are reported: (key, label, unit).
TRENDS: tuple[tuple[str, str, str], ...] = (
    ("winding_temperature_c", "winding", "C"),
    ("magnet_temperature_c", "magnets", "C"),
    ("housing_temperature_c", "housing", "C"),
    ("winding_resistance_ohm", "winding resistance", "ohm"),
    ("torque_constant_ratio", "torque constant / reference", ""),
    ("thermal_torque_limit_nm", "torque limit", "N m"),
    ("backlash_identified_arcmin", "lost motion identified", "arcmin"),
    ("link_tracking_error_rad", "tracking error", "rad"),
)
# Keys the body may add as it learns more of its drive (any identified figure, wear, remaining
# life): reported and plotted whenever a status carries them.
TREND_PREFIXES = ("wear_", "remaining_life_")
TREND_MARK = "identified"
_KT_25C = "torque_constant_25c_nm_per_a"


def _number(text: str) -> Optional[float]:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def is_trend(key: str) -> bool:
    return any(key == k for k, _, _ in TRENDS) or key.startswith(TREND_PREFIXES) or TREND_MARK in key


@dataclasses.dataclass(frozen=True)
class Sample:
    time_s: float
    level: int
    message: str
    values: Mapping[str, str]


class HealthHistory:
    """Statuses by name, in the order they arrived."""

    def __init__(self):
        self._samples: dict[str, list[Sample]] = {}

    def add(self, time_s: float, name: str, level: int, message: str, values: Mapping[str, str]) -> None:
        self._samples.setdefault(name, []).append(Sample(float(time_s), int(level), message, dict(values)))

    def __len__(self) -> int:
        return sum(len(s) for s in self._samples.values())

    @property
    def names(self) -> list[str]:
        """Joints first (in the order they arrived), then the other statuses by name."""
        joints = [n for n in self._samples if n.startswith("body/joint/")]
        return joints + sorted(n for n in self._samples if n not in joints)

    def latest(self, name: str) -> Sample:
        """The newest by time (the last to arrive among equals)."""
        samples = self._samples[name]
        return max(reversed(samples), key=lambda s: s.time_s)

    def trend_keys(self) -> list[str]:
        """The trend keys some status carries, the fixed ones first."""
        seen = {k for samples in self._samples.values() for s in samples for k in s.values if is_trend(k)}
        fixed = [k for k, _, _ in TRENDS if k in seen]
        return fixed + sorted(seen - set(fixed))

    def series(self, key: str) -> dict[str, tuple[list[float], list[float]]]:
        """Per status that carries ``key``: times and values, numbers only."""
        out = {}
        for name in self.names:
            # In time order: arrays from a queue may arrive out of it.
            points = sorted((s.time_s, v) for s in self._samples[name]
                            if (v := _number(s.values.get(key))) is not None)
            if points:
                out[name] = ([t for t, _ in points], [v for _, v in points])
        return out

    def report(self) -> str:
        """The latest status of each name: level, message and, for joints, the trend figures."""
        if not self._samples:
            return "no statuses"
        times = [s.time_s for samples in self._samples.values() for s in samples]
        lines = [f"body health: {len(self)} statuses over {max(times) - min(times):.1f} s "
                 f"(latest at {max(times):.1f} s)"]
        labels = {k: (label, unit) for k, label, unit in TRENDS}
        for name in self.names:
            sample = self.latest(name)
            lines.append(f"{LEVELS.get(sample.level, str(sample.level)):5s} {name}: {sample.message}")
            figures = []
            for key in (k for k in self.trend_keys() if k in sample.values):
                label, unit = labels.get(key, (key.replace("_", " "), ""))
                text = sample.values[key]
                figures.append(f"{label} {text}{' ' + unit if unit and _number(text) is not None else ''}")
            if figures:
                lines.append("      " + "; ".join(figures))
        constants = self.torque_constants_at_25c()
        if constants is not None:
            lines.append("torque constants at 25 C, N m/A (on a healthy robot: its commissioning reference, "
                         f"torque_constant_reference_nm_per_a): {constants}")
        return "\n".join(lines)

    def torque_constants_at_25c(self) -> Optional[list[float]]:
        """Every joint's latest measured torque constant at 25 C, in joint order, once all seven
        have one (None until then)."""
        joints = [n for n in self.names if n.startswith("body/joint/")]
        values = [_number(self.latest(n).values.get(_KT_25C)) for n in joints]
        if len(values) != 7 or any(v is None for v in values):
            return None
        return values

    def plot(self, out_dir: Path) -> list[Path]:
        """One PNG per trend key with numbers in it (a line per joint); returns the files."""
        import matplotlib
        matplotlib.use("Agg")           # files only: no display on a robot or in CI
        import matplotlib.pyplot as plt

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        labels = {k: (label, unit) for k, label, unit in TRENDS}
        files = []
        for key in self.trend_keys():
            series = self.series(key)
            if not series:
                continue
            label, unit = labels.get(key, (key.replace("_", " "), ""))
            fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
            try:
                for name, (times, values) in series.items():
                    ax.plot(times, values, label=name.rsplit("/", 1)[-1], linewidth=1.2)
                ax.set_title(f"{label} ({key})")
                ax.set_xlabel("time (s, the body's clock)")
                ax.set_ylabel(unit or key)
                ax.grid(True, alpha=0.3)
                ax.legend(fontsize=7, ncol=2)
                fig.tight_layout()
                path = out_dir / f"{key}.png"
                fig.savefig(path)
                files.append(path)
            finally:
                plt.close(fig)
        return files

