"""The simulated hardware: MuJoCo stepped in lock-step with the control loop.

Implements :class:`brainbody.body.hardware.Hardware`. Besides the sensors a real arm
has, it offers what a perception node would publish (object poses) and, for tests and
the demo only, the ground-truth judge of the cup.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import mujoco
import numpy as np

from brainbody.body.hardware import HardwareCapabilities, HardwareState
from brainbody.jit import kernel
from brainbody.sim.coffee_machine import CoffeeMachine
from brainbody.sim.drivetrain import Drivetrain, encoder_readings
from brainbody.sim.ground_truth import CupJudge, CupVerdict
from brainbody.sim.obstacle import Obstacle
from brainbody.sim.plant_realism import HonestPlant
from brainbody.sim.reducer_wear import ReducerWear
from brainbody.sim.motor_thermal import MotorThermalPlant, MotorThermalPlantConfig, drive_readings
from brainbody.sim.scene import (ARM_JOINTS, FINGER_JOINTS, PAD_BODIES, SceneConfig, build_model)


@dataclasses.dataclass(frozen=True)
class ObservedObject:
    """What a perception system would report: identity, kind, pose and extents."""

    id: str
    kind: str
    position_m: tuple[float, float, float]   # bottom centre (places: surface centre)
    quat_wxyz: tuple[float, float, float, float]
    size_m: tuple[float, float, float]


OBJECT_POSES_SIZE = 10     # Simulator.object_poses: cup centre (3), cup quaternion (4), button centre (3)


def observed_objects(config: SceneConfig, poses: np.ndarray) -> list[ObservedObject]:
    """What a perception node would report of the scene ``config`` with its moving objects at
    ``poses`` (:meth:`Simulator.object_poses`)."""
    c = config
    cup_pos = poses[0:3].copy()
    cup_pos[2] -= c.cup_height_m / 2
    button_top = poses[7:10] + [0.0, 0.0, 0.01]
    tx, ty = c.tray_center_xy_m
    up = (1.0, 0.0, 0.0, 0.0)
    diameter = 2 * c.cup_radius_m
    return [
        ObservedObject("cup", "container", tuple(cup_pos), tuple(poses[3:7]), (diameter, diameter, c.cup_height_m)),
        ObservedObject("coffee_button", "button", tuple(button_top), up,
                       (2 * c.button_radius_m, 2 * c.button_radius_m, 0.02)),
        ObservedObject("dispense_spot", "place", (*c.dispense_xy_m, 0.0), up, (0.07, 0.07, 0.0)),
        ObservedObject("tray", "place", (tx, ty, 2 * c.tray_half_size_m[2]), up,
                       tuple(2 * v for v in c.tray_half_size_m)),
        ObservedObject("handover", "place", (*c.handover_xy_m, 0.0), up, (0.08, 0.08, 0.0)),
    ]


_WEAR_APPLY_STEPS = 100     # physics steps between updates of the worn gear stages


@kernel
def _object_poses(xpos, xquat, cup, button, out):
    """:meth:`Simulator.object_poses` in one pass (every physics step in the plant's process)."""
    for k in range(3):
        out[k] = xpos[cup, k]
        out[7 + k] = xpos[button, k]
    for k in range(4):
        out[3 + k] = xquat[cup, k]


@kernel
def _read(qpos, qvel, actuator_force, site_xpos, sensordata, xpos, xquat, tcp_site, cup_body, button_body, index,
          encoders, motors, qd, q, link, finger_pos, finger_vel, finger_effort, pad, pad_xyz, drives, housing, current,
          voltage, tcp, tcp_copy, poses):
    """A read in one pass: the joint speeds, the fingers' positions, speeds and drive forces,
    the pads' raw sensor readings (``index``: the arm's dof addresses, the fingers' qpos and
    dof addresses, then the pads' touch and 3-axis sensor addresses), both encoders, the
    drives' readings (when ``drives``) and the tool's position into ``tcp`` (and ``tcp_copy``
    when it has room); the moving objects' poses into ``poses`` when it has room. Every physics
    step in the plant's process: one call instead of one per part (each about 0.5 us of calling;
    the read and its ground truth took 4 us)."""
    n, f = qd.shape[0], finger_pos.shape[0]
    for i in range(n):
        qd[i] = qvel[index[i]]
    at = n + 2 * f
    for i in range(f):
        finger_pos[i] = qpos[index[n + i]]
        finger_vel[i] = qvel[index[n + f + i]]
        finger_effort[i] = actuator_force[n + i]
        pad[i] = sensordata[index[at + i]]
        for k in range(3):
            pad_xyz[i, k] = sensordata[index[at + f + 3 * i + k]]
    for k in range(3):
        tcp[k] = site_xpos[tcp_site, k]
    if tcp_copy.shape[0]:
        for k in range(3):
            tcp_copy[k] = tcp[k]
    encoder_readings(qpos, encoders, q, link)
    if drives:
        drive_readings(motors, housing, current, voltage)
    if poses.shape[0]:
        _object_poses(xpos, xquat, cup_body, button_body, poses)


def _as_slice(index: np.ndarray):
    """Evenly spaced indices as a slice (motor and gear hinges alternate: every other one)."""
    if len(index) == 1:
        return slice(int(index[0]), int(index[0]) + 1)
    step = int(index[1] - index[0]) if len(index) > 1 else 0
    if step > 0 and np.all(np.diff(index) == step):
        return slice(int(index[0]), int(index[-1]) + 1, step)
    return index


class Simulator:
    """MuJoCo plant with the coffee scene.

    Args:
        config: plant properties; ``config.seed`` places the cup.
        home_q_rad: arm configuration to start in (7,).
        motor_thermal: the joint motors' heat (None: the default build at 25 C).
    """

    def __init__(self, config: SceneConfig, *, home_q_rad: Optional[np.ndarray] = None,
                 urdf_path=None, motor_thermal: Optional[MotorThermalPlantConfig] = None):
        self.config = config
        self.model = build_model(config, urdf_path)
        self.data = d = mujoco.MjData(self.model)
        # Views of MjData's fixed-size arrays, taken once (MuJoCo never moves them): an attribute
        # read builds a new view each time, about 70 ns, a dozen of them every physics step.
        self._qpos, self._qvel, self._sensordata = d.qpos, d.qvel, d.sensordata
        self._actuator_force, self._site_xpos, self._xpos, self._xquat = d.actuator_force, d.site_xpos, d.xpos, d.xquat
        self._arm_ctrl, self._finger_ctrl = d.ctrl[:7], d.ctrl[7:9]
        self.drivetrain = Drivetrain(self.model, ARM_JOINTS, config.hinge_drivetrains())
        self.period_s = float(self.model.opt.timestep)
        m = self.model
        # The honest plant's imperfections (None: the robot is its datasheet).
        self.realism = (HonestPlant(m, ARM_JOINTS, config.drivetrains(), m.actuator_ctrlrange[:7, 1],
                                    robot_seed=config.robot_seed, episode_seed=config.seed)
                        if config.honest else None)
        self._arm_qpos = np.array([m.jnt_qposadr[m.joint(n).id] for n in ARM_JOINTS])
        self._arm_dof = np.array([m.jnt_dofadr[m.joint(n).id] for n in ARM_JOINTS])
        self._finger_qpos = np.array([m.jnt_qposadr[m.joint(n).id] for n in FINGER_JOINTS])
        self._finger_dof = np.array([m.jnt_dofadr[m.joint(n).id] for n in FINGER_JOINTS])
        pad_sensor = np.array([m.sensor_adr[m.sensor(f"{p}_force").id] for p in PAD_BODIES])
        pad_force3 = np.array([m.sensor_adr[m.sensor(f"{p}_force3").id] + np.arange(3) for p in PAD_BODIES]).ravel()
        self._read_index = np.concatenate([self._arm_dof, self._finger_qpos, self._finger_dof, pad_sensor,
                                           pad_force3]).astype(np.int64)
        # Evenly spaced index ranges become slices: a copy by slicing is cheaper than by
        # fancy indexing, and this runs every millisecond.
        self._arm_qpos, self._arm_dof, self._finger_qpos, self._finger_dof = (
            _as_slice(a) for a in (self._arm_qpos, self._arm_dof, self._finger_qpos, self._finger_dof))
        # Where a read puts what this plant does not report (no link encoders, no drive
        # readings, no ground truth asked for).
        self._no_link = np.empty(len(ARM_JOINTS))
        self._no_drives = (np.empty(7), np.empty(7), np.empty(7))
        self._empty = np.empty(0)
        self._finger_open_m = float(m.jnt_range[m.joint(FINGER_JOINTS[0]).id][1])
        # The drives and the motors' heat: a commanded torque becomes a current, the joint gets
        # what the (hot) motor makes of it.
        self.motor_thermal = MotorThermalPlant(motor_thermal or MotorThermalPlantConfig(), period_s=self.period_s,
                                               torque_limit_nm=m.actuator_ctrlrange[:7, 1],
                                               built=None if self.realism is None else self.realism.motors)
        # Real motors: a housing thermistor per joint, drives that report current and voltage.
        self._motor_sensors = self.motor_thermal.config.enabled
        # The reducers' age (their lost motion and friction grow as they wear).
        self.wear = ReducerWear(config.wear, m.actuator_ctrlrange[:7, 1], self.drivetrain.geared)
        self._worn_steps = 0
        self._apply_wear()
        if home_q_rad is not None:
            self.data.qpos[self._arm_qpos] = np.asarray(home_q_rad, dtype=float)
            self._preload_gears()
        self.data.qpos[self._finger_qpos] = self._finger_open_m
        mujoco.mj_forward(self.model, self.data)
        self.coffee_machine = CoffeeMachine(self.model, self.data, config)
        self.judge = CupJudge(self.model, self.data, config)
        self.obstacle = Obstacle(self.model, self.data, config)   # parked until a test drops it
        self._cup_body = m.body("cup").id
        self._button_body = m.body("coffee_button").id
        self._tcp_site = m.site("tcp").id
        # Ground truth: where the tool was when the last state was read (a controller's set-point
        # for that state is judged against this, not against where the tool is a step later).
        self.tcp_at_read_m = self.data.site_xpos[self._tcp_site].copy()

    # -- Hardware interface -------------------------------------------------
    @property
    def capabilities(self) -> HardwareCapabilities:
        """Torque actuators only (no vendor position loop); 3-axis pad sensors; finger
        actuators whose force is the command; link encoders where the profile has them."""
        return HardwareCapabilities(link_encoders=self.drivetrain.link_encoder_rad(self.data) is not None,
                                    pad_force_3axis=True, finger_effort=True,
                                    motor_housing_temperature=self.motor_thermal.config.enabled,
                                    drive_electrical=self.motor_thermal.config.enabled)

    def activate(self, command_mode) -> None:
        """In-process MuJoCo takes torques from the first step on (``command_mode`` is
        effort: the body checked the capabilities)."""

    def deactivate(self) -> None:
        """Keeps the last command (as Gazebo's ApplyJointForce does)."""

    def read(self) -> HardwareState:
        state = self.blank_state()
        self.read_into(state)
        return state

    def blank_state(self) -> HardwareState:
        """A state with fresh arrays for each field this plant reports (None for the others)."""
        sensors = self._motor_sensors
        return HardwareState(0.0, np.empty(7), np.empty(7), np.empty(2), np.empty(2), np.empty(2),
                             np.empty(7) if self.drivetrain.has_link_encoder else None, np.empty((2, 3)),
                             np.empty(2), *((np.empty(7), np.empty(7), np.empty(7)) if sensors else (None,) * 3))

    def read_into(self, state: HardwareState, *, tcp_m: Optional[np.ndarray] = None,
                  object_poses: Optional[np.ndarray] = None) -> None:
        """:meth:`read` into ``state``'s arrays, in place (laid out as :meth:`blank_state`'s).
        The plant's own process writes its samples straight into the shared memory so, with
        the sample's ground truth: where the tool is into ``tcp_m`` (besides
        :attr:`tcp_at_read_m`) and :meth:`object_poses` into ``object_poses``, when given."""
        pads, pads_xyz = state.pad_force_n, state.pad_force_xyz_n
        q, link = state.q_rad, state.q_link_rad
        link = self._no_link if link is None else link
        drives = self._motor_sensors
        housing, current, voltage = ((state.motor_housing_temp_c, state.drive_current_a, state.drive_voltage_v)
                                     if drives else self._no_drives)
        _read(self._qpos, self._qvel, self._actuator_force, self._site_xpos, self._sensordata, self._xpos,
              self._xquat, self._tcp_site, self._cup_body, self._button_body, self._read_index,
              self.drivetrain.encoders, self.motor_thermal.motors, state.qd_radps, q, link, state.finger_pos_m,
              state.finger_vel_mps, state.finger_effort_n, pads, pads_xyz, drives, housing, current, voltage,
              self.tcp_at_read_m, self._empty if tcp_m is None else tcp_m,
              self._empty if object_poses is None else object_poses)
        if self.realism is not None:      # the unit's sensors: their errors on the true readings
            q[:] = self.realism.motor_encoder(q, self.drivetrain.motor_encoder_quantum_rad)
            if state.q_link_rad is not None:
                link[:] = self.realism.link_encoder(link)
            pads[:], pads_xyz[:] = self.realism.pad_forces(pads, pads_xyz)
        state.time_s = float(self.data.time)

    def _apply_wear(self) -> None:
        """The gear stages as worn as their life used says (every 0.1 s of sim time: wear is slow)."""
        if not self.wear.config.enabled:
            return
        lost_motion, friction = self.wear.lost_motion_factor, self.wear.friction_factor
        self.drivetrain.set_wear(lost_motion, friction)
        if self.realism is not None:
            self.realism.set_friction_wear(friction)

    def link_angle_rad(self) -> np.ndarray:
        """Ground truth: the true output angle of each arm joint (motor angle + gear twist)."""
        return self.drivetrain.link_angle_rad(self.data)

    def _preload_gears(self) -> None:
        """Start at rest: each gear stage already twisted under the static (gravity) load."""
        if not self.drivetrain.any_geared:
            return
        m, d = self.model, self.data
        for _ in range(3):
            mujoco.mj_forward(m, d)
            self.drivetrain.settle_twist(d, d.qfrc_bias)

    def write(self, arm_torque_nm: np.ndarray, finger_force_n: np.ndarray) -> None:
        # The unit's drive errors (current offset and noise: honest plant only), then what the
        # motor (its own constant, at its present temperature) makes of that current.
        drive = arm_torque_nm if self.realism is None else self.realism.actuate(arm_torque_nm)
        self.motor_thermal.torque(drive, out=self._arm_ctrl)
        self._finger_ctrl[:] = finger_force_n

    def motor_feedback(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What a vendor's joint loop inside the robot sees each physics step: the motor
        encoders, the motor velocities and the bare arm's bias (gravity and Coriolis)
        torques at the motors, from the last step's dynamics."""
        d = self.data
        return self.drivetrain.motor_encoder_rad(d), d.qvel[self._arm_dof], d.qfrc_bias[self._arm_dof]

    @property
    def arm_effort_limit_nm(self) -> np.ndarray:
        return self.model.actuator_ctrlrange[:7, 1].copy()

    def step(self) -> None:
        self.drivetrain.apply(self.data)
        if self.realism is not None:
            self.realism.apply(self.data, self.period_s)
        mujoco.mj_step(self.model, self.data)
        if self.wear.config.enabled:
            self.wear.step(self.drivetrain.transmitted_torque_nm, self._qvel[self._arm_dof], self.period_s)
            self._worn_steps += 1
            if self._worn_steps % _WEAR_APPLY_STEPS == 0:
                self._apply_wear()
        self.motor_thermal.step(self._qvel[self._arm_dof])
        self.coffee_machine.update()
        self.judge.update()
        self.obstacle.update()

    # -- what a perception node would publish --------------------------------
    def object_poses(self, out: Optional[np.ndarray] = None) -> np.ndarray:
        """The moving objects' poses, flat (:data:`OBJECT_POSES_SIZE`; into ``out`` when given):
        the cup's centre (3) and orientation (4, wxyz), the button's centre (3).
        :func:`observed_objects` turns them into what a perception node would report."""
        out = np.empty(OBJECT_POSES_SIZE) if out is None else out
        _object_poses(self._xpos, self._xquat, self._cup_body, self._button_body, out)
        return out

    def observed_objects(self) -> list[ObservedObject]:
        return observed_objects(self.config, self.object_poses())

    # -- ground truth (tests and the demo report only) -----------------------
    def verdict(self) -> CupVerdict:
        return self.judge.verdict(self.coffee_machine.fill_fraction)

    def ground_truth(self) -> dict:
        """The cup's verdict (its fields), the motors' temperatures and demagnetisation
        (``motors``) and the reducers' wear (``reducers``), as plain values (JSON-ready)."""
        truth = dataclasses.asdict(self.verdict())
        truth["motors"] = self.motor_thermal.ground_truth()
        truth["reducers"] = self.wear.ground_truth()
        return truth

    def mujoco_warnings(self) -> int:
        """Total count of MuJoCo warnings raised so far (instability, contact overflow...)."""
        return int(sum(w.number for w in self.data.warning))
