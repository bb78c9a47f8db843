"""The simulated joint drivetrain: motor, gear stage with backlash and compliance, friction,
encoders. Plant side only.

Each drivetrain joint of the URDF becomes two coincident hinges (the construction the
MuJoCo documentation suggests for backlash):

    parent ── panda_jointN (motor side) ── <linkN>_drive ── panda_jointN_gear (twist) ── linkN

* ``panda_jointN`` is the motor shaft in output units. It carries the reflected rotor
  inertia (``armature = J_rotor * ratio^2``), the motor-side friction (static level as
  MuJoCo ``frictionloss``, viscous as ``damping``; the Stribeck drop from static to Coulomb
  is an explicit speed-dependent torque), the torque-limited actuator and the joint range.
* ``panda_jointN_gear`` is the twist across the gear stage. Inside +/- backlash/2 it is
  free; beyond, the strain-wave style piecewise stiffness K1/K2/K3 and a structural
  damper transmit torque. That torque is applied every step by :meth:`Drivetrain.apply`.
* The output bearing's Coulomb friction acts on the link angle (motor + twist) through a
  fixed tendon with ``frictionloss``.
* Encoders quantise the motor angle (counts per motor revolution, so ``ratio`` times finer
  at the output) and, when present, the link angle.

A joint whose profile is ``rigid`` keeps the single URDF hinge. Nothing here is shared
with the controller: it gets its own estimates (``config/drivetrain_estimates.yaml``).
"""
from __future__ import annotations

import dataclasses
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Mapping, Optional, Sequence

import mujoco
import numpy as np
import yaml

from brainbody.exceptions import BrainBodyError
from brainbody.jit import kernel, records

RIGID = "rigid"
_ARCMIN = math.pi / (180.0 * 60.0)
_PER_JOINT = ("rotor_inertia_kgm2", "backlash_arcmin", "stiffness_k1_nm_per_rad", "stiffness_k2_nm_per_rad",
              "stiffness_k3_nm_per_rad", "stiffness_t1_nm", "stiffness_t2_nm", "structural_damping_ratio",
              "coulomb_nm", "static_nm", "stribeck_velocity_radps", "viscous_nms_per_rad", "output_coulomb_nm",
              "torque_limit_nm", "ratio", "motor_encoder_counts_per_rev", "link_encoder_counts_per_rev")


@dataclasses.dataclass(frozen=True)
class JointDrivetrain:
    """One joint's drivetrain as the plant really has it (output-side units)."""

    profile: str
    ratio: float
    rotor_inertia_kgm2: float
    backlash_arcmin: float
    stiffness_k1_nm_per_rad: float
    stiffness_k2_nm_per_rad: float
    stiffness_k3_nm_per_rad: float
    stiffness_t1_nm: float
    stiffness_t2_nm: float
    structural_damping_ratio: float
    coulomb_nm: float
    static_nm: float
    stribeck_velocity_radps: float
    viscous_nms_per_rad: float
    output_coulomb_nm: float
    torque_limit_nm: float
    motor_encoder_counts_per_rev: int
    link_encoder_counts_per_rev: int

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name != "profile" and (not math.isfinite(v) or v < 0):
                raise ValueError(f"drivetrain {self.profile!r}: {f.name} must be finite and >= 0, got {v!r}")
        if self.ratio < 1 or self.rotor_inertia_kgm2 <= 0 or self.stiffness_k1_nm_per_rad <= 0:
            raise ValueError(f"drivetrain {self.profile!r}: ratio >= 1, rotor inertia and K1 > 0 required")
        if not 0 < self.stiffness_t1_nm < self.stiffness_t2_nm:
            raise ValueError(f"drivetrain {self.profile!r}: need 0 < T1 < T2")
        if self.static_nm < self.coulomb_nm:
            raise ValueError(f"drivetrain {self.profile!r}: static friction below Coulomb friction")
        if self.motor_encoder_counts_per_rev < 1:
            raise ValueError(f"drivetrain {self.profile!r}: motor encoder needs >= 1 count per revolution")

    @property
    def armature_kgm2(self) -> float:
        return self.rotor_inertia_kgm2 * self.ratio ** 2

    @property
    def lost_motion_rad(self) -> float:
        return self.backlash_arcmin * _ARCMIN


def default_profiles_path() -> Path:
    from brainbody.share_files import find_share_file
    return find_share_file("config", "sim_drivetrain.yaml")


def load_profiles(path: Optional[Path] = None) -> dict[str, list[JointDrivetrain]]:
    """Named plant profiles, each as seven :class:`JointDrivetrain`.

    Raises:
        BrainBodyError: missing file, unknown or missing keys, wrong list lengths, bad values.
    """
    path = Path(path or default_profiles_path())
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["profiles"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise BrainBodyError(f"cannot read drivetrain profiles from {path}: {exc}") from exc
    profiles = {}
    for name, entry in raw.items():
        entry = dict(entry)
        entry.pop("description", None)
        unknown = set(entry) - set(_PER_JOINT)
        missing = set(_PER_JOINT) - set(entry)
        if unknown or missing:
            raise BrainBodyError(f"drivetrain profile {name!r}: unknown keys {sorted(unknown)}, "
                                 f"missing {sorted(missing)}")
        columns = {}
        for key, value in entry.items():
            values = list(value) if isinstance(value, (list, tuple)) else [value] * 7
            if len(values) != 7:
                raise BrainBodyError(f"drivetrain profile {name!r}: {key} needs 1 or 7 values")
            columns[key] = values
        try:
            profiles[name] = [JointDrivetrain(profile=name, **{k: columns[k][i] for k in columns})
                              for i in range(7)]
        except (TypeError, ValueError) as exc:
            raise BrainBodyError(str(exc)) from exc
    return profiles


def profile_names(path: Optional[Path] = None) -> tuple[str, ...]:
    """Every profile a joint may use: the names in the profiles file, plus ``rigid``.

    Raises:
        BrainBodyError: the file is missing or has no ``profiles`` mapping.
    """
    path = Path(path or default_profiles_path())
    try:
        names = sorted(yaml.safe_load(path.read_text(encoding="utf-8"))["profiles"])
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise BrainBodyError(f"cannot read drivetrain profiles from {path}: {exc}") from exc
    return tuple(names) + (RIGID,)


def resolve(names: Sequence[str], profiles: Mapping[str, list[JointDrivetrain]]) -> list[Optional[JointDrivetrain]]:
    """Per-joint drivetrains from per-joint profile names (``rigid``: none)."""
    if len(names) != 7:
        raise BrainBodyError(f"need a drivetrain profile for each of 7 joints, got {len(names)}")
    out = []
    for i, name in enumerate(names):
        if name == RIGID:
            out.append(None)
        elif name in profiles:
            out.append(profiles[name][i])
        else:
            raise BrainBodyError(f"unknown drivetrain profile {name!r}; known: {sorted(profiles) + [RIGID]}")
    return out


def insert_gear_stages(xml: str, joint_names: Sequence[str],
                       drivetrains: Sequence[Optional[JointDrivetrain]]) -> str:
    """MJCF with a motor hinge and a gear-twist hinge for each joint that has a drivetrain."""
    root = ET.fromstring(xml)
    parents = {child: parent for parent in root.iter() for child in parent}
    tendon = root.find("tendon")
    for name, drive in zip(joint_names, drivetrains):
        if drive is None:
            continue
        joint = root.find(f".//joint[@name='{name}']")
        if joint is None:
            raise BrainBodyError(f"joint {name!r} not in the robot model")
        link = parents[joint]
        parent = parents[link]
        stage = ET.Element("body", {"name": f"{link.get('name')}_drive"})
        for key in ("pos", "quat"):
            if key in link.attrib:
                stage.set(key, link.attrib.pop(key))
        # The motor-side body has no mass of its own: its inertia is the joint's armature.
        ET.SubElement(stage, "inertial", {"pos": "0 0 0", "mass": "1e-6", "diaginertia": "1e-9 1e-9 1e-9"})
        link.remove(joint)
        joint.set("armature", repr(drive.armature_kgm2))
        joint.set("damping", repr(drive.viscous_nms_per_rad))
        joint.set("frictionloss", repr(drive.static_nm))
        stage.append(joint)
        gear = ET.Element("joint", {"name": f"{name}_gear"})
        if "axis" in joint.attrib:
            gear.set("axis", joint.get("axis"))
        link.insert(0, gear)
        index = list(parent).index(link)
        parent.remove(link)
        stage.append(link)
        parent.insert(index, stage)
        if drive.output_coulomb_nm > 0:
            if tendon is None:
                tendon = ET.SubElement(root, "tendon")
            fixed = ET.SubElement(tendon, "fixed", {"name": f"{name}_output_bearing",
                                                    "frictionloss": repr(drive.output_coulomb_nm)})
            ET.SubElement(fixed, "joint", {"joint": name, "coef": "1"})
            ET.SubElement(fixed, "joint", {"joint": f"{name}_gear", "coef": "1"})
    return ET.tostring(root, encoding="unicode")



# One geared joint of the plant: dead zone, stiffness breakpoints (as twists beyond the dead
# zone), structural damping and the Stribeck drop of its motor friction.
_GEAR = np.dtype([("half_gap", "f8"), ("k1", "f8"), ("k2", "f8"), ("k3", "f8"), ("th1", "f8"), ("th2", "f8"),
                  ("damping", "f8"), ("stribeck_drop", "f8"), ("stribeck_velocity", "f8"),
                  # Where the stage is in MuJoCo's arrays: its gear hinge (qpos, dof), its motor hinge (dof).
                  ("gear_qpos", "i8"), ("gear_dof", "i8"), ("motor_dof", "i8")])


@kernel
def _joint_twist_torque(g, twist):
    """Elastic torque across one gear stage for a twist (dead zone, then K1/K2/K3: stiffness
    rises at each breakpoint, a sum of ramps)."""
    d = max(abs(twist) - g.half_gap, 0.0)
    torque = g.k1 * d + (g.k2 - g.k1) * max(d - g.th1, 0.0) + (g.k3 - g.k2) * max(d - g.th2, 0.0)
    return math.copysign(torque, twist)


@kernel
def _twist_torques(gears, twist):
    return np.array([_joint_twist_torque(gears[i], twist[i]) for i in range(gears.shape[0])])


@kernel
def _apply(gears, qpos, qvel, qfrc_applied, gear_torque):
    """Gear-stage torques (and their reaction on the motor side through the hinge pair) and
    the Stribeck drop into ``qfrc_applied``; the transmitted torques into ``gear_torque``."""
    for i in range(gears.shape[0]):
        g = gears[i]
        twist = qpos[g.gear_qpos]
        torque = _joint_twist_torque(g, twist)
        if abs(twist) > g.half_gap:
            torque += g.damping * qvel[g.gear_dof]
        gear_torque[i] = torque
        qfrc_applied[g.gear_dof] = -torque
        # Stribeck: frictionloss holds the static level; moving, friction falls towards Coulomb.
        v = qvel[g.motor_dof]
        qfrc_applied[g.motor_dof] = g.stribeck_drop * (1.0 - math.exp(-(v / g.stribeck_velocity) ** 2)) * np.sign(v)


@kernel
def _link_angles(qpos, motor_qpos, gear_qpos):
    """Motor angle plus gear twist per joint (a rigid joint, ``gear_qpos`` -1, has no twist)."""
    out = np.empty(motor_qpos.shape[0])
    for i in range(motor_qpos.shape[0]):
        out[i] = qpos[motor_qpos[i]] + (qpos[gear_qpos[i]] if gear_qpos[i] >= 0 else 0.0)
    return out


@kernel
def _in_counts(angle, quantum):
    """An angle as an encoder with counts of ``quantum`` reads it (0: ideal)."""
    return math.floor(angle / quantum + 0.5) * quantum if quantum > 0.0 else angle


@kernel
def _encoder(qpos, motor_qpos, gear_qpos, quantum):
    """An encoder's reading per joint in one pass: the motor angle, plus the gear twist where
    ``gear_qpos`` is given (a link encoder; -1: none, or a motor encoder), in whole counts."""
    out = np.empty(motor_qpos.shape[0])
    for i in range(motor_qpos.shape[0]):
        out[i] = _in_counts(qpos[motor_qpos[i]] + (qpos[gear_qpos[i]] if gear_qpos[i] >= 0 else 0.0), quantum[i])
    return out


# One arm joint's encoders: its motor hinge and gear hinge (-1: rigid) in qpos, and one count
# of each encoder in output radians (0: ideal).
ENCODER = np.dtype([("motor_qpos", "i8"), ("gear_qpos", "i8"), ("motor_quantum", "f8"), ("link_quantum", "f8")])


@kernel
def encoder_readings(qpos, encoders, motor, link):
    """Both encoders per joint (``encoders``: :data:`ENCODER` records) in one pass into
    ``motor`` and ``link`` (the sample the body reads every tick): the motor encoder (no twist)
    and the link encoder (motor angle plus twist), each in whole counts."""
    for i in range(encoders.shape[0]):
        e = encoders[i]
        angle = qpos[e.motor_qpos]
        motor[i] = _in_counts(angle, e.motor_quantum)
        link[i] = _in_counts(angle + (qpos[e.gear_qpos] if e.gear_qpos >= 0 else 0.0), e.link_quantum)


class Drivetrain:
    """Run-time part of the plant: gear-stage torque, Stribeck friction, encoders.

    Call :meth:`apply` before every ``mj_step``.
    """

    def __init__(self, model: mujoco.MjModel, joint_names: Sequence[str],
                 drivetrains: Sequence[Optional[JointDrivetrain]]):
        self.drivetrains = list(drivetrains)
        d = [dt for dt in drivetrains if dt is not None]
        idx = [i for i, dt in enumerate(drivetrains) if dt is not None]
        self._idx = np.array(idx, dtype=int)
        self._motor_qpos = np.array([model.jnt_qposadr[model.joint(n).id] for n in joint_names])
        self._motor_dof = np.array([model.jnt_dofadr[model.joint(n).id] for n in joint_names])
        self._gear_qpos = np.array([model.jnt_qposadr[model.joint(f"{joint_names[i]}_gear").id] for i in idx],
                                   dtype=int)
        self._gear_dof = np.array([model.jnt_dofadr[model.joint(f"{joint_names[i]}_gear").id] for i in idx],
                                  dtype=int)
        self._geared_motor_dof = self._motor_dof[self._idx] if len(idx) else np.zeros(0, dtype=int)
        hinges = (self._gear_qpos, self._gear_dof, self._geared_motor_dof)   # for the records (before slicing)
        # Per arm joint: its motor hinge and its gear hinge (-1: rigid) in qpos, for the link angle.
        self._link_index = (self._motor_qpos.astype(np.int64),
                            np.array([-1] * len(joint_names), dtype=np.int64))
        self._link_index[1][self._idx] = self._gear_qpos
        self._no_gear = np.full(len(joint_names), -1, dtype=np.int64)     # the motor encoders see no twist
        # Motor and gear hinges alternate in qpos/qvel: evenly spaced indices become strided
        # slices (views), much cheaper than fancy indexing every physics step.
        self._motor_qpos, self._motor_dof, self._gear_qpos, self._gear_dof, self._geared_motor_dof = (
            _strided(a) for a in (self._motor_qpos, self._motor_dof, self._gear_qpos, self._gear_dof,
                                  self._geared_motor_dof))
        arr = lambda key: np.array([getattr(dt, key) for dt in d], dtype=float)  # noqa: E731
        self._half_gap = 0.5 * arr("lost_motion_rad")
        k1, k2, k3 = arr("stiffness_k1_nm_per_rad"), arr("stiffness_k2_nm_per_rad"), arr("stiffness_k3_nm_per_rad")
        t1, t2 = arr("stiffness_t1_nm"), arr("stiffness_t2_nm")
        self._k = (k1, k2, k3)
        self._t = (t1, t2)
        self._th1 = t1 / k1                    # twist where K2 takes over
        self._th2 = self._th1 + (t2 - t1) / k2  # twist where K3 takes over
        g = self._gears = records(len(idx), _GEAR)
        g["half_gap"], g["k1"], g["k2"], g["k3"] = self._half_gap, k1, k2, k3
        g["th1"], g["th2"] = self._th1, self._th2
        g["damping"] = 2.0 * arr("structural_damping_ratio") * np.sqrt(k1 * arr("armature_kgm2"))
        g["stribeck_drop"] = arr("static_nm") - arr("coulomb_nm")
        g["stribeck_velocity"] = np.maximum(arr("stribeck_velocity_radps"), 1e-6)
        g["gear_qpos"], g["gear_dof"], g["motor_dof"] = hinges
        all_dt = list(drivetrains)
        # Output-side quantum of each encoder; rigid joints get an ideal (unquantised) encoder.
        self._motor_quantum = np.array([0.0 if dt is None else 2 * math.pi / (dt.motor_encoder_counts_per_rev * dt.ratio)
                                        for dt in all_dt])
        self.has_link_encoder = bool(all(dt is None or dt.link_encoder_counts_per_rev > 0 for dt in all_dt))
        self._link_quantum = np.array([0.0 if dt is None else 2 * math.pi / max(dt.link_encoder_counts_per_rev, 1)
                                       for dt in all_dt])
        enc = self.encoders = records(len(joint_names), ENCODER)   # for the simulator's read kernel
        enc["motor_qpos"], enc["gear_qpos"] = self._link_index
        enc["motor_quantum"], enc["link_quantum"] = self._motor_quantum, self._link_quantum
        self.gear_torque_nm = np.zeros(len(idx))
        # As built, for wear (set_wear scales from these).
        self._model = model
        self._new_half_gap = self._half_gap.copy()
        self._new_stribeck_drop = g["stribeck_drop"].copy()
        motor_dofs = np.array([model.jnt_dofadr[model.joint(joint_names[i]).id] for i in idx], dtype=int)
        self._wear_dofs = motor_dofs
        self._new_frictionloss = model.dof_frictionloss[motor_dofs].copy()
        self._new_damping = model.dof_damping[motor_dofs].copy()

    @property
    def geared(self) -> np.ndarray:
        """Which of the arm joints have a gear stage (7, bool)."""
        out = np.zeros(len(self.drivetrains), dtype=bool)
        out[self._idx] = True
        return out

    def set_wear(self, lost_motion_factor: np.ndarray, friction_factor: np.ndarray) -> None:
        """Worn gear stages (``sim/reducer_wear.py``): each geared joint's lost motion and
        motor friction (static, Coulomb, viscous) as these multiples (7) of the new ones."""
        if not len(self._idx):
            return
        lm, ff = np.asarray(lost_motion_factor)[self._idx], np.asarray(friction_factor)[self._idx]
        self._half_gap = self._new_half_gap * lm
        self._gears["half_gap"] = self._half_gap
        self._gears["stribeck_drop"] = self._new_stribeck_drop * ff
        self._model.dof_frictionloss[self._wear_dofs] = self._new_frictionloss * ff
        self._model.dof_damping[self._wear_dofs] = self._new_damping * ff

    @property
    def transmitted_torque_nm(self) -> np.ndarray:
        """Torque across each arm joint's gear stage (7; 0 on rigid joints), last step."""
        out = np.zeros(len(self.drivetrains))
        out[self._idx] = self.gear_torque_nm
        return out

    @property
    def any_geared(self) -> bool:
        return bool(len(self._idx))

    def twist_torque(self, twist_rad: np.ndarray) -> np.ndarray:
        """Elastic torque across the gear stage for a twist (dead zone, then K1/K2/K3)."""
        return _twist_torques(self._gears, np.asarray(twist_rad, dtype=float))

    def twist_for_torque(self, torque_nm: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`twist_torque` (the static twist that carries a torque)."""
        t = np.abs(torque_nm)
        k1, k2, k3 = self._k
        t1, t2 = self._t
        d = np.where(t <= t1, t / k1, np.where(t <= t2, self._th1 + (t - t1) / k2, self._th2 + (t - t2) / k3))
        return np.sign(torque_nm) * (self._half_gap + d)

    def settle_twist(self, data: mujoco.MjData, bias_force: np.ndarray) -> None:
        """Set each gear twist to carry the static load ``-bias`` (after ``mj_forward``)."""
        if len(self._idx):
            data.qpos[self._gear_qpos] = self.twist_for_torque(-bias_force[self._gear_dof])

    def apply(self, data: mujoco.MjData) -> None:
        if not len(self._idx):
            return
        _apply(self._gears, data.qpos, data.qvel, data.qfrc_applied, self.gear_torque_nm)

    # -- what the sensors report ---------------------------------------------------------
    def motor_angle_rad(self, data: mujoco.MjData) -> np.ndarray:
        return data.qpos[self._motor_qpos]

    def link_angle_rad(self, data: mujoco.MjData) -> np.ndarray:
        """True output angle (ground truth)."""
        return _link_angles(data.qpos, *self._link_index)

    def motor_encoder_rad(self, data: mujoco.MjData) -> np.ndarray:
        return _encoder(data.qpos, self._link_index[0], self._no_gear, self._motor_quantum)

    @property
    def motor_encoder_quantum_rad(self) -> np.ndarray:
        """One motor-encoder count in output radians per joint (0: ideal, rigid joint)."""
        return self._motor_quantum

    def link_encoder_rad(self, data: mujoco.MjData) -> Optional[np.ndarray]:
        if not self.has_link_encoder:
            return None
        return _encoder(data.qpos, *self._link_index, self._link_quantum)

    def motor_velocity_radps(self, data: mujoco.MjData) -> np.ndarray:
        return data.qvel[self._motor_dof]


def _strided(index: np.ndarray):
    if len(index) > 1:
        step = int(index[1] - index[0])
        if step > 0 and np.all(np.diff(index) == step):
            return slice(int(index[0]), int(index[-1]) + 1, step)
    return index
