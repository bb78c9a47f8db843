"""``brainbody health`` on ROS: listen to ``/diagnostics`` for a while and keep what arrived as
a :class:`~brainbody.runtime.health_report.HealthHistory`.

Any node's statuses are kept (``diagnostic_msgs/DiagnosticArray`` is the standard topic); a
status is timed by its array's header stamp, the publisher's clock (the body stamps its robot
or simulator time), and by the listener's own clock when the stamp is zero.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from rclpy.executors import SingleThreadedExecutor
from diagnostic_msgs.msg import DiagnosticArray

from brainbody.ros.conversions import stamp_s
from brainbody.ros.qos_audit import create_node
from brainbody.runtime.health_report import HealthHistory

DIAGNOSTICS_TOPIC = "/diagnostics"


def listen(*, duration_s: float, first_timeout_s: float,
           on_progress: Optional[Callable[[int, float], None]] = None,
           stop: Optional[threading.Event] = None) -> HealthHistory:
    """Collect ``/diagnostics`` for ``duration_s`` of wall time from the first message on; gives
    up (an empty history) when none arrived within ``first_timeout_s``; ends early, keeping what
    arrived, when ``stop`` is set (Ctrl-C). Needs ``rclpy.init``."""
    history = HealthHistory()
    node = create_node("brainbody_health")
    t0 = time.monotonic()

    def on_array(msg: DiagnosticArray) -> None:
        stamp = stamp_s(msg.header.stamp)
        when = stamp if stamp > 0.0 else time.monotonic() - t0
        for status in msg.status:
            history.add(when, status.name, int.from_bytes(status.level, "little")
                        if isinstance(status.level, bytes) else int(status.level),
                        status.message, {kv.key: kv.value for kv in status.values})

    node.create_subscription(DiagnosticArray, DIAGNOSTICS_TOPIC, on_array, 100)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        first: Optional[float] = None
        last_report = 0.0
        while stop is None or not stop.is_set():
            executor.spin_once(timeout_sec=0.05)
            now = time.monotonic()
            if first is None:
                if len(history):
                    first = now
                elif now - t0 > first_timeout_s:
                    break
            elif now - first >= duration_s:
                break
            if on_progress is not None and first is not None and now - last_report >= 1.0:
                last_report = now
                on_progress(len(history), now - first)
    finally:
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
    return history
