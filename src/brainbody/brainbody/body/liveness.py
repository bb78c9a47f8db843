"""Liveness of the clients that command the body: who was last heard, and when.

A brain that disappears mid-primitive (process killed, network gone) must not leave the arm
carrying out its last order until the primitive's timeout (up to minutes). A client that wants
the body to notice names itself in its goal (``commander_id``) and publishes a heartbeat
carrying that name; the body fails the primitive once that commander was silent for longer
than ``timeout_s`` and brakes to a hold.

Times are the body's own monotonic wall clock at reception, never the sender's stamp or sim
time: the sender's clock may be on another host, and sim time may run 10x faster than the
wall or stop altogether, while "the brain is gone" is a statement about wall time.
"""
from __future__ import annotations

import threading
from typing import Optional

from brainbody.exceptions import CommanderLostError

# Ids remembered at most: a brain restarted a thousand times must not grow the table forever.
_MAX_COMMANDERS = 64


class CommanderLiveness:
    """When each commander was last heard, and whether it still counts as alive.

    Thread-safe: heartbeats arrive on a middleware thread while goals start on others.

    Args:
        timeout_s: silence (wall time) after which a commander is lost.
        first_beat_grace_s: a goal naming a commander whose heartbeat never arrived waits this
            long for the first one. DDS matches the two ends of a topic independently: the
            brain's writer can see the body's reader before the reader sees the writer, so the
            first beats of a brain that just started may not reach the body yet.
    """

    def __init__(self, *, timeout_s: float, first_beat_grace_s: float = 0.5):
        if not timeout_s > 0.0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}")
        if not first_beat_grace_s >= 0.0:
            raise ValueError(f"first_beat_grace_s must be >= 0, got {first_beat_grace_s!r}")
        self.timeout_s = float(timeout_s)
        self.first_beat_grace_s = float(first_beat_grace_s)
        self._last_heard_s: dict[str, float] = {}
        self._first_beat_due_s: dict[str, float] = {}    # named by a goal, no beat heard yet
        self._lock = threading.Lock()

    def heard(self, commander_id: str, now_s: float) -> None:
        """A heartbeat from ``commander_id`` received at ``now_s``."""
        if not commander_id:
            return
        with self._lock:
            self._last_heard_s[commander_id] = max(now_s, self._last_heard_s.get(commander_id, now_s))
            self._first_beat_due_s.pop(commander_id, None)
            if len(self._last_heard_s) > _MAX_COMMANDERS:
                del self._last_heard_s[min(self._last_heard_s, key=self._last_heard_s.__getitem__)]

    def named(self, commander_id: str, now_s: float) -> None:
        """A goal naming ``commander_id`` arrived at ``now_s``: a commander never heard gets
        ``first_beat_grace_s`` for its first heartbeat (a goal is not a heartbeat: a brain
        that sent one and died must still be noticed)."""
        with self._lock:
            if commander_id and commander_id not in self._last_heard_s:
                self._first_beat_due_s.setdefault(commander_id, now_s + max(self.first_beat_grace_s, self.timeout_s))
                if len(self._first_beat_due_s) > _MAX_COMMANDERS:
                    del self._first_beat_due_s[min(self._first_beat_due_s, key=self._first_beat_due_s.__getitem__)]

    def silence_s(self, commander_id: str, now_s: float) -> Optional[float]:
        """Wall time since ``commander_id``'s last heartbeat; None if none was ever heard."""
        with self._lock:
            last = self._last_heard_s.get(commander_id)
        return None if last is None else now_s - last

    def check(self, commander_id: str, now_s: float) -> Optional[CommanderLostError]:
        """None while ``commander_id`` is alive (heard within the timeout, or still within its
        first-beat grace), else the error that ends the primitive it commands."""
        with self._lock:
            last = self._last_heard_s.get(commander_id)
            due = self._first_beat_due_s.get(commander_id)
        if last is not None and now_s - last <= self.timeout_s:
            return None
        if last is None and due is not None and now_s <= due:
            return None
        heard = (f"silent for {1e3 * (now_s - last):.0f} ms (timeout {1e3 * self.timeout_s:.0f} ms"
                 if last is not None else f"no heartbeat at all (first-beat grace {1e3 * self.first_beat_grace_s:.0f} ms")
        return CommanderLostError(f"commander {commander_id!r} lost: {heard} of wall time); "
                                  "holding with the object in hand, ready for a new goal")

    def is_alive(self, commander_id: str, now_s: float) -> bool:
        return self.check(commander_id, now_s) is None
