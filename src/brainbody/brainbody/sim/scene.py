"""The MuJoCo world: the robot loaded from ``urdf/panda.urdf`` plus the coffee scene.

The robot is the same URDF the controller's kinematic model reads (one robot model);
this module adds what only the simulated plant knows: actuators, drivetrain armature,
touch sensors on the finger pads, the table, a fragile paper cup, a coffee machine
with a spring-loaded button and a dispense spot, a tray and a hand-over place.

Every physical constant here belongs to the *plant*. The controller never reads
``SceneConfig``; it gets its own parameters from ``config/body.yaml``.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Optional

import mujoco
import numpy as np

from brainbody.exceptions import BrainBodyError
from brainbody.sim import drivetrain as drivetrain_plant
from brainbody.sim import plant_realism
from brainbody.sim.reducer_wear import ReducerWearConfig

ARM_JOINTS = tuple(f"panda_joint{i}" for i in range(1, 8))
FINGER_JOINTS = ("panda_finger_joint1", "panda_finger_joint2")
PAD_BODIES = ("panda_leftpad", "panda_rightpad")
TCP_BODY = "panda_tcp"

# Collision filtering: the arm collides with the scene but not with itself
# (parent/child pairs are excluded by MuJoCo anyway; the rest never touch in the
# task's workspace and skipping them keeps the step cheap).
_ARM_CONTYPE, _ARM_CONAFFINITY = 2, 0
_SCENE_CONTYPE, _SCENE_CONAFFINITY = 1, 3
SCENE_CONTACT_BITS = (_SCENE_CONTYPE, _SCENE_CONAFFINITY)   # (contype, conaffinity) of scene objects

# The fault-injection obstacle (sim/obstacle.py): parked inert until dropped into the arm's path.
OBSTACLE_BODY, OBSTACLE_GEOM = "obstacle", "obstacle_box"


@dataclasses.dataclass(frozen=True)
class SceneConfig:
    """Physical properties of the simulated world (plant side only).

    Positions are in the world frame, metres; the robot base is at the origin and the
    table top is the plane z = 0.
    """

    timestep_s: float = 0.001
    seed: int = 0
    cup_start_xy_m: tuple[float, float] = (0.45, -0.20)
    cup_start_jitter_m: float = 0.03        # uniform +/- in x and y, drawn from seed
    cup_radius_m: float = 0.03
    cup_height_m: float = 0.08
    cup_empty_mass_kg: float = 0.012
    cup_fill_mass_kg: float = 0.20          # coffee added by one brew
    cup_crush_force_n: float = 4.0          # ground truth: crushed above this squeeze
    cup_friction: float = 1.0               # paper against rubber pads
    pad_friction: float = 1.2
    dispense_xy_m: tuple[float, float] = (0.45, 0.25)
    dispense_radius_m: float = 0.035        # cup centre must be this close to brew into it
    brew_time_s: float = 2.0
    machine_center_m: tuple[float, float, float] = (0.63, 0.25, 0.15)
    machine_half_size_m: tuple[float, float, float] = (0.09, 0.13, 0.15)
    button_xy_m: tuple[float, float] = (0.60, 0.33)
    button_radius_m: float = 0.02
    button_travel_m: float = 0.012
    button_stiffness_npm: float = 300.0
    button_press_depth_m: float = 0.006     # pressed when pushed this far
    tray_center_xy_m: tuple[float, float] = (0.30, -0.45)
    tray_half_size_m: tuple[float, float, float] = (0.10, 0.08, 0.005)
    handover_xy_m: tuple[float, float] = (0.25, 0.45)
    # The fault-injection obstacle (sim/obstacle.py): a closed carton of 20 cm sides and 3 kg,
    # parked (no contacts, weightless) far outside the arm's 0.855 m reach until dropped.
    obstacle_half_size_m: tuple[float, float, float] = (0.1, 0.1, 0.1)
    obstacle_mass_kg: float = 3.0
    obstacle_friction: float = 0.5          # cardboard on the table, on the robot's paint
    obstacle_parked_m: tuple[float, float, float] = (-1.5, -1.5, 0.5)
    # Drivetrain profile per arm joint, from config/sim_drivetrain.yaml (sim/drivetrain.py);
    # "rigid" keeps the single URDF hinge with the armature below.
    drivetrain: tuple[str, ...] = ("harmonic",) * 7
    drivetrain_profiles_path: Optional[str] = None
    # Reflected rotor inertia (armature) of "rigid" joints.
    arm_armature_kgm2: tuple[float, ...] = (0.3, 0.3, 0.3, 0.3, 0.1, 0.1, 0.1)
    arm_torque_limit_nm: tuple[float, ...] = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)
    finger_force_limit_n: float = 70.0
    finger_damping_nspm: float = 5.0
    # "ideal": the robot is its datasheet (URDF, nominal drivetrain profile, perfect sensors).
    # "honest": a particular unit drawn from robot_seed that differs from it as a real one
    # does (sim/plant_realism.py); the body is never told which.
    plant: str = "ideal"
    robot_seed: int = 0
    # The reducers' age and how they wear with use (sim/reducer_wear.py; off: as built).
    wear: ReducerWearConfig = ReducerWearConfig()

    def __post_init__(self):
        if not (0.0 < self.timestep_s <= 0.005):
            raise ValueError(f"timestep_s must be in (0, 0.005] s, got {self.timestep_s!r}")
        if self.cup_crush_force_n <= 0 or self.cup_empty_mass_kg <= 0:
            raise ValueError("cup_crush_force_n and cup_empty_mass_kg must be positive")
        if len(self.arm_armature_kgm2) != 7 or len(self.arm_torque_limit_nm) != 7:
            raise ValueError("arm_armature_kgm2 and arm_torque_limit_nm need 7 values")
        if len(self.drivetrain) != 7:
            raise ValueError(f"drivetrain needs a profile name for each of 7 joints, got {self.drivetrain!r}")
        if not (min(self.obstacle_half_size_m) > 0.0 and self.obstacle_mass_kg > 0.0):
            raise ValueError("obstacle_half_size_m and obstacle_mass_kg must be positive")
        if self.plant not in plant_realism.PLANTS:
            raise ValueError(f"plant must be one of {', '.join(plant_realism.PLANTS)}, got {self.plant!r}")

    @property
    def honest(self) -> bool:
        return self.plant == "honest"

    def drivetrains(self) -> list:
        """Per-joint plant drivetrains as this unit really has them (None for rigid joints)."""
        if all(name == drivetrain_plant.RIGID for name in self.drivetrain):
            return [None] * 7
        profiles = drivetrain_plant.load_profiles(self.drivetrain_profiles_path)
        nominal = drivetrain_plant.resolve(self.drivetrain, profiles)
        return plant_realism.perturbed_drivetrains(nominal, self.robot_seed) if self.honest else nominal

    def hinge_drivetrains(self) -> list:
        """What MuJoCo's hinge pairs carry: on the honest plant the motor friction is LuGre,
        applied explicitly, not MuJoCo's frictionloss and damping."""
        drives = self.drivetrains()
        return [plant_realism.without_motor_friction(d) for d in drives] if self.honest else drives

    def cup_start_position(self) -> np.ndarray:
        """Cup start (bottom centre), jittered reproducibly by ``seed``."""
        rng = np.random.default_rng(self.seed)
        jitter = rng.uniform(-self.cup_start_jitter_m, self.cup_start_jitter_m, size=2)
        return np.array([self.cup_start_xy_m[0] + jitter[0], self.cup_start_xy_m[1] + jitter[1], 0.0])


def default_urdf_path() -> Path:
    """``urdf/panda.urdf`` from the ament share dir or the source checkout."""
    from brainbody.share_files import find_share_file
    return find_share_file("urdf", "panda.urdf")


def build_model(config: SceneConfig, urdf_path: Optional[Path] = None) -> mujoco.MjModel:
    """Compile the robot URDF plus the coffee scene into an ``MjModel``.

    Raises:
        BrainBodyError: the URDF is missing or MuJoCo refuses the model.
    """
    urdf_path = Path(urdf_path or default_urdf_path())
    if not urdf_path.is_file():
        raise BrainBodyError(f"robot description not found: {urdf_path}")
    spec = mujoco.MjSpec.from_file(str(urdf_path))
    drivetrains = config.hinge_drivetrains()
    if any(d is not None for d in drivetrains):
        xml = drivetrain_plant.insert_gear_stages(spec.to_xml(), ARM_JOINTS, drivetrains)
        spec = mujoco.MjSpec.from_string(xml)
    if config.honest:   # after the XML round trip, which drops a geom-less body's inertial
        plant_realism.perturb_inertials(spec, config.robot_seed)
    spec.modelname = "brainbody_coffee"
    spec.option.timestep = config.timestep_s
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
    spec.option.noslip_iterations = 3   # keeps a held cup from creeping in the pinch

    _configure_robot(spec, config, drivetrains)
    _add_scene(spec, config)
    try:
        return spec.compile()
    except Exception as exc:  # MuJoCo raises ValueError with its own message
        raise BrainBodyError(f"MuJoCo could not compile the scene: {exc}") from exc


def _configure_robot(spec: mujoco.MjSpec, config: SceneConfig, drivetrains: list) -> None:
    for geom in spec.geoms:
        if "_visual" in geom.name:
            geom.contype, geom.conaffinity = 0, 0
            geom.group = 1
        else:
            geom.contype, geom.conaffinity = _ARM_CONTYPE, _ARM_CONAFFINITY
            geom.group = 3
    for name, armature, limit, drive in zip(ARM_JOINTS, config.arm_armature_kgm2, config.arm_torque_limit_nm,
                                            drivetrains):
        if drive is None:
            spec.joint(name).armature = armature
        else:
            limit = drive.torque_limit_nm   # the gear stage's own armature is already in place
        spec.add_actuator(name=f"{name}_motor", target=name,
                          trntype=mujoco.mjtTrn.mjTRN_JOINT,
                          ctrllimited=True, ctrlrange=[-limit, limit])
    for name in FINGER_JOINTS:
        joint = spec.joint(name)
        joint.damping = [config.finger_damping_nspm, 0.0, 0.0]
        joint.armature = 0.01
        spec.add_actuator(name=f"{name}_motor", target=name, trntype=mujoco.mjtTrn.mjTRN_JOINT,
                          ctrllimited=True,
                          ctrlrange=[-config.finger_force_limit_n, config.finger_force_limit_n])
    for pad in PAD_BODIES:
        body = spec.body(pad)
        collision = [g for g in body.geoms if "_visual" not in g.name]
        for geom in collision:
            geom.friction = [config.pad_friction, 0.005, 0.0001]
            geom.condim = 4
            # Pads collide with scene objects (the cup, the button).
            geom.contype, geom.conaffinity = _ARM_CONTYPE, _ARM_CONAFFINITY
        half = np.array(collision[0].size) + 0.002
        site = body.add_site(name=f"{pad}_touch", type=mujoco.mjtGeom.mjGEOM_BOX,
                             size=half, pos=collision[0].pos, rgba=[0, 0, 0, 0])
        spec.add_sensor(name=f"{pad}_force", type=mujoco.mjtSensor.mjSENS_TOUCH,
                        objtype=mujoco.mjtObj.mjOBJ_SITE, objname=site.name)
        # A 3-axis fingertip sensor: the force between pad and finger in the pad frame
        # (y normal to the pad face, x and z in its plane); the pads are massless.
        spec.add_sensor(name=f"{pad}_force3", type=mujoco.mjtSensor.mjSENS_FORCE,
                        objtype=mujoco.mjtObj.mjOBJ_SITE, objname=site.name)
    spec.body(TCP_BODY).add_site(name="tcp", size=[0.005, 0, 0], rgba=[1, 0, 0, 0.5])


def _add_scene(spec: mujoco.MjSpec, config: SceneConfig) -> None:
    world = spec.worldbody
    spec.visual.headlight.ambient = [0.4, 0.4, 0.4]
    world.add_light(pos=[0.5, 0, 2.0], dir=[0, 0, -1], diffuse=[0.7, 0.7, 0.7])
    world.add_geom(name="table", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[1.2, 1.2, 0.01],
                   rgba=[0.55, 0.45, 0.35, 1], friction=[0.8, 0.005, 0.0001],
                   contype=_SCENE_CONTYPE, conaffinity=_SCENE_CONAFFINITY)

    # The paper cup: a light cylinder on a free joint. Its crush force is judged from
    # ground-truth contact forces (sim/ground_truth.py), not from the pad sensors.
    start = config.cup_start_position()
    # The URDF's compiler block turns off inertia-from-geometry, so moving scene bodies
    # state their inertia explicitly (a thin-walled cylinder for the cup).
    r, h, m = config.cup_radius_m, config.cup_height_m, config.cup_empty_mass_kg
    cup = world.add_body(name="cup", pos=start + [0, 0, config.cup_height_m / 2], mass=m,
                         inertia=[m * (6 * r * r + h * h) / 12] * 2 + [m * r * r], ipos=[0, 0, -0.01],
                         explicitinertial=True)
    cup.add_freejoint(name="cup_free")
    cup.add_geom(name="cup_wall", type=mujoco.mjtGeom.mjGEOM_CYLINDER,
                 size=[config.cup_radius_m, config.cup_height_m / 2, 0],
                 rgba=[0.95, 0.92, 0.85, 1],
                 friction=[config.cup_friction, 0.005, 0.0001], condim=4,
                 contype=_SCENE_CONTYPE, conaffinity=_SCENE_CONAFFINITY)
    cup.add_site(name="cup_bottom", pos=[0, 0, -config.cup_height_m / 2], size=[0.004, 0, 0])
    _add_cup_contact_sensors(spec)

    cx, cy, cz = config.machine_center_m
    hx, hy, hz = config.machine_half_size_m
    machine = world.add_body(name="coffee_machine", pos=[cx, cy, cz])
    machine.add_geom(name="machine_housing", type=mujoco.mjtGeom.mjGEOM_BOX, size=[hx, hy, hz],
                     rgba=[0.2, 0.2, 0.22, 1], contype=_SCENE_CONTYPE, conaffinity=_SCENE_CONAFFINITY)
    # The spout over the dispense spot is visual only so the gripper can place the cup.
    spout_x = config.dispense_xy_m[0] - cx
    machine.add_geom(name="machine_spout", type=mujoco.mjtGeom.mjGEOM_BOX,
                     pos=[(spout_x - hx) / 2, config.dispense_xy_m[1] - cy, 0.09],
                     size=[abs(spout_x + hx) / 2, 0.02, 0.01], rgba=[0.3, 0.3, 0.3, 1],
                     contype=0, conaffinity=0)
    bx, by = config.button_xy_m
    button = world.add_body(name="coffee_button", pos=[bx, by, cz + hz + 0.01], mass=0.02,
                            inertia=[4e-6, 4e-6, 4e-6], explicitinertial=True)
    button.add_joint(name="button_slide", type=mujoco.mjtJoint.mjJNT_SLIDE, axis=[0, 0, 1],
                     range=[-config.button_travel_m, 0.0], limited=mujoco.mjtLimited.mjLIMITED_TRUE,
                     stiffness=[config.button_stiffness_npm, 0.0, 0.0], damping=[2.0, 0.0, 0.0], springref=0.0)
    button.add_geom(name="button_cap", type=mujoco.mjtGeom.mjGEOM_CYLINDER,
                    size=[config.button_radius_m, 0.01, 0], rgba=[0.8, 0.1, 0.1, 1],
                    friction=[1.0, 0.005, 0.0001],
                    contype=_SCENE_CONTYPE, conaffinity=_SCENE_CONAFFINITY)
    # The cap slides into its housing; only its spring and travel limit resist.
    spec.add_exclude(bodyname1="coffee_machine", bodyname2="coffee_button")
    world.add_site(name="dispense_spot", pos=[*config.dispense_xy_m, 0.0005],
                   type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[config.dispense_radius_m, 0.0005, 0],
                   rgba=[0.3, 0.2, 0.1, 0.6])

    tx, ty = config.tray_center_xy_m
    thx, thy, thz = config.tray_half_size_m
    tray = world.add_body(name="tray", pos=[tx, ty, thz])
    tray.add_geom(name="tray_plate", type=mujoco.mjtGeom.mjGEOM_BOX, size=[thx, thy, thz],
                  rgba=[0.3, 0.5, 0.7, 1], friction=[0.8, 0.005, 0.0001],
                  contype=_SCENE_CONTYPE, conaffinity=_SCENE_CONAFFINITY)
    world.add_site(name="handover", pos=[*config.handover_xy_m, 0.0005],
                   type=mujoco.mjtGeom.mjGEOM_CYLINDER, size=[0.04, 0.0005, 0], rgba=[0.2, 0.7, 0.2, 0.5])

    # Last, so that every other body and joint keeps its index: the obstacle box, parked. No
    # contact bits and gravity compensation keep it out of the physics until it is dropped.
    hx, hy, hz = config.obstacle_half_size_m
    m = config.obstacle_mass_kg
    inertia = [m * (hy * hy + hz * hz) / 3, m * (hx * hx + hz * hz) / 3, m * (hx * hx + hy * hy) / 3]
    box = world.add_body(name=OBSTACLE_BODY, pos=list(config.obstacle_parked_m), mass=m, inertia=inertia,
                         ipos=[0, 0, 0], iquat=[1, 0, 0, 0], explicitinertial=True, gravcomp=1.0)
    box.add_freejoint(name="obstacle_free")
    box.add_geom(name=OBSTACLE_GEOM, type=mujoco.mjtGeom.mjGEOM_BOX, size=[hx, hy, hz], rgba=[0.75, 0.6, 0.4, 1],
                 friction=[config.obstacle_friction, 0.005, 0.0001], contype=0, conaffinity=0)


# The ground-truth judge's contact sensors (sim/ground_truth.py; no node reads them): how many
# contacts touch the cup at all, and each jaw's contacts with it, one slot (found, force in the
# contact frame) per contact. MuJoCo fills them in C during its step; the judge reads a few
# numbers instead of walking the contact list in Python.
CUP_TOUCH_SENSOR = "cup_touch"
CUP_JAW_SENSORS = (("cup_left_jaw", "panda_leftfinger"), ("cup_right_jaw", "panda_rightfinger"))
CUP_JAW_SLOTS = 8     # a pad against the cup makes one or two contacts; more, the judge walks the list
_CONTACT_FOUND, _CONTACT_FOUND_FORCE = 1, 3        # mjtConDataField bits: found; found and force
_REDUCE_NONE = 0


def _add_cup_contact_sensors(spec: mujoco.MjSpec) -> None:
    contact, geom, subtree = mujoco.mjtSensor.mjSENS_CONTACT, mujoco.mjtObj.mjOBJ_GEOM, mujoco.mjtObj.mjOBJ_XBODY
    spec.add_sensor(name=CUP_TOUCH_SENSOR, type=contact, objtype=geom, objname="cup_wall",
                    intprm=[_CONTACT_FOUND, _REDUCE_NONE, 1])
    for name, finger in CUP_JAW_SENSORS:     # a finger's subtree: the finger and its pad
        spec.add_sensor(name=name, type=contact, objtype=geom, objname="cup_wall", reftype=subtree,
                        refname=finger, intprm=[_CONTACT_FOUND_FORCE, _REDUCE_NONE, CUP_JAW_SLOTS])


def tilt_rad(quat_wxyz: np.ndarray) -> float:
    """Angle between a body's z axis and the world z axis."""
    w, x, y, z = quat_wxyz
    zz = 1.0 - 2.0 * (x * x + y * y)   # R[2, 2]
    return math.acos(max(-1.0, min(1.0, zz)))
