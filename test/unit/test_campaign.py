"""Seeded campaigns (runtime/campaign.py): the seeds a user can ask for, failures reported as
results, and the same results in this process, on a local process pool and on local Ray."""
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from brainbody import cli
from brainbody.runtime.campaign import (Episode, Progress, campaign_report, parse_seeds, result_differences,
                                        run_campaign)

# Short episodes: "go home" from home (0.3 s of sim time, the cup left where the seed put it),
# a button press (about 9 s of sim time: real motion and contact) and an intent the brain
# refuses (a failed episode must come back as a result on every executor).
SPECS = [Episode("go home", 0), Episode("go home", 1), Episode("press the button", 2),
         Episode("fly to the moon", 3)]


@pytest.fixture(scope="module")
def in_process():
    # First, in this process: it also compiles (or loads) the kernels that the workers then load.
    return run_campaign(SPECS, executor="inline")


@pytest.fixture(scope="module")
def local_pool(in_process):
    return run_campaign(SPECS, executor="local", workers=2)


@pytest.mark.parametrize("spec, seeds", [
    ("10", list(range(10))), ("1", [0]), ("0-9", list(range(10))), ("3-3", [3]), ("1,5,7", [1, 5, 7]),
    ("7,1,5", [1, 5, 7]), (" 0-2, 8 ", [0, 1, 2, 8]), ("12-13,4", [4, 12, 13])])
def test_seed_specs(spec, seeds):
    assert parse_seeds(spec) == seeds


@pytest.mark.parametrize("spec, message", [
    ("", "is not a seed"), ("0", "at least 1"), ("-1", "'-1' is not a seed"), ("5-2", "ends below its start"),
    ("a", "'a' is not a seed"), ("1,,2", "'' is not a seed"), ("1,1", "1 given more than once"),
    ("0-3,2", "2 given more than once"), ("1.5", "'1.5' is not a seed")])
def test_bad_seed_specs_are_refused_with_the_bad_part_quoted(spec, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        parse_seeds(spec)


@pytest.mark.parametrize("kwargs", [dict(seed=-1), dict(seed=1.5), dict(seed=True), dict(text=""),
                                    dict(text="  "), dict(grip_force_source="wrist_wrench"), dict(drivetrain="")])
def test_episode_rejects_bad_values(kwargs):
    values = dict(text="go home", seed=0) | kwargs
    with pytest.raises(ValueError):
        Episode(**values)


@pytest.mark.parametrize("kwargs, message", [
    (dict(executor="fork"), "executor must be one of"), (dict(workers=0), "workers must be an integer >= 1"),
    (dict(workers=True), "workers must be"), (dict(workers=2.0), "workers must be")])
def test_run_campaign_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_campaign(SPECS, **kwargs)
    with pytest.raises(ValueError, match="at least one episode"):
        run_campaign([], executor="inline")


def test_a_refused_intent_is_a_failed_result(in_process):
    result = in_process[3]
    assert result["seed"] == 3 and result["success"] is False
    assert result["error_code"] == 101 and result["error"].startswith("UnknownIntentError:")
    assert result["reasons"] == [result["error"]]
    assert result["primitives"] == [] and result["sim_time_s"] == 0.0


def test_an_exception_inside_the_simulation_is_a_failed_result_and_the_campaign_goes_on(monkeypatch):
    from brainbody.runtime.sim_session import SimSession

    def broken_run_plan(self, plan, **kwargs):
        self.run_until_done(self.body.execute(plan.primitives[0]), max_time_s=0.05)
        raise RuntimeError("motor driver on fire")

    original = SimSession.run_plan
    calls = []

    def run_plan(self, plan, **kwargs):   # the first episode breaks, the second runs normally
        calls.append(plan)
        return (broken_run_plan if len(calls) == 1 else original)(self, plan, **kwargs)

    monkeypatch.setattr(SimSession, "run_plan", run_plan)
    broken, fine = run_campaign([Episode("go home", 0), Episode("go home", 1)], executor="inline")
    assert broken["success"] is False and broken["error"] == "RuntimeError: motor driver on fire"
    assert "motor driver on fire" in broken["traceback"]
    assert broken["sim_time_s"] == pytest.approx(0.05, abs=2e-3)   # the world as it was when it raised
    assert broken["ground_truth"]["crushed"] is False
    assert fine["success"] is True and fine["error"] is None


def test_episode_results_are_judged_by_ground_truth_and_json(in_process):
    home, press = in_process[0], in_process[2]
    assert home["success"] and home["judged_by"] == "cup_intact" and home["plan"] == ["p01-home"]
    # Not a coffee plan, so the cup left off the tray is no failure; ground truth says so.
    assert home["ground_truth"]["on_tray"] is False and home["reasons"] == []
    assert press["success"], press["reasons"]
    assert [p["id"] for p in press["primitives"]] == press["plan"] == ["p01-press-coffee_button", "p02-home"]
    assert all(p["status"] == "succeeded" for p in press["primitives"])
    assert press["sim_time_s"] > 1.0 and press["wall_time_s"] > 0.0
    assert json.loads(json.dumps(in_process)) == in_process
    # The comparison can tell seeds apart (the seed places the cup), so a match below means something.
    differences = result_differences([in_process[0]], [in_process[1]])
    assert any("ground_truth.final_position_m" in line for line in differences), differences


def test_local_pool_gives_the_same_results_as_in_process(in_process, local_pool):
    assert [r["seed"] for r in local_pool] == [0, 1, 2, 3]
    assert result_differences(in_process, local_pool) == []
    pids = {r["worker"]["pid"] for r in local_pool}
    assert os.getpid() not in pids and len(pids) == 2


def test_local_ray_gives_the_same_results_as_local(in_process, local_pool):
    import ray
    assert not ray.is_initialized()
    seen = []
    results = run_campaign(SPECS, executor="ray", workers=2, ray_address="local",
                           on_result=lambda index, result: seen.append(index))
    assert not ray.is_initialized()      # the campaign started its own instance and shut it down
    assert sorted(seen) == [0, 1, 2, 3]
    assert [r["seed"] for r in results] == [0, 1, 2, 3]
    assert result_differences(local_pool, results) == []
    assert result_differences(in_process, results) == []
    assert os.getpid() not in {r["worker"]["pid"] for r in results}


_STOPPED_CAMPAIGN = """
import os, sys, time
from brainbody.runtime.campaign import run_campaign

def episode(spec):
    open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
    time.sleep(120)       # a long episode: a soak's robot
    return {}

if __name__ == "__main__":
    run_campaign([1, 2], runner=episode, workers=2)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"     # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_campaign_ended_by_sigterm_takes_its_workers_with_it(tmp_path):
    """SIGTERM (or SIGKILL) runs none of the parent's clean-up; its workers must not run on."""
    script = tmp_path / "campaign.py"
    script.write_text(_STOPPED_CAMPAIGN)
    pids_dir = tmp_path / "pids"
    pids_dir.mkdir()
    parent = subprocess.Popen([sys.executable, str(script), str(pids_dir)])
    try:
        deadline = time.monotonic() + 60.0
        while len(os.listdir(pids_dir)) < 2 and time.monotonic() < deadline and parent.poll() is None:
            time.sleep(0.1)
        workers = [int(name) for name in os.listdir(pids_dir)]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=10.0)
        deadline = time.monotonic() + 10.0
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
    finally:
        parent.kill()
        for name in os.listdir(pids_dir):
            try:
                os.kill(int(name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_progress_line_and_merged_report():
    clock = iter([0.0, 41.2, 50.0]).__next__
    out = io.StringIO()
    progress = Progress(3, stream=out, clock=clock)
    progress.update({"seed": 0, "success": True})
    progress.update({"seed": 1, "success": False, "reasons": ["cup crushed (5.00 N > 4.0 N)"]})
    assert out.getvalue().splitlines() == [
        "campaign: [#######-------------] 1/3 episodes, 1 succeeded, 41 s",
        "campaign: seed 1 failed: cup crushed (5.00 N > 4.0 N)",
        "campaign: [#############-------] 2/3 episodes, 1 succeeded, 50 s"]
    specs = [Episode("go home", s) for s in range(3)]
    results = [{"seed": 0, "success": True, "sim_time_s": 1.0}, {"seed": 1, "success": False, "sim_time_s": 2.0},
               None]
    report = campaign_report(specs, results, executor="local", workers=2, ray_address=None, wall_time_s=30.0,
                             interrupted=True)
    assert report["summary"] == {"episodes": 3, "finished": 2, "succeeded": 1, "failed": 1, "failed_seeds": [1],
                                 "not_run": 1, "sim_time_s": 3.0}
    assert report["campaign"]["episodes_per_minute"] == pytest.approx(4.0)
    assert report["campaign"]["interrupted"] is True and [e["seed"] for e in report["episodes"]] == [0, 1]


@pytest.mark.parametrize("args, message", [
    (["--seeds", "5-2"], "ends below its start"), (["--workers", "0"], "workers must be an integer >= 1"),
    (["--ray", ""], "--ray needs an address")])
def test_cli_refuses_bad_arguments_with_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["campaign", "go home", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_an_intent_before_starting_workers(capsys):
    assert cli.main(["campaign", "fly to the moon", "--seeds", "2"]) == cli.EXIT_REFUSED
    assert "refused [101 UNKNOWN_INTENT]" in capsys.readouterr().err


def test_cli_runs_a_campaign_and_writes_one_json(tmp_path, capsys, in_process):
    out = tmp_path / "results.json"
    assert cli.main(["campaign", "go home", "--seeds", "0,1", "--workers", "1", "--out", str(out)]) == cli.EXIT_OK
    report = json.loads(out.read_text())
    assert report["summary"]["succeeded"] == 2 and report["campaign"]["executor"] == "local"
    assert result_differences(in_process[:2], report["episodes"]) == []
    captured = capsys.readouterr()
    assert "campaign: [####################] 2/2 episodes, 2 succeeded" in captured.err
    assert "2/2 episodes succeeded" in captured.out


def test_nothing_but_a_ray_campaign_imports_ray():
    # Ray takes about a second to import and seconds to start: nothing else may pay for it.
    code = ("import sys, brainbody.cli, brainbody.runtime.campaign as c; "
            "c.run_campaign([c.Episode('fly to the moon', 0)], executor='inline'); "
            "assert 'ray' not in sys.modules, 'ray imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
