"""The wear record: baseline at a joint's first check, a doubling flagged for good, and the
remaining life from the trend of the last checks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from brainbody.body.wear_monitor import WearMonitor

NAN = math.nan


def test_a_doubling_is_flagged_once_past_the_checks_scatter_and_stays_flagged():
    wear = WearMonitor(flag_ratio=2.0, flag_margin=0.04)
    base = np.array([1.0, 2.0, 1.0, NAN, 1.0, 1.0, 1.0]) * 1e-4
    wear.add_check(0.0, base)
    assert not wear.flagged.any() and np.isnan(wear.ratio[3])
    wear.add_check(10.0, base * [1.5, 2.07, 2.09, 1, 0.9, 1, 1])     # 2.07: within the scatter of 2.0
    np.testing.assert_allclose(wear.ratio[[0, 1, 2]], [1.5, 2.07, 2.09])
    assert wear.flagged.tolist() == [False, False, True, False, False, False, False]
    assert wear.flagged_at_h[2] == 10.0
    wear.add_check(20.0, base * [1.0, 2.1, 1.8, 1, 1, 1, 1])     # a low estimate later does not unflag
    assert wear.flagged[[1, 2]].all() and wear.flagged_at_h[1] == 20.0
    # A joint first observed late gets its baseline then.
    wear.add_check(30.0, np.where(np.arange(7) == 3, 3e-4, base))
    assert wear.baseline_rad[3] == pytest.approx(3e-4) and wear.ratio[3] == pytest.approx(1.0)


def test_remaining_life_follows_the_trend_to_the_flag():
    wear = WearMonitor(flag_ratio=2.0, trend_checks=4)
    base = np.full(7, 1e-4)
    assert np.isnan(wear.remaining_life_h).all()
    for hours, growth in ((0.0, 1.0), (100.0, 1.1), (200.0, 1.2)):
        wear.add_check(hours, base * np.r_[growth, 1.0, 1.0 - 0.01 * hours / 100, np.full(4, growth)])
    life = wear.remaining_life_h
    assert life[0] == pytest.approx(800.0)            # 0.1 per 100 h: 0.8 to go
    assert life[1] == math.inf and life[2] == math.inf   # no growth (or shrinking): no end in sight
    wear.add_check(300.0, base * 2.1)
    assert wear.remaining_life_h[0] == 0.0             # flagged


def test_malformed_checks_and_settings_are_refused():
    with pytest.raises(ValueError):
        WearMonitor(flag_ratio=1.0)
    with pytest.raises(ValueError):
        WearMonitor(trend_checks=2)
    for margin in (-0.01, 1.0, NAN):
        with pytest.raises(ValueError):
            WearMonitor(flag_margin=margin)
    wear = WearMonitor()
    with pytest.raises(ValueError):
        wear.add_check(NAN, np.zeros(7))
    with pytest.raises(ValueError):
        wear.add_check(1.0, np.zeros(6))
