"""ros/events_thread.py: subscriptions taken by an events executor on a thread of its own, beside
a node whose own executor never wakes for them; closing stops the thread, also after the
context has gone."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

import rclpy
from rclpy.executors import SingleThreadedExecutor, TimeoutException
from std_msgs.msg import String

from brainbody.ros.events_thread import EventsThread
from brainbody.ros.qos_audit import create_node

pytestmark = pytest.mark.graph


def _until(condition, timeout_s: float = 10.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _send(publisher, count: int, received: list) -> None:
    """``count`` messages, once the subscription is matched, and wait until all arrived."""
    assert _until(lambda: publisher.get_subscription_count() == 1)
    for i in range(count):
        publisher.publish(String(data=str(i)))
        time.sleep(0.005)       # within the queue's depth of 10
    assert _until(lambda: len(received) == count)


def test_messages_reach_the_callback_on_the_events_thread_and_close_stops_it(context):
    topic = f"/events_thread_{uuid.uuid4().hex[:8]}"
    received: list[tuple[str, str]] = []
    io = EventsThread(f"io_{uuid.uuid4().hex[:8]}", context=context)
    io.node.create_subscription(String, topic, lambda m: received.append((m.data, threading.current_thread().name)),
                                10)
    io.start()
    sender = create_node(f"sender_{uuid.uuid4().hex[:8]}", context=context)
    publisher = sender.create_publisher(String, topic, 10)
    try:
        _send(publisher, 5, received)
        assert [data for data, _ in received] == ["0", "1", "2", "3", "4"]
        assert {thread for _, thread in received} == {io.node.get_name()}     # its own thread
    finally:
        io.close()
        sender.destroy_node()
    assert not io._thread.is_alive()
    io.close()                               # idempotent
    # Closed: nothing is taken any more.
    late = create_node(f"late_{uuid.uuid4().hex[:8]}", context=context)
    try:
        late.create_publisher(String, topic, 10).publish(String(data="late"))
        time.sleep(0.2)
        assert len(received) == 5
    finally:
        late.destroy_node()


def test_the_owner_s_executor_does_not_wake_for_the_events_thread_s_topics(context):
    """What the helper is for: the owner's own executor stays asleep while the topic flows."""
    topic = f"/events_thread_{uuid.uuid4().hex[:8]}"
    owner = create_node(f"owner_{uuid.uuid4().hex[:8]}", context=context)
    io = EventsThread(f"{owner.get_name()}_io", context=context)
    received = []
    io.node.create_subscription(String, topic, received.append, 10)
    io.start()
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(owner)
    sender = create_node(f"sender_{uuid.uuid4().hex[:8]}", context=context)
    publisher = sender.create_publisher(String, topic, 10)
    try:
        _send(publisher, 20, received)
        woke_for_topic = 0
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            try:
                _, entity, _ = executor.wait_for_ready_callbacks(timeout_sec=0.05)
            except TimeoutException:           # nothing ready for the owner
                continue
            woke_for_topic += getattr(entity, "topic_name", None) == topic
        assert woke_for_topic == 0
    finally:
        io.close()
        executor.shutdown()
        owner.destroy_node()
        sender.destroy_node()


def test_close_after_the_context_went_down_returns(context):
    io = EventsThread(f"io_{uuid.uuid4().hex[:8]}", context=context).start()
    rclpy.shutdown(context=context)
    start = time.monotonic()
    io.close()
    assert time.monotonic() - start < 2.0
    assert not io._thread.is_alive()
