"""The newest message of a topic, kept as it arrived and deserialised only when read.

Some topics arrive far more often than their reader looks at them: ``/world/objects`` comes at
10 Hz of sim time, over a hundred messages a second of wall time when the simulation runs
fast, and the brain reads the world only when it plans and before each step. Deserialising an
``ObjectArray`` of the coffee scene into Python costs about 110 us and checking its entries
another 40 us, so taking every message cost the brain's process about a tenth of a core,
beside a control loop that needs both. A :class:`LatestMessage` subscribes with ``raw=True``
(rclpy hands over the serialised bytes), keeps the newest and counts arrivals; :meth:`latest`
deserialises it once, when asked for.
"""
from __future__ import annotations

import threading
from typing import Callable, Generic, Optional, TypeVar

from rclpy.serialization import deserialize_message

MsgT = TypeVar("MsgT")


class LatestMessage(Generic[MsgT]):
    """Subscribes ``node`` to ``topic`` (``msg_type``, ``qos``) and keeps its newest message.

    :attr:`count` is how many arrived so far. The subscription callback only stores bytes, so
    it is safe beside any other thread; :meth:`latest` and :meth:`wait_for` may be called from
    any thread.
    """

    def __init__(self, node, msg_type: type, topic: str, qos):
        self._type = msg_type
        self._cond = threading.Condition()
        self._raw: Optional[bytes] = None
        self._count = 0
        self._decoded: tuple[int, Optional[MsgT]] = (0, None)
        self.subscription = node.create_subscription(msg_type, topic, self._on_raw, qos, raw=True)

    def _on_raw(self, data: bytes) -> None:
        with self._cond:
            self._raw = data
            self._count += 1
            self._cond.notify_all()

    @property
    def count(self) -> int:
        return self._count

    def latest(self) -> Optional[MsgT]:
        """The newest message (None before the first); deserialised once per message."""
        with self._cond:
            raw, count = self._raw, self._count
            if raw is None:
                return None
            decoded_count, msg = self._decoded
            if decoded_count != count:
                msg = deserialize_message(raw, self._type)
                self._decoded = (count, msg)
            return msg

    def wait_for(self, ready: Callable[[int], bool], timeout_s: float) -> bool:
        """Wait (wall clock) until ``ready(count)``; False when ``timeout_s`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: ready(self._count), timeout=timeout_s)
