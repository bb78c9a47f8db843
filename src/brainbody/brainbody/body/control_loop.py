"""The body's one control loop, used by every runner.

The embedded simulation, the ROS body node, the plan runner, the rigs and the benchmarks all
drive a :class:`~brainbody.body.controller.BodyController` through :class:`ControlLoop`: it
ticks the controller once per hardware period, runs the jobs that are due between ticks
(world refresh, path-error samples, state and diagnostics publishing) on the hardware clock,
paces the run to wall time when asked, and measures the control period and the cost of each
tick. Runners differ only in the jobs they add and in when they stop.
"""
from __future__ import annotations

import dataclasses
import math
import threading
import time
from typing import Callable, Optional, Protocol


from brainbody.body.controller import BodyController
from brainbody.body.primitive_executor import PrimitiveExecution
from brainbody.body.timing_histogram import TimingHistogram

# Pacing only sleeps when the loop is this far ahead of wall time (a shorter sleep costs more
# than it keeps in step).
_MIN_SLEEP_S = 0.002


class Ticked(Protocol):
    """What the loop drives: a controller that runs one period per :meth:`tick` on the
    hardware clock :attr:`time_s` (a :class:`BodyController`, or a rig's servo alone). One that
    has a ``control_cost_s`` attribute reports there what its last tick cost without the
    hardware's own step (physics in simulation); otherwise the whole tick counts."""

    @property
    def time_s(self) -> float: ...

    def tick(self) -> None: ...


@dataclasses.dataclass
class _Job:
    period_s: float
    callback: Callable[[], None]
    next_s: float = -math.inf


# A wall-clock gap between two periods longer than this is counted as a stall.
STALL_S = 0.1


class LoopTiming:
    """Every control period (hardware clock), tick cost and control cost (wall clock) since the
    loop started. The control cost is the tick without the hardware's step: read, decide,
    check and write, what a real drive's cycle leaves the body to do. ``wall_gap_max_s``: the
    longest wall time between the starts of two periods (a stalled process, a blocked thread,
    a pacing sleep, a backend waiting for its state), with ``stalls`` counting those over
    ``STALL_S``."""

    def __init__(self):
        self.period = TimingHistogram()
        self.tick_cost = TimingHistogram()
        self.control_cost = TimingHistogram()
        self.wall_gap_max_s = 0.0
        self.stalls = 0

    def started(self, gap_s: float) -> None:
        """A period started ``gap_s`` of wall time after the one before it."""
        if gap_s > self.wall_gap_max_s:
            self.wall_gap_max_s = gap_s
        if gap_s > STALL_S:
            self.stalls += 1

    @property
    def count(self) -> int:
        return self.period.count

    def add(self, period_s: float, tick_cost_s: float, control_cost_s: Optional[float] = None) -> None:
        self.period.add(period_s)
        self.tick_cost.add(tick_cost_s)
        self.control_cost.add(tick_cost_s if control_cost_s is None else control_cost_s)

    def median_tick_cost_s(self) -> float:
        return self.tick_cost.percentile_s(0.5)

    def period_percentiles_s(self, *quantiles: float) -> list[float]:
        return [self.period.percentile_s(q) for q in quantiles]


class ControlLoop:
    """Ticks ``body`` and runs the jobs due between ticks.

    Args:
        body: the controller; its hardware sets the clock and the period. Only
            :meth:`run_execution` needs a full :class:`BodyController`.
        realtime_factor: 0 runs as fast as possible; r > 0 paces hardware time to r x wall time.
        tick_costs_s: when given, receives the wall time of every tick (benchmarks).
    """

    def __init__(self, body: Ticked | BodyController, *, realtime_factor: float = 0.0,
                 tick_costs_s: Optional[list] = None):
        if not (realtime_factor >= 0.0 and math.isfinite(realtime_factor)):
            raise ValueError(f"realtime_factor must be finite and >= 0, got {realtime_factor!r}")
        self.body = body
        self.realtime_factor = float(realtime_factor)
        self.tick_costs_s = tick_costs_s
        self.timing = LoopTiming()
        self._jobs: list[_Job] = []
        self._pace_origin: Optional[tuple[float, float]] = None
        self._last_time_s: Optional[float] = None
        self._last_start: Optional[float] = None

    def every(self, period_s: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` between ticks, first before the next tick, then every ``period_s``
        of hardware time (0: before every tick)."""
        if not (period_s >= 0.0 and math.isfinite(period_s)):
            raise ValueError(f"period_s must be finite and >= 0, got {period_s!r}")
        self._jobs.append(_Job(float(period_s), callback))

    def step(self) -> None:
        """One control period: the due jobs, one tick, pacing."""
        start = time.perf_counter()
        if self._last_start is not None:
            self.timing.started(start - self._last_start)
        self._last_start = start
        body = self.body
        now = body.time_s
        for job in self._jobs:
            if now >= job.next_s:
                job.callback()
                # Catch up without bursts when the loop fell behind.
                job.next_s = max(job.next_s + job.period_s, now) if job.next_s > -math.inf else now + job.period_s
        t0 = time.perf_counter()
        body.tick()
        cost = time.perf_counter() - t0
        if self.tick_costs_s is not None:
            self.tick_costs_s.append(cost)
        time_s = body.time_s
        if self._last_time_s is not None and time_s > self._last_time_s:   # a tick without a new sample is no period
            self.timing.add(time_s - self._last_time_s, cost, getattr(body, "control_cost_s", None))
        self._last_time_s = time_s
        if self.realtime_factor > 0.0:
            self._pace(time_s)

    def _pace(self, time_s: float) -> None:
        wall = time.monotonic()
        if self._pace_origin is None:
            self._pace_origin = (wall, time_s)
            return
        wall0, time0 = self._pace_origin
        ahead = (time_s - time0) / self.realtime_factor - (wall - wall0)
        if ahead > _MIN_SLEEP_S:
            time.sleep(ahead)

    def run_until(self, done: Callable[[], bool], *, max_time_s: float = math.inf,
                  stop: Optional[threading.Event] = None) -> bool:
        """Step until ``done()``; False when ``max_time_s`` of hardware time or ``stop`` came first."""
        end = self.body.time_s + max_time_s
        while not done():
            if self.body.time_s >= end or (stop is not None and stop.is_set()):
                return False
            self.step()
        return True

    def run_execution(self, execution: PrimitiveExecution, *, max_time_s: float = 120.0,
                      should_cancel: Callable[[], bool] = lambda: False) -> None:
        """Step until ``execution`` ends. A cancel request, or ``max_time_s`` of hardware time
        without an end, cancels it (the arm brakes to a hold)."""
        end = self.body.time_s + max_time_s
        while not execution.status.done:
            if should_cancel() or self.body.time_s >= end:
                self.body.cancel()
                if self.body.time_s >= end:
                    return
            self.step()
