"""Checking a streamed joint trajectory (``/body/joint_trajectory``) before the body follows it.

The node hands over the message's fields as plain values; this orders the points by the
body's joint names and refuses what must not move the arm: wrong or missing joints, points
without 7 positions, non-finite values, and a stamp too old for the command to still mean
what it said. The body then checks limits, speed and the workspace itself
(:meth:`BodyController.follow_trajectory`).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional, Sequence

import numpy as np

from brainbody.exceptions import BrainBodyError, ErrorCode


@dataclasses.dataclass(frozen=True)
class TrajectoryCommand:
    """Time from start (s) of each point, positions (n, 7) rad and optional velocities (n, 7) rad/s,
    in the body's joint order."""

    times_s: list[float]
    positions_rad: np.ndarray
    velocities_radps: Optional[np.ndarray]


def check_trajectory_command(joint_names: Sequence[str], stamp_s: float, now_s: float,
                             points: Sequence[tuple[float, Sequence[float], Sequence[float]]], *,
                             arm_joints: Sequence[str], max_age_s: float) -> TrajectoryCommand:
    """Order and check a trajectory; ``points`` are (time_from_start_s, positions, velocities).

    A zero stamp means "now" (the ROS convention for an unstamped command).

    Raises:
        BrainBodyError: INVALID_PRIMITIVE for wrong joints, sizes or non-finite values;
            OUT_OF_RANGE for a stale stamp.
    """
    names = list(joint_names)
    if sorted(names) != sorted(arm_joints):
        raise BrainBodyError(f"joint_names must be the 7 arm joints {list(arm_joints)}, got {names}",
                             code=ErrorCode.INVALID_PRIMITIVE)
    age = now_s - stamp_s
    if stamp_s > 0 and age > max_age_s:
        raise BrainBodyError(f"stale trajectory: stamped {age:.2f} s ago (limit {max_age_s} s)",
                             code=ErrorCode.OUT_OF_RANGE)
    if not points or any(len(p[1]) != len(arm_joints) for p in points):
        raise BrainBodyError("every trajectory point needs 7 positions", code=ErrorCode.INVALID_PRIMITIVE)
    order = [names.index(n) for n in arm_joints]
    times = [float(p[0]) for p in points]
    positions = np.array([[p[1][i] for i in order] for p in points], dtype=float)
    velocities = None
    if all(len(p[2]) == len(arm_joints) for p in points):
        velocities = np.array([[p[2][i] for i in order] for p in points], dtype=float)
    if not all(math.isfinite(t) for t in times) or not np.all(np.isfinite(positions)) or (
            velocities is not None and not np.all(np.isfinite(velocities))):
        raise BrainBodyError("trajectory times, positions and velocities must be finite",
                             code=ErrorCode.INVALID_PRIMITIVE)
    return TrajectoryCommand(times, positions, velocities)
