"""The wear soak's robot runner and its judge against the plant."""
from __future__ import annotations

import math

import pytest

from brainbody.runtime.campaign import run_campaign
from brainbody.runtime.wear_soak import WearRobot, judge_robot, run_wear_robot


def _check(task, hours, truth, flagged, remaining):
    return {"task": task, "hours": hours, "true_lost_motion_factor": truth, "ratio": [1.0] * 7,
            "flagged": flagged, "remaining_life_h": remaining}


def test_the_judge_counts_flags_against_the_plant_and_times_the_remaining_life():
    f, t, nan = False, True, math.nan
    result = {"tasks": [{"task": k, "success": k != 9} for k in range(10)], "checks": [
        _check(0, 0.0, [1.0, 1.0] + [1.0] * 5, [f] * 7, [nan] * 7),
        _check(4, 1.0, [1.5, 1.0] + [1.0] * 5, [f, t] + [f] * 5, [3.0, nan] + [nan] * 5),   # joint 2: a false flag
        _check(8, 2.0, [2.5, 1.0] + [1.0] * 5, [t, t] + [f] * 5, [0.0, 0.0] + [nan] * 5),
    ]}
    judged = judge_robot(result, joints=(0, 1, 2))
    assert (judged["tp"], judged["fp"], judged["tn"], judged["fn"]) == (1, 2, 3, 0)
    # Joint 1 doubled at 1.5 h (2.0 between 1.5 at 1 h and 2.5 at 2 h): 0.5 h left at 1 h, estimated 3.
    assert judged["rul_errors"] == [pytest.approx(5.0)]
    assert judged["first_flag_task"] == 4 and judged["first_failure_task"] == 9
    # Per joint: the false flags are joint 2's; joint 1's only check before its doubling had an
    # estimate, so none is missing.
    assert judged["per_joint"]["1"] == {"tp": 1, "fp": 0, "tn": 1, "fn": 0}
    assert judged["per_joint"]["2"] == {"tp": 0, "fp": 2, "tn": 0, "fn": 0}
    assert judged["rul_missing"] == 0


def test_the_judge_can_flag_the_recorded_ratios_at_another_margin():
    nan = math.nan

    def check(task, truth, ratio, flagged):
        return dict(_check(task, float(task), truth, flagged, [nan] * 7), ratio=ratio)

    result = {"first_failure_task": None, "checks": [
        check(0, [1.0] * 7, [1.0] * 7, [False] * 7),
        check(4, [1.97] + [1.0] * 6, [2.03] + [1.0] * 6, [True] + [False] * 6),     # read 3 % high
        check(8, [2.05] + [1.0] * 6, [2.01] + [1.0] * 6, [True] + [False] * 6),     # read 2 % low
        check(12, [2.3] + [1.0] * 6, [2.3] + [1.0] * 6, [True] + [False] * 6),
    ]}
    as_run = judge_robot(result, joints=(0,))
    assert (as_run["tp"], as_run["fp"], as_run["fn"]) == (2, 1, 0)
    assert judge_robot(result, flag_margin=0.0, joints=(0,))["per_joint"] == as_run["per_joint"]
    # 4 % over the doubling: no false flag, and the low reading at a true 2.05 a check late.
    wider = judge_robot(result, flag_margin=0.04, joints=(0,))
    assert (wider["tp"], wider["fp"], wider["tn"], wider["fn"]) == (1, 0, 1, 1)


def test_the_judge_counts_a_missing_estimate_and_reads_a_recorded_failure():
    """Re-judging a recorded soak: the robot's tasks are not kept, its first failure is."""
    nan = math.nan
    result = {"first_failure_task": None, "checks": [
        _check(0, 0.0, [1.0] * 7, [False] * 7, [nan] * 7),
        _check(4, 1.0, [1.5] + [1.0] * 6, [False] * 7, [nan] * 7),      # doubling ahead, no estimate
        _check(8, 2.0, [2.5] + [1.0] * 6, [True] + [False] * 6, [0.0] + [nan] * 6),
    ]}
    judged = judge_robot(result, joints=(0,))
    assert judged["rul_missing"] == 1 and judged["rul_errors"] == []
    assert judged["first_failure_task"] is None and judged["per_joint"]["1"]["tp"] == 1


def test_a_robot_runs_its_tasks_and_checks_through_the_campaign_runner():
    spec = WearRobot(robot=0, tasks=1, check_every=1, acceleration=3e5)
    [result] = run_campaign([spec], executor="inline", runner=run_wear_robot)
    assert result["success"], result["reasons"]
    assert [c["task"] for c in result["checks"]] == [0, 1] and len(result["tasks"]) == 1
    first, last = result["checks"]
    assert last["true_lost_motion_factor"][1] > first["true_lost_motion_factor"][1]   # the shoulder wore
    assert last["ratio"][1] > 1.0 and last["hours"] > first["hours"]
    judged = judge_robot(result)
    assert judged["tp"] + judged["fp"] + judged["tn"] + judged["fn"] == 6
    assert result["flag_margin"] == 0.0 and judge_robot(result, flag_margin=0.0) == judged
    with pytest.raises(ValueError):
        WearRobot(robot=0, tasks=0)
