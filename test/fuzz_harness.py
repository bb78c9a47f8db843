"""Fuzzing the real body: hypothesis strategies for primitives and streamed joint trajectories
(garbage included), a hardware wrapper that checks every command at the ``write()`` boundary,
and the case runner shared by ``test/unit/test_fuzz_body.py`` and ``bench/fuzz.py``.

The envelope is the plant's own: the actuator ranges and joint ranges of the MuJoCo model the
body drives. It shares nothing with the body's supervisor, servo or grip loop, so a command
those let through is still caught here.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np
from hypothesis import strategies as st

from brainbody.body.robot_model import ARM_JOINTS
from brainbody.body.trajectory_command import check_trajectory_command
from brainbody.exceptions import BrainBodyError, ErrorCode
from brainbody.lifecycle import Status
from brainbody.primitives import Pose, PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import FINGER_JOINTS

# Each accepted command runs this long in sim (1 kHz ticks), then is cancelled and brakes.
RUN_TICKS = 120
# Braking after the cancel ends by this many ticks at most (the brake curve takes < 0.3 s).
BRAKE_TICKS = 300
# A fresh session every so many cases: the arm wanders, and a case must not depend on the
# hundreds before it to be reproduced.
CASES_PER_SESSION = 25

# Home configuration of the Panda (rad): trajectories offset from here can reach the workspace.
_HOME_Q = (0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785)
OBJECTS = ("cup", "coffee_button", "tray", "dispense_spot", "handover")
PLACES = ("tray", "dispense_spot", "handover")
_VALID_CODES = frozenset(int(c) for c in ErrorCode if c is not ErrorCode.NONE)


# -- the envelope at the write() boundary ------------------------------------------------------
class EnvelopeHardware:
    """Wraps a plant's hardware; records every command and whether it left the envelope.

    Args:
        inner: the hardware (a :class:`~brainbody.sim.simulator.Simulator`).
        model: its MuJoCo model, the source of the limits (actuator and joint ranges).
        position_mode: arm commands are joint set-points (checked against the joint ranges)
            rather than torques (checked against the actuator ranges).
    """

    # Motor-side set-points may lead the link by the backlash offset and the gear twist under
    # load (a few milliradians); anything beyond this past a joint range is a violation.
    POSITION_SLACK_RAD = 0.02

    def __init__(self, inner, model, *, position_mode: bool = False):
        self.inner = inner
        ctrl = np.asarray(model.actuator_ctrlrange)
        self.arm_limit = np.abs(ctrl[:7]).min(axis=1)
        self.finger_limit = np.abs(ctrl[7:9]).min(axis=1)
        joints = [model.joint(n).id for n in ARM_JOINTS]
        self.joint_range = np.asarray(model.jnt_range)[joints]
        self.position_mode = position_mode
        self.writes = 0
        self.violations: list[str] = []

    @property
    def period_s(self):
        return self.inner.period_s

    @property
    def capabilities(self):
        return self.inner.capabilities

    def activate(self, command_mode) -> None:
        self.inner.activate(command_mode)

    def deactivate(self) -> None:
        self.inner.deactivate()

    def read(self):
        return self.inner.read()

    def step(self) -> None:
        self.inner.step()

    def write(self, arm_values, finger_force_n) -> None:
        self.writes += 1
        why = self.outside(arm_values, finger_force_n)
        if why:
            self.violations.append(why)
        self.inner.write(arm_values, finger_force_n)

    def outside(self, arm_values, finger_force_n) -> Optional[str]:
        """Why a command is outside the envelope, or None."""
        arm = np.asarray(arm_values, dtype=float)
        finger = np.asarray(finger_force_n, dtype=float)
        if arm.shape != (7,) or finger.shape != (2,):
            return f"command shapes {arm.shape}, {finger.shape}"
        if not (np.all(np.isfinite(arm)) and np.all(np.isfinite(finger))):
            return f"non-finite command arm={arm.tolist()} finger={finger.tolist()}"
        if np.any(np.abs(finger) > self.finger_limit):
            return f"finger force {finger.tolist()} N beyond {self.finger_limit.tolist()} N"
        if self.position_mode:
            lo, hi = self.joint_range[:, 0] - self.POSITION_SLACK_RAD, self.joint_range[:, 1] + self.POSITION_SLACK_RAD
            if np.any(arm < lo) or np.any(arm > hi):
                return f"set-point {np.round(arm, 4).tolist()} rad outside the joint ranges"
        elif np.any(np.abs(arm) > self.arm_limit):
            return f"arm torque {np.round(arm, 3).tolist()} N m beyond {self.arm_limit.tolist()} N m"
        return None


# -- outcomes ------------------------------------------------------------------------------------
def has_code(exc: BaseException) -> bool:
    """A typed refusal: a BrainBodyError with a documented non-zero code and a sentence."""
    return (isinstance(exc, BrainBodyError) and int(exc.code) in _VALID_CODES and bool(str(exc).strip()))


@dataclasses.dataclass
class Outcome:
    """What one case did. ``accepted``: the body took it and ran it; ``code``: the refusal's or
    the run's error code (0 for none)."""

    accepted: bool = False
    code: int = 0
    reject_without_code: Optional[str] = None
    crash: Optional[str] = None
    violations: list = dataclasses.field(default_factory=list)
    internal_faults: int = 0      # ticks whose computation raised (the loop held and ran on)
    ticks_missing: int = 0        # loop steps that did not tick the controller
    commands: int = 0             # commands checked at the write() boundary

    @property
    def clean(self) -> bool:
        return not (self.reject_without_code or self.crash or self.violations or self.internal_faults
                    or self.ticks_missing)


@dataclasses.dataclass
class Tally:
    cases: int = 0
    primitive_cases: int = 0
    trajectory_cases: int = 0
    accepted: int = 0
    out_of_envelope_commands: int = 0
    rejects_without_code: int = 0
    crashes: int = 0
    internal_faults: int = 0
    commands_checked: int = 0
    codes: dict = dataclasses.field(default_factory=dict)
    examples: list = dataclasses.field(default_factory=list)   # the first few failures

    def add(self, outcome: Outcome, what: str, case) -> None:
        self.cases += 1
        self.primitive_cases += what == "primitive"
        self.trajectory_cases += what == "trajectory"
        self.commands_checked += outcome.commands
        self.accepted += outcome.accepted
        self.out_of_envelope_commands += len(outcome.violations)
        self.rejects_without_code += outcome.reject_without_code is not None
        self.crashes += outcome.crash is not None
        self.internal_faults += outcome.internal_faults
        if outcome.code:
            self.codes[str(outcome.code)] = self.codes.get(str(outcome.code), 0) + 1
        if not outcome.clean and len(self.examples) < 10:
            self.examples.append({"case": what, "input": repr(case)[:300], "outcome": repr(outcome)[:500]})


# -- the runner ----------------------------------------------------------------------------------
class BodyFuzzer:
    """Runs cases against a :class:`BodyController` on the embedded MuJoCo plant, through the one
    :class:`ControlLoop` of :class:`SimSession`; every command goes through :class:`EnvelopeHardware`."""

    def __init__(self, *, seed: int = 0, cases_per_session: int = CASES_PER_SESSION):
        self.seed = seed
        self.cases_per_session = cases_per_session
        self.session: Optional[SimSession] = None
        self._cases_in_session = 0
        self.sessions = 0

    def _fresh(self) -> SimSession:
        if self.session is None or self._cases_in_session >= self.cases_per_session:
            session = SimSession(seed=self.seed + self.sessions)
            self.hardware = EnvelopeHardware(session.sim, session.sim.model)
            session.body.hardware = self.hardware     # nothing was written before this
            self.session, self._cases_in_session = session, 0
            self.sessions += 1
        self._cases_in_session += 1
        return self.session

    def _steps(self, outcome: Outcome, n: int, until=None) -> None:
        """``n`` loop steps at most (fewer when ``until()``); each must tick the controller."""
        loop, body = self.session.loop, self.session.body
        for _ in range(n):
            if until is not None and until():
                return
            ticks, failed = body.ticks, body.failed_ticks
            loop.step()
            outcome.ticks_missing += body.ticks != ticks + 1
            outcome.internal_faults += body.failed_ticks - failed

    def _run_accepted(self, outcome: Outcome, execution=None) -> None:
        body = self.session.body
        outcome.accepted = True
        self._steps(outcome, RUN_TICKS, until=(lambda: execution.status.done) if execution else None)
        body.cancel()
        self._steps(outcome, BRAKE_TICKS, until=lambda: body._trajectory is None and not body.qd_cmd_radps.any())
        if execution is not None and execution.status is not Status.SUCCEEDED:
            error = execution.error
            outcome.code = int(error.code) if error is not None else 0
            if error is None or not has_code(error):
                outcome.reject_without_code = f"{execution.status.name} with {error!r}"

    def _case(self, start) -> Outcome:
        session = self._fresh()
        outcome = Outcome()
        violations_before, writes_before = len(self.hardware.violations), self.hardware.writes
        try:
            start(session, outcome)
        except BrainBodyError as exc:
            outcome.code = int(exc.code)
            if not has_code(exc):
                outcome.reject_without_code = repr(exc)
        except Exception as exc:   # anything else escaping the body is a crash
            outcome.crash = f"{type(exc).__name__}: {exc}"
            self.session = None    # do not let a broken session decide the next case
        outcome.violations = self.hardware.violations[violations_before:]
        outcome.commands = self.hardware.writes - writes_before
        return outcome

    def primitive(self, primitive) -> Outcome:
        """Execute ``primitive`` as the action server would, then run it."""
        def start(session, outcome):
            execution = session.body.execute(primitive)
            self._run_accepted(outcome, execution)
        return self._case(start)

    def trajectory(self, case: "TrajectoryCase") -> Outcome:
        """Check and follow a streamed trajectory as the body node does, then run it."""
        def start(session, outcome):
            body = session.body
            now = body.time_s
            stamp = 0.0 if case.stamp_offset_s is None else now + case.stamp_offset_s
            command = check_trajectory_command(case.joint_names, stamp, now, case.points, arm_joints=ARM_JOINTS,
                                               max_age_s=body.config.max_command_age_s)
            body.follow_trajectory(command.times_s, command.positions_rad, command.velocities_radps)
            self._run_accepted(outcome)
        return self._case(start)


# -- strategies ----------------------------------------------------------------------------------
_BAD_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, -1e-9, 1e308, 10 ** 400, 1e6, "1.0", None,
                                True, [1.0], 1 + 2j])
_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


def _number(lo: float, hi: float):
    """Mostly sensible values (0 = the body's default), sometimes garbage."""
    return st.one_of(st.just(0.0), st.floats(lo, hi), _BAD_NUMBERS, _ANY_FLOAT)


_GOOD_NUMBERS = {"grip_force_n": st.floats(0.2, 3.4), "lift_height_m": st.one_of(st.just(0.0), st.floats(0.01, 0.3)),
                 "max_speed_mps": st.one_of(st.just(0.0), st.floats(0.02, 0.5)),
                 "duration_s": st.one_of(st.just(0.0), st.floats(0.05, 3.0)),
                 "timeout_s": st.one_of(st.just(0.0), st.floats(0.5, 60.0))}
_ANY_NUMBERS = {"grip_force_n": _number(0, 100), "lift_height_m": _number(0, 1), "max_speed_mps": _number(0, 3),
                "duration_s": _number(0, 200), "timeout_s": _number(0, 500)}
_KINDS = st.one_of(st.sampled_from(list(PrimitiveKind)), st.integers(-3, 12), st.integers(2 ** 31, 2 ** 70),
                   st.sampled_from(["reach", "GRASP", " home ", "pour", "fly", ""]), st.floats(), st.none(),
                   st.just([2]))
_IDS = st.one_of(st.sampled_from(OBJECTS + ("", "  ", "teapot")), st.text(max_size=12), st.none(), st.integers(),
                 st.just(["cup"]))
_GOOD_POSE = st.builds(lambda x, y, z: Pose((x, y, z)), st.floats(0.3, 0.6), st.floats(-0.4, 0.4),
                       st.floats(0.05, 0.45))
_BAD_POSE = st.one_of(
    st.builds(lambda p, q: Pose(tuple(p), tuple(q)), st.lists(_ANY_FLOAT, max_size=5), st.lists(_ANY_FLOAT, max_size=6)),
    st.sampled_from([Pose((0.5, 0.0)), Pose((0.5, 0.0, 0.2), (0.0, 0.0, 0.0, 0.0)), Pose(("a", 0.0, 0.2)),
                     Pose((0.5, 0.0, 0.2), (1.0, 0.0, 0.0)), Pose((0.5, 0.0), (1.0, 0.0, 0.0, 0.0, 0.0)),
                     Pose(None), Pose((1e308, 0.0, 0.2)), Pose((5.0, 5.0, 5.0)), (0.5, 0.0, 0.2), "pose"]))


@st.composite
def primitives(draw):
    """A TaskPrimitive: well-formed (so some run), one field corrupted, or garbage throughout."""
    mode = draw(st.sampled_from(["good", "good", "one_bad", "garbage"]))
    kind = draw(st.sampled_from(list(PrimitiveKind)))
    fields = {"id": draw(st.sampled_from(["p1", "step-2"])), "kind": kind,
              "object_id": draw(st.sampled_from(OBJECTS)) if kind in (PrimitiveKind.REACH, PrimitiveKind.GRASP,
                                                                      PrimitiveKind.PRESS) else "",
              "target_id": draw(st.sampled_from(PLACES)) if kind is PrimitiveKind.PLACE else "",
              "pose": draw(st.one_of(st.none(), st.none(), _GOOD_POSE))}
    fields.update({name: draw(s) for name, s in _GOOD_NUMBERS.items()})
    if kind is PrimitiveKind.WAIT and not fields["duration_s"]:
        fields["duration_s"] = 0.5
    if mode == "one_bad":
        name = draw(st.sampled_from(["id", "kind", "object_id", "target_id", "pose", *_ANY_NUMBERS]))
        fields[name] = draw({"id": _IDS, "kind": _KINDS, "object_id": _IDS, "target_id": _IDS,
                             "pose": _BAD_POSE, **_ANY_NUMBERS}[name])
    elif mode == "garbage":
        fields.update(id=draw(_IDS), kind=draw(_KINDS), object_id=draw(_IDS), target_id=draw(_IDS),
                      pose=draw(st.one_of(st.none(), _GOOD_POSE, _BAD_POSE)))
        fields.update({name: draw(s) for name, s in _ANY_NUMBERS.items()})
    return TaskPrimitive(**fields)


@dataclasses.dataclass(frozen=True)
class TrajectoryCase:
    """A streamed trajectory as the node hands it over: joint names, the stamp relative to the
    body's clock (None: unstamped), points (time_from_start_s, positions, velocities)."""

    joint_names: tuple
    stamp_offset_s: Optional[float]
    points: tuple


_NAMES = st.one_of(
    st.permutations(ARM_JOINTS).map(tuple), st.permutations(ARM_JOINTS).map(tuple),
    st.lists(st.sampled_from(ARM_JOINTS + FINGER_JOINTS + ("", "joint_x")), max_size=10).map(tuple))


@st.composite
def trajectories(draw):
    """A trajectory near home (so some are followed) or garbage: wrong joints, sizes, times,
    stamps, NaN/inf/huge values, points outside the limits or moving too fast."""
    names = draw(_NAMES)
    garbage = draw(st.booleans())
    n = draw(st.integers(0 if garbage else 1, 6))
    t = 0.0
    points = []
    for _ in range(n):
        t += draw(st.floats(0.2, 1.5))
        time_s = draw(st.one_of(st.just(t), st.floats(-2.0, 10.0), st.just(0.0))) if garbage else t
        by_name = dict(zip(ARM_JOINTS, _HOME_Q))
        offset = draw(st.lists(st.floats(-0.3, 0.3), min_size=7, max_size=7))
        q = [by_name.get(name, 0.0) + offset[i % 7] for i, name in enumerate(names)]
        v: list = []
        if garbage:
            size = draw(st.sampled_from([len(names), len(names), 0, 3, 9]))
            q = (q + [0.0] * size)[:size] if draw(st.booleans()) else q
            q = [draw(st.one_of(st.just(x), _ANY_FLOAT, st.sampled_from([math.nan, math.inf, 1e308, 40.0])))
                 for x in q]
            if draw(st.booleans()):
                v = [draw(st.one_of(st.floats(-1, 1), _ANY_FLOAT)) for _ in range(draw(st.sampled_from([7, 0, 2])))]
        points.append((time_s, tuple(q), tuple(v)))
    stamp = draw(st.one_of(st.none(), st.floats(-0.05, 0.0), st.floats(-5.0, 5.0),
                           st.sampled_from([math.nan, math.inf, -1e9, 1e9])) if garbage else st.none())
    return TrajectoryCase(names, stamp, tuple(points))
