"""The one ``main`` of every brainbody node: init, spin a multi-threaded executor, clean up."""
from __future__ import annotations

from typing import Callable

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node

from brainbody.exceptions import BrainBodyError

EXIT_BAD_CONFIGURATION = 2


def run_node(make_node: Callable[[], Node], args=None, *, threads: int = 4) -> None:
    """Spin the node ``make_node()`` builds until shutdown (Ctrl-C or an external shutdown).

    A node that refuses its parameters (a bad value, an unknown profile name) exits with
    status 2 and one log line naming the parameter, not a traceback.
    """
    try:
        with rclpy.init(args=args):
            try:
                node = make_node()
            except (ValueError, BrainBodyError, ParameterException) as exc:
                name = getattr(make_node, "__name__", "node")
                rclpy.logging.get_logger("brainbody").fatal(f"{name} cannot start: {exc}")
                raise SystemExit(EXIT_BAD_CONFIGURATION) from None
            executor = MultiThreadedExecutor(num_threads=threads)
            executor.add_node(node)
            try:
                executor.spin()
            finally:
                # Nodes with threads of their own (the body's control loop) stop them here.
                node.destroy_node()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
