"""The simulated robot in a process of its own, one control period ahead of the controller.

In one process the control tick and the physics step take turns on one core, and each evicts
the other's working set from the caches: inside the running task the tick costs about twice
what its parts cost called in a tight loop. A real robot runs its physics elsewhere, and a real 1 kHz drive
applies a command from the period after the sample it was computed from (the controller reads
sample k while the arm moves on to k+1). :class:`PlantProcess` does both: the
:class:`~brainbody.sim.simulator.Simulator` steps in a child process while the controller
computes, and the command computed from sample k acts from step k+1 on (``delay_periods=1``).
With ``delay_periods=0`` the two processes take turns instead, and every sample is the one the
in-process simulator would give, to the bit (the tests hold them to that).

The two processes hand samples and commands over through shared memory, each waiting for the
other by spinning on a counter (a wake-up through the kernel would cost more than a period). Each
side yields its CPU on each look (the controller's side the GIL too), so its process's other
threads (ROS callbacks) and the other side, where the two share a CPU, run meanwhile. A side
that waits longer than a few milliseconds sleeps between looks, so an idle session does not keep
a core busy (a run paced to the wall clock does). The hand-over relies on x86-64's store order (a
counter is written after the values it publishes, and read before them); elsewhere it is refused.

Ground truth travels with each sample: where the tool was (the path-error judge's reference)
and the moving objects' poses (what a perception node would report). The cup's verdict and the
rest of the ground truth are asked for, and answered between steps through the shared memory
too: the child answers in tens of microseconds, and the controller spins for it with the GIL
held. Waiting on the socket instead handed the GIL to the process's other threads, and getting
it back cost the ROS body node 1.4 ms a call (median), 10 calls a second of sim time.
"""
from __future__ import annotations

import dataclasses
import operator
import os
import pickle
import platform
import signal
import socket
import subprocess
import sys
import time
import traceback
import weakref
from multiprocessing import resource_tracker, shared_memory
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Optional

import numpy as np

from brainbody.body.hardware import HardwareCapabilities, HardwareState
from brainbody.exceptions import HardwareError
from brainbody.jit import kernel
from brainbody.sim.ground_truth import CupVerdict
from brainbody.sim.motor_thermal import MotorThermalPlantConfig
from brainbody.sim.scene import SceneConfig
from brainbody.sim.simulator import OBJECT_POSES_SIZE, ObservedObject, Simulator, observed_objects

# One sample: its fields (floats) in this order, then the ground truth that travels with it.
_STATE_FIELDS = (("time_s", 1), ("q_rad", 7), ("qd_radps", 7), ("finger_pos_m", 2), ("finger_vel_mps", 2),
                 ("pad_force_n", 2), ("q_link_rad", 7), ("pad_force_xyz_n", 6), ("finger_effort_n", 2),
                 ("motor_housing_temp_c", 7), ("drive_current_a", 7), ("drive_voltage_v", 7),
                 ("tcp_at_read_m", 3), ("object_poses", OBJECT_POSES_SIZE))
_OFFSETS = {}
_at = 0
for _name, _size in _STATE_FIELDS:
    _OFFSETS[_name] = slice(_at, _at + _size)
    _at += _size
_STATE_SIZE = _at
if tuple(f.name for f in dataclasses.fields(HardwareState)) != tuple(name for name, _ in _STATE_FIELDS[:12]):
    raise ImportError("plant_process: HardwareState's fields changed; update _STATE_FIELDS to match")
_PAD_XYZ = 6                # pad_force_xyz_n among the fields after time_s
_COMMAND_SIZE = 10          # arm (7), fingers (2), 1 when written this period (else the last one stands)
# Samples and commands rotate through a few slots: a side writes a slot again only once the
# other side has answered what was in it (two periods later at the earliest).
_SLOTS = 4
# Counters (int64), each on a cache line of its own: samples published (by the plant), commands
# published (by the controller), a request to the plant (the controller sets it, the plant clears
# it), answers published (by the plant; the answer's size in bytes beside it, -1: on the socket).
_SAMPLES, _COMMANDS, _REQUEST, _ANSWERS = 0, 8, 16, 24
_ANSWER_SIZE = _ANSWERS + 1
_COUNTERS = 32
# An answer (a pickled verdict or ground truth, about 1 kB) in the shared memory; a larger one
# goes over the socket.
_ANSWER_BYTES = 64 * 1024
_VERDICT, _GROUND_TRUTH, _STOP = 1, 2, 3
# A wait spins this long, then sleeps between looks: an idle session keeps no core busy. Shorter
# cost the ROS demo a third of its speed (a tick there sometimes waits a millisecond for the GIL,
# and a plant found asleep then starts its step late); a run paced to the wall clock spins too.
_SPIN_S = 0.005
_IDLE_SLEEP_S = 0.0001
_START_TIMEOUT_S = 120.0
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]      # the directory holding brainbody/


# Typed: anything else is a TypeError (the caller falls back to numpy), never a compilation.
@kernel(signature="boolean(float64[::1], float64[:, ::1], int64, float64[::1], float64[::1])")
def _put_command(last, commands, slot, arm, finger) -> bool:
    """A written command into ``last`` and into the slot ``slot`` of ``commands`` in one pass
    (numpy's four copies took about 1 us a tick). False, and nothing written, when the arm and
    finger commands are not 7 and 2 values."""
    if arm.shape[0] != 7 or finger.shape[0] != 2:
        return False
    for i in range(7):
        last[i] = arm[i]
    last[7], last[8], last[9] = finger[0], finger[1], 1.0
    for i in range(_COMMAND_SIZE):
        commands[slot, i] = last[i]
    return True


class PlantProcess:
    """A :class:`~brainbody.sim.simulator.Simulator` stepping in a child process; the
    controller's side of it, which implements :class:`~brainbody.body.hardware.Hardware`.

    Args:
        config, home_q_rad, urdf_path, motor_thermal: as for the Simulator.
        delay_periods: 1: the command computed from sample k acts from step k+1 on, and the
            plant steps while the controller computes (a real drive's timing); 0: they take
            turns (the in-process simulator's samples, to the bit).

    One command per period, written after that period's read. :meth:`close` ends the child;
    so does the controller's process ending.

    Raises:
        HardwareError: the child could not build the scene or did not start in time, or this
            is not an x86-64 machine.
    """

    def __init__(self, config: SceneConfig, *, home_q_rad: Optional[np.ndarray] = None, urdf_path=None,
                 motor_thermal: Optional[MotorThermalPlantConfig] = None, delay_periods: int = 1):
        if delay_periods not in (0, 1):
            raise ValueError(f"delay_periods must be 0 or 1, got {delay_periods!r}")
        if platform.machine().lower() not in ("x86_64", "amd64"):
            raise HardwareError(f"a plant process needs x86-64's store order for its hand-over (this is "
                                f"{platform.machine()}): run the simulator in the controller's process")
        self.config = config
        self.delay_periods = int(delay_periods)
        # A fresh interpreter (not fork: the caller may run threads, ROS among them; not
        # multiprocessing's spawn: it would import the caller's main script again), found where
        # this package was, talking over a socket pair; it waits there for its arguments.
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(_PACKAGE_ROOT), env.get("PYTHONPATH"))))
        self._process = subprocess.Popen([sys.executable, "-m", "brainbody.sim.plant_process", str(theirs.fileno())],
                                         pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env)
        theirs.close()
        self._shm = shared_memory.SharedMemory(
            create=True, size=8 * (_COUNTERS + _SLOTS * (_STATE_SIZE + _COMMAND_SIZE)) + _ANSWER_BYTES)
        # Also when the caller forgets close(): at collection or at the interpreter's exit the
        # child ends and the shared memory goes (no "leaked shared_memory" warning).
        self._release = weakref.finalize(self, _release, self._shm, self._process)
        self._counters, self._samples, self._commands, self._answer = _views(self._shm)
        self._counters[:] = 0
        self._conn = Connection(ours.detach())
        self._closed = False
        self._conn.send((self._shm.name, config, None if home_q_rad is None else np.asarray(home_q_rad, float),
                         urdf_path, motor_thermal, self.delay_periods))
        if not self._conn.poll(_START_TIMEOUT_S):
            self.close()
            raise HardwareError(f"the plant process did not start within {_START_TIMEOUT_S:g} s")
        try:
            kind, *payload = self._conn.recv()
        except EOFError:
            kind, payload = "error", [f"it ended (exit code {self._process.wait()})"]
        if kind != "ready":
            self.close()
            raise HardwareError(f"the plant process could not build the scene: {payload[0]}")
        self.capabilities: HardwareCapabilities = payload[0]
        self.period_s: float = payload[1]
        present = payload[2]                # the sample fields the robot reports (others: None)
        # HardwareState's fields after time_s: the ones the robot reports, sliced in one call, and
        # where the others (None) go.
        names = [name for name, _ in _STATE_FIELDS[1:12]]
        self._present_fields = operator.itemgetter(*(_OFFSETS[name] for name in names if present[name]))
        self._absent = tuple(i for i, name in enumerate(names) if not present[name])
        self._steps = 0                     # the plant's steps the controller has asked for
        self._written = 0                   # commands published
        self._last_command = np.zeros(_COMMAND_SIZE)
        self._read_sample: Optional[np.ndarray] = None
        self._pending: Optional[tuple] = None   # a request sent ahead: (kind, answers count, step)
        self._wait_for(_SAMPLES, 1)

    # -- Hardware ------------------------------------------------------------------------
    def activate(self, command_mode) -> None:
        """Takes torques from the first step on, as the in-process simulator."""

    def deactivate(self) -> None:
        """Keeps the last command."""

    def read(self) -> HardwareState:
        """The sample after the steps asked for so far (a copy of it)."""
        self._require_open()
        sample = self._samples[self._steps % _SLOTS].copy()
        self._read_sample = sample
        # HardwareState's fields in order after time_s (views of this one copy), None where absent.
        fields = list(self._present_fields(sample))
        for i in self._absent:          # in increasing order: each lands where it belongs
            fields.insert(i, None)
        fields[_PAD_XYZ] = fields[_PAD_XYZ].reshape(2, 3)
        return HardwareState(float(sample[0]), *fields)

    def write(self, arm_torque_nm: np.ndarray, finger_force_n: np.ndarray) -> None:
        self._require_open()
        try:        # float arrays as the body writes them: one compiled pass into the slot
            fits = _put_command(self._last_command, self._commands, self._steps % _SLOTS, arm_torque_nm,
                                finger_force_n)
        except TypeError:    # another type: numpy converts it (a wrong shape raises there)
            fits = False
        if fits:
            self._note_command()
            return
        command = self._last_command
        command[:7], command[7:9], command[9] = arm_torque_nm, finger_force_n, 1.0
        self._publish_command()

    def step(self) -> None:
        """Waits for the next sample. A period without a write repeats the last command (the
        drives hold it). Raises HardwareError when the plant process has ended."""
        self._require_open()
        if self._written <= self._steps:
            self._last_command[9] = 0.0
            self._publish_command()
        self._wait_for(_SAMPLES, self._steps + 2)
        self._steps += 1          # only once it came: after a failed wait, read gives the last sample

    @property
    def pid(self) -> int:
        """The child's process id (to place it on a CPU of its own: runtime/realtime.py)."""
        return self._process.pid

    # -- ground truth ----------------------------------------------------------------------
    @property
    def tcp_at_read_m(self) -> np.ndarray:
        """Where the tool was at the last sample read (the path-error judge's reference)."""
        self._require_open()
        sample = self._read_sample if self._read_sample is not None else self._samples[0]
        return sample[_OFFSETS["tcp_at_read_m"]].copy()

    def observed_objects(self) -> list[ObservedObject]:
        """What a perception node would report at the sample the next read returns."""
        self._require_open()
        return observed_objects(self.config, self._samples[self._steps % _SLOTS][_OFFSETS["object_poses"]].copy())

    def verdict(self) -> CupVerdict:
        """The cup's verdict in the plant's present state (with ``delay_periods=1`` the plant
        has taken the step after the last one asked for: the last command acts there too)."""
        return self._ask(_VERDICT)

    def ground_truth(self) -> dict:
        """:meth:`Simulator.ground_truth` in the plant's present state (see :meth:`verdict`)."""
        return self._ask(_GROUND_TRUTH)

    def close(self) -> None:
        """End the child and free the shared memory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._process.poll() is None:
            self._counters[_REQUEST] = _STOP
            try:
                self._process.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                pass                      # _release kills it
        self._conn.close()
        self._counters = self._samples = self._commands = self._answer = None
        self._release()

    # -- the hand-over -----------------------------------------------------------------------
    def _publish_command(self) -> None:
        self._commands[self._steps % _SLOTS] = self._last_command
        self._note_command()

    def _note_command(self) -> None:
        """The slot holds this period's command: the child may take it."""
        self._written = self._steps + 1
        self._counters[_COMMANDS] = self._written        # after the values (x86-64 keeps store order)

    def _wait_for(self, counter: int, count: int) -> None:
        counters = self._counters
        if counters[counter] >= count:
            return
        yield_, clock = os.sched_yield, time.perf_counter
        give_up = clock() + _SPIN_S
        while counters[counter] < count:
            yield_()           # lets this process's other threads (ROS callbacks) have the GIL meanwhile
            if clock() > give_up:
                self._check_alive()
                time.sleep(_IDLE_SLEEP_S)

    def request_ground_truth(self) -> None:
        """Sends :meth:`ground_truth`'s request now; the next call of it, before the next step,
        collects the answer. The child answers while the caller does other work: the body node
        publishes the world meanwhile instead of spinning for the answer."""
        if self._pending is None:
            self._check_alive()
            self._pending = (_GROUND_TRUTH, int(self._counters[_ANSWERS]) + 1, self._steps)
            self._counters[_REQUEST] = _GROUND_TRUTH

    def _ask(self, request: int):
        self._check_alive()
        if self._pending is not None:
            kind, answered, step = self._pending
            self._pending = None
            answer = self._collect(answered)
            if kind == request and step == self._steps:     # sent ahead for this very call
                return answer
        answered = int(self._counters[_ANSWERS]) + 1
        self._counters[_REQUEST] = request
        return self._collect(answered)

    def _collect(self, answered: int):
        """The answer numbered ``answered``, spinning for it with the GIL held (see the module's
        docstring); a child that takes longer is looked at between sleeps, so a dead one raises."""
        counters, clock = self._counters, time.perf_counter
        give_up = clock() + _SPIN_S
        while counters[_ANSWERS] < answered:
            if clock() > give_up:
                self._check_alive()
                time.sleep(_IDLE_SLEEP_S)
        size = int(counters[_ANSWER_SIZE])
        if size >= 0:
            return pickle.loads(self._answer[:size])
        kind, payload = self._conn.recv()
        if kind == "error":
            raise HardwareError(f"the plant process failed: {payload}")
        return payload

    def _require_open(self) -> None:
        if self._closed:
            raise HardwareError("the plant process was closed")

    def _check_alive(self) -> None:
        self._require_open()
        if self._process.poll() is not None:
            reason = f"exit code {self._process.returncode}"
            try:
                if self._conn.poll():
                    kind, payload = self._conn.recv()
                    reason = payload if kind == "error" else reason
            except (EOFError, OSError):     # it said nothing before it went
                pass
            raise HardwareError(f"the plant process ended ({reason}); the simulated robot is gone")


def _release(shm: shared_memory.SharedMemory, process: subprocess.Popen) -> None:
    """End the child (it also ends on its own when its parent goes) and remove the memory."""
    if process.poll() is None:
        process.kill()
        process.wait(timeout=5.0)
    try:
        shm.close()
    except BufferError:      # views still alive (at exit): the mapping goes with the process
        pass
    try:
        shm.unlink()
    except FileNotFoundError:
        pass


def _views(shm: shared_memory.SharedMemory) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    counters = np.ndarray((_COUNTERS,), dtype=np.int64, buffer=shm.buf)
    samples = np.ndarray((_SLOTS, _STATE_SIZE), dtype=np.float64, buffer=shm.buf, offset=8 * _COUNTERS)
    commands = np.ndarray((_SLOTS, _COMMAND_SIZE), dtype=np.float64, buffer=shm.buf,
                          offset=8 * (_COUNTERS + _SLOTS * _STATE_SIZE))
    answer = np.ndarray((_ANSWER_BYTES,), dtype=np.uint8, buffer=shm.buf,
                        offset=8 * (_COUNTERS + _SLOTS * (_STATE_SIZE + _COMMAND_SIZE)))
    return counters, samples, commands, answer


def _serve(conn: Connection) -> None:
    """The child: build the scene, publish its first sample, then step on each command."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the controller's to handle: it closes us
    try:
        shm_name, config, home_q_rad, urdf_path, motor_thermal, delay_periods = conn.recv()
    except EOFError:                                  # the controller failed before it sent them
        return
    shm = shared_memory.SharedMemory(name=shm_name)
    # The controller owns it: without this our resource tracker would remove it when we end.
    resource_tracker.unregister(shm._name, "shared_memory")
    try:
        counters, samples, commands, answer = _views(shm)
        try:
            # A throwaway copy first: the plant's kernels load from the cache before the run.
            warm = Simulator(config, home_q_rad=home_q_rad, urdf_path=urdf_path, motor_thermal=motor_thermal)
            for _ in range(2):
                warm.read()
                warm.step()
            sim = Simulator(config, home_q_rad=home_q_rad, urdf_path=urdf_path, motor_thermal=motor_thermal)
        except Exception as exc:
            conn.send(("error", f"{exc!r}"))
            return
        blank = sim.blank_state()
        present = {name: getattr(blank, name, None) is not None for name, _ in _STATE_FIELDS[:12]}
        publisher = _SamplePublisher(samples, present)
        publisher.publish(0, sim)
        conn.send(("ready", sim.capabilities, sim.period_s, present))
        counters[_SAMPLES] = 1
        parent, j = os.getppid(), 0
        yield_ = os.sched_yield
        # Each slot's arm and finger commands as views, taken once. The simulator takes them in
        # at once (into MuJoCo's controls), and the controller writes a slot again only two
        # periods later: no copy needed.
        arm_commands, finger_commands = [c[:7] for c in commands], [c[7:9] for c in commands]
        try:
            while True:
                need = max(j - delay_periods, 0)     # the command this step applies
                spins, give_up, idle = 0, None, False
                while counters[_COMMANDS] <= need:
                    # Each look gives the CPU to a thread waiting for it: on a CPU shared with the
                    # controller (a machine or container with one), spinning until the scheduler
                    # preempted us held every period for a time slice (0.5x real time, not 11x).
                    yield_()
                    request = counters[_REQUEST]
                    if request:
                        counters[_REQUEST] = 0
                        if request == _STOP:
                            return
                        _publish_answer(counters, answer, conn,
                                        sim.verdict() if request == _VERDICT else sim.ground_truth())
                    spins += 1
                    if spins % 64 == 0:            # the clock now and then: a look is a tenth of a µs
                        now = time.perf_counter()
                        if give_up is None:
                            give_up = now + _SPIN_S
                        elif now > give_up:
                            if os.getppid() != parent:      # the controller is gone
                                return
                            idle = True
                    if idle:     # every look (sleeping only every 64th kept a third of a core busy)
                        time.sleep(_IDLE_SLEEP_S)
                slot = need % _SLOTS
                if commands[slot, 9]:
                    sim.write(arm_commands[slot], finger_commands[slot])
                sim.step()
                j += 1
                publisher.publish(j, sim)
                counters[_SAMPLES] = j + 1
        except Exception:
            conn.send(("error", traceback.format_exc(limit=4)))
    finally:
        shm.close()


def _publish_answer(counters: np.ndarray, area: np.ndarray, conn: Connection, answer) -> None:
    data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) <= len(area):
        area[:len(data)] = np.frombuffer(data, dtype=np.uint8)
        counters[_ANSWER_SIZE] = len(data)
    else:
        conn.send(("answer", answer))
        counters[_ANSWER_SIZE] = -1
    counters[_ANSWERS] += 1           # after the answer (x86-64 keeps store order)


class _SamplePublisher:
    """Reads the plant's sensors straight into a slot, through a state whose arrays are views
    of it (taken once), and puts the sample's ground truth beside them."""

    def __init__(self, samples: np.ndarray, present: dict):
        self._slots = []
        for slot in samples:
            views = [None if not present[name] else
                     slot[_OFFSETS[name]].reshape(2, 3) if name == "pad_force_xyz_n" else slot[_OFFSETS[name]]
                     for name, _ in _STATE_FIELDS[1:12]]
            self._slots.append((slot, HardwareState(0.0, *views), slot[_OFFSETS["tcp_at_read_m"]],
                                slot[_OFFSETS["object_poses"]]))

    def publish(self, index: int, sim: Simulator) -> None:
        """Reads ``sim`` into slot ``index`` (the sample after ``index`` steps)."""
        slot, state, tcp, poses = self._slots[index % _SLOTS]
        sim.read_into(state, tcp_m=tcp, object_poses=poses)
        slot[0] = state.time_s


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
