"""QoS and type mismatches on a node's topics, found by a look at the ROS graph once a second.

By default rclpy gives every publisher and subscription two QoS event handlers (incompatible QoS,
incompatible type) that only log a warning. Each is a waitable: the executor rebuilds it into its
wait set in Python on every wake-up, and under rmw_fastrtps a wait set holding them also wakes
with nothing ready whenever data moves on their topics. In the coffee demo (brain, body and the
demo's client in one process, seed 1, the plant in its own process) 2,800 of the executor's 4,700
wake-ups found nothing to do, its thread took 2.0 s of the GIL in a 7 s task, and the task ran at
6.8x real time; without the handlers the empty wake-ups were gone, the thread took 0.6 s, and the
task ran at 8.8x.

So :class:`AuditedNode` creates its publishers and subscriptions without those handlers (a caller
that passes its own event callbacks keeps them) and reports the same mismatches from the graph: a
remote endpoint on one of its topics whose QoS cannot match (``qos_check_compatible``) or whose
type differs gets one warning, within about a second of its discovery, and stays listed in
:attr:`QosAudit.mismatches` while it exists.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Optional

from rclpy.clock import Clock, ClockType
from rclpy.duration import Infinite
from rclpy.event_handler import PublisherEventCallbacks, SubscriptionEventCallbacks
from rclpy.node import Node
from rclpy.qos import QoSCompatibility, QoSProfile, qos_check_compatible

AUDIT_PERIOD_S = 1.0
_UNKNOWN_NODE = "_NODE_NAME_UNKNOWN_"


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """A remote endpoint that cannot talk to one of ours: ``kind`` is "qos" or "type"."""

    topic: str
    kind: str
    ours: str            # "publisher" or "subscription"
    remote_node: str
    detail: str

    def sentence(self) -> str:
        theirs = "subscription" if self.ours == "publisher" else "publisher"
        if self.kind == "type":
            return (f"{theirs} of {self.remote_node} on '{self.topic}' has another type ({self.detail}): "
                    f"no messages pass between us")
        return (f"{theirs} of {self.remote_node} on '{self.topic}' has incompatible QoS ({self.detail}): "
                f"no messages pass between us")


def type_name(msg_type) -> str:
    """``std_msgs/msg/String`` for the generated class ``std_msgs.msg.String``."""
    package, interface = msg_type.__module__.split(".")[:2]
    return f"{package}/{interface}/{msg_type.__name__}"


class QosAudit:
    """Compares a node's endpoints with the remote ones on their topics (:meth:`check`)."""

    def __init__(self, node: Node):
        self._node = node
        self.mismatches: dict[tuple[bytes, str], Mismatch] = {}

    def check(self) -> list[Mismatch]:
        """One look at the graph. Warns of each mismatch not seen before and returns those;
        :attr:`mismatches` then holds every one whose remote endpoint is still there."""
        node, found = self._node, {}
        own = (node.get_name(), node.get_namespace())
        endpoints = [("publisher", p, node.get_subscriptions_info_by_topic) for p in node.publishers]
        endpoints += [("subscription", s, node.get_publishers_info_by_topic) for s in node.subscriptions]
        for ours, endpoint, remote_of in endpoints:
            topic = node.resolve_topic_name(endpoint.topic)
            for remote in remote_of(topic):
                # Skipped: our own endpoints, and (until the next look) one whose node is not yet
                # known (on Jazzy an endpoint can be discovered before its participant's node names).
                if (remote.node_name, remote.node_namespace) == own or remote.node_name == _UNKNOWN_NODE:
                    continue
                mismatch = _mismatch(ours, topic, endpoint, remote)
                if mismatch is not None:
                    found[(bytes(remote.endpoint_gid), ours + topic)] = mismatch
        new = [mismatch for key, mismatch in found.items() if key not in self.mismatches]
        for mismatch in new:
            node.get_logger().warning(mismatch.sentence())
        self.mismatches = found
        return new


def _mismatch(ours: str, topic: str, endpoint, remote) -> Optional[Mismatch]:
    who = remote.node_namespace.rstrip("/") + "/" + remote.node_name
    mine = type_name(endpoint.msg_type)
    if remote.topic_type != mine:
        return Mismatch(topic, "type", ours, who, f"{remote.topic_type}, ours {mine}")
    qos = _as_announced(endpoint.qos_profile)
    publisher, subscription = (qos, remote.qos_profile) if ours == "publisher" else (remote.qos_profile, qos)
    compatibility, reason = qos_check_compatible(publisher, subscription)
    if compatibility == QoSCompatibility.ERROR:
        # rmw's reason reads "ERROR: <policy clash>;" once per clash
        clashes = [part.strip().removeprefix("ERROR:").strip() for part in reason.split(";")]
        return Mismatch(topic, "qos", ours, who, "; ".join(filter(None, clashes)) or "incompatible policies")
    return None


def _as_announced(qos: QoSProfile) -> QoSProfile:
    """Our profile as the graph reports endpoints: rmw's default durations (0) are infinite there,
    and a default compared with an infinite one reads as a mismatch."""
    announced = copy.copy(qos)
    for name in ("deadline", "lifespan", "liveliness_lease_duration"):
        if getattr(announced, name).nanoseconds == 0:
            setattr(announced, name, Infinite)
    return announced


class AuditedNode(Node):
    """A node whose publishers and subscriptions carry no QoS event handlers of rclpy's making,
    audited against the graph every ``AUDIT_PERIOD_S`` of wall time instead (see the module)."""

    def __init__(self, node_name: str, **kwargs):
        super().__init__(node_name, **kwargs)
        self.qos_audit = QosAudit(self)
        self.create_timer(AUDIT_PERIOD_S, self.qos_audit.check, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def create_publisher(self, msg_type, topic, qos_profile, *, event_callbacks=None, **kwargs):
        return super().create_publisher(
            msg_type, topic, qos_profile,
            event_callbacks=event_callbacks or PublisherEventCallbacks(use_default_callbacks=False), **kwargs)

    def create_subscription(self, msg_type, topic, callback, qos_profile, *, event_callbacks=None, **kwargs):
        return super().create_subscription(
            msg_type, topic, callback, qos_profile,
            event_callbacks=event_callbacks or SubscriptionEventCallbacks(use_default_callbacks=False), **kwargs)


def create_node(node_name: str, **kwargs) -> AuditedNode:
    """``rclpy.create_node`` for an :class:`AuditedNode`."""
    return AuditedNode(node_name, **kwargs)
