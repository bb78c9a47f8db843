"""Subscriptions taken on a thread of their own by rclpy's events executor.

rclpy's multi-threaded executor rebuilds its wait set in Python each time it wakes (a few
hundred microseconds with a few nodes), and a message taken by one of its threads may wake
another for nothing. Topics published at 10 Hz of sim time arrive well over a hundred times a
second of wall time when the simulation runs fast: in the coffee demo ``/world/objects`` and
``/sim/ground_truth`` woke the demo's executor about 2,000 times in a task. An
:class:`EventsThread` hands such topics to their callbacks through the events executor instead,
on a private node, so the node's own executor only wakes for its actions and services.

The callbacks run on the events thread: they must be safe to run beside the owner's.
"""
from __future__ import annotations

import threading
from typing import Optional

from rclpy.experimental import EventsExecutor

from brainbody.ros.qos_audit import AuditedNode, create_node

# The thread looks at its stop flag this often (wall time). EventsExecutor.spin() is not used:
# it kept the GIL while it waited (the process stalled) on Jazzy and Kilted alike.
_LOOK_S = 0.1


class EventsThread:
    """A private node (``node``) for subscriptions; :meth:`start` once they are made.

    Args:
        name: the private node's name (and its thread's).
        context: the rclpy context (None: the default one).
    """

    def __init__(self, name: str, *, context=None):
        self.node: AuditedNode = create_node(name, context=context)
        self._executor = EventsExecutor(context=context)
        self._executor.add_node(self.node)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "EventsThread":
        self._thread.start()
        return self

    def _run(self) -> None:
        context = self.node.context
        while not self._stop.is_set() and context.ok():
            try:
                self._executor.spin_once(timeout_sec=_LOOK_S)
            except Exception:       # the context went away under us at shutdown
                if self._stop.is_set() or not context.ok():
                    return
                raise

    def close(self, timeout_s: Optional[float] = 1.0) -> None:
        """Stop the thread, then the private node (before the context goes). Idempotent."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout_s)
        self._executor.shutdown(timeout_sec=timeout_s)
        self.node.destroy_node()
