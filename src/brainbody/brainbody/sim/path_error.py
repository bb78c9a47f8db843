"""End-effector path error, judged from simulator ground truth.

The distance between where the tool really is (MuJoCo's ``tcp`` site, which sees backlash,
gear twist and servo lag) and where the controller commanded it (forward kinematics of
the controller's link set-point). Samples are taken only while a motion is commanded, so
waits and holds do not dilute the figure; it is a path error, not a resting error.
"""
from __future__ import annotations

import math

import numpy as np


class PathErrorStats:
    """Running RMS and maximum of the tool position error (metres)."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.samples = 0
        self._sum_sq_m2 = 0.0
        self.max_m = 0.0

    def add(self, commanded_m: np.ndarray, actual_m: np.ndarray) -> float:
        """Record one sample; returns its distance in metres.

        Raises:
            ValueError: a position is not three finite numbers.
        """
        c = np.asarray(commanded_m, dtype=float)
        a = np.asarray(actual_m, dtype=float)
        # Plain floats: three numbers, every tenth tick of a run.
        values = c.tolist() + a.tolist() if c.shape == a.shape == (3,) else [math.nan]
        if not all(map(math.isfinite, values)):
            raise ValueError(f"positions must be 3 finite numbers, got {commanded_m!r} and {actual_m!r}")
        cx, cy, cz, ax, ay, az = values
        dx, dy, dz = cx - ax, cy - ay, cz - az
        distance_m = math.sqrt(dx * dx + dy * dy + dz * dz)
        self.samples += 1
        self._sum_sq_m2 += distance_m * distance_m
        if distance_m > self.max_m:
            self.max_m = distance_m
        return distance_m

    @property
    def rms_m(self) -> float:
        return math.sqrt(self._sum_sq_m2 / self.samples) if self.samples else 0.0

    def as_dict(self) -> dict[str, float]:
        """The figures for a report (``path_error_rms_m``, ``path_error_max_m``, ``path_error_samples``)."""
        return {"path_error_rms_m": self.rms_m, "path_error_max_m": self.max_m,
                "path_error_samples": self.samples}
