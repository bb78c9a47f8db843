"""Property-based fuzzing of the real body (issue 9, section 4): generated primitives and streamed
joint trajectories, garbage included, against a BodyController on the embedded MuJoCo plant driven
by the one ControlLoop. Properties: no command leaves the plant's envelope at the write() boundary,
every refusal carries a documented error code, nothing but a typed refusal escapes, and the loop
ticks on. The 10,000-case run is ``make bench BENCH=fuzz``; here a fixed, reproducible sample."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainbody.exceptions import ErrorCode
from brainbody.primitives import Pose, PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession

from fuzz_harness import BodyFuzzer, EnvelopeHardware, TrajectoryCase, primitives, trajectories

# derandomize: the same examples on every run, so CI is reproducible; no example database.
FUZZ = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_PRIMITIVES = BodyFuzzer(seed=11)
_TRAJECTORIES = BodyFuzzer(seed=12)
_ACCEPTED = {"primitive": 0, "trajectory": 0}


def _assert_clean(outcome, case) -> None:
    assert outcome.crash is None, f"{case!r}: {outcome.crash}"
    assert outcome.violations == [], f"{case!r}: commands outside the envelope: {outcome.violations[:3]}"
    assert outcome.reject_without_code is None, f"{case!r}: {outcome.reject_without_code}"
    assert outcome.internal_faults == 0, f"{case!r}: {outcome.internal_faults} control ticks raised"
    assert outcome.ticks_missing == 0, f"{case!r}: the loop stopped ticking the controller"


@FUZZ
@given(primitives())
def test_fuzzed_primitives_stay_in_envelope_and_refuse_with_codes(primitive):
    outcome = _PRIMITIVES.primitive(primitive)
    _assert_clean(outcome, primitive)
    _ACCEPTED["primitive"] += outcome.accepted
    if not outcome.accepted:
        assert outcome.code in {int(c) for c in ErrorCode} and 100 <= outcome.code < 400


@FUZZ
@given(trajectories())
def test_fuzzed_trajectories_stay_in_envelope_and_refuse_with_codes(case):
    outcome = _TRAJECTORIES.trajectory(case)
    _assert_clean(outcome, case)
    _ACCEPTED["trajectory"] += outcome.accepted
    if not outcome.accepted:
        assert 100 <= outcome.code < 400


def test_the_fuzz_sample_ran_motions_not_only_refusals():
    """A sample of refusals only would prove nothing about the envelope under motion."""
    if not _PRIMITIVES.sessions:          # run alone (-k): draw the same sample here
        test_fuzzed_primitives_stay_in_envelope_and_refuse_with_codes()
    if not _TRAJECTORIES.sessions:
        test_fuzzed_trajectories_stay_in_envelope_and_refuse_with_codes()
    assert _ACCEPTED["primitive"] >= 20, _ACCEPTED
    assert _ACCEPTED["trajectory"] >= 10, _ACCEPTED


# -- the harness itself must be able to fail ------------------------------------------------------
def test_envelope_check_flags_what_the_plant_must_not_get():
    session = SimSession(seed=0)
    hw = EnvelopeHardware(session.sim, session.sim.model)
    assert hw.outside(np.zeros(7), np.zeros(2)) is None
    assert hw.outside(np.full(7, math.nan), np.zeros(2))
    assert hw.outside(np.zeros(7), np.array([0.0, math.inf]))
    assert hw.outside(np.r_[88.0, np.zeros(6)], np.zeros(2))        # joint 1's actuator gives 87 N m
    assert hw.outside(np.r_[np.zeros(6), 12.5], np.zeros(2))        # the wrist's gives 12 N m
    assert hw.outside(np.zeros(7), np.array([71.0, 0.0]))           # a finger gives 70 N
    assert hw.outside(np.zeros(6), np.zeros(2))
    positions = EnvelopeHardware(session.sim, session.sim.model, position_mode=True)
    q_home = np.asarray(session.body_config.home_q_rad)
    assert positions.outside(q_home, np.zeros(2)) is None
    assert positions.outside(q_home + [0, 0, 0, 2.5, 0, 0, 0], np.zeros(2))   # joint 4 beyond -0.07 rad


def test_runner_counts_a_command_outside_the_envelope():
    """A body that (deliberately broken here) commands more torque than the plant's actuators give
    is caught at write(), whatever the body's own checks think."""
    fuzzer = BodyFuzzer(seed=0)
    good = TaskPrimitive("w", PrimitiveKind.WAIT, duration_s=0.05)
    assert fuzzer.primitive(good).clean
    body = fuzzer.session.body
    real_tick = body.tick

    def broken_tick():
        real_tick()
        body.hardware.write(np.full(7, 100.0), np.zeros(2))
    body.tick = broken_tick
    outcome = fuzzer.primitive(good)
    assert outcome.violations and "beyond" in outcome.violations[0] and not outcome.clean


# -- regressions the fuzzer found (each refused with a code now, before it crashed the caller) ----
@pytest.mark.parametrize("primitive", [
    TaskPrimitive("p", PrimitiveKind.REACH, pose="pose"),                                  # not a Pose
    TaskPrimitive("p", PrimitiveKind.REACH, pose=Pose(None)),                              # no position
    TaskPrimitive("p", PrimitiveKind.REACH, pose=Pose((0.5, 0.0), (1.0, 0.0, 0.0, 0.0, 0.0))),  # 2 + 5 values
    TaskPrimitive("p", [2], object_id="cup", grip_force_n=1.0),                             # kind a list
    TaskPrimitive("p", math.inf),
    TaskPrimitive("p", 2.7, object_id="cup", grip_force_n=1.0),                             # not a whole kind
    TaskPrimitive("p", True, object_id="cup"),
    TaskPrimitive("p", PrimitiveKind.WAIT, duration_s=10 ** 400),                          # beyond any float
    TaskPrimitive("p", PrimitiveKind.REACH, object_id=["cup"]),                             # unhashable id
], ids=["pose-str", "pose-none", "pose-2+5", "kind-list", "kind-inf", "kind-2.7", "kind-bool", "huge-int",
        "object-list"])
def test_malformed_primitives_are_refused_by_the_body_with_a_code(primitive):
    outcome = BodyFuzzer(seed=0).primitive(primitive)
    assert not outcome.accepted and outcome.crash is None
    assert outcome.code == ErrorCode.INVALID_PRIMITIVE


def test_unstamped_trajectory_near_home_is_followed_in_the_envelope():
    """A plain valid trajectory runs (the trajectory property exercises motion, not only refusals)."""
    from brainbody.body.robot_model import ARM_JOINTS
    home = (0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785)
    case = TrajectoryCase(ARM_JOINTS, None, ((1.0, tuple(q + 0.1 for q in home), ()),))
    outcome = BodyFuzzer(seed=0).trajectory(case)
    assert outcome.accepted and outcome.clean and outcome.commands > 100
