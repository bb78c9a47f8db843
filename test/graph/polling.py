"""Polling helper shared by the graph tests (DDS delivers asynchronously)."""
import time


def wait_for(predicate, timeout_s: float) -> bool:
    """True as soon as ``predicate()`` is, False after ``timeout_s`` of wall time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
