"""The drivetrain check: a joint motion that turns the load on every gear stage both ways, so
the two-encoder identification (``body/backlash_identification.py``) sees both flanks of
each gap.

In normal work the shoulder and elbow hold the arm up against gravity: their load never
changes sign and their lost motion is not observable. The check takes the arm to poses where
gravity barely loads one of them (the arm's centre of mass over the shoulder axis, then over
the elbow axis: under 0.2 N m on the Panda's model) and swings that joint, and the others
with it, a few times about the pose; the swing's inertia then pushes each gear both ways. A
maintenance routine, as on industrial robots: it runs on request (``/body/check_drivetrain``)
with the hand empty, and every pose and point is checked like any joint trajectory (limits,
workspace, speed) before the arm moves.
"""
from __future__ import annotations

import numpy as np

# Poses (rad) where the Panda's gravity torque is near zero on the shoulder (joint 2), then on
# the elbow (joint 4); test_drivetrain_check checks them against the body's model.
SHOULDER_FREE_RAD = np.array([0.0, -0.9, 0.0, -2.3, 0.0, 1.73, 0.785])
ELBOW_FREE_RAD = np.array([0.0, 0.9, 0.0, -2.4, 0.0, 0.25, 0.785])
# Which joints swing at each pose, and how far (rad); a swing is ``CYCLES`` periods of ``PERIOD_S``.
SWINGS = ((SHOULDER_FREE_RAD, ((1,), (0, 2, 6))), (ELBOW_FREE_RAD, ((3,), (4, 5))))
AMPLITUDE_RAD = np.array([0.15, 0.08, 0.15, 0.08, 0.2, 0.15, 0.3])
PERIOD_S = 1.0
CYCLES = 3
TRANSFER_S = 3.0


def check_trajectory(q_start_rad: np.ndarray) -> tuple[list[float], list[np.ndarray]]:
    """Times (s from now) and joint positions of the check, from ``q_start_rad`` and back to it."""
    q_start = np.asarray(q_start_rad, dtype=float)
    times, points = [0.0], [q_start.copy()]

    def at(dt: float, q: np.ndarray) -> None:
        times.append(times[-1] + dt)
        points.append(np.array(q, dtype=float))

    for pose, groups in SWINGS:
        at(TRANSFER_S, pose)
        for joints in groups:
            for _ in range(CYCLES):
                for sign in (1.0, 0.0, -1.0, 0.0):      # quarter periods: out, back, the other way, back
                    q = pose.copy()
                    q[list(joints)] += sign * AMPLITUDE_RAD[list(joints)]
                    at(PERIOD_S / 4.0, q)
    at(TRANSFER_S, q_start)
    return times, points
