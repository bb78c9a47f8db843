"""The one ``main`` of every brainbody node: init, spin a multi-threaded executor, clean up."""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from brainbody.exceptions import BrainBodyError
from brainbody.ros.middleware import prepare_middleware

EXIT_BAD_CONFIGURATION = 2
# How long the main thread waits in one executor round: the longest a signal waits to be seen.
_SPIN_SLICE_S = 0.05
# Longest a stopping node may take to wind its running work down (a brain cancels its plan and
# the body brakes to a hold: the action client allows 5 s for a cancel).
WIND_DOWN_S = 6.0


@contextmanager
def ros_context(args=None) -> Iterator[threading.Event]:
    """``rclpy.init`` .. ``try_shutdown`` around a block; yields an event SIGINT/SIGTERM set.

    rclpy's own signal handler shuts the context down at once, from the signal, while other
    threads (the body's control loop, action callbacks) may be inside a publish: on both
    Jazzy and Kilted that raised from the loop thread and now and then crashed the process.
    Here a signal only sets the event; the caller stops its threads first, then the context
    goes. (``with rclpy.init():`` is Kilted-only; on Jazzy ``init`` returns None.) The
    middleware is prepared first (``ros/middleware.py``: a dead peer must not stop the process).
    """
    stop = threading.Event()
    prepare_middleware()
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        rclpy.try_shutdown()


def run_node(make_node: Callable[[], Node], args=None, *, threads: int = 4) -> None:
    """Spin the node ``make_node()`` builds until Ctrl-C, SIGTERM or an external shutdown.

    A node that refuses its parameters (a bad value, an unknown profile name) exits with
    status 2 and one log line naming the parameter, not a traceback. A signal is a normal
    exit with status 0, also while the node is still starting.
    """
    try:
        with ros_context(args) as stop:
            executor = MultiThreadedExecutor(num_threads=threads)
            node = None
            try:
                node = make_node()
                executor.add_node(node)
                while not stop.is_set() and rclpy.ok():
                    executor.spin_once(timeout_sec=_SPIN_SLICE_S)
                _wind_down(executor, node)
            except (ValueError, BrainBodyError, ParameterException) as exc:
                name = getattr(make_node, "__name__", "node")
                rclpy.logging.get_logger("brainbody").fatal(f"{name} cannot start: {exc}")
                raise SystemExit(EXIT_BAD_CONFIGURATION) from None
            finally:
                # Nodes with threads of their own (the body's control loop, waits inside
                # action callbacks) stop them here, while the context is still valid.
                if node is not None:
                    node.destroy_node()
                executor.shutdown(timeout_sec=2.0)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass


def _wind_down(executor: MultiThreadedExecutor, node: Node) -> None:
    """Keep spinning while a node that has work running cancels it (``node.wind_down()``:
    non-blocking, idempotent, True once idle), so cancels and results still travel."""
    wind_down = getattr(node, "wind_down", None)
    if wind_down is None:
        return
    deadline = time.monotonic() + WIND_DOWN_S
    while not wind_down() and rclpy.ok() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=_SPIN_SLICE_S)
