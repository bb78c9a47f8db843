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
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 0
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/comm", encoding="ascii") as comm:
                if not comm.read().startswith("dds."):
                    continue
            os.sched_setscheduler(int(tid), os.SCHED_FIFO, os.sched_param(int(priority)))
            raised += 1
        except (OSError, ValueError):
            continue        # gone, or not permitted: it keeps normal scheduling
    return raised


def scheduling_label(priority: int, refusal: Optional[str]) -> str:
    """How a thread given ``priority`` ended up scheduled, for diagnostics."""
    if priority <= 0:
        return "normal"
    return f"normal ({refusal})" if refusal else f"SCHED_FIFO {priority}"
