"""The body's commander watch over real DDS while the GIL is held elsewhere in its process for
longer than the timeout (a body loading compiled kernels mid-primitive; a live brain was once taken
for lost in CI): beats keep arriving underneath, so a brain that keeps beating is never taken for
lost, and a brain that is killed is still noticed. The watch used to read the clock after taking
beats, and failed this in nearly every run.

Each watch and its brain talk on a DDS domain of their own. In the run's domain a brain also
matched the endpoints of processes that earlier tests had killed (their leases last 20 s), and
Fast DDS can stall a process that pushes to a killed peer's shared-memory port
(ros/middleware.py). That most likely made a live brain go silent in CI, right after the
liveness test killed its brains, and the watch rightly took it for lost ("silent for 325 ms").
The brain logs when it sends each beat: a run in which it went quiet for longer than the
timeout cannot judge the watch, and runs once more."""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from types import SimpleNamespace

import pytest

import rclpy

from brainbody.ros.commander_heartbeat import CommanderWatch  # noqa: E402

pytestmark = pytest.mark.graph

TIMEOUT_S = 0.1
STALL_S = 0.3       # three timeouts: every check of the stalled thread comes this late


# A brain in a process of its own, as in every deployment: it beats until it is killed.
# Each beat's send time (the host's monotonic clock, which this process reads too) goes to stdout.
_BRAIN = """
import sys, threading, time, rclpy
from brainbody.ros.commander_heartbeat import HeartbeatPublisher
rclpy.init()
beat = HeartbeatPublisher(rclpy.create_node("stall_test_brain"), sys.argv[1], period_s=0.01, priority=0)
publish = beat._pub.publish
def publish_and_log(msg):
    publish(msg)
    print(time.monotonic(), flush=True)
beat._pub.publish = publish_and_log
threading.Event().wait()
"""


_PRIVATE_DOMAINS = itertools.count(67)


def _private_domain() -> int:
    """A fresh domain for each rig: near the module's (ids 101-231, test/graph/conftest.py), away
    from the other modules' and the health CLI test's."""
    return 101 + (int(os.environ["ROS_DOMAIN_ID"]) - 101 + next(_PRIVATE_DOMAINS)) % 131


class _Body:
    """What the watch asks of the body: abandon a primitive, recorded with when it happened."""

    def __init__(self):
        self.abandoned: list[tuple[float, object]] = []

    def abandon(self, execution, error) -> None:
        self.abandoned.append((time.monotonic(), error))
        execution.status.done = True


class _Execution:
    """A running primitive, as the watch sees it (hashable by identity, as the real one)."""

    def __init__(self):
        self.status = SimpleNamespace(done=False)
        self.primitive = SimpleNamespace(id="p01-reach")


class _Logger:
    def __init__(self):
        self.errors: list[str] = []

    def error(self, message: str) -> None:
        self.errors.append(message)

    def warning(self, message: str) -> None:
        pass


def _hold_the_gil(seconds: float) -> None:
    """Keep every other thread of this process out of Python for ``seconds``, as a C extension
    that does not release the GIL does (a compiled kernel loading, a long numpy call)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
    finally:
        sys.setswitchinterval(interval)


@dataclasses.dataclass
class _Rig:
    watch: CommanderWatch
    body: _Body
    logger: _Logger
    brain: subprocess.Popen
    commander: str
    sent: list[float]

    def brain_quiet_s(self, since_s: float, until_s: float) -> float:
        """The longest the brain went without sending a beat between the two times (its own log)."""
        times = [t for t in self.sent if t < since_s][-1:] + [t for t in self.sent if since_s <= t <= until_s]
        return max((b - a for a, b in zip(times, times[1:] + [until_s])), default=float("inf"))


@pytest.fixture
def make_rig():
    """Makes a watch on its own context and a brain process whose beats have reached it; each
    torn down at the end of the test."""
    with contextlib.ExitStack() as teardown:
        def make() -> _Rig:
            domain = _private_domain()
            context = rclpy.Context()
            rclpy.init(context=context, domain_id=domain)
            teardown.callback(rclpy.shutdown, context=context)
            body, logger = _Body(), _Logger()
            watch = CommanderWatch(body, timeout_s=TIMEOUT_S, context=context, priority=0, logger=logger)
            teardown.callback(watch.close)
            commander = f"/brain#{uuid.uuid4().hex[:8]}"
            brain = subprocess.Popen([sys.executable, "-c", _BRAIN, commander], stdout=subprocess.PIPE, text=True,
                                     env=dict(os.environ, ROS_DOMAIN_ID=str(domain)))
            teardown.callback(brain.wait)
            teardown.callback(brain.kill)
            sent: list[float] = []
            threading.Thread(target=lambda: sent.extend(float(line) for line in brain.stdout), daemon=True).start()
            deadline = time.monotonic() + 20.0
            while watch.liveness.silence_s(commander, time.monotonic()) is None:
                assert time.monotonic() < deadline, "no beat reached the watch"
                time.sleep(0.01)
            return _Rig(watch, body, logger, brain, commander, sent)
        yield make


@pytest.fixture
def rig(make_rig):
    return make_rig()


def test_a_stalled_watch_invents_no_loss_and_still_notices_a_real_one(make_rig):
    for attempt in (1, 2):
        rig = make_rig()
        started_s = time.monotonic()
        rig.watch.watch(_Execution(), rig.commander)
        for _ in range(8):          # the watch thread is mostly waiting for beats when a stall begins
            _hold_the_gil(STALL_S)
            time.sleep(0.05)
        if not rig.body.abandoned:
            break
        at_s, error = rig.body.abandoned[0]
        quiet_s = rig.brain_quiet_s(started_s, at_s)
        # A brain that itself stopped sending (its process held off the CPU or in its
        # middleware) was rightly taken for lost: that run cannot judge the watch.
        assert quiet_s > TIMEOUT_S and attempt == 1, (
            f"a brain was taken for lost: {error}; the longest it went without sending a beat: {1e3 * quiet_s:.0f} ms")
        print(f"inconclusive, run again with a fresh brain: it sent no beat for {1e3 * quiet_s:.0f} ms")
    body = rig.body

    rig.brain.kill()
    rig.brain.wait()
    stopped = time.monotonic()
    deadline = stopped + 3.0
    while not body.abandoned:
        assert time.monotonic() < deadline, "a brain that stopped beating was never noticed"
        time.sleep(0.01)
    noticed_s, error = body.abandoned[0]
    assert "silent for" in str(error)
    assert noticed_s - stopped < TIMEOUT_S + 0.2
    assert len(body.abandoned) == 1
    assert len(rig.logger.errors) == 1 and "noticed late" not in rig.logger.errors[0], rig.logger.errors


def test_a_loss_noticed_late_because_the_watch_was_held_off_says_so(rig):
    """Killed while the process is stalled (the GIL held: what Fast DDS does to a publisher whose
    reader died holding its port lock, ros/middleware.py): the loss comes late, and the log line
    says the watch could not look, so a late notice is not mistaken for a slow heartbeat design."""
    rig.watch.watch(_Execution(), rig.commander)
    time.sleep(0.05)
    rig.brain.kill()
    # The stall starts at once: reaping the killed brain first (its DDS shared memory torn down)
    # once took long enough under load for the watch to notice the silence before the stall.
    _hold_the_gil(5 * STALL_S)
    rig.brain.wait()
    deadline = time.monotonic() + 3.0
    while not rig.logger.errors:
        assert time.monotonic() < deadline, "a brain that stopped beating was never noticed"
        time.sleep(0.01)
    assert len(rig.body.abandoned) == 1 and "silent for" in str(rig.body.abandoned[0][1])
    late = re.search(r"noticed late: this watch had not looked for (\d+) ms", rig.logger.errors[0])
    assert late, rig.logger.errors[0]
    assert int(late.group(1)) >= 1e3 * (5 * STALL_S - 0.1), rig.logger.errors[0]
