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

    @property
    def done(self) -> bool:
        return self is not Status.RUNNING
