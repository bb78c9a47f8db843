"""`brainbody demo` sends its intent only once the simulator's ground truth flows: the wait for
fresh samples returns as they come, gives up at its timeout (the demo then exits with an error
instead of sending an intent the brain would refuse for want of a world), notes a slow start
once, and ends at a Ctrl-C."""
from __future__ import annotations

import threading
import time

from brainbody.cli import _wait_fresh_truth


class _Arrivals:
    """Stands in for the topic's LatestMessage: only its count is read."""

    def __init__(self):
        self.count = 0

    def arrive_after(self, delay_s: float, samples: int) -> threading.Thread:
        def run():
            time.sleep(delay_s)
            for _ in range(samples):
                self.count += 1
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread


def test_the_wait_returns_when_the_samples_came():
    truth = _Arrivals()
    truth.count = 7                                  # the latched sample and older ones do not count
    truth.arrive_after(0.1, 2)
    start = time.monotonic()
    assert _wait_fresh_truth(truth, samples=2, timeout_s=5.0)
    assert time.monotonic() - start < 2.0 and truth.count == 9


def test_the_wait_gives_up_at_its_timeout_when_nothing_comes():
    truth = _Arrivals()
    truth.arrive_after(0.05, 1)                      # one sample of the two asked for
    start = time.monotonic()
    assert not _wait_fresh_truth(truth, samples=2, timeout_s=0.3)
    assert 0.3 <= time.monotonic() - start < 2.0


def test_a_slow_start_is_noted_once(capsys):
    truth = _Arrivals()
    truth.arrive_after(3.3, 2)
    assert _wait_fresh_truth(truth, samples=2, timeout_s=10.0, slow_note="waiting for the simulator")
    assert capsys.readouterr().out == "waiting for the simulator\n"


def test_a_stop_ends_the_wait_at_once():
    truth, stop = _Arrivals(), threading.Event()
    threading.Timer(0.1, stop.set).start()
    start = time.monotonic()
    assert not _wait_fresh_truth(truth, samples=2, timeout_s=30.0, stop=stop)
    assert time.monotonic() - start < 2.0
