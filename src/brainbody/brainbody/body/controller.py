"""The body's control loop: one :meth:`BodyController.tick` per hardware period.

Reads the hardware, advances the executing primitive (or a streamed joint
trajectory), runs the joint servo and the grip-force loop, and writes torques and
finger forces. With nothing to do it holds its last set-point. Thread-safe entry
points (:meth:`execute`, :meth:`cancel`, :meth:`follow_trajectory`, :meth:`estop`, :meth:`reset`)
let a ROS adapter command it from another thread.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from typing import Callable, Generator, Optional, Sequence

import numpy as np

from brainbody.body.adaptive_compensation import AdaptiveCompensation
from brainbody.body.drivetrain_check import FlankFit, check_trajectory, loaded_joints
from brainbody.body.wear_monitor import WearMonitor
from brainbody.body.backlash_identification import BacklashIdentification
from brainbody.body.drive_torque import DriveTorque
from brainbody.body.body_config import BodyConfig
from brainbody.body.fallback import Fallback
from brainbody.body.friction_check import FrictionCheck
from brainbody.body.friction_identification import DriveSampler, FrictionIdentification, torque_residual_nm
from brainbody.body.grip_force import GripForceController, GripMode
from brainbody.body.grip_force_source import PadSensorForce, check_grip_margin, grip_force_source
from brainbody.body.hardware import (CommandMode, GripForceSource, Hardware, HardwareState,
                                     check_capabilities)
from brainbody.body.joint_servo import JointServo
from brainbody.body.motor_thermal import MotorThermal, ThermalLimits, load_datasheets
from brainbody.body.object_weighing import ObjectWeighing
from brainbody.body.payload_weighing import PayloadWeighing
from brainbody.body.payload_identification import PayloadIdentification, tcp_gravity_regressor_nm_per_kg
from brainbody.body.primitive_executor import PrimitiveExecution
from brainbody.body.robot_model import ARM_JOINTS, RobotModel
from brainbody.body.runtime_monitor import MonitorCheck, MonitorTrip, RuntimeMonitor
from brainbody.body.safety_supervisor import SafetySupervisor
from brainbody.body.stop_latch import ResetOutcome, StopLatch, state_problem
from brainbody.body.torque_constant import TorqueConstantMonitor
from brainbody.body.trajectory_command import (PATH_CHECK_STEP_S, CommandLog, check_path_in_workspace,
                                               check_trajectory_command)
from brainbody.body.trajectory import BrakingTrajectory, SplineTrajectory
from brainbody.jit import max_abs_difference
from brainbody.exceptions import (BrainBodyError, BusyError, ErrorCode, ExecutionError, HardwareError,
                                  InvalidPrimitiveError, InvalidStateError, MonitorTripError)
from brainbody.lifecycle import Status
from brainbody.primitives import PrimitiveKind, TaskPrimitive
from brainbody.world import WorldModel, WorldObject

# The members compared every tick, looked up once: Python 3.11's Enum classes answer attribute
# lookups through a Python-level hook (60 ns a lookup, against 10 ns for a module global).
_POSITION_MODE, _EFFORT_MODE, _APPROACHING = CommandMode.POSITION, CommandMode.EFFORT, GripMode.APPROACH
_BACKLASH_ID_EVERY = 10     # control ticks per identification sample
_ADAPT_PERIOD_S = 1.0       # robot time between updates of the adaptive compensation
_DRIVE_ID_TICKS = 20        # control ticks averaged into one friction/payload identification sample
_FRICTION_REFRESH_SAMPLES = 50   # the payload step's friction is refreshed from the estimate this often
log = logging.getLogger(__name__)


def _planner_pause() -> None:
    """A path checked beside the control loop shares the GIL with it, and the loop hands the GIL
    over at each physics step or compiled kernel: without a pause the checker then kept it for
    Python's 5 ms switch interval each time, and the loop ticked at about 50 Hz, with pauses up
    to 0.2 s. A short sleep every 1.5 ms or so of checking lets the loop run meanwhile."""
    time.sleep(0.0002)
_SCALE_RATE_S = 0.1     # the motion speed scale changes by at most 1 in this time
_MAX_PERIODS_PER_TICK = 4.0   # a longer gap between samples counts as this many periods


@dataclasses.dataclass(frozen=True)
class PrimitiveReport:
    """What the body reports when a primitive ends."""

    status: Status
    error_code: int
    message: str
    duration_s: float
    peak_grip_force_n: float
    final_grip_force_n: float
    tool_position_m: tuple[float, float, float]


class BodyController:
    def __init__(self, config: BodyConfig, model: RobotModel, hardware: Hardware, *, backend: str = "embedded"):
        """Raises HardwareMismatchError when ``hardware`` cannot serve ``config``'s command mode
        or grip force source; nothing is commanded then."""
        check_capabilities(hardware.capabilities, backend=backend, command_mode=CommandMode(config.command_mode),
                           grip_force_source=GripForceSource(config.grip_force_source))
        self.grip_source = grip_force_source(config)    # refuses wrist_wrench
        self.config = config
        self.model = model
        self.hardware = hardware
        self.command_mode = CommandMode(config.command_mode)
        hardware.activate(self.command_mode)
        self.servo = JointServo(config, model, hardware.period_s)
        self.grip = GripForceController(config)
        # The held object weighed by the fingertip sensors (3-axis pads only).
        self.weighing = (ObjectWeighing() if isinstance(self.grip_source, PadSensorForce)
                         and hardware.capabilities.pad_force_3axis else None)
        self.supervisor = SafetySupervisor(config)
        self.world = WorldModel()
        self.lock = threading.RLock()
        # Trajectories are checked outside the loop's lock (a routine's path takes a third of a
        # second), one at a time, on kinematics data of their own.
        self._planning = threading.Lock()
        self._planner_data = model.new_data()
        self.state: HardwareState = hardware.read()
        self.q_cmd_rad = self.servo.start(self.state.q_rad)
        self.qd_cmd_radps = np.zeros(7)
        self._trajectory = None
        # Trajectories run on their own clock so the executor can slow them down (slip):
        # it advances by period x speed scale; the scale moves at most 1 per _SCALE_RATE_S.
        self._trajectory_time_s = self.state.time_s
        self.motion_speed_scale = 1.0
        self._late_scale = 1.0    # position mode, object in hand: slower while states come late
        self._applied_speed_scale = 1.0
        self.execution: Optional[PrimitiveExecution] = None
        self.holding: Optional[str] = None
        self.held_offset_m = 0.0
        self.lost_since_s: Optional[float] = None
        self._tcp_state: Optional[HardwareState] = None     # the sample _tcp_position_m is of
        self.ticks = 0
        self.control_cost_s = 0.0   # the last tick without the hardware step (wall clock)
        self.stale_ticks = 0      # ticks that found no new sample
        self.failed_ticks = 0     # ticks whose computation or hardware step raised (the body then holds)
        self._hardware_failing = False
        self._hold_pending = False  # a fault asked for a hold command not yet sent
        # Latched stops (e-stop, faults) and what became of streamed trajectories.
        self.stop_latch = StopLatch(rest_speed_radps=config.reset_max_joint_speed_radps)
        self.commands = CommandLog()
        self.invalid_state_ticks = 0  # ticks whose state sample had a non-finite value
        self._state_invalid = False   # the latest sample was non-finite (a spell is faulted once)
        self._stream: Optional[SplineTrajectory] = None   # a stream segment whose timeout is not noted yet
        # Runtime assurance: the monitor checks every command before write(); on a trip (or a
        # failed tick) the fallback drives the arm until /body/reset.
        effort = self.command_mode is CommandMode.EFFORT
        self.monitor = RuntimeMonitor(config, model, effort_mode=effort) if config.runtime_monitor else None
        self.fallback = Fallback(config, model, effort_mode=effort)
        self.monitor_trip: Optional[MonitorTrip] = None    # the trip that engaged the fallback
        # Motor temperatures, estimated from the torques written (so effort mode only: in
        # position mode the vendor's loop decides the currents and the body does not see them).
        sheets = load_datasheets(config.motor_datasheets) if effort else None
        self.thermal = (MotorThermal(
            sheets, ThermalLimits.from_config(config),
            effort_limit_nm=model.effort_limit_nm, housing_c=self.state.motor_housing_temp_c,
            protect=config.thermal_protection) if effort else None)
        # The motors' torque constant from their back-EMF (where the drives report their voltage).
        self.torque_constant = (TorqueConstantMonitor(sheets, warn_frac=config.torque_constant_warn_frac,
                                                      reference_nm_per_a=config.torque_constant_reference_nm_per_a)
                                if effort else None)
        # Lost motion seen directly by two encoders, where the robot has link encoders.
        # On the drive's torque where the body commands it (a sample every few ticks; the
        # acceleration across three of them), else on the model's.
        self.backlash_id = (BacklashIdentification(self.servo.compliance, model.effort_limit_nm,
                                                   DriveTorque(self.servo.friction.motor_side_nm,
                                                               self.servo.estimates.reflected_inertia_kgm2, 3)
                                                   if effort else None,
                                                   time_constant_s=config.backlash_id_time_constant_s)
                            if config.backlash_identification and self.state.q_link_rad is not None else None)
        # Friction and the hand's load seen in the commanded torque (effort mode: the body knows
        # the torque; in position mode the vendor's loop decides it).
        self.friction_id = (FrictionIdentification(min_speed_radps=config.friction_id_min_speed_radps,
                                                   time_constant_s=config.friction_id_time_constant_s)
                            if effort and config.friction_identification else None)
        # It takes the sliding friction off: only where friction is past its Stribeck region,
        # as for the friction estimate itself.
        self.payload_id = (PayloadIdentification(model.effort_limit_nm, min_speed_radps=config.friction_id_min_speed_radps)
                           if effort and config.payload_identification else None)
        # The hand's load weighed by the drives on request (a motion whose mean torque is its weight).
        self.drive_weighing = PayloadWeighing(model) if effort else None
        self._weigh_trajectory = None      # the weighing's motion being followed
        # Coulomb and viscous friction from constant-speed sweeps, on request (the gear ratios
        # set the motor revolutions its torques are averaged over).
        self.friction_check = (FrictionCheck(model, [sheet.ratio for sheet in load_datasheets(config.motor_datasheets)],
                                             self.servo.estimates.reflected_inertia_kgm2) if effort else None)
        self._friction_trajectory = None   # the friction check's motion being followed
        # The compensators follow those estimates (adaptive_compensation).
        self.adaptive = (AdaptiveCompensation(self.servo.estimates, self.servo.friction, self.servo.backlash)
                         if config.adaptive_compensation else None)
        self._next_adapt_s = -math.inf
        # Each joint's lost motion over the robot's life, from the drivetrain checks.
        self.wear = WearMonitor()
        self.operating_hours_offset = 0.0
        self._check_trajectory = None      # a drivetrain check being followed
        self._check_fit: Optional[FlankFit] = None     # and its samples
        # A finished check's fit, a least-squares pass a tick (FlankFit.fitting), and when it ended.
        self._check_fitting: Optional[Generator[None, None, np.ndarray]] = None
        self._check_ended_h = 0.0
        # The last check's lost motion per joint (rad; NaN: not identified), what the wear record took.
        self.last_check_width_rad = np.full(7, np.nan)
        self._drive_sampler = DriveSampler(_DRIVE_ID_TICKS)
        self._drive_samples = 0
        self._friction_now: Optional[tuple[np.ndarray, np.ndarray]] = None   # (Coulomb, viscous) in use
        self._payload_pending = None     # a sample whose payload step runs on the next tick
        self.monitor_trips = 0
        self.identification_failures = 0     # identifiers switched off after an exception
        self._last_arm: Optional[np.ndarray] = None
        self._last_finger: Optional[np.ndarray] = None

    # -- convenient views for the executor -----------------------------------------
    @property
    def time_s(self) -> float:
        return self.state.time_s

    @property
    def tcp_position_m(self) -> np.ndarray:
        """Measured tool position, computed at most once per sample (only when asked). Keyed on
        the sample itself: the tick counter moves only at a tick's end, so a read between ticks
        (a report, a new primitive's plan) was served again, one sample stale, inside the next."""
        if self._tcp_state is not self.state:
            self._tcp_position_m, _ = self.model.tcp_pose(self.state.q_rad)
            self._tcp_state = self.state
        return self._tcp_position_m

    @property
    def q_rad(self) -> np.ndarray:
        return self.state.q_rad

    @property
    def finger_opening_m(self) -> float:
        return float(np.mean(self.state.finger_pos_m))

    def grasp_height_above_base_m(self, obj: WorldObject) -> float:
        height = obj.size_m[2]
        return max(height - self.config.grasp_below_top_m, 0.5 * height)

    @property
    def trajectory_time_s(self) -> float:
        """Time on the trajectory clock (equals :attr:`time_s` unless motions were slowed)."""
        return self._trajectory_time_s

    def set_trajectory(self, trajectory) -> None:
        self._trajectory = trajectory
        self._trajectory_time_s = self.time_s

    # -- commands (any thread) ---------------------------------------------------------
    def update_world(self, objects: Sequence[WorldObject]) -> None:
        with self.lock:
            self.world.update(objects)

    def execute(self, primitive: TaskPrimitive) -> PrimitiveExecution:
        """Check and start a primitive.

        Raises:
            RequestError subclasses when refused; nothing moves then.
        """
        with self.lock:
            if self.execution is not None and not self.execution.status.done:
                raise BusyError(f"busy executing {self.execution.primitive.id!r}")
            if self.stop_latch.active:
                raise self.stop_latch.refusal()
            checked = self.supervisor.check(primitive, self.world, holding=self.holding)
            if checked.grip_force_n > 0.0:
                check_grip_margin(self.grip_source, checked.grip_force_n, checked.grip_limit_n, checked.obj.id)
            if self.thermal is not None:
                self.thermal.check(_thermal_horizon_s(checked), primitive.describe())
            self._trajectory = None
            if self._tracking_lost():
                # After a collision or a stop the old set-point is stale: start from here.
                self.q_cmd_rad = self.servo.link_estimate_rad(self.state.q_rad)
            self.execution = PrimitiveExecution(self, checked)
            log.info("executing %s", primitive.describe())
            return self.execution

    def cancel(self) -> None:
        with self.lock:
            if self.execution is not None:
                self.execution.cancel()
            self._hold_here()

    def abandon(self, execution: PrimitiveExecution, error: BrainBodyError) -> None:
        """The commander of ``execution`` is gone (see ``body/liveness.py``): the primitive fails
        with ``error``'s code and the arm brakes to a hold as for a cancel; a held object stays
        gripped. Nothing latches: the body and the arm are sound, only the client went away,
        and a new brain must be able to take over without an operator's reset. A set-down the
        body started on its own (a slipping object) is its own safety motion: it finishes."""
        with self.lock:
            if execution is not self.execution or execution.status.done or execution.setting_down:
                return
            execution.abort(error)
            self._hold_here()

    def fault(self, error: BrainBodyError) -> None:
        """A fault below the body (no fresh hardware state): the running primitive fails with
        ``error``'s code, a streamed trajectory stops, and the arm holds where it was last
        measured (without feedback the body cannot follow a braking curve); a held object
        stays gripped. The fault latches: motion is refused until :meth:`reset`."""
        with self.lock:
            self.stop_latch.latch_fault(error)
            self.supervisor.estop_active = True
            if self.execution is not None:
                self.execution.abort(error)
            self._trajectory = None
            self.q_cmd_rad = self.servo.link_estimate_rad(self.state.q_rad)
            self.qd_cmd_radps = np.zeros(7)
            self._hold_pending = True

    def estop(self) -> None:
        """Latch the emergency stop: the running primitive is canceled and the arm brakes to a
        hold from the next tick on; a held object stays gripped. Only :meth:`reset` clears it."""
        with self.lock:
            self.stop_latch.latch_estop()
            self.supervisor.estop_active = True
            self.cancel()

    def reset(self, *, state_error: Optional[str] = None) -> ResetOutcome:
        """Clear a latched stop or fault (``/body/reset``) if the arm is at rest and its state sane.

        Args:
            state_error: why the adapter cannot trust the current state (e.g. it is stale);
                the reset is refused then.

        Returns:
            success and a sentence: what was cleared, or why the reset was refused.
        """
        with self.lock:
            if self._state_invalid:
                state_error = state_error or "the latest hardware state was non-finite"
            if state_error is None and self.monitor is not None and self.stop_latch.active:
                state_error = self.monitor.unsafe_reason()
            braking = self._trajectory is not None or self.fallback.braking(self.state.time_s)
            outcome = self.stop_latch.reset(self.state, braking=braking, state_error=state_error)
            self.supervisor.estop_active = self.stop_latch.active
            if outcome.success and self.fallback.active:
                # Control returns to the servo, from where the arm is now.
                self.fallback.release()
                self.monitor_trip = None
                self._trajectory = None
                self.q_cmd_rad = self.servo.link_estimate_rad(self.state.q_rad)
                self.qd_cmd_radps = np.zeros(7)
                self.servo.reset_integral()
            return outcome

    def command_trajectory(self, joint_names, stamp_s: float, points) -> int:
        """Check and follow one ``/body/joint_trajectory`` message, given as plain values
        (see :func:`check_trajectory_command`); the outcome goes into :attr:`commands`.

        Returns:
            the number of points followed.

        Raises:
            BrainBodyError: the refusal, with its code; the arm carries on as before.
        """
        try:
            command = check_trajectory_command(
                joint_names, stamp_s, self.time_s, points, arm_joints=ARM_JOINTS,
                max_age_s=self.config.max_command_age_s, max_lead_s=self.config.max_command_lead_s)
            self.follow_trajectory(command.times_s, command.positions_rad, command.velocities_radps)
        except BrainBodyError as exc:
            with self.lock:
                self.commands.refuse(exc, self.time_s)
            raise
        with self.lock:
            self.commands.accept()
        return len(command.times_s)

    def check_drivetrain(self) -> float:
        """Start the drivetrain check (``body/drivetrain_check.py``): a motion that loads every
        gear stage both ways, so the lost-motion identification sees each gap. Returns its
        duration (s of robot time).

        Raises:
            RequestError: no link encoders to identify with, an object in the hand, or what
                :meth:`follow_trajectory` refuses (busy, a latched stop, limits, workspace).
        """
        if self.backlash_id is None:
            raise InvalidPrimitiveError("drivetrain check: this robot reports no link encoders (or lost-motion "
                                        "identification is off), so there is nothing to identify")
        if self.holding is not None:
            raise InvalidPrimitiveError(f"drivetrain check: the hand holds {self.holding!r}; put it down first")

        def install(trajectory) -> None:
            self._check_trajectory = trajectory
            # The drive's torque where the body commands it; the model's in position mode.
            drive = self.command_mode is CommandMode.EFFORT
            rotor = self.servo.estimates.reflected_inertia_kgm2
            self._check_fit = FlankFit(self.servo.compliance, self.model.effort_limit_nm,
                                       self.servo.friction.motor_side_nm if drive else None,
                                       rotor if drive else None, joints=loaded_joints(self.model, rotor))

        return self._start_routine("drivetrain check", lambda: check_trajectory(self.q_cmd_rad), install)

    def weigh_payload(self) -> float:
        """Start weighing the hand's load with the drives (``body/payload_weighing.py``): with the
        hand empty a tare at this pose, holding an object its mass, at the tare's pose. Returns
        the motion's duration (s of robot time); the result is in :attr:`drive_weighing`.

        Raises:
            RequestError: position mode (the vendor's loop decides the torque), an object held
                with no tare or far from the tare's pose, or what :meth:`follow_trajectory`
                refuses (busy, a latched stop, limits, workspace, temperature); BusyError
                while a weighing runs.
        """
        if self.drive_weighing is None:
            raise InvalidPrimitiveError("weigh payload: in position mode the vendor's loop decides the motor "
                                        "torque and the body does not see it, so it cannot weigh with the drives")
        def plan():
            if self._weigh_trajectory is not None:
                raise BusyError(f"weigh payload: already {self.drive_weighing.message}")
            return self.drive_weighing.plan(self.q_cmd_rad, self.time_s, self.holding)

        return self._start_routine("weigh payload", plan, lambda t: setattr(self, "_weigh_trajectory", t),
                                   self.drive_weighing.abandon)

    def check_friction(self) -> float:
        """Start the friction check (``body/friction_check.py``): every joint swept at constant
        speeds both ways; its Coulomb and viscous estimates are in :attr:`friction_check`.
        Returns the motion's duration (s of robot time).

        Raises:
            RequestError: position mode (the vendor's loop decides the motor torque), an object
                in the hand, another check or a weighing running, or what
                :meth:`follow_trajectory` refuses (busy, a latched stop, limits, workspace,
                temperature).
        """
        if self.friction_check is None:
            raise InvalidPrimitiveError("friction check: in position mode the vendor's loop decides the motor "
                                        "torque and the body does not see it, so it cannot measure friction")
        def plan():
            if self._friction_trajectory is not None:
                raise BusyError(f"friction check: already {self.friction_check.message}")
            return self.friction_check.plan(self.q_cmd_rad, self.time_s, self.holding)

        return self._start_routine("friction check", plan, lambda t: setattr(self, "_friction_trajectory", t),
                                   self.friction_check.abandon)

    def _start_routine(self, routine: str, plan, install, abandon=None) -> float:
        """Start a maintenance routine's motion: ``plan()`` (times, points[, velocities]) under
        the loop's lock, from the command at that moment, which is also the trajectory's start
        (the routine's clock and the trajectory's agree); the path checked outside the lock
        (:meth:`follow_trajectory`), then installed with ``install(trajectory)`` marking it as
        the routine's, so the loop never follows it unmarked. No other routine or trajectory
        starts meanwhile. A refusal (limits, workspace, a latched stop, a primitive...) is also
        the routine's end, which ``abandon`` records, and is raised. Returns the motion's
        duration (s of robot time)."""
        with self._planning:
            with self.lock:
                self._refuse_during_another_routine(routine)
                times, points, *velocities = plan()
                start = self._command_now()
            try:
                self._follow(times, points, velocities[0] if velocities else None, start, install)
            except BrainBodyError as exc:
                if abandon is not None:
                    abandon(f"refused: {exc}")
                raise
        return times[-1]

    def _refuse_during_another_routine(self, routine: str) -> None:
        """The maintenance routines (drivetrain check, payload weighing, friction check) each move
        the arm on a trajectory of their own: one started while another runs would end it."""
        if routine != "drivetrain check" and self._check_trajectory is not None \
                and self._trajectory is self._check_trajectory:
            raise BusyError(f"{routine}: the drivetrain check is running")
        if routine != "weigh payload" and self._weigh_trajectory is not None:
            raise BusyError(f"{routine}: the payload weighing is {self.drive_weighing.message}")
        if routine != "friction check" and self._friction_trajectory is not None:
            raise BusyError(f"{routine}: the friction check is running")

    @property
    def operating_hours(self) -> float:
        """The robot's operating time (h): this run's plus what :meth:`resume_wear` carried over."""
        return self.operating_hours_offset + self.time_s / 3600.0

    def resume_wear(self, monitor: WearMonitor, operating_hours: float) -> None:
        """Continue a robot's wear record (from an earlier run) at ``operating_hours``."""
        self.wear = monitor
        self.operating_hours_offset = float(operating_hours) - self.time_s / 3600.0

    def _check_completed(self) -> None:
        """A drivetrain check ran to its end: its fit starts, a pass a tick (the whole fit, 10-30
        ms, in one tick would miss periods on a topic backend); :meth:`_fit_check` takes it on."""
        self._check_trajectory = None
        fit, self._check_fit = self._check_fit, None
        self._check_fitting, self._check_ended_h = fit.fitting(), self.operating_hours

    @property
    def check_fit_pending(self) -> bool:
        """A finished drivetrain check's fit is still being computed (its estimates not out yet)."""
        return self._check_fitting is not None

    def _fit_check(self) -> None:
        """One pass of the finished check's fit; at its end its lost-motion estimates become the
        published ones and go to the wear record, dated when the check ended."""
        try:
            next(self._check_fitting)
            return
        except StopIteration as done:
            width = done.value
        except Exception:     # the record only reports: never the arm's problem
            self._check_fitting = None
            log.exception("drivetrain check: its fit failed; no estimate taken")
            return
        self._check_fitting = None
        try:
            self.last_check_width_rad = width
            if self.backlash_id is not None:
                self.backlash_id.adopt(width)
            self.wear.add_check(self._check_ended_h, width)
        except Exception:
            log.exception("wear record: the drivetrain check's estimates were not taken")

    def follow_trajectory(self, times_s, positions_rad, velocities_radps=None, *,
                          on_install: Optional[Callable[[SplineTrajectory], None]] = None) -> None:
        """Stream a joint trajectory (``/body/joint_trajectory``) for the arm. It replaces the
        one being followed and continues from the commanded position and velocity. A
        trajectory ending with a non-zero velocity is a stream segment: past its last point
        the arm coasts ``trajectory_stream_timeout_s`` waiting for the next, then brakes to a
        hold (see :class:`SplineTrajectory`); that stop is part of the checked path.

        Raises:
            RequestError subclasses for malformed input, a path (not only its goal) outside
            the joint limits or the workspace, too-fast input, when busy with a primitive, or
            while a stop is latched; OverTemperatureError when a joint is derated or would pass
            a thermal bound before the trajectory ends; what ``on_install`` raises. Nothing is
            installed then.

        The path is built and checked (about 25 us per 10 ms of it: a third of a second for the
        friction check's) without the control loop's lock, from the commanded state when the call
        came, when the arm is held; the loop holds it meanwhile. The trajectory is then installed
        under the lock, where ``on_install`` marks it (a routine's), and starts from its beginning.
        While a trajectory is followed (a stream's next segment), or if the commanded state moved
        on meanwhile, the path is built from where the command is, under the lock: streamed
        segments are short.
        """
        with self._planning:
            with self.lock:
                start = self._command_now()
            self._follow(times_s, positions_rad, velocities_radps, start, on_install)

    def _command_now(self) -> tuple:
        """The commanded state a trajectory starts from (q, qd, time), and whether it moves."""
        return (self.q_cmd_rad.copy(), self.qd_cmd_radps.copy(), self.time_s,
                self._trajectory is not None or bool(np.any(self.qd_cmd_radps)))

    def _follow(self, times_s, positions_rad, velocities_radps, start: tuple, on_install) -> None:
        """:meth:`follow_trajectory` from ``start`` (:meth:`_command_now`), under the planning lock."""
        *start, moving = start
        with self.lock:
            self._refuse_motion()       # before the check, as again before the start
        # A moving command (a stream's next segment) would have moved on: checked under the lock below.
        trajectory = (None if moving else
                      self._checked_path(times_s, positions_rad, velocities_radps, *start, pause=_planner_pause))
        with self.lock:
            self._refuse_motion()
            if trajectory is None or not (np.array_equal(start[0], self.q_cmd_rad)
                                          and np.array_equal(start[1], self.qd_cmd_radps)):
                start = (self.q_cmd_rad.copy(), self.qd_cmd_radps.copy(), self.time_s)
                trajectory = self._checked_path(times_s, positions_rad, velocities_radps, *start)
            if self.thermal is not None:
                self.thermal.check(trajectory.stop_time_s - start[2], "joint trajectory")
            if on_install is not None:
                on_install(trajectory)
            self._trajectory = trajectory
            self._trajectory_time_s = start[2]        # the trajectory's own clock: from its start
            self._stream = trajectory if trajectory.is_stream else None

    def _refuse_motion(self) -> None:
        if self.stop_latch.active:
            raise self.stop_latch.refusal()
        if self.execution is not None and not self.execution.status.done:
            raise BusyError(f"busy executing {self.execution.primitive.id!r}")

    def _checked_path(self, times_s, positions_rad, velocities_radps, q_rad, qd_radps, time_s, *,
                      pause: Optional[Callable[[], None]] = None) -> SplineTrajectory:
        """The trajectory from the commanded state (``q_rad``, ``qd_radps`` at ``time_s``),
        within the joint limits and speeds and, every 10 ms of it, the workspace (on the
        planner's own kinematics data; ``pause`` now and then, see :func:`_planner_pause`)."""
        trajectory = SplineTrajectory(
            times_s, positions_rad, velocities_radps, q_rad, time_s,
            lower_rad=self.model.lower_rad, upper_rad=self.model.upper_rad,
            max_velocity_radps=self.model.velocity_limit_radps, start_qd_radps=qd_radps,
            stream_coast_s=self.config.trajectory_stream_timeout_s,
            stop_deceleration_radps2=self.config.stop_deceleration_radps2)
        check_path_in_workspace(trajectory.check_times_s(PATH_CHECK_STEP_S), trajectory.sample,
                                lambda q: self.model.tcp_pose(q, self._planner_data)[0],
                                workspace_min_m=self.config.workspace_min_m,
                                workspace_max_m=self.config.workspace_max_m, pause=pause)
        return trajectory

    def report(self, execution: PrimitiveExecution) -> PrimitiveReport:
        error = execution.error
        return PrimitiveReport(
            status=execution.status, error_code=int(error.code) if error else 0,
            message=error.message if error else f"{execution.primitive.describe()}: done",
            duration_s=self.time_s - execution.start_time_s, peak_grip_force_n=self.grip.peak_force_n,
            final_grip_force_n=self.grip.measured_force_n,
            tool_position_m=tuple(float(v) for v in self.tcp_position_m))

    # -- the loop ------------------------------------------------------------------------
    def tick(self) -> None:
        """One control period: read, decide, write, step the hardware. ``control_cost_s``: what
        it cost without the hardware's step (wall clock)."""
        t0 = time.perf_counter()
        with self.lock:
            state = self._fresh_state()
            if state is not None:
                self._control(state)
        self.control_cost_s = time.perf_counter() - t0
        self._step_hardware()

    def _fresh_state(self) -> Optional[HardwareState]:
        """The hardware's sample to act on, or None: nothing new to act on this period."""
        state = self.hardware.read()
        if self._refuse_non_finite(state):
            # Refused: one hold command from the last finite sample when the fault asks for
            # it, else nothing new (the last command stands, as for a late sample).
            return self.state if self._hold_pending else None
        if self.ticks and not state.time_s > self.state.time_s and not self._hold_pending:
            # No new sample (a topic backend's state is late): nothing to integrate and no
            # time has passed on the robot's clock. The last command stands (controllers
            # hold it); ticking on would wind the integrators up and run the set-point
            # ahead of an arm nobody is watching. A fault in the meantime (the state went
            # stale) sends one hold command computed from the last sample.
            self.stale_ticks += 1
            return None
        return state

    def _control(self, state: HardwareState) -> None:
        """Decide, check and write one command from ``state``; advance the trajectory clock."""
        dt = self._measured_period_s(state.time_s)
        self.state = state
        try:
            if self.thermal is not None:
                self.thermal.update(dt, state.motor_housing_temp_c, drive_current_a=state.drive_current_a,
                                    drive_voltage_v=state.drive_voltage_v, joint_speed_radps=state.qd_radps)
                if state.drive_voltage_v is not None and state.drive_current_a is not None:
                    self.torque_constant.update(dt, state.drive_current_a, state.drive_voltage_v, state.qd_radps,
                                                self.thermal.magnet_est_c)
            arm, finger = self._decide(state, dt)
        except Exception as exc:     # never a dead loop: the fallback holds, say why, run on
            log.exception("control tick failed; the fallback holds")
            self.failed_ticks += 1
            self._engage_fallback(state, ExecutionError(f"control tick failed ({exc!r}); holding",
                                                        code=ErrorCode.INTERNAL))
            arm = finger = None
        arm, finger = self._assure(state, dt, arm, finger)
        if arm is not None:
            written = self._for_the_drives(arm)
            self.hardware.write(written, finger)
            self._hold_pending = False
            self._last_arm, self._last_finger = arm, finger
            if self.monitor is not None:          # what reaches the joints (a clipped weak drive: less)
                self.monitor.wrote(arm if written is arm else written * self.adaptive.torque_share)
            if self.thermal is not None:
                self.thermal.wrote(written)       # what the drives' currents are
        self.ticks += 1
        self._govern_late_states(dt)
        scale = min(self.motion_speed_scale, self._late_scale)
        if self._applied_speed_scale != scale:
            step = dt / _SCALE_RATE_S
            self._applied_speed_scale += min(max(scale - self._applied_speed_scale, -step), step)
        # Position mode: the vendor loop ramps to each set-point over one command period, so
        # a trajectory advanced by a late state's whole gap reached its next set-point at
        # several times the planned speed (0.45-0.6 m/s at the tool, towards the table, in
        # wall-paced demos on a loaded machine). There a late state slows the motion instead:
        # each command moves the trajectory on by at most one nominal period.
        advance_s = min(dt, self.hardware.period_s) if self.command_mode is _POSITION_MODE else dt
        self._trajectory_time_s += advance_s * self._applied_speed_scale

    def _step_hardware(self) -> None:
        """The hardware's own period. A backend that fails there (a simulator process that
        ended) faults the body, once a spell: the running primitive fails with the error's code,
        the arm holds, and the loop runs on (each failing period counts as a failed tick)."""
        try:
            self.hardware.step()
        except HardwareError as exc:
            self.failed_ticks += 1
            if not self._hardware_failing:
                self._hardware_failing = True
                log.error("hardware step failed: %s; holding", exc)
                self.fault(exc)
            return
        self._hardware_failing = False

    def _for_the_drives(self, arm: np.ndarray) -> np.ndarray:
        """The arm command as written: scaled up on a joint whose motor was found demagnetised
        (adaptive compensation; its drive converts torque to current with the datasheet's
        constant), within the joints' effort limits."""
        if self.adaptive is None or not self.adaptive.scales_torque or self.command_mode is not _EFFORT_MODE:
            return arm
        limit = self.model.effort_limit_nm
        return np.clip(arm / self.adaptive.torque_share, -limit, limit)

    def _govern_late_states(self, dt: float) -> None:
        """Position mode with an object in hand: while a state is late the vendor loop holds
        its last set-point, which stops the arm dead, and at carrying speed the object's inertia
        then pushes on one jaw (over a newton with the full cup: enough, on top of the grip, to
        crush it). Each late state halves the motion speed, down to ``late_state_speed_scale``;
        punctual states bring it back over ``late_state_recovery_s``."""
        c = self.config
        if self.command_mode is not _POSITION_MODE or self.holding is None:
            self._late_scale = 1.0
        elif dt > 1.5 * self.hardware.period_s:
            self._late_scale = max(0.5 * self._late_scale, c.late_state_speed_scale)
        elif self._late_scale < 1.0:
            self._late_scale = min(1.0, self._late_scale + dt / c.late_state_recovery_s)

    def _assure(self, state: HardwareState, dt: float, arm: Optional[np.ndarray],
                finger: Optional[np.ndarray]) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        """The runtime monitor checks the decision; on a trip, or while the fallback is engaged,
        the fallback's command replaces it. Never raises (a failing check engages the fallback)."""
        grip_ok = finger is not None
        try:
            if self.monitor is not None:
                thermal = self.thermal
                trip = self.monitor.update(state, arm, dt, grip_limit_n=self._grip_limit_n(),
                                           winding_c=None if thermal is None else thermal.winding_est_c,
                                           magnet_c=None if thermal is None else thermal.magnet_est_c)
                if trip is not None and not self.fallback.active:
                    self.monitor_trip, self.monitor_trips = trip, self.monitor_trips + 1
                    log.error("runtime monitor: %s; the fallback brakes to a hold", trip.message)
                    self._engage_fallback(state, MonitorTripError(
                        f"{trip.message}; braking to a hold, /body/reset to resume", code=trip.code))
                grip_ok = grip_ok and not (self.fallback.active and self.monitor_trip is not None
                                           and self.monitor_trip.check is MonitorCheck.GRIP_FORCE)
        except Exception as exc:
            log.exception("runtime monitor failed; the fallback holds")
            self.failed_ticks += 1
            self._engage_fallback(state, ExecutionError(f"runtime monitor failed ({exc!r}); holding",
                                                        code=ErrorCode.INTERNAL))
        if not self.fallback.active:
            return arm, finger
        squeeze = self.grip.target_force_n if self.grip.mode is GripMode.REGULATE else 0.0
        return self.fallback.command(state, finger if grip_ok else None, squeeze_n=squeeze)

    def _engage_fallback(self, state: HardwareState, error: BrainBodyError) -> None:
        """Latch ``error``, fail the running primitive with it, end any trajectory and hand the
        arm to the fallback (once: a later fault while it drives is only latched)."""
        self.stop_latch.latch_fault(error)
        self.supervisor.estop_active = True
        if self.execution is not None:
            self.execution.abort(error)
        self._trajectory = None
        self._stream = None
        if not self.fallback.active:
            self.fallback.engage(state, error, last_arm=self._last_arm, last_finger=self._last_finger)
            self.q_cmd_rad = np.array(state.q_rad, dtype=float)
            self.qd_cmd_radps = np.zeros(7)

    def _grip_limit_n(self) -> float:
        """The grip force limit of the object held or being grasped (world model), else the hand's."""
        limit = self.config.gripper_max_force_n
        obj_id = self.holding
        if obj_id is None and self.execution is not None and not self.execution.status.done:
            obj = self.execution.checked.obj
            obj_id = obj.id if obj is not None and self.execution.checked.grip_force_n > 0.0 else None
        if obj_id is not None and obj_id in self.world:
            limit = min(limit, float(self.world.get(obj_id).max_grip_force_n))
        return limit

    def _decide(self, state: HardwareState, dt: float) -> tuple[Optional[np.ndarray], np.ndarray]:
        """Advance the primitive or trajectory and compute this period's arm and finger command
        (no arm command while the fallback drives the arm: the servo stays out of it)."""
        if self.execution is not None and not self.execution.status.done:
            status = self.execution.step()
            if status.done and status is not Status.SUCCEEDED:
                self._hold_here()
            elif status.done and self.weighing is not None and self.holding is not None \
                    and self.execution.checked.kind is PrimitiveKind.LIFT:
                self.weighing.weigh(state.time_s)     # lifted clear and come to rest
        if self._trajectory is not None:
            q_des, qd_des = self._trajectory.sample(self._trajectory_time_s)
            self.q_cmd_rad = q_des
            self.qd_cmd_radps = qd_des if self._applied_speed_scale == 1.0 else qd_des * self._applied_speed_scale
            if self._stream is self._trajectory and self._trajectory_time_s >= self._stream.stream_timeout_time_s:
                # The stream stopped: its segment's checked tail brakes the arm to a hold.
                self._stream = None
                self.commands.stream_timed_out(ExecutionError(
                    f"joint trajectory stream: no continuation within {self.config.trajectory_stream_timeout_s:g} s "
                    "of the last point (it ended with a non-zero velocity); braking to a hold",
                    code=ErrorCode.TIMEOUT), state.time_s)
                log.warning("%s", self.commands.last_message)
            if self._trajectory.done(self._trajectory_time_s):
                if self._trajectory is self._check_trajectory and self.backlash_id is not None:
                    self._check_completed()
                if self._trajectory is self._weigh_trajectory:
                    self._weighing_completed(state.time_s)
                if self._trajectory is self._friction_trajectory:
                    self._friction_check_completed()
                self._trajectory = None
                self.qd_cmd_radps = np.zeros(7)
        if self.fallback.active:
            arm = None
        elif self.command_mode is _POSITION_MODE:
            arm = self.servo.motor_setpoint(self.q_cmd_rad, self.qd_cmd_radps, state.q_rad, dt)
        else:
            arm = self.servo.torque(self.q_cmd_rad, self.qd_cmd_radps, state.q_rad, state.qd_radps, dt)
            if self.thermal is not None:
                # Derated before the monitor sees it: what it checks is what reaches the joints.
                arm = self.thermal.derate(arm, None if self.adaptive is None else self.adaptive.torque_share)
        if self._check_fitting is not None:
            self._fit_check()
        if arm is not None:
            self._identify(state, arm, dt)
        if self._weigh_trajectory is not None:
            self._follow_weighing(arm)
        if self._friction_trajectory is not None:
            self._follow_friction_check(state, arm)
        pad_force, pad_force_xyz, touching = self.grip_source.measure(state, dt,
                                                                      free=self.grip.in_free_air)
        if self.weighing is not None:
            approaching = self.grip.mode is _APPROACHING
            if approaching or self.holding is not None:
                self.weighing.update(state.time_s, dt, approaching, self.grip_source.offset_xyz_n,
                                     state.qd_radps, state.pad_force_xyz_n)
        finger = self.grip.update(state.time_s, dt, state.finger_pos_m, state.finger_vel_mps, pad_force,
                                  pad_force_xyz, touching)
        if not math.isfinite(sum(finger.tolist())):    # the servo guarantees a finite arm command
            # Never written: the tick fails (INTERNAL) and the hold is computed instead.
            raise ExecutionError(f"non-finite finger command {finger}", code=ErrorCode.INTERNAL)
        return arm, finger

    def _weighing_completed(self, time_s: float) -> None:
        """The weighing's motion ran to its end: its result (it only reports: a failure to
        conclude is said on /diagnostics, never the arm's problem)."""
        self._weigh_trajectory = None
        try:
            self.drive_weighing.finish(time_s)
        except Exception as exc:
            log.exception("payload weighing: no result")
            self.drive_weighing.abandon(f"no result ({exc!r})")

    def _follow_weighing(self, arm: Optional[np.ndarray]) -> None:
        """The weighing's share of a tick: its torque sample, or its end when its motion was
        replaced (a primitive, another trajectory, a stop) or the fallback took the arm."""
        if self._trajectory is not self._weigh_trajectory or arm is None:
            self._weigh_trajectory = None
            self.drive_weighing.abandon("its motion was replaced or stopped before its end")
            return
        try:
            self.drive_weighing.add(self._trajectory_time_s, arm,
                                    None if self.thermal is None else self.thermal.magnet_est_c)
        except Exception as exc:     # it only reports: the arm finishes the weighing's motion
            log.exception("payload weighing: a sample failed; the weighing concludes nothing")
            self._weigh_trajectory = None
            self.drive_weighing.abandon(f"a sample failed ({exc!r})")

    def _friction_check_completed(self) -> None:
        """The friction check's motion ran to its end: its estimates (it only reports: a
        failure to conclude is said on /diagnostics, never the arm's problem)."""
        self._friction_trajectory = None
        try:
            self.friction_check.finish()
        except Exception as exc:
            log.exception("friction check: no result")
            self.friction_check.abandon(f"no result ({exc!r})")

    def _follow_friction_check(self, state: HardwareState, arm: Optional[np.ndarray]) -> None:
        """The friction check's share of a tick: its sample, or its end when its motion was
        replaced (a primitive, another trajectory, a stop) or the fallback took the arm."""
        if self._trajectory is not self._friction_trajectory or arm is None:
            self._friction_trajectory = None
            self.friction_check.abandon("its motion was replaced or stopped before its end")
            return
        try:
            self.friction_check.add(self._trajectory_time_s, state.q_rad, state.qd_radps, arm)
        except Exception as exc:     # it only reports: the arm finishes the checked motion
            log.exception("friction check: a sample failed; the check concludes nothing")
            self._friction_trajectory = None
            self.friction_check.abandon(f"a sample failed ({exc!r})")

    def _identify(self, state: HardwareState, arm: np.ndarray, dt: float) -> None:
        """The drivetrain identifiers' share of a tick. They only report (/diagnostics) and move
        nothing, so one that fails is switched off with a log line; the arm and the running
        primitive carry on (the tick's own failure path would hold the arm and fail it)."""
        try:
            if self.backlash_id is not None and state.q_link_rad is not None \
                    and self.ticks % _BACKLASH_ID_EVERY == 0:
                # A slow estimate: a sample every few ticks is plenty and keeps the tick short.
                self.backlash_id.update(state.q_rad, state.q_link_rad, self.servo.transmitted_torque_nm,
                                        dt * _BACKLASH_ID_EVERY, time_s=state.time_s, velocity_radps=state.qd_radps,
                                        command_nm=arm)
            if self._check_fit is not None and self._trajectory is self._check_trajectory \
                    and self.backlash_id is not None and state.q_link_rad is not None:
                # Every tick: the check is short, and its fit wants the light loads it passes quickly.
                effort = self.command_mode is CommandMode.EFFORT
                self._check_fit.add(state.time_s, state.q_rad, state.q_link_rad, state.qd_radps,
                                    arm if effort else self.servo.transmitted_torque_nm,
                                    self.servo.transmitted_torque_nm if effort else None)
            if self.friction_id is not None or self.payload_id is not None:
                self._identify_drive(state, arm, dt)
            if self.adaptive is not None and state.time_s >= self._next_adapt_s:
                self._next_adapt_s = state.time_s + _ADAPT_PERIOD_S
                self.adaptive.follow(None if self.friction_id is None else self.friction_id.coulomb_nm,
                                     None if self.backlash_id is None else self.backlash_id.width_rad,
                                     None if self.friction_check is None else self.friction_check.viscous_nms_per_rad,
                                     None if self.torque_constant is None else self.torque_constant.delivered_share)
                if self.monitor is not None:
                    self.monitor.use_torque_share(self.adaptive.torque_share)
        except Exception:
            log.exception("drivetrain identification failed: switched off, the arm carries on")
            self.identification_failures += 1
            self.backlash_id = self.friction_id = self.payload_id = None
            if self.adaptive is not None:    # back to the datasheet: no estimate to follow any more
                self.adaptive.follow(np.full(7, np.nan), np.full(7, np.nan))   # the check's viscous stands

    def _identify_drive(self, state: HardwareState, arm: np.ndarray, dt: float) -> None:
        """Feeds the torque written to the friction and payload identification: a sample every
        few ticks (the model's dynamics run once per sample, not per tick), its friction step on
        the tick that completes it and its payload step on the next (no tick carries both)."""
        sample = self._drive_sampler.add(state.q_rad, state.qd_radps, arm, dt)
        if self._payload_pending is not None:
            self._identify_payload(*self._payload_pending)
            self._payload_pending = None
        if sample is None:
            return
        residual = torque_residual_nm(self.model, self.servo.estimates.reflected_inertia_kgm2, sample)
        if self.friction_id is not None:
            self.friction_id.update(sample.qd_radps, sample.qdd_radps2, residual, sample.dt_s, sample.steady)
        self._drive_samples += 1
        if self._friction_now is None or self._drive_samples % _FRICTION_REFRESH_SAMPLES == 0:
            # The friction the payload step takes off: identified where observed, else the datasheet's.
            estimates = self.servo.estimates
            coulomb, viscous = estimates.coulomb_nm + estimates.output_coulomb_nm, estimates.viscous_nms_per_rad
            if self.friction_id is not None:
                coulomb = np.where(np.isfinite(c := self.friction_id.coulomb_nm), c, coulomb)
                viscous = np.where(np.isfinite(v := self.friction_id.viscous_nms_per_rad), v, viscous)
            self._friction_now = (coulomb, viscous)
        if self.payload_id is not None:
            self._payload_pending = (sample, residual)

    def _identify_payload(self, sample, residual: np.ndarray) -> None:
        coulomb, viscous = self._friction_now
        friction = coulomb * np.sign(sample.qd_radps) + viscous * sample.qd_radps
        self.payload_id.update(sample.q_rad, sample.qd_radps, residual, friction, coulomb,
                               tcp_gravity_regressor_nm_per_kg(self.model, sample.q_rad), sample.dt_s,
                               holding=self.holding is not None)

    def _refuse_non_finite(self, state: HardwareState) -> bool:
        """True when ``state`` holds a non-finite value: it must not reach the servo (NaN angles
        would become NaN torques). The first sample of such a spell faults the body with
        HARDWARE_STATE_INVALID: the running primitive fails and the arm holds on the last
        finite sample, a held object stays gripped; the fault latches until :meth:`reset`."""
        problem = state_problem(state)
        if problem is None:
            self._state_invalid = False
            return False
        self.invalid_state_ticks += 1
        if not self._state_invalid:
            self._state_invalid = True
            log.error("%s: holding on the last finite sample", problem)
            self.fault(InvalidStateError(f"{problem}: holding on the last finite sample"))
        return True

    def _measured_period_s(self, time_s: float) -> float:
        """The period since the last sample, from the hardware clock. The nominal period when
        there is none (the first tick) or the clock did not advance; at most a few nominal
        periods, so a late sample cannot kick the integrators."""
        nominal = self.hardware.period_s
        dt = time_s - self.state.time_s
        if not dt > 0.0:          # also NaN
            return nominal
        return min(dt, _MAX_PERIODS_PER_TICK * nominal)

    def _tracking_lost(self) -> bool:
        return max_abs_difference(self.q_cmd_rad, self.state.q_rad) > self.config.tracking_error_limit_rad

    def _hold_here(self) -> None:
        """Stop the arm (the grip loop keeps holding any object).

        Tracking well: brake along the commanded motion to rest and hold there. Tracking
        lost (a collision, a stall): hold where the arm actually is.
        """
        if self._tracking_lost() or not np.any(self.qd_cmd_radps):
            self._trajectory = None
            self.q_cmd_rad = self.servo.link_estimate_rad(self.state.q_rad)
            self.qd_cmd_radps = np.zeros(7)
            return
        # The brake starts at the last state, or where the trajectory clock is if that runs behind
        # (a slowed motion; a routine installed from the time its path began to be checked):
        # started later than the clock, the brake would wait for the clock to reach it.
        self._trajectory = BrakingTrajectory(self.q_cmd_rad, self.qd_cmd_radps,
                                             min(self.state.time_s, self._trajectory_time_s),
                                             self.config.stop_deceleration_radps2)


def _thermal_horizon_s(checked) -> float:
    """How long a primitive may load the motors: a wait its duration, anything else up to its
    timeout (the executor fails it then)."""
    if checked.kind is PrimitiveKind.WAIT:
        return min(checked.primitive.duration_s, checked.timeout_s)
    return checked.timeout_s
