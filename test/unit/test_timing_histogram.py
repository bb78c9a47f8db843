import numpy as np

from brainbody.body.timing_histogram import TimingHistogram


def test_percentiles_to_ten_microseconds_and_the_exact_maximum():
    h = TimingHistogram()
    values = np.r_[np.full(990, 0.002), np.full(9, 0.004), [0.0377]]
    for v in np.random.default_rng(0).permutation(values):
        h.add(float(v))
    assert h.count == 1000
    assert abs(h.percentile_s(0.5) - 0.002) <= 1e-5
    assert abs(h.percentile_s(0.99) - 0.002) <= 1e-5        # the 990th of 1000 is still 2 ms
    assert abs(h.percentile_s(0.995) - 0.004) <= 1e-5
    assert h.percentile_s(1.0) == 0.0377


def test_buckets_count_every_sample_once_including_the_overflow():
    h = TimingHistogram()
    for v in (0.0019, 0.002, 0.0021, 0.005, 0.5, float("nan"), -1.0):
        h.add(v)
    assert h.count == 5                                       # NaN and negatives are not durations
    text = h.buckets()
    counts = dict(part.split(":") for part in text.split())
    assert counts["<=2"] == "2" and counts["<=2.5"] == "1" and counts["<=6"] == "1" and counts[">20"] == "1"
    assert sum(int(c) for c in counts.values()) == 5
    assert h.percentile_s(1.0) == 0.5


def test_empty_histogram_reads_zero():
    h = TimingHistogram()
    assert h.percentile_s(0.99) == 0.0 and h.count == 0
