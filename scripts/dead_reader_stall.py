"""Does a publisher stall when its readers' processes are killed? (ros/middleware.py)

A publisher process floods a topic to READERS reader processes, kills them all at once, and
times every ``publish()`` for a second and a half after; ROUNDS times. Its parent watches it: a
publisher silent for 10 s is reported as hung and killed (a Python thread stuck in Fast DDS
with the GIL held answers no signal). Run it in the environment to judge, e.g.

    . scripts/env.sh
    ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST python scripts/dead_reader_stall.py      # shared memory
    ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET FASTDDS_BUILTIN_TRANSPORTS=UDPv4 python scripts/dead_reader_stall.py

The readers keep the default transports either way; only the publisher's change.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

_READER = """
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import String
rclpy.init()
node = rclpy.create_node("stall_reader")
node.create_subscription(String, "/stall_probe", lambda m: None,
                         QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT))
print("ready", flush=True)
rclpy.spin(node)
"""
HUNG_AFTER_S = 10.0


def publisher(rounds: int, readers: int) -> None:
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from std_msgs.msg import String

    reader_env = {k: v for k, v in os.environ.items() if k != "FASTDDS_BUILTIN_TRANSPORTS"}
    rclpy.init()
    node = rclpy.create_node("stall_publisher")
    pub = node.create_publisher(String, "/stall_probe", QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT))
    msg = String(data="x" * 100)
    for r in range(rounds):
        procs = [subprocess.Popen([sys.executable, "-c", _READER], stdout=subprocess.PIPE, text=True, env=reader_env)
                 for _ in range(readers)]
        for p in procs:
            p.stdout.readline()
        deadline = time.monotonic() + 10.0
        while pub.get_subscription_count() < readers and time.monotonic() < deadline:
            time.sleep(0.01)
        flood_until = time.monotonic() + 0.3
        while time.monotonic() < flood_until:
            pub.publish(msg)
        for p in procs:
            p.kill()
        killed = time.monotonic()
        worst = 0.0
        while time.monotonic() - killed < 1.5:
            t = time.monotonic()
            pub.publish(msg)
            worst = max(worst, time.monotonic() - t)
        for p in procs:
            p.wait()
        print(f"round {r + 1}/{rounds}: longest publish after the kill {1e3 * worst:.1f} ms", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--readers", type=int, default=6)
    parser.add_argument("--publisher", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publisher:
        publisher(args.rounds, args.readers)
        return 0
    # A session of its own: the publisher and its readers end together, whatever state they are in.
    child = subprocess.Popen([sys.executable, __file__, "--publisher", "--rounds", str(args.rounds),
                              "--readers", str(args.readers)], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    os.set_blocking(child.stdout.fileno(), False)
    worst_ms, last_line = [], time.monotonic()
    print(f"transports: {os.environ.get('FASTDDS_BUILTIN_TRANSPORTS', 'default')}, discovery range "
          f"{os.environ.get('ROS_AUTOMATIC_DISCOVERY_RANGE', 'default')}", flush=True)
    while child.poll() is None:
        line = child.stdout.readline()
        if line:
            print(line.rstrip(), flush=True)
            worst_ms.append(float(line.split()[-2]))
            last_line = time.monotonic()
        elif time.monotonic() - last_line > HUNG_AFTER_S:
            print(f"HUNG: the publisher said nothing for {HUNG_AFTER_S:g} s (stuck in publish)", flush=True)
            break
        else:
            time.sleep(0.05)
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()
    stalls = sum(w >= 500.0 for w in worst_ms)
    print(f"{len(worst_ms)} rounds of {args.readers} kills: {stalls} with a publish of 0.5 s or more"
          f"{', then the publisher hung' if child.returncode not in (0, None) and len(worst_ms) < args.rounds else ''}")
    return 1 if stalls or len(worst_ms) < args.rounds else 0


if __name__ == "__main__":
    sys.exit(main())
