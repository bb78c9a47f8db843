"""Real-time scheduling for the thread that runs a control loop, as ros2_control's controller
manager does for its update thread: SCHED_FIFO at a given priority when the system allows it.

On a loaded machine an ordinary thread can be held off the CPU for several milliseconds,
which a 2 ms loop sees as missed periods; a FIFO thread runs as soon as it is woken. Without
the permission (no CAP_SYS_NICE, no rtprio limit) the thread stays as it is and the caller
is told why.
"""
from __future__ import annotations

import os
from typing import Optional


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


def scheduling_label(priority: int, refusal: Optional[str]) -> str:
    """How a thread given ``priority`` ended up scheduled, for diagnostics."""
    if priority <= 0:
        return "normal"
    return f"normal ({refusal})" if refusal else f"SCHED_FIFO {priority}"
