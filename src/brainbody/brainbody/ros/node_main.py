"""The one ``main`` of every brainbody node: init, spin a multi-threaded executor, clean up."""
from __future__ import annotations

from typing import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node


def run_node(make_node: Callable[[], Node], args=None, *, threads: int = 4) -> None:
    """Spin the node ``make_node()`` builds until shutdown (Ctrl-C or an external shutdown)."""
    try:
        with rclpy.init(args=args):
            node = make_node()
            executor = MultiThreadedExecutor(num_threads=threads)
            executor.add_node(node)
            try:
                executor.spin()
            finally:
                # Nodes with threads of their own (the body's control loop) stop them here.
                node.destroy_node()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
