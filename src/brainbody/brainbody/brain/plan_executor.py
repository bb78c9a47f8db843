"""Verified plan execution: run a plan primitive by primitive and check what happened.

The executor is driven by plain callables, so the same logic runs over ROS (the intent
node hands it a function that calls ``/body/execute_primitive``), in-process on the
MuJoCo session, and in unit tests with fakes:

* ``execute(primitive, on_feedback, should_cancel) -> PrimitiveOutcome`` runs one
  primitive on the body and returns when it ends (the callable enforces the timeout);
* ``observe() -> WorldModel | None`` returns a world snapshot taken *after* the call
  (for the node: the next ``/world/objects`` message), None when no world is available.

For each primitive it re-checks the contract's preconditions against the live world,
runs it, and judges the postcondition from the world (never the body's own word). A
grasp or lift whose postcondition fails counts as GRASP_FAILED (the object is not in the
hand); any other step whose postcondition fails (a place off its target...) ends with
POSTCONDITION_FAILED (208). A recoverable failure (grasp missed, object slipping or
dropped, grasp postcondition not met) is retried by re-approaching and regrasping the object, at most
``max_recovery_attempts`` times per grasp; anything else ends the plan. A cancel is
passed to the body, which stops and holds.
"""
from __future__ import annotations

import dataclasses
import enum
import logging
import time
from typing import Callable, Optional

from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.skill_contracts import (check_postcondition, check_world_preconditions,
                                             next_holding)
from brainbody.exceptions import BrainBodyError, ErrorCode
from brainbody.primitives import PrimitiveKind, TaskPlan, TaskPrimitive
from brainbody.world import WorldModel

log = logging.getLogger(__name__)

RECOVERABLE = frozenset({ErrorCode.GRASP_FAILED, ErrorCode.OBJECT_SLIPPING, ErrorCode.OBJECT_DROPPED})
"""Run-time failures the executor answers by re-approaching and regrasping."""


class Phase(str, enum.Enum):
    """What the executor is doing for the current step (feedback ``phase`` prefix)."""

    CHECK = "check"          # preconditions against the live world
    EXECUTE = "execute"      # the body runs it; feedback then carries the body's own phase
    VERIFY = "verify"        # postcondition against the world
    RECOVER = "recover"      # re-approach / regrasp after a recoverable failure


@dataclasses.dataclass(frozen=True)
class PrimitiveOutcome:
    """What the body answered for one primitive."""

    success: bool
    error_code: int = 0
    message: str = ""
    canceled: bool = False
    tool_position_m: Optional[tuple[float, float, float]] = None
    peak_grip_force_n: float = 0.0


@dataclasses.dataclass(frozen=True)
class StepFeedback:
    """Progress of the plan: 1-based step, total, the primitive, the phase."""

    step: int
    total: int
    primitive: TaskPrimitive
    phase: str
    progress: float          # 0..1 over the whole plan


@dataclasses.dataclass(frozen=True)
class StepRecord:
    """One executed primitive (recovery steps included) and how it ended."""

    primitive: TaskPrimitive
    success: bool
    error_code: int
    message: str
    verified: bool           # a postcondition was judged from the world (not just skipped)


@dataclasses.dataclass(frozen=True)
class ExecutionResult:
    """How the plan ended: success, or the error code and sentence of the failing step."""

    success: bool
    error_code: int
    message: str
    records: tuple[StepRecord, ...]
    recoveries: int
    canceled: bool = False


ExecuteFn = Callable[[TaskPrimitive, Callable[[str, float], None], Callable[[], bool]], PrimitiveOutcome]
ObserveFn = Callable[[], Optional[WorldModel]]


class PlanExecutor:
    """Runs plans with monitoring and bounded recovery; see the module docstring.

    Args:
        execute: runs one primitive on the body (see module docstring).
        observe: a fresh world snapshot, or None when there is none.
        config: limits, tolerances and ``max_recovery_attempts``.
    """

    def __init__(self, execute: ExecuteFn, observe: ObserveFn, config: BrainConfig = BrainConfig()):
        self._execute, self._observe, self.config = execute, observe, config

    def run(self, plan: TaskPlan, *, on_feedback: Callable[[StepFeedback], None] = lambda fb: None,
            should_cancel: Callable[[], bool] = lambda: False, holding: str = "") -> ExecutionResult:
        """Execute ``plan``; never raises for a failing step (it is in the result)."""
        steps = list(plan.primitives)
        total = len(steps)
        records: list[StepRecord] = []
        attempts: dict[int, int] = {}      # grasp step index -> recoveries used
        recoveries = 0
        queue: list[tuple[int, TaskPrimitive]] = [(i, p) for i, p in enumerate(steps)]
        while queue:
            index, primitive = queue.pop(0)
            step = index + 1

            def feedback(phase: str, fraction: float = 0.0, _p=primitive, _step=step) -> None:
                progress = (_step - 1 + min(max(fraction, 0.0), 1.0)) / total
                on_feedback(StepFeedback(_step, total, _p, phase, progress))

            if should_cancel():
                return self._canceled(records, recoveries, step, total, primitive)
            feedback(Phase.CHECK.value)
            before = self._observe()
            try:
                if before is not None:
                    check_world_preconditions(primitive, before, self.config)
                holding_after = next_holding(primitive, holding)
            except BrainBodyError as exc:
                return self._failed(records, recoveries, step, total, primitive, int(exc.code),
                                    f"precondition: {exc}")
            # The body's own phases ("approach", "close", "descend"...) pass through unchanged.
            outcome = self._execute(primitive, feedback, should_cancel)
            if outcome.canceled or (not outcome.success and should_cancel()):
                records.append(StepRecord(primitive, False, int(ErrorCode.CANCELED), outcome.message, False))
                return self._canceled(records, recoveries, step, total, primitive)
            code, message, verified = outcome.error_code, outcome.message, False
            if outcome.success:
                feedback(Phase.VERIFY.value, 1.0)
                after = self._observe()
                if after is not None:
                    verified = True
                    reason = check_postcondition(primitive, before=before, after=after,
                                                 tool_position_m=outcome.tool_position_m, config=self.config)
                    # A world received after the result can still show the scene before the
                    # primitive's end: over a lossy link the reliable world stream waits for a
                    # lost sample's repair while the result overtakes it (a lift was judged on
                    # the cup still low). A failed check is judged again on each newer world
                    # for up to world_wait_s of wall time before the step fails.
                    settle_until = time.monotonic() + self.config.world_wait_s
                    while reason is not None and time.monotonic() < settle_until:
                        later = self._observe()
                        if later is None:
                            break
                        reason = check_postcondition(primitive, before=before, after=later,
                                                     tool_position_m=outcome.tool_position_m, config=self.config)
                    if reason is not None:
                        code = int(ErrorCode.GRASP_FAILED if primitive.kind in (
                            PrimitiveKind.GRASP, PrimitiveKind.LIFT) else ErrorCode.POSTCONDITION_FAILED)
                        message = f"postcondition not met: {reason}"
                        outcome = dataclasses.replace(outcome, success=False)
            records.append(StepRecord(primitive, outcome.success, 0 if outcome.success else int(code),
                                      message, verified))
            if outcome.success:
                holding = holding_after
                continue
            log.warning("step %d/%d (%s) failed [%s]: %s", step, total, primitive.describe(), code, message)
            grasp_index = self._regrasp_from(steps, index, primitive, holding)
            if code in RECOVERABLE and grasp_index is not None:
                used = attempts.get(grasp_index, 0)
                if used < self.config.max_recovery_attempts:
                    attempts[grasp_index] = used + 1
                    recoveries += 1
                    grasp = steps[grasp_index]
                    feedback(f"{Phase.RECOVER.value}:attempt {used + 1}/{self.config.max_recovery_attempts}")
                    log.info("recovering: re-approach and regrasp %r (attempt %d/%d)", grasp.object_id,
                             used + 1, self.config.max_recovery_attempts)
                    reach = TaskPrimitive(id=f"{grasp.id}-retry{used + 1}-reach", kind=PrimitiveKind.REACH,
                                          object_id=grasp.object_id, max_speed_mps=grasp.max_speed_mps,
                                          timeout_s=grasp.timeout_s)
                    # The body opens the hand on a failed grasp and sets a slipping object
                    # down, so the gripper is empty again; redo from the grasp onwards.
                    holding = ""
                    queue = [(grasp_index, reach)] + [(i, steps[i]) for i in range(grasp_index, total)]
                    continue
                message += f" (gave up after {used} recovery attempts)"
            return self._failed(records, recoveries, step, total, primitive, int(code) or int(ErrorCode.INTERNAL),
                                message, append=False)
        return ExecutionResult(True, 0, f"{plan.intent!r} done: {total} steps"
                               + (f", {recoveries} recoveries" if recoveries else ""), tuple(records), recoveries)

    @staticmethod
    def _regrasp_from(steps: list[TaskPrimitive], index: int, failed: TaskPrimitive,
                      holding: str) -> Optional[int]:
        """Index of the grasp to redo for a failure at ``index`` (None: nothing to regrasp)."""
        target = failed.object_id or holding
        for i in range(index, -1, -1):
            if steps[i].kind is PrimitiveKind.GRASP and steps[i].object_id and \
                    (not target or steps[i].object_id == target):
                return i
        return None

    @staticmethod
    def _failed(records, recoveries, step, total, primitive, code, message, *, append=True) -> ExecutionResult:
        if append:
            records.append(StepRecord(primitive, False, code, message, False))
        return ExecutionResult(False, code, f"step {step}/{total} ({primitive.describe()}) failed: {message}",
                               tuple(records), recoveries)

    @staticmethod
    def _canceled(records, recoveries, step, total, primitive) -> ExecutionResult:
        return ExecutionResult(False, int(ErrorCode.CANCELED),
                               f"canceled during step {step}/{total} ({primitive.describe()}); body holding",
                               tuple(records), recoveries, canceled=True)
