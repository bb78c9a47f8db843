"""The brain's plan executor driving the in-process MuJoCo session (no ROS).

Used by scenario tests and benchmarks: the same monitoring, postcondition checks and
recovery as the intent node, with the body controller and simulator of a
:class:`~brainbody.runtime.sim_session.SimSession` as the "body" and its object observations as
``/world/objects``.
"""
from __future__ import annotations

from typing import Callable, Optional

from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.plan_executor import ExecutionResult, PlanExecutor, PrimitiveOutcome, StepFeedback
from brainbody.lifecycle import Status
from brainbody.primitives import TaskPlan, TaskPrimitive
from brainbody.runtime.sim_session import SimSession
from brainbody.world import WorldModel


class SimPlanRunner:
    """Executes plans on ``session`` through :class:`PlanExecutor`.

    Args:
        session: the simulated body and world.
        config: the brain's limits and recovery settings.
        on_tick: called every control tick with the primitive running (tests use it to
            disturb the world mid-primitive).
        max_primitive_s: sim-time limit per primitive when it gives no timeout.
    """

    def __init__(self, session: SimSession, config: BrainConfig = BrainConfig(), *,
                 on_tick: Optional[Callable[[TaskPrimitive], None]] = None, max_primitive_s: float = 120.0):
        self.session, self.config, self.on_tick = session, config, on_tick
        self.max_primitive_s = max_primitive_s
        self.executor = PlanExecutor(self.execute, self.observe, config)
        self._running: Optional[TaskPrimitive] = None
        if on_tick is not None:
            session.loop.every(0.0, self._on_tick)

    def _on_tick(self) -> None:
        if self._running is not None:
            self.on_tick(self._running)

    def observe(self) -> WorldModel:
        return WorldModel(self.session.world_objects())

    def execute(self, primitive: TaskPrimitive, on_feedback, should_cancel) -> PrimitiveOutcome:
        session = self.session
        session.refresh_world()
        execution = session.body.execute(primitive)
        self._running = primitive
        try:
            session.loop.run_execution(execution, max_time_s=primitive.timeout_s or self.max_primitive_s,
                                       should_cancel=should_cancel)
        finally:
            self._running = None
        report = session.body.report(execution)
        return PrimitiveOutcome(success=report.status is Status.SUCCEEDED, error_code=report.error_code,
                                message=report.message, canceled=report.status is Status.CANCELED,
                                tool_position_m=report.tool_position_m,
                                peak_grip_force_n=report.peak_grip_force_n)

    def run(self, plan: TaskPlan, *, on_feedback: Callable[[StepFeedback], None] = lambda fb: None
            ) -> ExecutionResult:
        return self.executor.run(plan, on_feedback=on_feedback)
