"""What brainbody asks of the ROS middleware before a process's first participant exists.

On one host Fast DDS carries data through its shared-memory transport, and a push locks the
reader's port. A reader process killed while it held that lock (a brain SIGKILLed at the
wrong microsecond) leaves the next push to it waiting for the lock's 1 s timeout, and now and
then for ever: Fast DDS then rebuilds the port under a lock without one. rclpy holds the GIL
through ``publish()``, so the stall stops every Python thread of the publishing process: the
body's control loop, its commander watch, its runtime monitor. Fast DDS's asynchronous
publishing does not help (presumably its sending thread holds the writer's lock while it waits).

Measured with ``scripts/dead_reader_stall.py``. On Jazzy (Fast DDS 2.14), over shared memory,
in about 440 reader kills a publisher hung for good twice and three publishes took 1-2 s; with
asynchronous publishing one took 1004 ms in about 130; over UDP none took over 21 ms in 450. On
Kilted (Fast DDS 3), three publishes in 240 kills took 1-2 s over shared memory. CI saw the body
stop for 1 s right after the liveness test killed its brain.

So our processes leave shared memory out (``FASTDDS_BUILTIN_TRANSPORTS=UDPv4``) unless the
operator chose the transports. Two exceptions, both reported in the ready line:
``ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST`` (rmw_fastrtps then installs shared memory itself,
whatever the environment says) and middlewares other than Fast DDS (left alone).
"""
from __future__ import annotations

import os

TRANSPORTS_VARIABLE = "FASTDDS_BUILTIN_TRANSPORTS"
_FAST_DDS = ("rmw_fastrtps_cpp", "rmw_fastrtps_dynamic_cpp")
# The middleware the ROS 2 wheels load when RMW_IMPLEMENTATION is unset.
_DEFAULT_RMW = "rmw_fastrtps_cpp"


def prepare_middleware() -> None:
    """Before ``rclpy.init``: Fast DDS without shared memory, where the environment decides."""
    if _rmw() in _FAST_DDS and not _localhost_only():
        os.environ.setdefault(TRANSPORTS_VARIABLE, "UDPv4")


def middleware_label() -> str:
    """How this process talks DDS, for a node's ready line."""
    rmw = _rmw()
    if rmw not in _FAST_DDS:
        return rmw
    if _localhost_only():
        return f"{rmw}, shared memory forced by LOCALHOST discovery"
    return f"{rmw}, transports {os.environ.get(TRANSPORTS_VARIABLE, 'DEFAULT')}"


def _rmw() -> str:
    return os.environ.get("RMW_IMPLEMENTATION") or _DEFAULT_RMW


def _localhost_only() -> bool:
    return (os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE", "").upper() == "LOCALHOST"
            or os.environ.get("ROS_LOCALHOST_ONLY") == "1")
