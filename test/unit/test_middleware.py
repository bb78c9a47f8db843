"""ros/middleware.py: Fast DDS leaves shared memory out where the environment decides the
transports, never overrides the operator, and the ready line says what the process got."""
from __future__ import annotations

import os

import pytest

from brainbody.ros.middleware import TRANSPORTS_VARIABLE, middleware_label, prepare_middleware


@pytest.fixture
def env(monkeypatch):
    """Without the variables the module reads; what a test or prepare_middleware sets goes
    afterwards (monkeypatch undoes only what it recorded: setenv first, then delenv)."""
    for name in ("RMW_IMPLEMENTATION", "ROS_AUTOMATIC_DISCOVERY_RANGE", "ROS_LOCALHOST_ONLY", TRANSPORTS_VARIABLE):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize("rng", [None, "SUBNET", "SYSTEM_DEFAULT", "subnet"])
def test_fast_dds_leaves_shared_memory_out_where_the_environment_decides(env, rng):
    if rng:
        env.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", rng)
    prepare_middleware()
    assert os.environ[TRANSPORTS_VARIABLE] == "UDPv4"
    assert middleware_label() == "rmw_fastrtps_cpp, transports UDPv4"


def test_the_operators_choice_stands(env):
    env.setenv(TRANSPORTS_VARIABLE, "DEFAULT")
    prepare_middleware()
    assert os.environ[TRANSPORTS_VARIABLE] == "DEFAULT"
    assert "transports DEFAULT" in middleware_label()


@pytest.mark.parametrize("setting", [("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST"), ("ROS_LOCALHOST_ONLY", "1")])
def test_localhost_discovery_is_left_alone_and_the_label_says_shared_memory_is_on(env, setting):
    env.setenv(*setting)
    prepare_middleware()
    assert TRANSPORTS_VARIABLE not in os.environ
    assert middleware_label() == "rmw_fastrtps_cpp, shared memory forced by LOCALHOST discovery"


def test_other_middlewares_are_left_alone(env):
    env.setenv("RMW_IMPLEMENTATION", "rmw_cyclonedds_cpp")
    prepare_middleware()
    assert TRANSPORTS_VARIABLE not in os.environ
    assert middleware_label() == "rmw_cyclonedds_cpp"
