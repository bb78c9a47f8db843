"""Graph tests: each module on a DDS domain of its own.

Several modules kill node processes (SIGKILL: a brain lost mid-task, a robot driver gone). A
killed participant stays matched for its lease (Fast DDS: 20 s), and a process that pushes to
its shared-memory port can stall for a second or more (brainbody/ros/middleware.py). The next
module starts within that time: on the run's one domain its nodes would match the dead, and a
stall of theirs would fail a test about something else. Domains follow the run's (ids 101-231,
as test/conftest.py picks them); rclpy contexts and node processes read ROS_DOMAIN_ID when they
start, so whatever a module starts is on its domain.
"""
import itertools
import os

import pytest
import rclpy

_RUN_DOMAIN = int(os.environ["ROS_DOMAIN_ID"])
_NEXT = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def _domain_of_its_own():
    was = os.environ["ROS_DOMAIN_ID"]
    os.environ["ROS_DOMAIN_ID"] = str(101 + (_RUN_DOMAIN - 101 + next(_NEXT)) % 131)
    yield
    os.environ["ROS_DOMAIN_ID"] = was


@pytest.fixture
def context():
    """An rclpy context of the test's own, shut down after it."""
    context = rclpy.Context()
    rclpy.init(context=context)
    yield context
    rclpy.try_shutdown(context=context)
