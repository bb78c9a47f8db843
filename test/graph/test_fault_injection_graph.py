"""The quickest cases of the fault-injection suite (``bench/faults.py`` runs them all) through the
same harness (``fault_harness.py``): brain, body and the MuJoCo process as three processes over
DDS, judged from the simulator's ground truth."""
from __future__ import annotations

import pytest

import fault_harness

pytestmark = pytest.mark.graph


def _explain(result: fault_harness.CaseResult) -> str:
    return "\n".join(result.failures)


def test_a_brain_killed_while_carrying_the_cup_leaves_it_held_in_the_air():
    # Expect: the body notices the silent commander, brakes to a hold, the cup stays in hand.
    result = fault_harness.run_case("brain_kill", intent="bring me the cup", step=4)
    assert result.survived, _explain(result)
    assert not result.dropped and not result.crushed and result.unsafe_commands == 0
    assert result.reaction_ms is not None and result.reaction_ms <= 1e3 * fault_harness.REACTION_LIMIT_S
    assert result.joint_limit_periods == 0 and result.workspace_periods == 0


def test_an_estop_mid_motion_then_reset_at_rest_lets_the_same_goal_finish():
    # Expect: the stop latches within a few ms, the brain's goal fails with the stop's code, the
    # reset at rest clears it and the goal sent again puts the cup on the handover spot.
    result = fault_harness.run_case("estop_reset_resume")
    assert result.survived, _explain(result)
    assert "stopped: emergency stop" in result.outcome, result.outcome
    assert not result.dropped and not result.crushed and result.unsafe_commands == 0
    assert result.reaction_ms is not None and result.reaction_ms <= 1e3 * fault_harness.REACTION_LIMIT_S


def test_a_box_dropped_into_the_path_stops_the_arm_with_a_bounded_contact_force_and_the_cup_in_hand():
    # Expect: the hand lowering the cup lands on the box; the collision estimate trips within
    # 100 ms (sim), the goal fails with COLLISION (220), the arm yields and rests on the box
    # without pressing it, the cup still in hand; a reset at rest is accepted.
    result = fault_harness.run_case("obstacle_in_path")
    assert result.survived, _explain(result)
    assert "[220]" in result.outcome and "cup in hand True" in result.outcome, result.outcome
    assert not result.dropped and not result.crushed and result.unsafe_commands == 0
    assert result.reaction_ms is not None and 0.0 <= result.reaction_ms <= 1e3 * fault_harness.OBSTACLE_REACTION_LIMIT_S
