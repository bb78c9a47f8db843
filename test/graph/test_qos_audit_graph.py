"""Our nodes' endpoints carry no QoS event handlers (they cost the ROS demo a quarter of its
speed: ros/qos_audit.py), and the graph audit that replaces them still reports a remote endpoint
whose QoS or type cannot match, once, for as long as it exists."""
from __future__ import annotations

import time
import uuid

import pytest

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header, String

from brainbody.ros.qos_audit import AuditedNode, create_node, type_name

pytestmark = pytest.mark.graph

RELIABLE_LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                              durability=DurabilityPolicy.TRANSIENT_LOCAL)
BEST_EFFORT = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)


@pytest.fixture
def contexts():
    """Two participants, as two processes would be (Fast DDS refuses two types on one topic
    within one participant)."""
    made = []
    for _ in range(2):
        context = rclpy.Context()
        rclpy.init(context=context)
        made.append(context)
    yield made
    for context in made:
        rclpy.try_shutdown(context=context)


def _topics() -> dict:
    tag = uuid.uuid4().hex[:8]
    return {name: f"/qos_audit_{tag}/{name}" for name in ("fine", "best_effort", "latched", "typed")}


def _audited_with_remotes(contexts):
    """Our node with one endpoint per case, and a plain node holding the remote ends."""
    topics = _topics()
    ours = create_node(f"ours_{uuid.uuid4().hex[:8]}", context=contexts[0])
    theirs = rclpy.create_node(f"theirs_{uuid.uuid4().hex[:8]}", context=contexts[1])
    ours.create_publisher(String, topics["fine"], 10)
    ours.create_publisher(String, topics["best_effort"], BEST_EFFORT)
    ours.create_subscription(String, topics["latched"], lambda _: None, RELIABLE_LATCHED)
    ours.create_subscription(String, topics["typed"], lambda _: None, 10)
    theirs.create_subscription(String, topics["fine"], lambda _: None, 10)
    theirs.create_subscription(String, topics["best_effort"], lambda _: None, 10)   # reliable
    theirs.create_publisher(String, topics["latched"], 10)                           # volatile
    theirs.create_publisher(Header, topics["typed"], 10)
    return ours, theirs, topics


def _until(condition, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def test_our_endpoints_carry_no_event_handlers_and_a_plain_nodes_do(contexts):
    ours, theirs, _ = _audited_with_remotes(contexts)
    assert isinstance(ours, AuditedNode)
    assert list(ours.waitables) == []
    # rclpy's defaults: an incompatible-QoS (and, where the rmw has it, type) handler per endpoint
    assert len(list(theirs.waitables)) >= 4


def test_the_audit_names_each_mismatch_once_and_only_the_mismatches(contexts):
    ours, theirs, topics = _audited_with_remotes(contexts)
    found = []
    assert _until(lambda: found.extend(ours.qos_audit.check()) or len(found) >= 3), \
        f"the audit found {found} within 10 s"
    by_topic = {m.topic: m for m in found}
    assert set(by_topic) == {topics["best_effort"], topics["latched"], topics["typed"]}
    assert len(found) == 3                     # each once, the compatible pair never
    assert (by_topic[topics["best_effort"]].kind, by_topic[topics["best_effort"]].ours) == ("qos", "publisher")
    assert "best effort" in by_topic[topics["best_effort"]].detail.lower()
    assert (by_topic[topics["latched"]].kind, by_topic[topics["latched"]].ours) == ("qos", "subscription")
    assert "transient local" in by_topic[topics["latched"]].detail.lower()
    typed = by_topic[topics["typed"]]
    assert (typed.kind, typed.ours) == ("type", "subscription")
    assert "std_msgs/msg/Header" in typed.detail and "std_msgs/msg/String" in typed.detail
    assert theirs.get_name() in typed.remote_node and "no messages pass" in typed.sentence()
    # Seen before: not reported again, still listed while the remote endpoints exist.
    assert ours.qos_audit.check() == []
    assert len(ours.qos_audit.mismatches) == 3
    theirs.destroy_node()
    assert _until(lambda: ours.qos_audit.check() == [] and not ours.qos_audit.mismatches), \
        f"mismatches outlived their endpoints: {ours.qos_audit.mismatches}"


def test_the_node_audits_itself_while_it_spins(contexts):
    ours, _theirs, topics = _audited_with_remotes(contexts)
    executor = SingleThreadedExecutor(context=contexts[0])
    executor.add_node(ours)
    deadline = time.monotonic() + 10.0
    while len(ours.qos_audit.mismatches) < 3 and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.1)
    executor.shutdown()
    assert {m.topic for m in ours.qos_audit.mismatches.values()} == {
        topics["best_effort"], topics["latched"], topics["typed"]}


def test_type_names_are_the_graphs():
    assert type_name(String) == "std_msgs/msg/String"
    assert type_name(Header) == "std_msgs/msg/Header"
