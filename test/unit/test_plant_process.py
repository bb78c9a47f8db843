"""The simulated robot in a process of its own (sim/plant_process.py), held against the
in-process simulator: the same samples to the bit when they take turns, the command one period
late when pipelined, and a clear error when the child is gone.

Each test starts its own plant process (about 2 s).
"""
import dataclasses
import os
import signal
import time

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.exceptions import ErrorCode, HardwareError, RequestError
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.motor_thermal import MotorThermalPlantConfig
from brainbody.sim.plant_process import PlantProcess
from brainbody.sim.scene import SceneConfig, default_urdf_path
from brainbody.sim.simulator import Simulator

HOME = np.asarray(BodyConfig().home_q_rad)
SCENE = dataclasses.replace(SceneConfig(), seed=3)


def plant(delay_periods, scene=SCENE):
    return PlantProcess(scene, home_q_rad=HOME, urdf_path=default_urdf_path(), delay_periods=delay_periods)


def in_process(scene=SCENE):
    return Simulator(scene, home_q_rad=HOME, urdf_path=default_urdf_path())


def commands(n):
    """A varied command sequence: joint torques around gravity-ish values and closing fingers."""
    rng = np.random.default_rng(7)
    return [(rng.normal(0.0, 2.0, 7), np.array([-5.0, -5.0]) + rng.normal(0.0, 1.0, 2)) for _ in range(n)]


def flat(state):
    parts = [np.atleast_1d(np.asarray(v, dtype=float)).ravel()
             for v in dataclasses.astuple(state) if v is not None]
    return np.concatenate(parts)


def run(hardware, sequence):
    """Read, write the command computed "from" this sample, step; returns every sample and what
    the ground truth said alongside (tool at read, objects)."""
    samples, tools, objects = [], [], []
    for arm, finger in sequence:
        samples.append(flat(hardware.read()))
        tools.append(np.array(hardware.tcp_at_read_m))
        hardware.write(arm, finger)
        hardware.step()
        objects.append(np.concatenate([np.r_[o.position_m, o.quat_wxyz] for o in hardware.observed_objects()]))
    return np.array(samples), np.array(tools), np.array(objects)


@pytest.fixture
def closing():
    made = []
    yield made.append
    for p in made:
        p.close()


@pytest.mark.parametrize("kind", ["ideal", "honest"])
def test_taking_turns_gives_the_in_process_samples_to_the_bit(closing, kind):
    """Samples, the tool at each read, the objects and the ground truth; on the honest plant
    too (its sensor noise and drive errors drawn in the child, in the same order)."""
    scene = dataclasses.replace(SCENE, plant=kind)
    sequence = commands(300)
    remote = plant(0, scene)
    closing(remote)
    sim = in_process(scene)
    assert remote.capabilities == sim.capabilities
    assert remote.period_s == sim.period_s
    got = run(remote, sequence)
    expected = run(sim, sequence)
    for a, b in zip(got, expected):
        assert a.shape == b.shape
        assert np.array_equal(a, b)
    assert remote.verdict() == sim.verdict()
    assert remote.ground_truth() == sim.ground_truth()



def test_a_robot_reporting_fewer_fields_reads_none_for_the_others_and_the_rest_to_the_bit(closing):
    """No link encoders (the budget gears) and no motor sensors: those fields are None, as the
    in-process simulator's, and the fields it reports are its samples to the bit."""
    scene = dataclasses.replace(SCENE, drivetrain=("budget_planetary",) * 7)
    no_sensors = MotorThermalPlantConfig(enabled=False)
    remote = PlantProcess(scene, home_q_rad=HOME, urdf_path=default_urdf_path(), delay_periods=0,
                          motor_thermal=no_sensors)
    closing(remote)
    sim = Simulator(scene, home_q_rad=HOME, urdf_path=default_urdf_path(), motor_thermal=no_sensors)
    absent = ("q_link_rad", "motor_housing_temp_c", "drive_current_a", "drive_voltage_v")
    for arm, finger in commands(50):
        got, want = remote.read(), sim.read()
        for field in dataclasses.fields(want):
            a, b = getattr(got, field.name), getattr(want, field.name)
            assert (a is None) == (b is None) == (field.name in absent), field.name
            if b is not None:
                assert np.array_equal(np.asarray(a), np.asarray(b)) and np.shape(a) == np.shape(b), field.name
        for hardware in (remote, sim):
            hardware.write(arm, finger)
            hardware.step()


def test_a_ground_truth_requested_ahead_is_the_one_asked_for_then_and_a_stale_one_is_asked_again(closing):
    """``request_ground_truth`` sends the request early; the ground truth collected at the same
    step is the in-process simulator's there; one requested before a step is thrown away and
    asked for again (the state after the step); a verdict asked meanwhile is a verdict."""
    scene = dataclasses.replace(SCENE, plant="honest")
    sequence = commands(120)
    remote = plant(0, scene)
    closing(remote)
    sim = in_process(scene)
    run(remote, sequence[:100])
    run(sim, sequence[:100])
    remote.request_ground_truth()
    remote.request_ground_truth()          # one request out at a time
    assert remote.ground_truth() == sim.ground_truth()
    remote.request_ground_truth()
    run(remote, sequence[100:])            # stale now
    run(sim, sequence[100:])
    truth = remote.ground_truth()
    assert truth == sim.ground_truth()
    remote.request_ground_truth()
    assert remote.verdict() == sim.verdict()
    assert remote.ground_truth() == truth == sim.ground_truth()

def test_pipelined_the_command_acts_one_period_later(closing):
    """With delay_periods=1 step k applies the command written after sample k-1 (the first
    step the first command): an in-process simulator fed the commands one period late gives
    the same samples to the bit."""
    sequence = commands(200)
    remote = plant(1)
    closing(remote)
    got, _, _ = run(remote, sequence)
    late = [sequence[0]] + sequence[:-1]
    expected, _, _ = run(in_process(), late)
    assert np.array_equal(got, expected)
    # and not the undelayed run
    undelayed, _, _ = run(in_process(), sequence)
    assert not np.array_equal(got, undelayed)


def test_a_period_without_a_write_repeats_the_last_command(closing):
    sequence = commands(40)
    remote = plant(0)
    closing(remote)
    sim = in_process()
    for i, (arm, finger) in enumerate(sequence):
        states = []
        for hw in (remote, sim):
            states.append(flat(hw.read()))     # once a period: the honest plant's sensors draw noise per read
            if i % 3 != 2:           # every third period writes nothing: the last command stands
                hw.write(arm, finger)
            hw.step()
        assert np.array_equal(*states)
    assert states[0][0] > 0.0


def test_a_dead_plant_is_a_clear_error_not_a_hang(closing):
    remote = plant(1)
    closing(remote)
    remote.read()
    remote.write(np.zeros(7), np.zeros(2))
    remote.step()
    os.kill(remote._process.pid, signal.SIGKILL)
    remote._process.wait(timeout=10)
    t0 = time.monotonic()
    with pytest.raises(HardwareError, match="plant process ended"):
        for _ in range(10):
            remote.write(np.zeros(7), np.zeros(2))
            remote.step()
    assert time.monotonic() - t0 < 5.0
    with pytest.raises(HardwareError, match="ended"):
        remote.verdict()


def test_a_plant_that_dies_mid_primitive_fails_it_and_the_loop_runs_on():
    """The control loop never dies of it: the running primitive fails with BODY_UNAVAILABLE,
    the fault latches (motion refused until a reset), and further ticks raise nothing."""
    with SimSession(seed=0, plant_process=True) as session:
        session.refresh_world()
        execution = session.body.execute(TaskPrimitive("reach", PrimitiveKind.REACH, object_id="cup"))
        for _ in range(200):
            session.loop.step()
        os.kill(session.sim._process.pid, signal.SIGKILL)
        session.sim._process.wait(timeout=10)
        session.run_until_done(execution, max_time_s=5.0)
        report = session.body.report(execution)
        assert report.status is Status.FAILED
        assert report.error_code == int(ErrorCode.BODY_UNAVAILABLE)
        assert "plant process ended" in report.message
        failed, last = session.body.failed_ticks, session.sim.read().time_s
        for _ in range(3):
            session.loop.step()
        assert session.body.failed_ticks == failed + 3
        assert session.sim.read().time_s == last == session.body.time_s    # the last sample, not an older slot
        assert session.body.stop_latch.active
        with pytest.raises(RequestError):
            session.body.execute(TaskPrimitive("home", PrimitiveKind.HOME))


def test_a_scene_the_child_cannot_build_is_refused_with_its_reason():
    with pytest.raises(HardwareError, match="could not build the scene"):
        PlantProcess(SCENE, home_q_rad=HOME, urdf_path="/nonexistent/robot.urdf")


def test_a_machine_without_x86_stores_is_refused(monkeypatch):
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    with pytest.raises(HardwareError, match="x86-64"):
        plant(1)


def test_closed_is_closed_and_the_child_is_gone():
    remote = plant(1)
    remote.close()
    remote.close()                     # idempotent
    assert remote._process.poll() is not None
    for call in (remote.read, remote.step, remote.verdict, remote.observed_objects):
        with pytest.raises(HardwareError, match="closed"):
            call()


def test_an_idle_plant_sleeps_and_ignores_ctrl_c(closing):
    """Nothing to step: the child waits without keeping a core busy, and a terminal's Ctrl-C
    (SIGINT to the whole process group) is the controller's to handle, not the child's."""
    remote = plant(1)
    closing(remote)
    remote.read()
    pid = remote._process.pid
    time.sleep(0.3)                      # past its spinning phase
    before = _cpu_s(pid)
    time.sleep(1.0)
    assert _cpu_s(pid) - before < 0.3
    os.kill(pid, signal.SIGINT)
    time.sleep(0.2)
    assert remote._process.poll() is None
    remote.write(np.zeros(7), np.zeros(2))
    remote.step()                        # still stepping
    assert remote.read().time_s > 0.0


def _cpu_s(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_an_answer_goes_through_the_shared_memory_and_one_too_large_for_it_over_the_socket():
    """The plant's side of an answer (the verdict, the ground truth): its pickle in the answer
    area with its size; one larger than the area on the socket, its size -1."""
    import pickle
    import socket
    from multiprocessing.connection import Connection
    from brainbody.sim import plant_process as pp

    ours, theirs = socket.socketpair()
    reader, writer = Connection(ours.detach()), Connection(theirs.detach())
    counters, area = np.zeros(pp._COUNTERS, dtype=np.int64), np.zeros(256, dtype=np.uint8)
    small = {"success": True, "motors": {"winding_c": [25.0] * 7}}
    pp._publish_answer(counters, area, writer, small)
    size = int(counters[pp._ANSWER_SIZE])
    assert counters[pp._ANSWERS] == 1 and 0 < size <= len(area)
    assert pickle.loads(area[:size]) == small and not reader.poll(0.1)
    large = {"reasons": ["x" * 1000]}
    pp._publish_answer(counters, area, writer, large)
    assert counters[pp._ANSWERS] == 2 and counters[pp._ANSWER_SIZE] == -1
    assert reader.poll(1.0) and reader.recv() == ("answer", large)
    reader.close()
    writer.close()


def _thread_cpus():
    """Each of this process's threads' CPUs."""
    cpus = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            cpus[int(tid)] = os.sched_getaffinity(int(tid))
        except OSError:      # ended meanwhile
            pass
    return cpus


def test_the_plant_gets_a_cpu_of_its_own_and_our_threads_the_others_until_closed():
    """``plant_own_cpu``: the plant's process on the last CPU alone; every thread of ours, those
    running before and one started meanwhile, on the others; the loop still runs; closing gives
    each thread the CPUs it had (one its owner had placed on one CPU too)."""
    import threading
    ours = os.sched_getaffinity(0)
    if len(ours) < 2:
        pytest.skip(f"this process may use {len(ours)} CPU: nothing to reserve")
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    os.sched_setaffinity(waiting.native_id, {min(ours)})     # a thread placed by its owner
    before = _thread_cpus()
    session = SimSession(seed=3, plant_process=True, plant_own_cpu=True)
    try:
        cpu = max(ours)
        assert session.plant_cpu == cpu and session.cpu_refusal is None
        assert os.sched_getaffinity(session.sim.pid) == {cpu}
        assert all(cpus == ours - {cpu} for cpus in _thread_cpus().values()) if len(ours) == 2 else \
            all(cpu not in cpus for cpus in _thread_cpus().values()), _thread_cpus()
        started = []
        later = threading.Thread(target=lambda: started.append(os.sched_getaffinity(0)))
        later.start()
        later.join()
        assert started == [ours - {cpu}]
        ticks = session.body.ticks
        session.loop.run_until(lambda: session.body.ticks >= ticks + 50)
        assert session.body.failed_ticks == 0
        session.close()
        after = _thread_cpus()
        assert after[waiting.native_id] == {min(ours)}
        assert all(after[tid] == before.get(tid, ours) for tid in after), (before, after)
        session.close()     # idempotent
        assert _thread_cpus() == after
    finally:
        session.close()
        stop.set()
        waiting.join()


def test_a_cpu_that_cannot_be_reserved_says_why_and_changes_nothing():
    """One CPU for this process, or a child that is gone: a refusal in a sentence, and every
    thread keeps its CPUs."""
    import subprocess
    import sys
    from brainbody.runtime.realtime import CpuReservation
    ours = os.sched_getaffinity(0)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        before = _thread_cpus()
        if len(ours) >= 2:
            reservation = CpuReservation(gone.pid)
            assert reservation.cpu is None and "could not be placed" in reservation.refusal
            assert _thread_cpus() == before
        os.sched_setaffinity(0, {min(ours)})
        try:
            reservation = CpuReservation(child.pid)
            assert reservation.cpu is None and "1 CPU" in reservation.refusal
            assert os.sched_getaffinity(child.pid) == ours
            reservation.release()      # nothing to give back
            assert os.sched_getaffinity(0) == {min(ours)}
        finally:
            os.sched_setaffinity(0, ours)
    finally:
        child.kill()
        child.wait()


def test_on_one_shared_cpu_the_hand_over_does_not_wait_for_time_slices(closing):
    """Controller and plant confined to one CPU (a one-CPU machine or container): each side
    gives the CPU up while it waits, so a period costs a context switch, not the scheduler's
    time slice (2 ms a period before, 0.5x real time for the coffee task)."""
    ours = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(ours)})         # the child inherits it
    try:
        remote = plant(1)
        closing(remote)
        arm, fingers = np.zeros(7), np.zeros(2)
        t0 = time.perf_counter()
        for _ in range(1000):
            remote.read()
            remote.write(arm, fingers)
            remote.step()
        elapsed = time.perf_counter() - t0
    finally:
        os.sched_setaffinity(0, ours)
    # Under 0.1 s when each side yields; a time slice per period made it 2 s.
    assert elapsed < 0.8, f"1000 periods on one CPU took {elapsed:.2f} s"
