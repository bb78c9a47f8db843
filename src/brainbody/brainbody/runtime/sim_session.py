"""Everything for one simulated run in one place: MuJoCo plant, robot model, body
controller and the world model fed from the simulator's observations.

Used by the body node in ``sim`` mode, the demo, the scenario tests and the benchmarks.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.control_loop import ControlLoop
from brainbody.body.controller import BodyController, PrimitiveReport
from brainbody.body.robot_model import RobotModel
from brainbody.share_files import find_share_file
from brainbody.lifecycle import Status
from brainbody.sim.path_error import PathErrorStats
from brainbody.primitives import TaskPlan, TaskPrimitive
from brainbody.sim.motor_thermal import MotorThermalPlantConfig
from brainbody.sim.scene import SceneConfig, default_urdf_path
from brainbody.runtime.realtime import CpuReservation
from brainbody.sim.plant_process import PlantProcess
from brainbody.sim.simulator import Simulator
from brainbody.world import load_object_database, merge_observations


# Sample the tool path error this often (sim time): every 10th tick at 1 kHz.
PATH_SAMPLE_PERIOD_S = 0.01
# The body's world model is refreshed from the simulator's observations this often.
WORLD_REFRESH_PERIOD_S = 0.05


class SimSession:
    """A body controller driving the simulated coffee scene in lock-step.

    Args:
        seed: places the cup.
        body_config: the controller's parameters (its drivetrain estimates among them).
        scene_config: the plant's parameters.
        sim_drivetrain: the plant's drivetrain profile per arm joint (7 names from
            ``config/sim_drivetrain.yaml`` or ``rigid``); overrides ``scene_config.drivetrain``.
        realtime_factor: 0 runs as fast as possible, r > 0 paces sim time to r x wall time.
        motor_thermal: the simulated motors' heat (None: the default build at 25 C).
        plant_process: step the plant in a process of its own
            (:class:`~brainbody.sim.plant_process.PlantProcess`), one period ahead of the
            controller as a real drive is; ``sim`` is then that process's controller side, which
            offers the ground truth the session needs (objects, tool position, verdict) and not
            MuJoCo's data. :meth:`close` ends it.
        plant_own_cpu: with ``plant_process``, that process gets a CPU of its own and this
            process's threads the others until :meth:`close`
            (:class:`~brainbody.runtime.realtime.CpuReservation`: ``plant_cpu`` is that CPU;
            ``cpu_refusal`` says why not when it could not be done). For a process running ROS
            beside the controller.

    ``loop`` is the :class:`ControlLoop` that drives the body; it refreshes the body's
    world model and samples the tool path error. Runners add their own jobs to it.

    Raises:
        BrainBodyError: an unknown drivetrain profile, or a scene MuJoCo cannot compile.
        ValueError: ``sim_drivetrain`` does not name 7 profiles.
    """

    def __init__(self, *, seed: int = 0, body_config: Optional[BodyConfig] = None,
                 scene_config: Optional[SceneConfig] = None, sim_drivetrain: Optional[Sequence[str]] = None,
                 realtime_factor: float = 0.0, motor_thermal: Optional[MotorThermalPlantConfig] = None,
                 plant_process: bool = False, plant_own_cpu: bool = False):
        self.body_config = body_config or BodyConfig()
        scene = scene_config or SceneConfig()
        changes = {"seed": seed}
        if sim_drivetrain is not None:
            changes["drivetrain"] = tuple(sim_drivetrain)
        self.scene_config = dataclasses.replace(scene, **changes)
        urdf = self.urdf_path = default_urdf_path()
        plant = PlantProcess if plant_process else Simulator
        self.sim = plant(self.scene_config, home_q_rad=np.asarray(self.body_config.home_q_rad), urdf_path=urdf,
                         motor_thermal=motor_thermal)
        self.robot = RobotModel(urdf)
        self.body = BodyController(self.body_config, self.robot, self.sim)
        self.objects_db = load_object_database(find_share_file("config", "objects.yaml"))
        # The path-error judge has its own kinematic model (its own pinocchio data), so it
        # never races the controller's model used from ROS callback threads.
        self._judge_robot = RobotModel(urdf)
        self.path_error = PathErrorStats()
        self.refresh_world()
        self.loop = ControlLoop(self.body, realtime_factor=realtime_factor)
        self.loop.every(WORLD_REFRESH_PERIOD_S, self.refresh_world)
        self.loop.every(PATH_SAMPLE_PERIOD_S, self.sample_path_error)
        # Last: a session that failed to build leaves this process's CPUs as they were.
        self._cpu = CpuReservation(self.sim.pid) if plant_process and plant_own_cpu else None
        self.cpu_refusal: Optional[str] = None if self._cpu is None else self._cpu.refusal
        self.plant_cpu: Optional[int] = None if self._cpu is None else self._cpu.cpu   # the CPU it has alone

    def close(self) -> None:
        """End the plant's process, if it has one, and give this process's threads back the
        CPUs they had (idempotent)."""
        if self._cpu is not None:
            self._cpu.release()
        if isinstance(self.sim, PlantProcess):
            self.sim.close()

    def __enter__(self) -> "SimSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def urdf_text(self) -> str:
        return self.urdf_path.read_text(encoding="utf-8")

    def request_ground_truth(self) -> None:
        """Starts :meth:`ground_truth` ahead of the call, where the plant runs in a process of
        its own (it answers while the caller does other work; a no-op in one process)."""
        if isinstance(self.sim, PlantProcess):
            self.sim.request_ground_truth()

    def ground_truth(self) -> dict:
        """What the simulator knows and the body must not (tests and the demo report only): the
        cup's verdict, the motors' and reducers' state (:meth:`Simulator.ground_truth`), the
        plant's drivetrain profiles and the tool path error so far."""
        truth = self.sim.ground_truth()
        truth["sim_drivetrain"] = list(self.scene_config.drivetrain)
        truth.update(self.path_error.as_dict())
        return truth

    def world_objects(self):
        return merge_observations(self.sim.observed_objects(), self.objects_db)

    def refresh_world(self) -> None:
        self.body.update_world(self.world_objects())

    def sample_path_error(self) -> None:
        """Add one tool path error sample if a motion is commanded (call between ticks,
        from the thread that ticks). About 8 us called alone, about 23 us every 10th tick of
        the running task (caches cold)."""
        body = self.body
        if not body.qd_cmd_radps.any():
            return
        # The set-point the body computed from its last state, against where the tool was at
        # that state (the plant has stepped on since): as sim_node judges the topic backends.
        commanded_m, _ = self._judge_robot.tcp_pose(body.q_cmd_rad)
        self.path_error.add(commanded_m, self.sim.tcp_at_read_m)

    def run_until_done(self, execution, *, max_time_s: float = 120.0,
                       step_times_s: Optional[list] = None) -> None:
        """Run the loop until ``execution`` ends (used without ROS: tests, benchmarks); past
        ``max_time_s`` of sim time it is cancelled. ``step_times_s``, when given, receives
        the wall time of every control step."""
        self.loop.tick_costs_s = step_times_s
        try:
            self.loop.run_execution(execution, max_time_s=max_time_s)
        finally:
            self.loop.tick_costs_s = None

    def run_plan(self, plan: TaskPlan, *, step_times_s: Optional[list] = None,
                 after_each: Optional[Callable[[TaskPrimitive], None]] = None) -> list[PrimitiveReport]:
        """Execute a plan primitive by primitive, stopping at the first one that does not succeed.
        ``after_each``, when given, is called with each primitive that succeeded, as it ends
        (benchmarks and tests read the body and the plant there)."""
        reports = []
        for primitive in plan.primitives:
            self.refresh_world()
            execution = self.body.execute(primitive)
            self.run_until_done(execution, step_times_s=step_times_s)
            reports.append(self.body.report(execution))
            if execution.status is not Status.SUCCEEDED:
                break
            if after_each is not None:
                after_each(primitive)
        return reports
