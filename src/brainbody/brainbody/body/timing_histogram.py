"""A histogram of durations over a whole run (control periods, tick costs, latencies).

Fixed 10 µs bins up to 100 ms and an overflow count: constant memory and an O(1) add, so a
loop can record every period of a 10,000-hour run; percentiles are read off the bins (to
10 µs) and the maximum is kept exactly. Bin ``i`` holds ((i-1), i] x 10 µs, so a period of
exactly 2 ms counts as "<= 2 ms" whatever its last floating-point digit.
"""
from __future__ import annotations

import math

_BIN_S = 1e-5
_RANGE_S = 0.1
# The coarse buckets /diagnostics shows (upper edges, ms).
REPORT_EDGES_MS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0, 20.0)


class TimingHistogram:
    def __init__(self):
        # A list, not an array: adding to a Python int costs a third of a numpy element's
        # read-modify-write, and a loop adds three times a tick.
        self._bins = [0] * (int(round(_RANGE_S / _BIN_S)) + 1)    # last bin: overflow
        self._last = len(self._bins) - 1
        self.count = 0
        self.max_s = 0.0

    def add(self, value_s: float) -> None:
        if not value_s >= 0.0:      # also NaN: not a duration
            return
        self._bins[min(math.ceil(value_s / _BIN_S - 1e-6), self._last)] += 1
        self.count += 1
        if value_s > self.max_s:
            self.max_s = value_s

    def percentile_s(self, q: float) -> float:
        """The ``q`` quantile (0..1), as the upper edge of its bin; 1 gives the exact maximum."""
        if self.count == 0:
            return 0.0
        if q >= 1.0:
            return self.max_s
        rank = max(math.ceil(q * self.count), 1)
        # Walk up from the shortest bin: durations crowd the first few hundred.
        below = 0
        for index, n in enumerate(self._bins):
            below += n
            if below >= rank:
                return min(index * _BIN_S, self.max_s)
        return self.max_s

    def buckets(self, edges_ms=REPORT_EDGES_MS) -> str:
        """Counts per coarse bucket, e.g. ``<=2.0:9981 <=2.5:12 ... >20.0:0`` (ms)."""
        out, below, bins = [], 0, self._bins
        for edge in edges_ms:
            upto = sum(bins[:min(int(round(edge * 1e-3 / _BIN_S)), len(bins) - 2) + 1])
            out.append(f"<={edge:g}:{upto - below}")
            below = upto
        out.append(f">{edges_ms[-1]:g}:{self.count - below}")
        return " ".join(out)
