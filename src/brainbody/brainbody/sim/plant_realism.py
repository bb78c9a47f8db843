"""How the simulated robot differs from its datasheet (plant side only).

With ``SceneConfig.plant == "honest"`` the simulated arm is a particular robot, drawn from
``SceneConfig.robot_seed``, that the body never sees:

* rigid bodies: link masses, centres of mass and inertias off the URDF by about their
  identification uncertainty, and an unknown payload (a tool bracket) on the hand;
* gear stages: stiffness values and breakpoints, lost motion and friction levels off the
  nominal profile (``config/sim_drivetrain.yaml``), unit to unit;
* motor-side friction of another model class than the body's compensator: LuGre bristle
  dynamics (pre-sliding hysteresis, frictional lag) instead of a static Coulomb/Stribeck
  map, its level rippling with the wave-generator angle, its viscous part changing with the
  lubricant temperature (which starts at the room's and rises with the friction heat);
* motor cogging, torque-constant error, current-offset bias and current noise on every
  commanded torque;
* encoder count jitter, link (absolute) encoder eccentricity error, and pad force sensors
  with gain error, bias and noise.

Everything here is written against the plant's own state (MuJoCo's ``qpos``/``qvel``) and
its own numbers; nothing is shared with body/ (the compensators' model structure is
Coulomb + viscous + Stribeck, piecewise stiffness from their estimates file). The episode's
sensor noise is seeded by ``(robot_seed, seed)``, so runs stay reproducible.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional, Sequence

import mujoco
import numpy as np

from brainbody.jit import kernel, records
from brainbody.sim.motor_thermal import BuiltMotors
from brainbody.sim import PLANTS  # noqa: F401 - the names, with the module that makes them

# Bodies whose inertials a real unit has off its URDF (the hand included: cables, screws).
_LINKS = tuple(f"panda_link{i}" for i in range(1, 8)) + ("panda_hand",)


@dataclasses.dataclass(frozen=True)
class RealismSpread:
    """How far a real unit strays from its datasheet (1-sigma unless a range is given).

    Magnitudes follow what identification papers report for arms of this class (masses to
    about 5-10 %, centres of mass to millimetres, inertias to 10-20 %), what gear makers
    guarantee per unit (stiffness and lost motion +/-10-15 %), and what drive and sensor
    datasheets allow (torque constant +/-3 %, current offset ~0.2 % of peak); a motor's thermal
    values (winding resistance, thermal resistances, heat capacities) within +/-5 % of its type.
    """

    mass_frac: float = 0.08
    com_m: float = 0.008
    inertia_frac: float = 0.15
    payload_kg: tuple[float, float] = (0.05, 0.25)
    stiffness_frac: float = 0.12          # uniform +/-, per value
    breakpoint_frac: float = 0.15
    lost_motion_frac: float = 0.15
    friction_frac: float = 0.20
    presliding_rad: float = 2e-4          # bristle deflection at the static level (output side)
    bristle_damping_ratio: float = 0.7
    friction_ripple_frac: float = 0.10
    cogging_frac_of_limit: float = 0.004
    cogging_periods_per_rev: float = 6.0
    room_temp_c: tuple[float, float] = (12.0, 35.0)
    viscous_temp_coeff_per_c: float = 0.025   # oil thins as it warms: exp(-a (T - 25))
    lube_heat_capacity_j_per_k: float = 150.0
    lube_resistance_k_per_w: float = 1.5
    kt_error_frac: float = 0.03           # the motors' torque constants at 25 C, uniform +/-
    motor_thermal_frac: float = 0.05      # each motor's thermal values (sim/motor_thermal.py), uniform +/-
    current_bias_frac_of_limit: float = 0.002
    current_noise_frac_of_limit: float = 0.001
    encoder_jitter_counts: float = 0.5
    link_encoder_eccentricity_rad: float = 5e-5
    pad_gain_frac: float = 0.03
    pad_bias_n: float = 0.03
    pad_noise_n: float = 0.02


def _clipped_normal(rng: np.random.Generator, sigma: float, size=None) -> np.ndarray:
    """Normal draws cut at 2 sigma: a unit outside that is rejected at the factory."""
    return np.clip(rng.normal(0.0, sigma, size), -2 * sigma, 2 * sigma)


def perturbed_drivetrains(drivetrains: Sequence, robot_seed: int,
                          spread: RealismSpread = RealismSpread()) -> list:
    """This unit's gear stages: each nominal profile value off by a per-unit factor."""
    rng = np.random.default_rng([robot_seed, 1])
    out = []
    for drive in drivetrains:
        if drive is None:
            out.append(None)
            continue
        u = lambda frac: 1.0 + rng.uniform(-frac, frac)   # noqa: E731
        k1 = drive.stiffness_k1_nm_per_rad * u(spread.stiffness_frac)
        k2 = max(drive.stiffness_k2_nm_per_rad * u(spread.stiffness_frac), k1)
        k3 = max(drive.stiffness_k3_nm_per_rad * u(spread.stiffness_frac), k2)
        t1 = drive.stiffness_t1_nm * u(spread.breakpoint_frac)
        t2 = max(drive.stiffness_t2_nm * u(spread.breakpoint_frac), 1.2 * t1)
        coulomb = drive.coulomb_nm * u(spread.friction_frac)
        static = max(drive.static_nm * u(spread.friction_frac), coulomb)
        out.append(dataclasses.replace(
            drive, stiffness_k1_nm_per_rad=k1, stiffness_k2_nm_per_rad=k2, stiffness_k3_nm_per_rad=k3,
            stiffness_t1_nm=t1, stiffness_t2_nm=t2, backlash_arcmin=drive.backlash_arcmin * u(spread.lost_motion_frac),
            coulomb_nm=coulomb, static_nm=static,
            viscous_nms_per_rad=drive.viscous_nms_per_rad * u(spread.friction_frac),
            output_coulomb_nm=drive.output_coulomb_nm * u(spread.friction_frac)))
    return out


def without_motor_friction(drive):
    """The gear stage for MuJoCo's hinge pair when LuGre (not frictionloss) is the motor friction."""
    if drive is None:
        return None
    return dataclasses.replace(drive, coulomb_nm=0.0, static_nm=0.0, viscous_nms_per_rad=0.0)


def perturb_inertials(spec: mujoco.MjSpec, robot_seed: int, spread: RealismSpread = RealismSpread()) -> float:
    """Moves this unit's link inertials off the URDF and hangs an unknown payload on the hand.

    Returns the payload mass (kg), for ground-truth reports only.
    """
    rng = np.random.default_rng([robot_seed, 2])
    for name in _LINKS:
        body = spec.body(name)
        body.mass = float(body.mass) * (1.0 + float(_clipped_normal(rng, spread.mass_frac)))
        body.ipos = np.asarray(body.ipos, dtype=float) + _clipped_normal(rng, spread.com_m, 3)
        # One factor per body keeps the tensor positive definite (a scaled copy of a valid one).
        body.fullinertia = np.asarray(body.fullinertia, dtype=float) * (
            1.0 + float(_clipped_normal(rng, spread.inertia_frac)))
    payload = float(rng.uniform(*spread.payload_kg))
    offset = [float(rng.uniform(-0.03, 0.03)), float(rng.uniform(-0.03, 0.03)), float(rng.uniform(0.0, 0.05))]
    side = 0.04
    spec.body("panda_hand").add_body(name="unknown_payload", pos=offset, mass=payload,
                                     inertia=[payload * side * side / 6.0] * 3, explicitinertial=True)
    return payload


# Per geared joint: LuGre parameters (output-side units), ripple, cogging, lubricant, then the
# bristle state and the lubricant's temperature (one record: one kernel argument).
_FRICTION = np.dtype([("sigma0", "f8"), ("sigma1", "f8"), ("sigma1_velocity", "f8"), ("coulomb", "f8"),
                      ("static", "f8"), ("stribeck_velocity", "f8"), ("viscous_25c", "f8"),
                      ("viscous_temp_coeff", "f8"), ("ratio", "f8"), ("ripple", "f8"), ("ripple_phase", "f8"),
                      ("cogging", "f8"), ("cogging_periods", "f8"), ("cogging_phase", "f8"),
                      ("heat_capacity", "f8"), ("resistance", "f8"), ("room_temp", "f8"),
                      ("z", "f8"), ("lube_temp", "f8")])


@kernel
def _lugre_step(joints, motor_qpos, motor_dof, qpos, qvel, qfrc_applied, dt):
    """Adds each motor's LuGre friction and cogging torque to ``qfrc_applied`` and advances the
    bristle and lubricant states by ``dt``."""
    for i in range(joints.shape[0]):
        p = s = joints[i]
        v = qvel[motor_dof[i]]
        shaft = qpos[motor_qpos[i]] * p.ratio          # motor shaft angle (rad at the motor)
        level = p.coulomb + (p.static - p.coulomb) * math.exp(-(v / p.stribeck_velocity) ** 2)
        level *= 1.0 + p.ripple * math.sin(2.0 * shaft + p.ripple_phase)
        # Exact update of dz/dt = v - sigma0 |v| z / level over the step (stable at any stiffness).
        z_ss = math.copysign(level / p.sigma0, v) if v != 0.0 else s.z
        decay = math.exp(-p.sigma0 * abs(v) * dt / level)
        z_new = z_ss + (s.z - z_ss) * decay
        z_dot = (z_new - s.z) / dt
        s.z = z_new
        viscous = p.viscous_25c * math.exp(-p.viscous_temp_coeff * (s.lube_temp - 25.0))
        damping = p.sigma1 * math.exp(-(v / p.sigma1_velocity) ** 2)
        friction = p.sigma0 * z_new + damping * z_dot + viscous * v
        cogging = p.cogging * math.sin(p.cogging_periods * shaft + p.cogging_phase)
        qfrc_applied[motor_dof[i]] += -friction + cogging
        heat = abs(friction * v)
        s.lube_temp += (heat - (s.lube_temp - p.room_temp) / p.resistance) * dt / p.heat_capacity


class PadSensorErrors:
    """The fingertip force sensors of a real hand: gain error and bias per pad (per axis), and
    noise; the touch reading is the normal (y) axis of the 3-axis sensor."""

    def __init__(self, robot_seed: int, episode_seed: int, spread: RealismSpread = RealismSpread()):
        rng = np.random.default_rng([robot_seed, 5])
        self._gain = 1.0 + rng.uniform(-spread.pad_gain_frac, spread.pad_gain_frac, 2)
        self._bias = _clipped_normal(rng, spread.pad_bias_n, (2, 3))
        self._sigma = spread.pad_noise_n
        self._noise = np.random.default_rng([robot_seed, episode_seed, 6])

    def read(self, normal_n: np.ndarray, xyz_n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(touch (2,), 3-axis (2, 3)) as the sensors report the true pad forces."""
        noisy = xyz_n * self._gain[:, None] + self._bias + self._noise.normal(0.0, self._sigma, (2, 3))
        normal = normal_n * self._gain + self._bias[:, 1] + self._noise.normal(0.0, self._sigma, 2)
        return normal, noisy


class HonestPlant:
    """The run-time part of the honest plant: motor friction, drive and sensor imperfections.

    Args:
        model: the compiled scene (its arm joints' motor hinges).
        joint_names: the seven arm joints.
        drivetrains: this unit's (perturbed) gear stages, None for rigid joints.
        robot_seed: which unit (fixed parameters); ``episode_seed``: this run's noise.
    """

    def __init__(self, model: mujoco.MjModel, joint_names: Sequence[str], drivetrains: Sequence,
                 torque_limit_nm: np.ndarray, *, robot_seed: int, episode_seed: int,
                 spread: RealismSpread = RealismSpread()):
        rng = np.random.default_rng([robot_seed, 3])
        self.spread = spread
        self.drivetrains = list(drivetrains)
        geared = [i for i, d in enumerate(drivetrains) if d is not None]
        self._geared = np.array(geared, dtype=int)
        self._motor_qpos = np.array([model.jnt_qposadr[model.joint(joint_names[i]).id] for i in geared], dtype=np.int64)
        self._motor_dof = np.array([model.jnt_dofadr[model.joint(joint_names[i]).id] for i in geared], dtype=np.int64)
        p = self._joints = records(len(geared), _FRICTION)
        room = rng.uniform(*spread.room_temp_c)
        self.room_temp_c = float(room)
        for k, i in enumerate(geared):
            d = drivetrains[i]
            armature = d.armature_kgm2
            p[k]["sigma0"] = max(d.static_nm, 1e-3) / spread.presliding_rad
            p[k]["sigma1"] = 2.0 * spread.bristle_damping_ratio * math.sqrt(p[k]["sigma0"] * armature)
            p[k]["sigma1_velocity"] = 0.01
            p[k]["coulomb"], p[k]["static"] = max(d.coulomb_nm, 1e-4), max(d.static_nm, 1e-4)
            p[k]["stribeck_velocity"] = max(d.stribeck_velocity_radps, 1e-4)
            p[k]["viscous_25c"] = d.viscous_nms_per_rad
            p[k]["viscous_temp_coeff"] = spread.viscous_temp_coeff_per_c
            p[k]["ratio"] = d.ratio
            p[k]["ripple"] = spread.friction_ripple_frac * rng.uniform(0.5, 1.0)
            p[k]["ripple_phase"] = rng.uniform(0.0, 2 * math.pi)
            p[k]["cogging"] = spread.cogging_frac_of_limit * d.torque_limit_nm * rng.uniform(0.5, 1.0)
            p[k]["cogging_periods"] = spread.cogging_periods_per_rev
            p[k]["cogging_phase"] = rng.uniform(0.0, 2 * math.pi)
            p[k]["heat_capacity"] = spread.lube_heat_capacity_j_per_k
            p[k]["resistance"] = spread.lube_resistance_k_per_w
            p[k]["room_temp"] = room
        self._joints["lube_temp"] = room
        self._new_friction = {k: p[k].copy() for k in ("coulomb", "static", "viscous_25c")}
        limit = np.asarray(torque_limit_nm, dtype=float)
        # The motors as built: their own constants (the plant's motors apply them to the torque
        # and to the back-EMF alike, as one magnet strength does) and thermal values.
        self.motors = BuiltMotors(kt_factor=1.0 + rng.uniform(-spread.kt_error_frac, spread.kt_error_frac, 7),
                                  seed=int(robot_seed), thermal_spread=spread.motor_thermal_frac)
        self._current_bias = _clipped_normal(rng, spread.current_bias_frac_of_limit, 7) * limit
        self._current_noise = spread.current_noise_frac_of_limit * limit
        self._link_ecc = spread.link_encoder_eccentricity_rad * rng.uniform(0.5, 1.0, 7)
        self._link_ecc_phase = rng.uniform(0.0, 2 * math.pi, 7)
        self._noise = np.random.default_rng([robot_seed, episode_seed, 4])
        self.pads = PadSensorErrors(robot_seed, episode_seed, spread)

    # -- physics --------------------------------------------------------------------------
    def set_friction_wear(self, friction_factor: np.ndarray) -> None:
        """Worn reducers (``sim/reducer_wear.py``): each geared joint's motor friction (static,
        Coulomb, viscous) as this multiple (7) of this unit's new one."""
        factor = np.asarray(friction_factor, dtype=float)[self._geared]
        for key, new in self._new_friction.items():
            self._joints[key] = new * factor

    def apply(self, data: mujoco.MjData, dt: float) -> None:
        """Adds motor friction and cogging for the coming step (after the drivetrain's own)."""
        if len(self._geared):
            _lugre_step(self._joints, self._motor_qpos, self._motor_dof, data.qpos, data.qvel,
                        data.qfrc_applied, dt)

    def actuate(self, torque_nm: np.ndarray) -> np.ndarray:
        """What a drive's current loop makes of a command, as torque at the datasheet's
        constant: its current offset and noise (the motor's own constant is the motors')."""
        noise = self._noise.normal(0.0, 1.0, 7) * self._current_noise
        return np.asarray(torque_nm, dtype=float) + self._current_bias + noise

    # -- sensors --------------------------------------------------------------------------
    def motor_encoder(self, q_rad: np.ndarray, quantum_rad: np.ndarray) -> np.ndarray:
        """Count jitter: the reading lands a count or so off now and then."""
        counts = np.rint(self._noise.normal(0.0, self.spread.encoder_jitter_counts, q_rad.shape[0]))
        return q_rad + counts * quantum_rad

    def link_encoder(self, q_link_rad: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """An absolute encoder's once-per-turn eccentricity error."""
        if q_link_rad is None:
            return None
        return q_link_rad + self._link_ecc * np.sin(q_link_rad + self._link_ecc_phase)

    def pad_forces(self, normal_n: np.ndarray, xyz_n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.pads.read(normal_n, xyz_n)

    # -- ground truth (benchmarks only) ------------------------------------------------------
    @property
    def lube_temp_c(self) -> np.ndarray:
        return self._joints["lube_temp"].copy()

    def sliding_friction(self) -> tuple[np.ndarray, np.ndarray]:
        """Each arm joint's motor friction while it slides (7,) each, NaN for rigid joints:
        the LuGre model's steady-state Coulomb level (N m, output side; past the Stribeck
        region, its ripple and cogging averaging out over the motion) and its viscous
        coefficient at the lubricant's present temperature (N m s/rad)."""
        coulomb, viscous = np.full(7, np.nan), np.full(7, np.nan)
        p = s = self._joints
        coulomb[self._geared] = p["coulomb"]
        viscous[self._geared] = p["viscous_25c"] * np.exp(-p["viscous_temp_coeff"] * (s["lube_temp"] - 25.0))
        return coulomb, viscous
