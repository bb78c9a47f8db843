"""A gripper test rig: the Panda hand alone, fixed above a table, and one object to grasp.

Plant side only, for the grip benchmark and tests: it runs the grip-force loop on MuJoCo
contact physics without the arm, about ten times faster than the whole coffee scene.
The hand comes from the same URDF as the robot (fingers, pads, finger joint friction
and damping); its pads get the plant's friction and the same two sensors as in
``scene.py`` (a touch sensor and a 3-axis force sensor per pad). Two objects: the paper
cup of the coffee scene and a wooden block that tolerates a firm grip.

:meth:`GripperRig.randomise` perturbs the plant (contact friction, contact stiffness and
damping, finger friction and damping, object mass and position); the controller never
sees these values. Ground truth (:meth:`GripperRig.squeeze_n`) is read from the MuJoCo
contact forces between the object and each finger, not from the pad sensors.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

import mujoco
import numpy as np

from brainbody.body.hardware import HardwareCapabilities, HardwareState
from brainbody.exceptions import BrainBodyError
from brainbody.sim.disturbance import set_body_mass
from brainbody.sim.plant_realism import PadSensorErrors
from brainbody.sim.scene import FINGER_JOINTS, PAD_BODIES, SceneConfig, default_urdf_path

OBJECTS = ("cup", "block")
_HAND_BODY = "panda_hand"
_TCP_IN_HAND_M = 0.1034               # URDF: panda_tcp along the hand z axis
_GRASP_BELOW_TOP_M = 0.03             # where the fingers close, below the object's top
_MUJOCO_DEFAULT_SOLREF = (0.02, 1.0)  # time constant (s), damping ratio
_BLOCK_HALF_SIZE_M = (0.02, 0.025, 0.04)
_BLOCK_MASS_KG = 0.15
_BLOCK_FRICTION = 0.8                 # wood against rubber pads (pads dominate: max rule)
_BLOCK_CRUSH_FORCE_N = 200.0          # solid wood: nothing the hand can do crushes it
_PREFIX = "hand/"
_ROBOT_CONTYPE, _ROBOT_CONAFFINITY = 2, 0
_SCENE_CONTYPE, _SCENE_CONAFFINITY = 1, 3


@dataclasses.dataclass(frozen=True)
class RigPlant:
    """One draw of the plant: multipliers on the nominal values and the object's offset."""

    friction_scale: float = 1.0          # pads and object
    stiffness_scale: float = 1.0         # contact stiffness (solref time constant / sqrt)
    damping_scale: float = 1.0           # contact damping ratio
    finger_friction_scale: float = 1.0
    finger_damping_scale: float = 1.0
    mass_scale: float = 1.0
    offset_m: float = 0.0                # object off-centre along the closing axis

    @classmethod
    def draw(cls, rng: np.random.Generator, *, spread: float = 0.3, max_offset_m: float = 0.005) -> "RigPlant":
        """Each multiplier uniform in [1 - spread, 1 + spread]; offset uniform in +/- max_offset_m."""
        if not 0.0 <= spread < 1.0:
            raise ValueError(f"spread must be in [0, 1), got {spread!r}")
        u = rng.uniform(1.0 - spread, 1.0 + spread, size=6)
        return cls(*(float(v) for v in u), offset_m=float(rng.uniform(-max_offset_m, max_offset_m)))


class GripperRig:
    """The hand above one object; implements :class:`brainbody.body.hardware.Hardware`.

    Args:
        scene: plant constants shared with the coffee scene (pad friction, cup size and mass,
            finger damping and force limit, time step).
        object_kind: ``"cup"`` or ``"block"``.
    """

    def __init__(self, scene: Optional[SceneConfig] = None, *, object_kind: str = "cup",
                 urdf_path: Optional[Path] = None):
        if object_kind not in OBJECTS:
            raise ValueError(f"object_kind must be one of {OBJECTS}, got {object_kind!r}")
        self.scene = scene or SceneConfig()
        self.object_kind = object_kind
        self.model = _build(self.scene, object_kind, Path(urdf_path or default_urdf_path()))
        self.data = mujoco.MjData(self.model)
        self.period_s = float(self.model.opt.timestep)
        m = self.model
        self._finger_qpos = np.array([m.jnt_qposadr[m.joint(_PREFIX + n).id] for n in FINGER_JOINTS])
        self._finger_dof = np.array([m.jnt_dofadr[m.joint(_PREFIX + n).id] for n in FINGER_JOINTS])
        self._touch = np.array([m.sensor_adr[m.sensor(f"{p}_force").id] for p in PAD_BODIES])
        self._force3 = np.array([m.sensor_adr[m.sensor(f"{p}_force3").id] + np.arange(3) for p in PAD_BODIES])
        self._object_body = m.body("object").id
        # On the honest plant the pad sensors err as a real hand's do (sim/plant_realism.py).
        self._pad_errors = (PadSensorErrors(self.scene.robot_seed, self.scene.seed) if self.scene.honest else None)
        self._object_geom = m.geom("object_geom").id
        self._table_geom = m.geom("table").id
        self._object_qpos = m.jnt_qposadr[m.joint("object_free").id]
        left = {m.body(_PREFIX + n).id for n in ("panda_leftfinger", "panda_leftpad")}
        right = {m.body(_PREFIX + n).id for n in ("panda_rightfinger", "panda_rightpad")}
        self._side = {b: 0 for b in left} | {b: 1 for b in right}
        self._pad_bodies = [m.body(_PREFIX + p).id for p in PAD_BODIES]
        self._pad_geoms = [g for g in range(m.ngeom) if m.geom_bodyid[g] in
                           {m.body(_PREFIX + p).id for p in PAD_BODIES}]
        self._nominal = {
            "friction": m.geom_friction.copy(), "solref": m.geom_solref.copy(),
            "frictionloss": m.dof_frictionloss.copy(), "damping": m.dof_damping.copy(),
            "mass": float(m.body_mass[self._object_body]), "inertia": m.body_inertia[self._object_body].copy(),
        }
        self._force = np.zeros(6)
        self.crush_force_n = self.scene.cup_crush_force_n if object_kind == "cup" else _BLOCK_CRUSH_FORCE_N
        self.plant = RigPlant()
        self.reset()

    # -- plant set-up ----------------------------------------------------------------
    def reset(self, plant: Optional[RigPlant] = None) -> None:
        """Fingers open, object at rest on the table (off-centre by ``plant.offset_m``)."""
        m, d, nom = self.model, self.data, self._nominal
        self.plant = plant or RigPlant()
        p = self.plant
        m.geom_contype[self._table_geom] = _SCENE_CONTYPE
        m.geom_conaffinity[self._table_geom] = _SCENE_CONAFFINITY
        m.geom_friction[:] = nom["friction"]
        m.geom_friction[:, 0] *= p.friction_scale
        m.geom_solref[:] = nom["solref"]
        # Stiffness goes as 1 / time_constant^2 (MuJoCo's mass-spring-damper reference).
        m.geom_solref[:, 0] = nom["solref"][:, 0] / np.sqrt(p.stiffness_scale)
        m.geom_solref[:, 1] = nom["solref"][:, 1] * p.damping_scale
        m.dof_frictionloss[self._finger_dof] = nom["frictionloss"][self._finger_dof] * p.finger_friction_scale
        m.dof_damping[self._finger_dof] = nom["damping"][self._finger_dof] * p.finger_damping_scale
        m.body_mass[self._object_body] = nom["mass"] * p.mass_scale
        m.body_inertia[self._object_body] = nom["inertia"] * p.mass_scale
        mujoco.mj_resetData(m, d)
        mujoco.mj_setConst(m, d)          # contact scaling uses the bodies' masses
        mujoco.mj_resetData(m, d)
        d.qpos[self._finger_qpos] = m.jnt_range[m.joint(_PREFIX + FINGER_JOINTS[0]).id][1]
        d.qpos[self._object_qpos + 1] = p.offset_m
        mujoco.mj_forward(m, d)

    def remove_support(self) -> None:
        """The table drops away: a grasped object now hangs in the fingers (until :meth:`reset`)."""
        self.model.geom_contype[self._table_geom] = 0
        self.model.geom_conaffinity[self._table_geom] = 0

    def set_object_mass(self, mass_kg: float) -> None:
        """Change the object's mass now (e.g. liquid poured in), keeping the state."""
        set_body_mass(self.model, self.data, self._object_body, mass_kg)

    # -- Hardware interface -----------------------------------------------------------
    # The hand alone: no arm joints to command, 3-axis pad sensors, finger force actuators.
    capabilities = HardwareCapabilities(pad_force_3axis=True, finger_effort=True)

    def activate(self, command_mode) -> None:
        """MuJoCo takes finger forces from the first step on (``command_mode`` is effort:
        the body checked the capabilities)."""

    def deactivate(self) -> None:
        """Keeps the last command."""

    def read(self) -> HardwareState:
        d = self.data
        pads, pads_xyz = d.sensordata[self._touch], d.sensordata[self._force3]
        if self._pad_errors is not None:
            pads, pads_xyz = self._pad_errors.read(pads, pads_xyz)
        return HardwareState(time_s=float(d.time), q_rad=np.zeros(7), qd_radps=np.zeros(7),
                             finger_pos_m=d.qpos[self._finger_qpos], finger_vel_mps=d.qvel[self._finger_dof],
                             pad_force_n=pads, pad_force_xyz_n=pads_xyz,
                             finger_effort_n=d.actuator_force[:2].copy())

    def write(self, arm_torque_nm: np.ndarray, finger_force_n: np.ndarray) -> None:
        self.data.ctrl[:2] = finger_force_n

    def step(self) -> None:
        mujoco.mj_step(self.model, self.data)

    # -- ground truth --------------------------------------------------------------------
    def squeeze_n(self) -> np.ndarray:
        """Normal force (2,) between the object and the left / right finger, from the contacts."""
        m, d = self.model, self.data
        out = np.zeros(2)
        ncon = d.ncon
        if not ncon:
            return out
        geoms = d.contact.geom[:ncon]
        for i in np.flatnonzero((geoms[:, 0] == self._object_geom) | (geoms[:, 1] == self._object_geom)):
            g1, g2 = geoms[i]
            side = self._side.get(int(m.geom_bodyid[g2 if g1 == self._object_geom else g1]))
            if side is not None:
                mujoco.mj_contactForce(m, d, int(i), self._force)
                out[side] += abs(self._force[0])
        return out

    def object_below_pads_m(self) -> float:
        """How far the object's centre is below the pads' mid point (grows when it slides down)."""
        d = self.data
        return float(np.mean(d.xpos[self._pad_bodies, 2]) - d.xpos[self._object_body][2])

    def friction_coefficient(self) -> float:
        """The plant's pad-object friction coefficient in this draw (MuJoCo takes the larger)."""
        pad = self.model.geom_friction[self._pad_geoms[0], 0]
        return float(max(pad, self.model.geom_friction[self._object_geom, 0]))


def _build(scene: SceneConfig, object_kind: str, urdf_path: Path) -> mujoco.MjModel:
    if not urdf_path.is_file():
        raise BrainBodyError(f"robot description not found: {urdf_path}")
    robot = mujoco.MjSpec.from_file(str(urdf_path))
    spec = mujoco.MjSpec()
    spec.modelname = f"brainbody_gripper_rig_{object_kind}"
    spec.option.timestep = scene.timestep_s
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    spec.option.noslip_iterations = 3
    spec.compiler.autolimits = True

    if object_kind == "cup":
        height = scene.cup_height_m
    else:
        height = 2 * _BLOCK_HALF_SIZE_M[2]
    tcp_z = height - _GRASP_BELOW_TOP_M
    # Hand pointing down (180 deg about x), fingers closing along the world y axis.
    mount = spec.worldbody.add_frame(pos=[0.0, 0.0, tcp_z + _TCP_IN_HAND_M], quat=[0.0, 1.0, 0.0, 0.0])
    # The prefix keeps the attached names apart from the rig's own; _name() adds it back.
    hand = mount.attach_body(robot.body(_HAND_BODY), _PREFIX, "")
    hand.pos, hand.quat = [0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]   # drop the flange's -pi/4 mounting

    for geom in spec.geoms:
        if "_visual" in geom.name:
            geom.contype, geom.conaffinity, geom.group = 0, 0, 1
        else:
            geom.contype, geom.conaffinity = _ROBOT_CONTYPE, _ROBOT_CONAFFINITY
    for name in FINGER_JOINTS:
        joint = spec.joint(_PREFIX + name)
        joint.damping = [scene.finger_damping_nspm, 0.0, 0.0]
        joint.armature = 0.01
        spec.add_actuator(name=f"{name}_motor", target=_PREFIX + name, trntype=mujoco.mjtTrn.mjTRN_JOINT,
                          ctrllimited=True, ctrlrange=[-scene.finger_force_limit_n, scene.finger_force_limit_n])
    for pad in PAD_BODIES:
        body = spec.body(_PREFIX + pad)
        collision = [g for g in body.geoms if "_visual" not in g.name]
        for geom in collision:
            geom.friction = [scene.pad_friction, 0.005, 0.0001]
            geom.condim = 4
        site = body.add_site(name=f"{pad}_touch", type=mujoco.mjtGeom.mjGEOM_BOX,
                             size=np.array(collision[0].size) + 0.002, pos=collision[0].pos)
        spec.add_sensor(name=f"{pad}_force", type=mujoco.mjtSensor.mjSENS_TOUCH,
                        objtype=mujoco.mjtObj.mjOBJ_SITE, objname=site.name)
        spec.add_sensor(name=f"{pad}_force3", type=mujoco.mjtSensor.mjSENS_FORCE,
                        objtype=mujoco.mjtObj.mjOBJ_SITE, objname=site.name)

    world = spec.worldbody
    world.add_geom(name="table", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0.3, 0.3, 0.01],
                   friction=[0.8, 0.005, 0.0001], contype=_SCENE_CONTYPE, conaffinity=_SCENE_CONAFFINITY)
    if object_kind == "cup":
        r, h, mass = scene.cup_radius_m, scene.cup_height_m, scene.cup_empty_mass_kg
        obj = world.add_body(name="object", pos=[0, 0, h / 2], mass=mass, ipos=[0, 0, -0.01],
                             inertia=[mass * (6 * r * r + h * h) / 12] * 2 + [mass * r * r], explicitinertial=True)
        obj.add_geom(name="object_geom", type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[r, h / 2, 0],
                     friction=[scene.cup_friction, 0.005, 0.0001], condim=4,
                     contype=_SCENE_CONTYPE, conaffinity=_SCENE_CONAFFINITY)
    else:
        hx, hy, hz = _BLOCK_HALF_SIZE_M
        mass = _BLOCK_MASS_KG
        obj = world.add_body(name="object", pos=[0, 0, hz], mass=mass, explicitinertial=True,
                             inertia=[mass * (hy * hy + hz * hz) / 3, mass * (hx * hx + hz * hz) / 3,
                                      mass * (hx * hx + hy * hy) / 3])
        obj.add_geom(name="object_geom", type=mujoco.mjtGeom.mjGEOM_BOX, size=[hx, hy, hz],
                     friction=[_BLOCK_FRICTION, 0.005, 0.0001], condim=4,
                     contype=_SCENE_CONTYPE, conaffinity=_SCENE_CONAFFINITY)
    obj.add_freejoint(name="object_free")
    for geom in spec.geoms:
        if tuple(geom.solref) == (0.0, 0.0):
            geom.solref = list(_MUJOCO_DEFAULT_SOLREF)
    try:
        return spec.compile()
    except Exception as exc:  # MuJoCo raises ValueError with its own message
        raise BrainBodyError(f"MuJoCo could not compile the gripper rig: {exc}") from exc
