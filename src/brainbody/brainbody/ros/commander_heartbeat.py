"""The commander heartbeat on ROS: the brain's beat and the body's watch.

A client of ``/body/execute_primitive`` names itself in its goal (``commander_id``) and
publishes ``std_msgs/Header`` (``frame_id`` = that id, ``stamp`` = its wall clock, for people
reading the topic) on ``/body/commander_heartbeat``; the body fails a primitive whose commander
fell silent (``body/liveness.py`` decides) and brakes to a hold.

Both ends keep the beat off the nodes' executors, on threads of their own at SCHED_FIFO where
the system permits it: on a 2-core machine under load (load average 8), beats published from an
executor timer arrived up to 125 ms apart at a nominal 20 ms (p99 72 ms), beyond the 80 ms the
body allows, so a live brain was taken for dead. A real-time thread still needs the GIL: with
Python's default 5 ms hand-over, a brain running a plan delayed its beat thread by up to 72 ms
(measured at load 1.4); the brain therefore shortens the hand-over as the body does
(``runtime/realtime.py``), after which the worst gap seen was 40 ms. The body receives on a
private node spun by its watch thread, as the topic backends do for robot state, and checks on
the same thread; a beat is stamped when that thread takes it, and the check judges by the time
read before it took them, so a body slow to take beats notices a loss later but never invents
one.
"""
from __future__ import annotations

import threading
import time

from rclpy.experimental import EventsExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from builtin_interfaces.msg import Time
from std_msgs.msg import Header

from brainbody.body.controller import BodyController
from brainbody.body.liveness import CommanderLiveness
from brainbody.body.primitive_executor import PrimitiveExecution
from brainbody.runtime.realtime import make_current_thread_realtime
from brainbody.ros.qos_audit import create_node

HEARTBEAT_TOPIC = "/body/commander_heartbeat"
# Best effort: a late beat is worthless, the next one follows; a best-effort reader also
# matches a reliable writer. A few deep, so that beats of several commanders are not dropped.
HEARTBEAT_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)
# The watch thread checks at least this often (wall): it adds at most this to the timeout.
CHECK_PERIOD_S = 0.005


class HeartbeatPublisher:
    """The brain's beat: ``commander_id`` every ``period_s`` of wall time, from its own thread.

    Args:
        node: the node that owns the publisher (the caller's).
        priority: SCHED_FIFO priority of the thread (0: normal scheduling).
    """

    def __init__(self, node, commander_id: str, *, period_s: float, priority: int):
        self.commander_id = commander_id
        self.period_s = float(period_s)
        self._priority = int(priority)
        self._logger = node.get_logger()
        self._pub = node.create_publisher(Header, HEARTBEAT_TOPIC, HEARTBEAT_QOS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="commander_heartbeat", daemon=True)
        self._thread.start()

    @property
    def matched(self) -> bool:
        """A subscriber (the body) is matched to the beat."""
        return self._pub.get_subscription_count() > 0

    def _run(self) -> None:
        why = make_current_thread_realtime(self._priority)
        if why:
            self._logger.warning(f"commander heartbeat: {why}")
        msg = Header(frame_id=self.commander_id)
        due_s = time.monotonic()
        while not self._stop.wait(max(0.0, due_s - time.monotonic())):
            sec, nanosec = divmod(time.time_ns(), 1_000_000_000)
            msg.stamp = Time(sec=sec, nanosec=nanosec)
            try:
                self._pub.publish(msg)
            except Exception:       # the context went away under us at shutdown
                return
            # On the period grid; after a stall, no burst of beats to catch up.
            due_s = max(due_s + self.period_s, time.monotonic())

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)


class CommanderWatch:
    """The body's watch: heartbeats in, and each running primitive whose goal named a
    commander abandoned (``BodyController.abandon``) once that commander is lost.

    Args:
        body: the controller whose primitives are watched.
        timeout_s: the commander timeout (wall time).
        context: the rclpy context of the body node.
        priority: SCHED_FIFO priority of the watch thread (0: normal scheduling).
        logger: where a lost commander is reported, at the moment it is noticed.
    """

    def __init__(self, body: BodyController, *, timeout_s: float, context, priority: int, logger):
        self.body = body
        self.liveness = CommanderLiveness(timeout_s=timeout_s)
        self._logger = logger
        self._priority = int(priority)
        self._watched: dict[PrimitiveExecution, str] = {}
        self._lock = threading.Lock()
        self.node = create_node("body_commander_watch", context=context)
        self._executor = EventsExecutor(context=context)
        self._executor.add_node(self.node)
        self.node.create_subscription(Header, HEARTBEAT_TOPIC, self._on_beat, HEARTBEAT_QOS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="body_commander_watch", daemon=True)
        self._thread.start()

    def watch(self, execution: PrimitiveExecution, commander_id: str) -> None:
        """Abandon ``execution`` if ``commander_id`` is lost before it ends ('' watches nothing)."""
        if not commander_id:
            return
        self.liveness.named(commander_id, time.monotonic())
        with self._lock:
            self._watched[execution] = commander_id

    def _on_beat(self, msg: Header) -> None:
        # The body's own wall clock at reception: the sender's stamp may be on another host.
        self.liveness.heard(msg.frame_id, time.monotonic())

    def _run(self) -> None:
        why = make_current_thread_realtime(self._priority)
        if why:
            self._logger.warning(f"commander watch: {why}")
        looked_s = time.monotonic()
        while not self._stop.is_set():
            # The time is read before the beats are taken: a thread stalled between taking
            # and checking (the GIL held elsewhere, a higher priority thread) then judges by a
            # time at which every beat queued since was still to be taken, so the stall makes
            # it notice a loss later but never invents one.
            now_s = time.monotonic()
            held_off_s, looked_s = now_s - looked_s, now_s
            try:
                self._executor.spin_once(timeout_sec=CHECK_PERIOD_S)
            except Exception:       # the context went away under us at shutdown
                if self._stop.is_set() or not self.node.context.ok():
                    return
                raise
            self._check(now_s, held_off_s)

    def _check(self, now_s: float, held_off_s: float) -> None:
        with self._lock:
            watched = list(self._watched.items())
        for execution, commander in watched:
            lost = None if execution.status.done else self.liveness.check(commander, now_s)
            if execution.status.done or lost is not None:
                with self._lock:
                    del self._watched[execution]
            if lost is not None:
                self.body.abandon(execution, lost)
                # A watch that could not look for longer than the timeout noticed late through
                # no fault of the commander: say so (a whole process stopped by its middleware,
                # ros/middleware.py, looks like this).
                late = (f"; noticed late: this watch had not looked for {1e3 * held_off_s:.0f} ms"
                        if held_off_s > self.liveness.timeout_s else "")
                self._logger.error(f"primitive {execution.primitive.id!r} abandoned [{int(lost.code)}]: {lost}{late}")

    def close(self) -> None:
        """Stop the thread, then the private node (before the context goes)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        self._executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
