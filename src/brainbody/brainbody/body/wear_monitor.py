"""Wear and remaining useful life, body side: each joint's lost motion over the robot's life.

Every drivetrain check (``body/drivetrain_check.py``) ends with a lost-motion estimate per
joint (``body/backlash_identification.py``). The first check a joint gets is its baseline
(the robot as commissioned); each later one gives the ratio to it. A ratio at or past
``flag_ratio`` (a doubling by default, where a reducer is due for service), or past it by
``flag_margin`` of it, flags the joint, for good. A margin trades late flags for false ones
where the checks scatter: with the check's earlier fit (the model's torque) a 1,000-task soak
flagged the shoulder at 5 of 86 checks at a true 1.94-1.99x; with its present one, 0 of them,
and a 4 % margin only made doublings late (``bench/RESULTS.md``, wear_soak). The remaining useful life is the operating time until the ratio reaches
``flag_ratio`` along a straight line fitted to the ratios of the last ``trend_checks`` checks
against operating hours: 0 once flagged, infinite while the trend does not grow, NaN until
there are three checks.

It knows nothing of the plant's wear law (``sim/reducer_wear.py``); what it sees is the
identification's estimate, with its error (a few per cent between checks of one unit).
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np


_NO_GROWTH_PER_H = 1e-9     # a trend flatter than this (ratio per hour) is no growth (round-off)


class WearMonitor:
    """Lost-motion trend per joint (7): baseline, ratio, doubling flag, remaining life.

    Args:
        flag_ratio: lost motion over the baseline at which a joint is due for service.
        flag_margin: how far past ``flag_ratio`` (a share of it) a check's ratio must be to
            flag the joint (for checks that scatter more than the drivetrain check's).
        trend_checks: how many of the latest checks the remaining-life trend is fitted to.
        n_joints: joints watched.
    """

    def __init__(self, *, flag_ratio: float = 2.0, flag_margin: float = 0.0, trend_checks: int = 6,
                 n_joints: int = 7):
        if not (math.isfinite(flag_ratio) and flag_ratio > 1.0) or trend_checks < 3 \
                or not (math.isfinite(flag_margin) and 0.0 <= flag_margin < 1.0):
            raise ValueError(f"need flag_ratio > 1, 0 <= flag_margin < 1 and trend_checks >= 3, got "
                             f"{flag_ratio!r}, {flag_margin!r}, {trend_checks!r}")
        self.flag_ratio = float(flag_ratio)
        self.flag_margin = float(flag_margin)
        self.trend_checks = int(trend_checks)
        self.baseline_rad = np.full(n_joints, np.nan)
        self.ratio = np.full(n_joints, np.nan)
        self.flagged = np.zeros(n_joints, dtype=bool)
        self.flagged_at_h = np.full(n_joints, np.nan)
        self.checks = 0
        self._history: list[tuple[float, np.ndarray]] = []   # (operating hours, ratio per joint)

    def add_check(self, operating_hours: float, lost_motion_rad: np.ndarray) -> None:
        """One drivetrain check's estimates (7, rad; NaN where a joint was not observed)."""
        hours = float(operating_hours)
        width = np.asarray(lost_motion_rad, dtype=float)
        if not math.isfinite(hours) or width.shape != self.baseline_rad.shape:
            raise ValueError(f"a check needs finite hours and {self.baseline_rad.shape[0]} estimates")
        usable = np.isfinite(width) & (width > 0.0)
        new = usable & ~np.isfinite(self.baseline_rad)
        self.baseline_rad[new] = width[new]
        ratio = np.where(usable & np.isfinite(self.baseline_rad), width / self.baseline_rad, np.nan)
        self.ratio = np.where(np.isfinite(ratio), ratio, self.ratio)
        now_flagged = np.isfinite(ratio) & (ratio >= self.flag_ratio * (1.0 + self.flag_margin)) & ~self.flagged
        self.flagged_at_h[now_flagged] = hours
        self.flagged |= now_flagged
        self._history.append((hours, ratio))
        self._history = self._history[-self.trend_checks:]
        self.checks += 1

    @property
    def remaining_life_h(self) -> np.ndarray:
        """Operating hours until each joint's ratio reaches ``flag_ratio`` (see the module docstring)."""
        out = np.full(self.baseline_rad.shape[0], np.nan)
        if not self._history:
            return out
        hours = np.array([h for h, _ in self._history])
        ratios = np.array([r for _, r in self._history])
        for j in range(out.shape[0]):
            if self.flagged[j]:
                out[j] = 0.0
                continue
            ok = np.isfinite(ratios[:, j])
            if ok.sum() < 3 or np.ptp(hours[ok]) <= 0.0:
                continue
            slope, intercept = np.polyfit(hours[ok], ratios[ok, j], 1)
            now = hours[ok][-1]
            if slope <= _NO_GROWTH_PER_H:
                out[j] = math.inf
                continue
            out[j] = max((self.flag_ratio - (intercept + slope * now)) / slope, 0.0)
        return out

    def summary(self, joint: int) -> dict[str, Optional[float]]:
        """One joint's figures for /diagnostics."""
        return {"ratio": float(self.ratio[joint]), "flagged": bool(self.flagged[joint]),
                "remaining_life_h": float(self.remaining_life_h[joint])}
