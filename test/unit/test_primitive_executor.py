"""How the executor spends a control tick (body/primitive_executor.py)."""
from __future__ import annotations

import brainbody.body.primitive_executor as executor_module
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession


def test_a_straight_line_is_solved_a_few_waypoints_per_tick(monkeypatch):
    """Expect: a reach (transit, then a 10 cm line down) never runs more than the per-tick
    number of IK solves inside one tick, and still succeeds."""
    session = SimSession(seed=0)
    body = session.body
    solves = [0]
    real = executor_module.solve_ik

    def counting(*args, **kwargs):
        solves[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(executor_module, "solve_ik", counting)
    execution = body.execute(TaskPrimitive("reach", PrimitiveKind.REACH, object_id="cup"))
    per_tick = []
    while not execution.status.done and body.time_s < 30.0:
        solves[0] = 0
        body.tick()
        per_tick.append(solves[0])
    assert execution.status is Status.SUCCEEDED, execution.error
    assert sum(per_tick) >= 10                       # the line was solved in the loop, centimetre by centimetre
    assert max(per_tick) <= executor_module._IK_SOLVES_PER_TICK
