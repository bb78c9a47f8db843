"""One lifecycle for every long-running operation (py_trees style).

``start`` may raise a request error (nothing moved); ``step`` never blocks and returns
a :class:`Status`; ``cancel`` asks the operation to finish safely. Action adapters in
``ros/`` drive any operation through this one protocol.
"""
from __future__ import annotations

import enum


class Status(enum.Enum):
    RUNNING = "running"       # call step() again next tick
    SUCCEEDED = "succeeded"
    FAILED = "failed"         # details in the operation's error
    CANCELED = "canceled"     # stopped on request; the body holds safely

    def __init__(self, value: str):
        # A member's attribute, not a property: read several times a control tick, where a
        # property comparing with ``Status.RUNNING`` cost 0.1 us (Python 3.11's Enum classes
        # answer attribute lookups through a Python-level hook).
        self.done: bool = value != "running"
