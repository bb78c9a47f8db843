"""The ground-truth tool path error (sim/path_error.py): distances, RMS and maximum, and a
position that is not three finite numbers refused without being counted."""
import math

import numpy as np
import pytest

from brainbody.sim.path_error import PathErrorStats


def test_distances_rms_and_maximum():
    stats = PathErrorStats()
    assert stats.add([0.0, 0.0, 0.0], np.array([1.0, 2.0, 2.0])) == 3.0
    assert stats.add(np.array([1.0, 1.0, 1.0]), [1.0, 1.0, 0.0]) == 1.0
    assert stats.samples == 2 and stats.max_m == 3.0
    assert stats.rms_m == pytest.approx(math.sqrt((9.0 + 1.0) / 2))


@pytest.mark.parametrize("commanded, actual", [
    ([np.nan, 0.0, 0.0], [0.0, 0.0, 0.0]),
    ([0.0, 0.0, 0.0], [0.0, np.inf, 0.0]),
    ([np.inf, 0.0, 0.0], [np.inf, 0.0, 0.0]),     # inf - inf would hide as NaN
    ([0.0, 0.0], [0.0, 0.0, 0.0]),
    ([[0.0, 0.0, 0.0]], [0.0, 0.0, 0.0]),
])
def test_a_position_that_is_not_three_finite_numbers_is_refused_and_not_counted(commanded, actual):
    stats = PathErrorStats()
    stats.add([0.0, 0.0, 0.0], [0.0, 0.0, 0.1])
    with pytest.raises(ValueError, match="3 finite numbers"):
        stats.add(commanded, actual)
    assert stats.samples == 1 and stats.max_m == pytest.approx(0.1)
