"""Shared test set-up: every run gets a private DDS domain and stays on loopback."""
import faulthandler
import os
import random

import pytest

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
# A private domain per pytest run keeps parallel runs and other users apart.
# pytest-xdist's workers (gw0, gw1, ...) run tests side by side: each gets a domain of its own, next
# to the run's (their parent's), so one worker's nodes never answer another's (ids within 101-231).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_RUN = os.getppid() if _WORKER else os.getpid()
os.environ.setdefault("ROS_DOMAIN_ID", str(random.Random(_RUN).randint(120, 200)))
if _WORKER.startswith("gw") and _WORKER[2:].isdigit():
    os.environ["ROS_DOMAIN_ID"] = str(101 + (int(os.environ["ROS_DOMAIN_ID"]) - 101 + int(_WORKER[2:])) % 131)


# A test process stuck in C with the GIL held answers no signal and no pytest timeout: Fast
# DDS's publish into the shared-memory port of a reader killed while holding the port's lock
# can wait for ever (brainbody/ros/middleware.py), and several graph tests kill nodes. faulthandler's
# watchdog is a C thread: it dumps every thread's stack and ends the process, so CI fails with
# the stacks instead of waiting for ever. No test here comes near the limit.
HANG_LIMIT_S = 600.0


@pytest.fixture(autouse=True)
def _end_a_hung_test():
    faulthandler.dump_traceback_later(HANG_LIMIT_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
