"""Watches the body from its own host for the two-host tests: one JSON line per 50 ms of wall
time with the simulator's ground truth (cup position, dropped, crushed) and the fastest arm
joint. Run inside the body's namespace: ``python watch_body.py``; SIGTERM ends it."""
from __future__ import annotations

import json
import signal
import sys
import time

import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import JointState
from std_msgs.msg import String

LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)


def main() -> None:
    rclpy.init()
    node = rclpy.create_node("watch_body")
    seen = {"truth": None, "speed": None}
    node.create_subscription(String, "/sim/ground_truth", lambda m: seen.update(truth=json.loads(m.data)), LATCHED)
    node.create_subscription(JointState, "/joint_states",
                             lambda m: seen.update(speed=max(abs(v) for v in m.velocity[:7])),
                             qos_profile_sensor_data)
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    next_print = time.time()
    while running[0]:
        rclpy.spin_once(node, timeout_sec=0.01)
        if time.time() >= next_print and seen["truth"] is not None and seen["speed"] is not None:
            truth = seen["truth"]
            print(json.dumps({"wall_s": time.time(), "cup_m": truth["final_position_m"], "dropped": truth["dropped"],
                              "crushed": truth["crushed"], "max_joint_speed_radps": seen["speed"]}), flush=True)
            next_print += 0.05
    node.destroy_node()
    rclpy.try_shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
