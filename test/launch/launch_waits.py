"""Helpers shared by the launch_testing tests: a probe node that waits for topics and servers.

Imported only after ``pytest.importorskip("launch_testing")`` succeeded (a ROS install).
"""
import time

import rclpy
import rclpy.context
import rclpy.executors
from rclpy.qos import qos_profile_sensor_data


class Probe:
    """An rclpy node owned by the test, spun while it waits (wall-clock deadlines)."""

    def __init__(self, name: str):
        self.context = rclpy.context.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = rclpy.executors.SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)

    def spin_until(self, predicate, timeout_s: float) -> bool:
        """True as soon as ``predicate()`` is, False after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.executor.spin_once(timeout_sec=0.05)
        return predicate()

    def first_message(self, msg_type, topic: str, timeout_s: float, accept=lambda msg: True):
        """The first message on ``topic`` that ``accept`` takes, or None after ``timeout_s``."""
        received = []
        subscription = self.node.create_subscription(
            msg_type, topic, lambda msg: received.append(msg) if accept(msg) else None, qos_profile_sensor_data)
        try:
            self.spin_until(lambda: bool(received), timeout_s)
        finally:
            self.node.destroy_subscription(subscription)
        return received[0] if received else None
