"""The joint motors' heat, plant side: what the body's thermal protection is judged against.

Per arm joint, a three-node network (``config/sim_motor_thermal.yaml``): winding, rotor
(the magnets) and housing, the housing losing heat to the ambient air. Copper loss
``I^2 R(T_winding)`` heats the winding, with ``R`` rising 0.393 %/C; iron loss, growing with
the square of the motor speed, heats the rotor. The magnets' torque constant falls with
their temperature (NdFeB, about -0.11 %/C) and, once they pass their grade's limit
(150 C for SH), loses a part for good: the loss grows with the highest excursion and never
comes back (:attr:`MotorThermalPlant.kt_loss_fraction`, :attr:`MotorThermalPlant.demagnetisation_events`).

The drive turns each commanded joint torque into a current with the *datasheet* torque
constant (what its firmware knows); the torque the joint really gets is that current times
the motor's *actual* constant (hot, perhaps demagnetised) times the gear ratio. Each joint
reports a housing temperature (a thermistor: sampled at 10 Hz, noisy, quantised), and each
drive the q-axis current it measures (a gain error and noise) and the q-axis voltage it
applies over the step: ``R(T_winding) i + L di/dt`` plus the back-EMF of the magnets' actual
constant, a dead-time residual and noise.

Written apart from the body's estimator (``body/motor_thermal.py``): no shared code, constants
or model structure (the body assumes a two-term impedance for the winding, a lag for the
magnets that heats nothing back, and no iron loss). Its ground truth
(winding, magnet, housing temperatures, demagnetisation) is for tests and benchmarks only.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import yaml

from brainbody.exceptions import BrainBodyError
from brainbody.jit import kernel, records

_MOTOR_KEYS = ("ratio", "kt_datasheet_nm_per_a", "kt_at_25c_nm_per_a", "resistance_25c_ohm",
               "winding_housing_k_per_w", "winding_rotor_k_per_w", "rotor_housing_k_per_w",
               "housing_ambient_k_per_w", "winding_heat_capacity_j_per_k", "rotor_heat_capacity_j_per_k",
               "housing_heat_capacity_j_per_k", "iron_loss_w_per_radps2", "inductance_h")
_MATERIAL_KEYS = ("copper_resistance_per_c", "magnet_kt_per_c", "magnet_grade_limit_c",
                  "demagnetisation_loss_per_c", "demagnetisation_loss_max", "reference_c",
                  "housing_sensor_period_s", "housing_sensor_noise_c", "housing_sensor_resolution_c",
                  "drive_current_gain_error", "drive_current_noise_a", "drive_voltage_residual_v",
                  "drive_voltage_noise_v")
# Of a motor's values, the ones a build spread perturbs (the gear ratio, the torque
# constants and the inductance are not thermal properties), in the file's order (the order
# of the seeded draws).
_SPREAD_KEYS = tuple(k for k in _MOTOR_KEYS if k not in ("ratio", "kt_datasheet_nm_per_a", "kt_at_25c_nm_per_a",
                                                        "inductance_h"))
# The ones that may be zero (an ideal sensor, no iron loss) or negative.
_MAY_BE_ZERO = ("magnet_kt_per_c", "iron_loss_w_per_radps2", "housing_sensor_noise_c", "housing_sensor_resolution_c",
                "drive_current_gain_error", "drive_current_noise_a", "drive_voltage_residual_v",
                "drive_voltage_noise_v")
_NOISE_BLOCK = 1000          # the drives' noise is drawn this many steps at a time


@dataclasses.dataclass(frozen=True)
class MotorThermalPlantConfig:
    """How the simulated motors are built and where they run.

    Attributes:
        enabled: False: ideal motors (the commanded torque is produced, nothing heats).
        motors: the motor of each arm joint, by name in the motors file.
        ambient_c: air temperature around the arm (C).
        initial_c: every node's temperature at the start (a motor soaked at it); None: ambient.
        parameter_spread: each thermal value of each motor is multiplied by a factor drawn
            uniformly from [1 - spread, 1 + spread] (seeded): motors of one build differ.
        seed: draws the spread and the sensor noise.
        path: the motors file; None: ``config/sim_motor_thermal.yaml``.
        kt_loss: the share of each motor's torque constant already lost for good (7,): magnets
            demagnetised by an overheat before the run.
    """

    enabled: bool = True
    motors: tuple = ("large",) * 4 + ("small",) * 3
    ambient_c: float = 25.0
    initial_c: Optional[float] = None
    parameter_spread: float = 0.0
    seed: int = 0
    path: Optional[str] = None
    kt_loss: tuple = (0.0,) * 7

    def __post_init__(self):
        if len(self.motors) != 7:
            raise ValueError(f"motors needs a motor name for each of 7 joints, got {self.motors!r}")
        if not -40.0 <= self.ambient_c <= 80.0:
            raise ValueError(f"ambient_c must be in [-40, 80] C, got {self.ambient_c!r}")
        if self.initial_c is not None and not -40.0 <= self.initial_c <= 200.0:
            raise ValueError(f"initial_c must be in [-40, 200] C, got {self.initial_c!r}")
        if not 0.0 <= self.parameter_spread <= 0.5:
            raise ValueError(f"parameter_spread must be in [0, 0.5], got {self.parameter_spread!r}")
        if len(self.kt_loss) != 7 or not all(isinstance(x, (int, float)) and 0.0 <= x <= 0.5 for x in self.kt_loss):
            raise ValueError(f"kt_loss needs a share in [0, 0.5] for each of 7 motors, got {self.kt_loss!r}")


@dataclasses.dataclass(frozen=True)
class BuiltMotors:
    """A unit's motors as built, off their type (the honest plant's draws, ``sim/plant_realism.py``).

    Attributes:
        kt_factor: each motor's torque constant at 25 C over its type's (7,), for the torque and
            the back-EMF alike. The drives convert torque to current with the type's, so a joint
            gets this much more or less.
        seed: the unit's; draws its motors' thermal values.
        thermal_spread: each thermal value of each motor multiplied by a factor drawn uniformly
            from [1 - spread, 1 + spread] with ``seed``, on top of the config's ``parameter_spread``.
    """

    kt_factor: np.ndarray
    seed: int
    thermal_spread: float

    def __post_init__(self):
        factor = np.asarray(self.kt_factor, dtype=float)
        if factor.shape != (7,) or not np.all((factor > 0.5) & (factor < 1.5)):
            raise ValueError(f"kt_factor needs a factor in (0.5, 1.5) for each of 7 motors, got {self.kt_factor!r}")
        if not 0.0 <= self.thermal_spread <= 0.5:
            raise ValueError(f"thermal_spread must be in [0, 0.5], got {self.thermal_spread!r}")
        object.__setattr__(self, "kt_factor", factor.copy())


def default_path() -> Path:
    from brainbody.share_files import find_share_file
    return find_share_file("config", "sim_motor_thermal.yaml")


def load_motors(path: Optional[Path] = None) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """The motors (name -> values) and the material constants of the plant's motors file.

    Raises:
        BrainBodyError: missing file, unknown or missing keys, values not finite and positive.
    """
    path = Path(path or default_path())
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        motors_raw = dict(raw.pop("motors"))
    except (OSError, KeyError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise BrainBodyError(f"cannot read motor thermal data from {path}: {exc}") from exc
    if set(raw) != set(_MATERIAL_KEYS):
        raise BrainBodyError(f"{path}: material keys {sorted(raw)}, expected {sorted(_MATERIAL_KEYS)}")
    motors = {}
    for name, entry in motors_raw.items():
        entry = dict(entry)
        entry.pop("description", None)
        if set(entry) != set(_MOTOR_KEYS):
            raise BrainBodyError(f"{path}: motor {name!r} has keys {sorted(entry)}, expected {sorted(_MOTOR_KEYS)}")
        motors[name] = {k: float(v) for k, v in entry.items()}
    for key, value in [*((f"{n}.{k}", v) for n, m in motors.items() for k, v in m.items()), *raw.items()]:
        if not math.isfinite(float(value)) or (float(value) <= 0.0 and key.split(".")[-1] not in _MAY_BE_ZERO):
            raise BrainBodyError(f"{path}: {key} = {value!r} must be a finite positive number")
    return motors, {k: float(v) for k, v in raw.items()}


# One motor as built, plus the material constants (copied per motor), then its run-time state:
# one record per joint, one argument per kernel call (each record argument costs a call about
# 0.15 us of numba's type dispatch, every physics step).
_MOTOR = np.dtype([("ratio", "f8"), ("kt_drive", "f8"), ("kt25", "f8"), ("r25", "f8"),
                   ("g_wh", "f8"), ("g_wr", "f8"), ("g_rh", "f8"), ("g_ha", "f8"),
                   ("c_w", "f8"), ("c_r", "f8"), ("c_h", "f8"), ("k_iron", "f8"),
                   ("alpha_cu", "f8"), ("kt_tc", "f8"), ("grade_limit", "f8"), ("loss_per_c", "f8"),
                   ("loss_max", "f8"), ("reference", "f8"), ("inductance", "f8"), ("current_gain", "f8"),
                   ("voltage_residual", "f8"),
                   ("winding", "f8"), ("rotor", "f8"), ("housing", "f8"), ("current", "f8"),
                   ("peak_rotor", "f8"), ("kt_loss", "f8"), ("over_limit", "b1"), ("events", "i8"),
                   ("copper_loss", "f8"), ("last_current", "f8"), ("current_read", "f8"), ("voltage", "f8"),
                   ("sensor", "f8")])     # the housing thermistor's latest reading


@kernel
def _actual_kt(m, s):
    """The motor's torque constant now: reversible drop with magnet temperature, times what
    demagnetisation left."""
    return m.kt25 * (1.0 + m.kt_tc * (s.rotor - m.reference)) * (1.0 - s.kt_loss)


@kernel
def _produce(motors, command_nm, limit_nm, torque_out):
    """The drive: each command (clipped to the drive's limit) becomes a current through the
    datasheet constant; the joint gets current x actual constant x ratio."""
    for i in range(motors.shape[0]):
        m = s = motors[i]
        tau = min(max(command_nm[i], -limit_nm[i]), limit_nm[i])
        s.current = tau / (m.ratio * m.kt_drive)
        torque_out[i] = s.current * _actual_kt(m, s) * m.ratio


@kernel
def drive_readings(motors, housing_c, current_a, voltage_v):
    """What the robot reports into the arrays given (one pass: three field copies by numpy cost
    about 1 us every physics step)."""
    for i in range(motors.shape[0]):
        housing_c[i], current_a[i], voltage_v[i] = motors[i].sensor, motors[i].current_read, motors[i].voltage


@kernel
def _heat(motors, joint_speed, ambient, dt, current_noise, voltage_noise, row):
    """One explicit step of every motor's network (its time constants are seconds or more),
    and what each drive measured over it (its noise: row ``row`` of the blocks drawn)."""
    for i in range(motors.shape[0]):
        m = s = motors[i]
        motor_speed = joint_speed[i] * m.ratio
        resistance = m.r25 * (1.0 + m.alpha_cu * (s.winding - m.reference))
        copper = s.current * s.current * resistance
        sign = 1.0 if s.current > 0.0 else (-1.0 if s.current < 0.0 else 0.0)
        s.voltage = (resistance * s.current + m.inductance * (s.current - s.last_current) / dt
                     + _actual_kt(m, s) * motor_speed + m.voltage_residual * sign + voltage_noise[row, i])
        s.current_read = s.current * (1.0 + m.current_gain) + current_noise[row, i]
        s.last_current = s.current
        iron = m.k_iron * motor_speed * motor_speed
        q_wh = (s.winding - s.housing) * m.g_wh
        q_wr = (s.winding - s.rotor) * m.g_wr
        q_rh = (s.rotor - s.housing) * m.g_rh
        q_ha = (s.housing - ambient) * m.g_ha
        s.winding += dt * (copper - q_wh - q_wr) / m.c_w
        s.rotor += dt * (iron + q_wr - q_rh) / m.c_r
        s.housing += dt * (q_wh + q_rh - q_ha) / m.c_h
        s.copper_loss = copper
        # Irreversible loss: set by the highest excursion above the grade's limit.
        s.peak_rotor = max(s.peak_rotor, s.rotor)
        excess = s.rotor - m.grade_limit
        if excess > 0.0:
            s.kt_loss = max(s.kt_loss, min(excess * m.loss_per_c, m.loss_max))
        over = s.rotor > m.grade_limit
        if over and not s.over_limit:
            s.events += 1
        s.over_limit = over


class MotorThermalPlant:
    """The seven arm motors' heat, drive and housing sensors.

    Call :meth:`torque` with each command (what reaches the joints) and :meth:`step` once per
    physics step (before or after ``mj_step``: the current of the last command heats).

    Args:
        config: how the motors are built, the ambient, the seed.
        period_s: the physics step.
        torque_limit_nm: the drives' limits at the joint (7,).
        built: a unit's motors as built, off their type (None: exactly the motors file's).

    Raises:
        BrainBodyError: the motors file is missing or malformed, or names an unknown motor.
    """

    def __init__(self, config: MotorThermalPlantConfig, *, period_s: float, torque_limit_nm: Sequence[float],
                 built: Optional[BuiltMotors] = None):
        self.config = config
        self._kt_factor = np.ones(7) if built is None else built.kt_factor
        self.period_s = float(period_s)
        self._limit = np.asarray(torque_limit_nm, dtype=float).copy()
        motors, material = load_motors(config.path)
        unknown = sorted(set(config.motors) - set(motors))
        if unknown:
            raise BrainBodyError(f"unknown motor(s) {unknown}; known: {sorted(motors)}")
        rng = np.random.default_rng(config.seed)
        unit_rng = np.random.default_rng([0 if built is None else int(built.seed), 3])
        unit_spread = 0.0 if built is None else built.thermal_spread
        each = []
        for name in config.motors:
            values = dict(motors[name])
            for key in _SPREAD_KEYS:
                values[key] *= 1.0 + rng.uniform(-config.parameter_spread, config.parameter_spread)
                values[key] *= 1.0 + unit_rng.uniform(-unit_spread, unit_spread)
            each.append(values)
        col = lambda key: np.array([b[key] for b in each])  # noqa: E731
        m = self._motors = records(7, _MOTOR)
        m["ratio"], m["kt_drive"] = col("ratio"), col("kt_datasheet_nm_per_a")
        m["kt25"] = col("kt_at_25c_nm_per_a") * self._kt_factor
        m["r25"] = col("resistance_25c_ohm")
        m["g_wh"], m["g_wr"] = 1.0 / col("winding_housing_k_per_w"), 1.0 / col("winding_rotor_k_per_w")
        m["g_rh"], m["g_ha"] = 1.0 / col("rotor_housing_k_per_w"), 1.0 / col("housing_ambient_k_per_w")
        m["c_w"], m["c_r"] = col("winding_heat_capacity_j_per_k"), col("rotor_heat_capacity_j_per_k")
        m["c_h"], m["k_iron"] = col("housing_heat_capacity_j_per_k"), col("iron_loss_w_per_radps2")
        m["alpha_cu"], m["kt_tc"] = material["copper_resistance_per_c"], material["magnet_kt_per_c"]
        m["grade_limit"], m["loss_per_c"] = material["magnet_grade_limit_c"], material["demagnetisation_loss_per_c"]
        m["loss_max"], m["reference"] = material["demagnetisation_loss_max"], material["reference_c"]
        m["inductance"] = col("inductance_h")
        # Each drive's own errors (drawn after the build spread: a seed's motors stay as they were).
        m["current_gain"] = rng.uniform(-1.0, 1.0, 7) * material["drive_current_gain_error"]
        m["voltage_residual"] = rng.uniform(-1.0, 1.0, 7) * material["drive_voltage_residual_v"]
        self._drive_noise = (material["drive_current_noise_a"], material["drive_voltage_noise_v"])
        self._drive_rng = np.random.default_rng([config.seed, 2])
        self._noise_row = _NOISE_BLOCK     # the first step draws the first block
        self.grade_limit_c = material["magnet_grade_limit_c"]
        start = config.ambient_c if config.initial_c is None else config.initial_c
        s = m
        s["winding"] = s["rotor"] = s["housing"] = s["peak_rotor"] = start
        s["kt_loss"] = np.asarray(config.kt_loss, dtype=float)
        self._sensor_period_s = material["housing_sensor_period_s"]
        self._sensor_noise_c = material["housing_sensor_noise_c"]
        self._sensor_resolution_c = material["housing_sensor_resolution_c"]
        self._sensor_rng = np.random.default_rng([config.seed, 1])
        self._time_s = 0.0
        self._next_sample_s = 0.0
        s["sensor"] = start
        self._torque = np.zeros(7)
        self._sample_sensor()

    # -- the drive and the heat ------------------------------------------------------------
    def torque(self, command_nm: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        """The joint torques (7,) the drives produce for ``command_nm`` (the torque asked for),
        into ``out`` when given (the simulator's controls: no copy every physics step)."""
        out = self._torque if out is None else out
        if not self.config.enabled:
            out[:] = np.minimum(np.maximum(command_nm, -self._limit), self._limit) * self._kt_factor
        else:
            _produce(self._motors, np.asarray(command_nm, dtype=float), self._limit, out)
        return out

    def step(self, joint_speed_radps: np.ndarray) -> None:
        """Advance every motor by one period at the current of the last :meth:`torque` call."""
        if not self.config.enabled:
            return
        if self._noise_row == _NOISE_BLOCK:
            current_sd, voltage_sd = self._drive_noise
            self._current_noise = self._drive_rng.normal(0.0, current_sd, (_NOISE_BLOCK, 7))
            self._voltage_noise = self._drive_rng.normal(0.0, voltage_sd, (_NOISE_BLOCK, 7))
            self._noise_row = 0
        row = self._noise_row
        self._noise_row += 1
        _heat(self._motors, joint_speed_radps, self.config.ambient_c, self.period_s,
              self._current_noise, self._voltage_noise, row)
        self._time_s += self.period_s
        if self._time_s >= self._next_sample_s:
            self._sample_sensor()

    def _sample_sensor(self) -> None:
        reading = self._motors["housing"] + self._sensor_rng.normal(0.0, self._sensor_noise_c, 7)
        q = self._sensor_resolution_c
        self._motors["sensor"] = np.round(reading / q) * q if q > 0.0 else reading
        self._next_sample_s += self._sensor_period_s

    # -- what the robot reports --------------------------------------------------------------
    @property
    def motors(self) -> np.ndarray:
        """The motors' records (7,): the simulator's read kernel hands them to
        :func:`drive_readings` (the housing sensor, current and voltage a read reports). Only
        this class's kernels change them."""
        return self._motors

    @property
    def housing_sensor_c(self) -> np.ndarray:
        """The housing thermistors' latest readings (7,), C."""
        return self._motors["sensor"].copy()

    @property
    def drive_current_a(self) -> np.ndarray:
        """The q-axis current each drive measured over the last step (7,), A."""
        return self._motors["current_read"].copy()

    @property
    def drive_voltage_v(self) -> np.ndarray:
        """The q-axis voltage each drive applied over the last step (7,), V."""
        return self._motors["voltage"].copy()

    # -- ground truth (tests and benchmarks only) -----------------------------------------
    @property
    def winding_c(self) -> np.ndarray:
        return self._motors["winding"].copy()

    @property
    def magnet_c(self) -> np.ndarray:
        return self._motors["rotor"].copy()

    @property
    def housing_c(self) -> np.ndarray:
        return self._motors["housing"].copy()

    @property
    def current_a(self) -> np.ndarray:
        return self._motors["current"].copy()

    @property
    def copper_loss_w(self) -> np.ndarray:
        return self._motors["copper_loss"].copy()

    @property
    def kt_nm_per_a(self) -> np.ndarray:
        """Each motor's actual torque constant now (motor side)."""
        s = m = self._motors
        return m["kt25"] * (1.0 + m["kt_tc"] * (s["rotor"] - m["reference"])) * (1.0 - s["kt_loss"])

    @property
    def resistance_25c_ohm(self) -> np.ndarray:
        """Each winding's resistance at 25 C as built (7,)."""
        return self._motors["r25"].copy()

    @property
    def kt_loss_fraction(self) -> np.ndarray:
        """The part of each torque constant lost for good to demagnetisation."""
        return self._motors["kt_loss"].copy()

    @property
    def demagnetisation_events(self) -> np.ndarray:
        """Per joint: how many times its magnets went above the grade's limit."""
        return self._motors["events"].copy()

    def ground_truth(self) -> dict:
        return {"winding_c": self.winding_c.tolist(), "magnet_c": self.magnet_c.tolist(),
                "housing_c": self.housing_c.tolist(), "kt_loss_fraction": self.kt_loss_fraction.tolist(),
                "demagnetisation_events": int(self.demagnetisation_events.sum())}
