"""How the body executes each primitive: a sequence of motions and grip actions.

Each kind is a generator that yields ``(phase, progress)`` once per control tick and
returns when done; it raises :class:`ExecutionError` on a run-time failure. Key poses
are solved by IK in :meth:`PrimitiveExecution.__init__`, so an unreachable goal is
refused before anything moves.
"""
from __future__ import annotations

import threading

from typing import TYPE_CHECKING, Iterator, Optional

import numpy as np

from brainbody.body.grip_force import GripMode
from brainbody.body.inverse_kinematics import solve_ik
from brainbody.body.safety_supervisor import CheckedPrimitive
from brainbody.body.trajectory import JointPath, PathTrajectory, duration_for
from brainbody.exceptions import BrainBodyError, ErrorCode, ExecutionError, UnreachableError
from brainbody.jit import max_abs_difference
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind

if TYPE_CHECKING:
    from brainbody.body.controller import BodyController

# Tool pointing down, fingers closing along the world y axis (the home pose's wrist).
R_TOOL_DOWN = np.diag([1.0, -1.0, -1.0])
_CARTESIAN_STEP_M = 0.01          # IK waypoint spacing along straight tool lines
# Waypoints are solved on the control thread (a line starts where the last motion ended): a
# solve costs ~0.25 ms, so a 30 cm line in one tick would take ~8 ms and miss several periods
# on a topic backend. A few solves a tick, the arm holding its set-point meanwhile, keep every
# tick short; a fixed count, not a time budget, keeps lock-step runs deterministic.
_IK_SOLVES_PER_TICK = 2
_SETTLE_TOLERANCE_RAD = 0.01
_SETTLE_TIMEOUT_S = 0.5
_LOST_OBJECT_S = 0.05             # pad force below the hold threshold this long = dropped
_SET_DOWN_TIME_S = 20.0           # time allowed beyond the primitive's timeout to set an object down
_SUPPORTED_LOAD_FRACTION = 0.3    # setting down: the pads carry less than this of the load = supported

Steps = Iterator[tuple[str, float]]


class PrimitiveExecution:
    """One primitive in progress, driven by :class:`BodyController` (start/step/cancel)."""

    def __init__(self, body: "BodyController", checked: CheckedPrimitive):
        self.body = body
        self.checked = checked
        self.primitive = checked.primitive
        self.start_time_s = body.time_s
        self.phase = "start"
        self.progress = 0.0
        self._ended = threading.Event()
        self.status = Status.RUNNING      # ended through _end only (it wakes the waiters)
        self.error: Optional[ExecutionError] = None
        self.timeout_s = checked.timeout_s
        self.setting_down = False
        self._keyframes = self._plan()      # raises UnreachableError before motion
        self._steps = self._run()
        body.grip.reset_peak()
        body.motion_speed_scale = 1.0

    # -- lifecycle -------------------------------------------------------------
    def _end(self, status: Status) -> None:
        """``status`` (done) from now on; waiters wake."""
        self.status = status
        self._ended.set()

    def wait(self, timeout_s: float) -> bool:
        """Block until the primitive ends (from another thread than the loop's); False when
        ``timeout_s`` (wall clock) passed first. Waiters wake at once, not at their next poll."""
        return self._ended.wait(timeout_s)

    def step(self) -> Status:
        if self.status.done:
            return self.status
        if self.body.time_s - self.start_time_s > self.timeout_s:
            return self._fail(ExecutionError(
                f"{self.primitive.describe()} timed out after {self.timeout_s:.1f} s",
                code=ErrorCode.TIMEOUT))
        try:
            self.phase, self.progress = next(self._steps)
        except StopIteration:
            self.progress = 1.0
            self._end(Status.SUCCEEDED)
        except _ObjectSlipping as slip:
            # The primitive is abandoned; setting the object down is the body's own motion.
            self.setting_down = True
            self.timeout_s = self.body.time_s - self.start_time_s + _SET_DOWN_TIME_S
            self._steps = self._set_down(slip)
            self.phase, self.progress = "set down", 0.0
        except BrainBodyError as exc:
            # Also a request error found mid-motion (a waypoint out of reach from where the arm
            # really is): the primitive fails with its code and the body holds; the loop runs on.
            return self._fail(exc)
        return self.status

    def cancel(self) -> None:
        if not self.status.done:
            self._steps.close()
            self.body.motion_speed_scale = 1.0
            self.error = ExecutionError("canceled on request; holding position", code=ErrorCode.CANCELED)
            self._end(Status.CANCELED)

    def abort(self, exc: BrainBodyError) -> None:
        """End a running primitive as failed with ``exc``'s code (a fault below the body)."""
        if not self.status.done:
            self._fail(exc)

    def _fail(self, exc: BrainBodyError) -> Status:
        self._steps.close()
        self.body.motion_speed_scale = 1.0
        self.error = exc
        self._end(Status.FAILED)
        return self.status

    # -- planning ----------------------------------------------------------------
    def _plan(self) -> dict[str, np.ndarray]:
        """Solve the key poses; a failure here is a request error (nothing moved)."""
        b, c, kind = self.body, self.body.config, self.checked.kind
        frames: dict[str, np.ndarray] = {}
        seed = b.q_rad
        if kind is PrimitiveKind.HOME:
            return {"home": np.asarray(c.home_q_rad)}
        if kind in (PrimitiveKind.WAIT, PrimitiveKind.LIFT):
            if kind is PrimitiveKind.LIFT:
                pos, _ = b.model.tcp_pose(seed)
                frames["lifted"] = self._ik(pos + [0, 0, self.checked.lift_height_m], seed, "lift goal")
            return frames
        goal_xy, final_z = self._goal()
        frames["transit"] = self._ik(np.r_[goal_xy, c.transit_height_m], np.asarray(c.home_q_rad), "transit pose")
        frames["final"] = self._ik(np.r_[goal_xy, final_z], frames["transit"], "goal pose")
        return frames

    def _goal(self) -> tuple[np.ndarray, float]:
        """Tool x, y and final height for reach / grasp / place / press."""
        c, ch = self.body.config, self.checked
        if ch.primitive.pose is not None:
            p = np.asarray(ch.primitive.pose.position_m, dtype=float)
            return p[:2], float(p[2])
        ref = ch.target if ch.kind is PrimitiveKind.PLACE else ch.obj
        base = np.asarray(ref.pose.position_m, dtype=float)
        if ch.kind is PrimitiveKind.PLACE:
            return base[:2], base[2] + self.body.held_offset_m + c.place_clearance_m
        if ch.kind is PrimitiveKind.PRESS:
            return base[:2], base[2] + c.fingertip_below_tcp_m - c.press_depth_m
        grasp_z = base[2] + self.body.grasp_height_above_base_m(ref)
        if ch.kind is PrimitiveKind.REACH:
            return base[:2], grasp_z + c.approach_height_m
        return base[:2], grasp_z

    def _ik(self, position_m: np.ndarray, seed: np.ndarray, what: str) -> np.ndarray:
        try:
            return solve_ik(self.body.model, position_m, R_TOOL_DOWN, seed,
                            q_posture_rad=np.asarray(self.body.config.home_q_rad))
        except UnreachableError as exc:
            raise UnreachableError(f"{self.primitive.describe()}: {what} unreachable: {exc}") from None

    # -- the primitives -----------------------------------------------------------
    def _run(self) -> Steps:
        kind = self.checked.kind
        if kind is PrimitiveKind.HOME:
            yield from self._retreat_to_transit()
            yield from self._joint_move(self._keyframes["home"], "home")
            if not self.body.holding:
                yield from self._open_gripper()
        elif kind is PrimitiveKind.WAIT:
            end = self.body.time_s + self.primitive.duration_s
            while self.body.time_s < end:
                self._check_hold()
                yield "wait", 1.0 - (end - self.body.time_s) / self.primitive.duration_s
        elif kind is PrimitiveKind.REACH:
            yield from self._open_gripper()
            yield from self._travel_to_final()
        elif kind is PrimitiveKind.GRASP:
            yield from self._grasp()
        elif kind is PrimitiveKind.LIFT:
            yield from self._cartesian_to(self.body.tcp_position_m + [0, 0, self.checked.lift_height_m], "lift")
            self._check_hold()
        elif kind is PrimitiveKind.PLACE:
            yield from self._travel_to_final()
            yield from self._release()
        elif kind is PrimitiveKind.PRESS:
            yield from self._close_gripper_empty()
            yield from self._travel_to_final()
            end = self.body.time_s + self.body.config.press_dwell_s
            while self.body.time_s < end:
                yield "press", 0.8
            yield from self._cartesian_to(self.body.tcp_position_m + [0, 0, self.body.config.approach_height_m],
                                          "retreat")

    def _grasp(self) -> Steps:
        b, c, obj = self.body, self.body.config, self.checked.obj
        half_width = 0.5 * max(obj.size_m[0], obj.size_m[1])
        final = self._keyframes["final"]
        tcp, _ = b.model.tcp_pose(b.q_rad)
        goal, _ = b.model.tcp_pose(final)
        if np.linalg.norm(tcp[:2] - goal[:2]) > 0.01 or tcp[2] - goal[2] > c.approach_height_m + 0.02:
            # Not above the object yet (no reach before): go there first.
            yield from self._open_gripper()
            yield from self._travel_to(goal[:2], goal[2] + c.approach_height_m, final_phase="approach")
        b.grip.set_opening(min(half_width + 0.015, c.finger_open_m))
        yield from self._wait_fingers(lambda: abs(b.finger_opening_m - b.grip.opening_target_m) < 0.003, "open")
        yield from self._cartesian_to(goal, "descend")
        b.grip.grasp(self.checked.grip_force_n, self.checked.grip_limit_n)
        t0 = b.time_s
        while b.grip.settled_for_s(b.time_s) < c.grip_settle_s:
            if b.time_s - t0 > c.grip_timeout_s:
                b.grip.set_opening(min(half_width + 0.015, c.finger_open_m))
                raise ExecutionError(
                    f"grasp of {obj.id!r} did not reach {self.checked.grip_force_n:.1f} N "
                    f"(measured {b.grip.measured_force_n:.2f} N)", code=ErrorCode.GRASP_FAILED)
            yield ("close" if b.grip.mode is GripMode.APPROACH else "regulate"), 0.7
        if b.finger_opening_m < 0.3 * half_width:
            b.grip.set_opening(c.finger_open_m)
            raise ExecutionError(f"grasp of {obj.id!r} missed: the fingers closed on nothing",
                                 code=ErrorCode.GRASP_FAILED)
        b.holding = obj.id
        b.held_offset_m = float(b.tcp_position_m[2] - obj.pose.position_m[2])

    def _release(self) -> Steps:
        b, c = self.body, self.body.config
        obj = b.world.get(b.holding) if b.holding in b.world else None
        half_width = 0.5 * max(obj.size_m[:2]) if obj else c.finger_open_m - 0.015
        b.grip.set_opening(min(half_width + 0.015, c.finger_open_m))
        yield from self._wait_fingers(lambda: b.finger_opening_m > half_width + 0.008, "release")
        b.holding = None
        yield from self._cartesian_to(b.tcp_position_m + [0, 0, c.approach_height_m], "retreat")

    # -- building blocks ------------------------------------------------------------
    def _travel_to_final(self) -> Steps:
        final = self._keyframes["final"]
        goal, _ = self.body.model.tcp_pose(final)
        yield from self._travel_to(goal[:2], goal[2])

    def _travel_to(self, xy: np.ndarray, z: float, final_phase: str = "descend") -> Steps:
        """Up to transit height, across, then straight down to ``z``."""
        yield from self._retreat_to_transit()
        transit = self._keyframes.get("transit")
        if transit is None or np.linalg.norm(self.body.model.tcp_pose(transit)[0][:2] - xy) > 1e-3:
            transit = self._ik(np.r_[xy, self.body.config.transit_height_m], self.body.q_rad, "transit pose")
        yield from self._joint_move(transit, "transit")
        yield from self._cartesian_to(np.r_[xy, z], final_phase)

    def _retreat_to_transit(self) -> Steps:
        tcp = self.body.tcp_position_m
        if tcp[2] < self.body.config.transit_height_m - 0.02:
            yield from self._cartesian_to(np.r_[tcp[:2], self.body.config.transit_height_m], "retreat")

    def _joint_move(self, q_goal: np.ndarray, phase: str) -> Steps:
        b = self.body
        path = JointPath(np.vstack([b.q_cmd_rad, q_goal]))
        tcp_len = float(np.linalg.norm(b.model.tcp_pose(q_goal)[0] - b.tcp_position_m))
        duration = duration_for(path, b.model.velocity_limit_radps * b.config.joint_speed_scale,
                                cartesian_length_m=tcp_len, max_speed_mps=self.checked.speed_mps)
        yield from self._follow(PathTrajectory(path, duration, b.time_s), phase)

    def _cartesian_to(self, goal_m: np.ndarray, phase: str, *, speed_mps: Optional[float] = None,
                      stop=None) -> Steps:
        """Straight tool line from the commanded pose to ``goal_m``, IK every centimetre.

        ``stop()``, when given, ends the motion early where the arm is.
        """
        b = self.body
        start, _ = b.model.tcp_pose(b.q_cmd_rad)
        length = float(np.linalg.norm(goal_m - start))
        n = max(int(np.ceil(length / _CARTESIAN_STEP_M)), 1)
        q = b.q_cmd_rad.copy()
        waypoints = [q]
        for i in range(1, n + 1):
            q = self._ik(start + (goal_m - start) * i / n, q, f"{phase} waypoint")
            waypoints.append(q)
            if i % _IK_SOLVES_PER_TICK == 0 and i < n:
                self._check_hold()
                yield phase, 0.0
        path = JointPath(np.vstack(waypoints))     # built once for the duration and the trajectory
        duration = duration_for(path, b.model.velocity_limit_radps * b.config.joint_speed_scale,
                                cartesian_length_m=length, max_speed_mps=speed_mps or self.checked.speed_mps)
        yield from self._follow(PathTrajectory(path, duration, b.time_s), phase, stop=stop)

    def _follow(self, trajectory: PathTrajectory, phase: str, *, stop=None) -> Steps:
        b = self.body
        b.set_trajectory(trajectory)
        # Looked up once: this loop runs every tick of a motion.
        end, start, duration = trajectory.end_time_s, trajectory.start_time_s, trajectory.duration_s
        limit, check_hold = b.config.tracking_error_limit_rad, self._check_hold
        while not b.trajectory_time_s >= end:     # trajectory.done (fixed end: a PathTrajectory)
            check_hold()
            if stop is not None and stop():
                b.set_trajectory(None)
                b.q_cmd_rad, b.qd_cmd_radps = b.q_rad.copy(), np.zeros(7)
                return
            lag = max_abs_difference(b.q_cmd_rad, b.q_rad)
            if lag > limit:
                raise ExecutionError(f"{phase}: a joint lags its set-point by {lag:.2f} rad "
                                     "(collision or overload); holding", code=ErrorCode.TRACKING_ERROR)
            yield phase, (b.trajectory_time_s - start) / duration
        settle_end = b.time_s + _SETTLE_TIMEOUT_S
        while max_abs_difference(b.q_rad, trajectory.goal_rad) > _SETTLE_TOLERANCE_RAD and b.time_s < settle_end:
            yield phase, 1.0

    def _open_gripper(self) -> Steps:
        b = self.body
        b.grip.set_opening(b.config.finger_open_m)
        yield from self._wait_fingers(lambda: b.finger_opening_m > b.config.finger_open_m - 0.004, "open")

    def _close_gripper_empty(self) -> Steps:
        b = self.body
        b.grip.set_opening(0.0)
        yield from self._wait_fingers(lambda: b.finger_opening_m < 0.004, "close")

    def _wait_fingers(self, done, phase: str) -> Steps:
        end = self.body.time_s + 1.0
        while not done() and self.body.time_s < end:
            yield phase, 0.5

    def _set_down(self, slip: "_ObjectSlipping") -> Steps:
        """Lower the slipping object straight down until something supports it, let go, retreat.

        The grip keeps holding at the object's limit meanwhile; the primitive then fails with
        OBJECT_SLIPPING, saying why and where the object is.
        """
        b, c = self.body, self.body.config
        b.motion_speed_scale = 1.0
        held = b.holding
        obj = b.world.get(held) if held in b.world else None
        # The load the object puts on the pads now; it is supported once the pads carry
        # little of it in that direction (pushing it onto the table reverses the load).
        load0 = np.asarray(b.grip.slip.load_xz_n)
        load0_sq = max(float(load0 @ load0), 1e-6)
        # Lowest tool height: the object's base at the bottom of the workspace.
        tcp = b.tcp_position_m.copy()
        floor_z = max(b.held_offset_m + c.workspace_min_m[2], c.workspace_min_m[2])
        supported = lambda: float(np.asarray(b.grip.slip.load_xz_n) @ load0) < _SUPPORTED_LOAD_FRACTION * load0_sq  # noqa: E731,E501
        if tcp[2] > floor_z:
            yield from self._cartesian_to(np.r_[tcp[:2], floor_z], "set down", speed_mps=c.set_down_speed_mps,
                                          stop=supported)
        half_width = 0.5 * max(obj.size_m[:2]) if obj else c.finger_open_m - 0.015
        b.grip.set_opening(min(half_width + 0.015, c.finger_open_m))
        yield from self._wait_fingers(lambda: b.finger_opening_m > half_width + 0.008, "release")
        b.holding = None
        where = np.round(b.tcp_position_m - [0.0, 0.0, b.held_offset_m], 3).tolist()
        yield from self._cartesian_to(b.tcp_position_m + [0, 0, c.approach_height_m], "retreat")
        raise ExecutionError(f"{held!r} slipped: holding it needs {slip.needed_n:.2f} N per finger, more than "
                             f"its limit of {slip.limit_n:.2f} N; set it down at {where} m instead",
                             code=ErrorCode.OBJECT_SLIPPING)

    def _check_hold(self) -> None:
        """A held object whose pad force vanished has been lost; one that slips beyond what its
        force limit can hold is set down; while the hold has no margin left, motions slow down."""
        b = self.body
        if not b.holding:
            b.motion_speed_scale = 1.0
            return
        grip = b.grip
        if not self.setting_down:
            if grip.hold_failing:
                raise _ObjectSlipping(grip.slip.needed_force_n, grip.limit_force_n)
            b.motion_speed_scale = b.config.slip_speed_scale if grip.hold_at_limit else 1.0
        if b.grip.measured_force_n < b.config.hold_lost_force_n:
            if b.lost_since_s is None:
                b.lost_since_s = b.time_s
            elif b.time_s - b.lost_since_s > _LOST_OBJECT_S:
                lost, b.holding = b.holding, None
                b.grip.set_opening(b.finger_opening_m)
                raise ExecutionError(f"lost {lost!r}: grip force fell to {b.grip.measured_force_n:.2f} N",
                                     code=ErrorCode.OBJECT_DROPPED)
        else:
            b.lost_since_s = None


class _ObjectSlipping(Exception):
    """Internal: the held object slips and its limit cannot hold it; the executor sets it down."""

    def __init__(self, needed_n: float, limit_n: float):
        super().__init__(f"needs {needed_n:.2f} N, limit {limit_n:.2f} N")
        self.needed_n, self.limit_n = needed_n, limit_n
