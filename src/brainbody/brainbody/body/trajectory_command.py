"""Checking a streamed joint trajectory (``/body/joint_trajectory``) before the body follows it.

The node hands over the message's fields as plain values; this orders the points by the
body's joint names and refuses what must not move the arm: wrong or missing joints, points
without 7 positions, non-finite values, and a stamp too old for the command to still mean
what it said, or ahead of the body's clock (a stamp on another clock: wall time while the
body runs on sim time). The body then checks limits, speed and the workspace along the whole
path (:meth:`BodyController.follow_trajectory`, :func:`check_path_in_workspace`), and keeps a
:class:`CommandLog` of what it accepted and refused, reported on ``/diagnostics``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Optional, Sequence

import numpy as np

from brainbody.exceptions import BrainBodyError, ErrorCode, OutOfRangeError

# The workspace is checked at every point and every PATH_CHECK_STEP_S of trajectory time.
# The box is convex, so two samples inside keep the chord between them inside; a smooth path
# bows out of its chord by at most |tool acceleration| x step^2 / 8 (0.6 mm at 50 m/s^2).
# Whatever the shape, the joint velocity limits (checked exactly) let the tool travel at most
# about 2 cm in 10 ms. Joint limits are not sampled: SplineTrajectory checks their exact extremes.
PATH_CHECK_STEP_S = 0.01
# Samples between two pauses of a checker that shares the GIL with a control loop (about 1.5 ms).
PAUSE_EVERY = 64


@dataclasses.dataclass(frozen=True)
class TrajectoryCommand:
    """Time from start (s) of each point, positions (n, 7) rad and optional velocities (n, 7) rad/s,
    in the body's joint order."""

    times_s: list[float]
    positions_rad: np.ndarray
    velocities_radps: Optional[np.ndarray]


def check_trajectory_command(joint_names: Sequence[str], stamp_s: float, now_s: float,
                             points: Sequence[tuple[float, Sequence[float], Sequence[float]]], *,
                             arm_joints: Sequence[str], max_age_s: float,
                             max_lead_s: float = 0.0) -> TrajectoryCommand:
    """Order and check a trajectory; ``points`` are (time_from_start_s, positions, velocities).

    A zero stamp means "now" (the ROS convention for an unstamped command). ``now_s`` is the
    body's clock (the hardware's: sim time under a simulator); a stamp more than ``max_lead_s``
    ahead of it is refused: the body does not schedule trajectories for later, and a stamp far
    ahead is almost always on another clock.

    Raises:
        BrainBodyError: INVALID_PRIMITIVE for wrong joints, sizes or non-finite values;
            OUT_OF_RANGE for a stale stamp or one ahead of the body's clock.
    """
    names = list(joint_names)
    if sorted(names) != sorted(arm_joints):
        raise BrainBodyError(f"joint_names must be the 7 arm joints {list(arm_joints)}, got {names}",
                             code=ErrorCode.INVALID_PRIMITIVE)
    if not math.isfinite(stamp_s):
        raise BrainBodyError("trajectory stamp must be finite", code=ErrorCode.INVALID_PRIMITIVE)
    age = now_s - stamp_s
    if stamp_s > 0 and age > max_age_s:
        raise BrainBodyError(f"stale trajectory: stamped {age:.2f} s ago (limit {max_age_s} s)",
                             code=ErrorCode.OUT_OF_RANGE)
    if stamp_s > 0 and -age > max_lead_s:
        raise BrainBodyError(
            f"trajectory stamped {-age:.3f} s ahead of the body's clock ({now_s:.3f} s; limit {max_lead_s} s): "
            "a stamp on another clock (wall time while the body runs on sim time?) or a start time in the "
            "future, which the body does not schedule; stamp it now or leave it zero", code=ErrorCode.OUT_OF_RANGE)
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


def check_path_in_workspace(path_times_s: Sequence[float], sample: Callable[[float], tuple],
                            tcp_position_m: Callable[[np.ndarray], np.ndarray], *,
                            workspace_min_m: Sequence[float], workspace_max_m: Sequence[float],
                            pause: Optional[Callable[[], None]] = None) -> None:
    """Check the tool position at each of ``path_times_s`` (see :data:`PATH_CHECK_STEP_S`).

    Args:
        sample: time (s) -> (joint positions (7,) rad, velocities); the trajectory's.
        tcp_position_m: joint positions -> tool position (3,) m.
        pause: called every ``PAUSE_EVERY`` samples (a checker beside a control loop lets the
            loop run: a long path is seconds of samples).

    Raises:
        OutOfRangeError: the tool leaves the workspace box somewhere along the path.
    """
    low, high = np.asarray(workspace_min_m, dtype=float), np.asarray(workspace_max_m, dtype=float)
    start = path_times_s[0]
    for index, time_s in enumerate(path_times_s):
        if pause is not None and index % PAUSE_EVERY == PAUSE_EVERY - 1:
            pause()
        pos = tcp_position_m(sample(time_s)[0])
        if np.any(pos < low) or np.any(pos > high):
            raise OutOfRangeError(f"trajectory takes the tool to {np.round(pos, 3).tolist()} m at "
                                  f"{time_s - start:.2f} s, outside the workspace box "
                                  f"[{list(low)}, {list(high)}] m")


@dataclasses.dataclass
class CommandLog:
    """What became of the streamed commands (``/body/joint_trajectory``): counts and the last
    refusal, for ``/diagnostics`` (``body/commands``). A refusal is any command the body did
    not follow to its end as sent: refused on arrival, or a stream whose continuation never came."""

    accepted: int = 0
    refused: int = 0
    stream_timeouts: int = 0
    last_code: int = 0
    last_message: str = ""
    last_time_s: float = math.nan
    last_refused: bool = False      # the most recent command was refused (until one is accepted)

    def accept(self) -> None:
        self.accepted += 1
        self.last_refused = False

    def refuse(self, error: BrainBodyError, time_s: float) -> None:
        self.refused += 1
        self._last(error, time_s)

    def stream_timed_out(self, error: BrainBodyError, time_s: float) -> None:
        self.stream_timeouts += 1
        self._last(error, time_s)

    def _last(self, error: BrainBodyError, time_s: float) -> None:
        self.last_code, self.last_message, self.last_time_s = int(error.code), error.message, float(time_s)
        self.last_refused = True
