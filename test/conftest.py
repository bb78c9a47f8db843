"""Shared test set-up: every run gets a private DDS domain and stays on loopback."""
import os
import random

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
# A private domain per pytest run keeps parallel runs and other users apart.
# pytest-xdist's workers (gw0, gw1, ...) run tests side by side: each gets a domain of its own, next
# to the run's (their parent's), so one worker's nodes never answer another's (ids within 101-231).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_RUN = os.getppid() if _WORKER else os.getpid()
os.environ.setdefault("ROS_DOMAIN_ID", str(random.Random(_RUN).randint(120, 200)))
if _WORKER.startswith("gw") and _WORKER[2:].isdigit():
    os.environ["ROS_DOMAIN_ID"] = str(101 + (int(os.environ["ROS_DOMAIN_ID"]) - 101 + int(_WORKER[2:])) % 131)

