"""Making a Python process fit to run a millisecond control loop.

- The loop's thread gets SCHED_FIFO at a given priority when the system allows it, as
  ros2_control's controller manager does for its update thread: on a loaded machine an
  ordinary thread can be held off the CPU for several milliseconds, which a 2 ms loop sees as
  missed periods. Without the permission (no CAP_SYS_NICE, no rtprio limit) the thread stays
  as it is and the caller is told why.
- The GIL is handed over every 0.5 ms instead of every 5 ms, so a ROS callback that computes
  (a diagnostics message) delays the loop by at most that.
- Once the process is built, its objects are moved out of the garbage collector's reach
  (``gc.freeze``): a full collection over the start-up heap paused the loop for tens of ms.
- The middleware's own threads (Fast DDS names them ``dds.*``: shared-memory and UDP receive,
  events, asynchronous send) run just below the loop: a state is only as punctual as the
  thread that hands it over. Real-time ROS 2 set-ups do the same with Fast DDS thread settings.
- A child process that spins in lock-step with the loop (the simulated robot in a process of
  its own) gets a CPU to itself, and this process's threads the others (:class:`CpuReservation`),
  as real-time set-ups isolate a core for their cyclic task: a ROS thread woken on the child's
  CPU otherwise stalls the child, and with it the loop waiting for its next sample.
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys
from typing import Iterator, Optional

GIL_SWITCH_INTERVAL_S = 0.0005


def prepare_process_for_control_loop() -> None:
    """Short GIL hand-over and a frozen start-up heap; call once the nodes are built."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    gc.collect()
    gc.freeze()


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """The heap built so far out of the collector's reach for one run, and back in after it:
    what :func:`prepare_process_for_control_loop` does for a node's whole life, for a process
    that builds one run after another (the benchmarks). A young-generation collection over a
    freshly built session's objects paused a tick of the core loop for 1.7 ms."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def make_current_thread_realtime(priority: int) -> Optional[str]:
    """Give the calling thread SCHED_FIFO at ``priority`` (1-99); 0 leaves it alone.

    Returns None on success (or for 0), else one sentence saying why it was not possible.
    """
    if priority <= 0:
        return None
    if priority > 99:
        return f"SCHED_FIFO priority {priority} is outside 1-99; running with normal scheduling"
    if not hasattr(os, "sched_setscheduler"):
        return "this system has no POSIX real-time scheduling"
    try:
        # pid 0 is the calling thread on Linux (scheduling is per thread there).
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(int(priority)))
    except (PermissionError, OSError) as exc:
        return (f"SCHED_FIFO priority {priority} refused ({exc.strerror or exc}); running with normal "
                "scheduling (grant CAP_SYS_NICE or an rtprio limit, e.g. in /etc/security/limits.conf)")
    return None


def make_middleware_threads_realtime(priority: int) -> int:
    """SCHED_FIFO at ``priority`` for this process's ``dds.*`` threads; how many took it."""
    if priority <= 0 or not hasattr(os, "sched_setscheduler"):
        return 0
    raised = 0
    for tid in _threads():
        try:
            with open(f"/proc/self/task/{tid}/comm", encoding="ascii") as comm:
                if not comm.read().startswith("dds."):
                    continue
            os.sched_setscheduler(tid, os.SCHED_FIFO, os.sched_param(int(priority)))
            raised += 1
        except (OSError, ValueError):
            continue        # gone, or not permitted: it keeps normal scheduling
    return raised


def scheduling_label(priority: int, refusal: Optional[str]) -> str:
    """How a thread given ``priority`` ended up scheduled, for diagnostics."""
    if priority <= 0:
        return "normal"
    return f"normal ({refusal})" if refusal else f"SCHED_FIFO {priority}"


class CpuReservation:
    """The last CPU this process may use for the child ``pid`` alone, and the others for this
    process's threads (threads they start later inherit that). :attr:`refusal` is None when
    that was done, else one sentence saying why nothing changed (one CPU, or not permitted).
    :meth:`release` gives each thread back the CPUs it had (one started meanwhile: the CPUs this
    process had)."""

    def __init__(self, pid: int):
        self.pid = int(pid)
        self.refusal: Optional[str] = None
        self.cpu: Optional[int] = None
        self._ours: Optional[set] = None
        self._had: dict = {}
        if not hasattr(os, "sched_setaffinity"):
            self.refusal = "this system cannot place processes on CPUs"
            return
        ours = os.sched_getaffinity(0)
        if len(ours) < 2:
            self.refusal = f"this process may use {len(ours)} CPU; the child shares it"
            return
        cpu = max(ours)
        try:
            os.sched_setaffinity(self.pid, {cpu})
        except OSError as exc:
            self.refusal = f"the child could not be placed on CPU {cpu} ({exc.strerror or exc}); it shares the CPUs"
            return
        self.cpu, self._ours = cpu, ours
        for tid in _threads():
            try:
                self._had[tid] = os.sched_getaffinity(tid)
                os.sched_setaffinity(tid, self._had[tid] - {cpu} or ours - {cpu})
            except OSError:
                continue       # ended meanwhile

    def release(self) -> None:
        """Every thread back on the CPUs it had (idempotent; the child keeps its CPU until it
        ends)."""
        if self._ours is None:
            return
        for tid in _threads():
            try:
                os.sched_setaffinity(tid, self._had.get(tid, self._ours))
            except OSError:
                continue
        self._ours, self._had = None, {}


def _threads() -> list:
    """This process's thread ids (scheduling and affinity are per thread on Linux); none
    without /proc."""
    try:
        return [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        return []
