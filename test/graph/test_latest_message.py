"""ros/latest_message.py: the newest message of a topic kept as it arrived (serialised) and
deserialised once, when read; arrivals counted and waited for."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from rclpy.serialization import deserialize_message
from brainbody_interfaces.msg import ObjectArray, WorldObject

from brainbody.ros.events_thread import EventsThread
from brainbody.ros.latest_message import LatestMessage
from brainbody.ros.qos_audit import create_node

from polling import wait_for

pytestmark = pytest.mark.graph


def _world(n: int) -> ObjectArray:
    msg = ObjectArray(objects=[WorldObject(id=f"object_{n}", kind="cup", mass_kg=0.1 * n)])
    msg.header.frame_id = "world"
    return msg


@pytest.fixture
def rig(context):
    """(a LatestMessage on an events thread, a matched publisher of its topic)."""
    topic = f"/latest_{uuid.uuid4().hex[:8]}"
    io = EventsThread(f"io_{uuid.uuid4().hex[:8]}", context=context)
    latest = LatestMessage(io.node, ObjectArray, topic, 10)
    io.start()
    sender = create_node(f"sender_{uuid.uuid4().hex[:8]}", context=context)
    publisher = sender.create_publisher(ObjectArray, topic, 10)
    try:
        assert wait_for(lambda: publisher.get_subscription_count() == 1, 10.0)
        yield latest, publisher
    finally:
        io.close()
        sender.destroy_node()


def test_the_newest_message_is_read_deserialised_once_and_arrivals_are_counted(rig, monkeypatch):
    latest, publisher = rig
    decoded = []
    real = deserialize_message
    monkeypatch.setattr("brainbody.ros.latest_message.deserialize_message",
                        lambda raw, kind: decoded.append(kind) or real(raw, kind))
    assert latest.latest() is None and latest.count == 0
    assert not latest.wait_for(lambda count: count > 0, 0.05)     # nothing yet: times out
    for n in range(1, 6):
        publisher.publish(_world(n))
        time.sleep(0.005)       # within the queue's depth of 10
    assert latest.wait_for(lambda count: count == 5, 10.0)
    assert decoded == []                        # five arrived, none deserialised
    first = latest.latest()
    assert isinstance(first, ObjectArray)
    assert [o.id for o in first.objects] == ["object_5"] and first.objects[0].mass_kg == pytest.approx(0.5)
    assert first.header.frame_id == "world"
    assert latest.latest() is first and decoded == [ObjectArray]     # once per message
    publisher.publish(_world(6))
    assert latest.wait_for(lambda count: count == 6, 10.0)
    assert [o.id for o in latest.latest().objects] == ["object_6"] and len(decoded) == 2


def test_a_waiter_wakes_when_the_message_it_waits_for_arrives(rig):
    latest, publisher = rig
    woke = []
    waiter = threading.Thread(target=lambda: woke.append((latest.wait_for(lambda count: count > 0, 10.0),
                                                          time.monotonic())))
    waiter.start()
    time.sleep(0.1)
    assert not woke                             # still waiting
    sent = time.monotonic()
    publisher.publish(_world(1))
    waiter.join(10.0)
    assert woke and woke[0][0] and woke[0][1] - sent < 2.0
    assert latest.latest().objects[0].id == "object_1"
