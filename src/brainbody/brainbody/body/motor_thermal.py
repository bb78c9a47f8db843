"""Motor thermal protection: the body's estimate of each arm motor's winding and magnet
temperature, I²t-style torque derating, and the over-temperature check of a primitive.

The estimate runs on what a drive knows: the current the body commands (the torque written
divided by the datasheet's torque constant and gear ratio; ``config/motor_datasheets.yaml``)
and, where the robot reports one, the motor housing's temperature. The model is the maker's
thermal impedance from winding to housing, two first-order terms (a Foster network), and
the magnets on the rotor, a mass the winding heats across the air gap and the housing cools:

    P = I^2 R_25 (1 + a (T_w - 25))          dx_k/dt = (P R_k - x_k) / tau_k,  k = fast, slow
    T_w = T_h + x_fast + x_slow              dT_m/dt = (T_h + g (T_w - T_h) - T_m) / tau_m

with ``g = R_magnet / (R_fast + R_slow)``, so that at steady state the magnets sit
``R_magnet`` K/W over the housing, and ``tau_m`` the rotor's thermal time constant. The
magnets lag the winding: a rotor cannot warm before the winding beside it has.

Without a housing sensor the housing is one lumped node, heated by what crosses the
impedance and cooled by the ambient air; it starts at the configured ambient. With one, the
housing is the reading and the winding starts there (a motor switched on hot is assumed soaked).

Where the drives report their current and voltage, the winding's resistance corrects the
model (``body/winding_resistance.py``): the datasheet's few per cent matter little at normal
duty but are 10-15 C of a 3x overload's 120 C rise, which the housing does not see in time.

Derating keeps the estimated winding under ``winding_limit_c - winding_margin_c`` and the
estimated magnets under ``magnet_limit_c - magnet_margin_c``: a joint may draw any current
that would not take either past its bound within ``thermal_derating_horizon_s`` (short: peaks
stay available until a bound is near, then the limit falls to what the motor can shed).

It shares nothing with the simulated motors (``sim/motor_thermal.py``: a physical network of
three nodes with iron loss and numbers of its own).
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import yaml

from brainbody.exceptions import BrainBodyError, OverTemperatureError
from brainbody.body.winding_resistance import OBSERVER, model_error_c
from brainbody.jit import kernel, records

_SHEET_KEYS = ("ratio", "kt_nm_per_a", "resistance_25c_ohm", "copper_resistance_per_c", "fast_k_per_w",
               "fast_time_constant_s", "slow_k_per_w", "slow_time_constant_s", "magnet_k_per_w",
               "magnet_time_constant_s", "magnet_kt_drop_per_c", "housing_ambient_k_per_w",
               "housing_heat_capacity_j_per_k", "inductance_h")
_REFERENCE_C = 25.0          # the datasheets' resistance is given at 25 C
_LOAD_WINDOW_S = 1.0         # a primitive is predicted at the mean square torque of about the last second


@dataclasses.dataclass(frozen=True)
class MotorDatasheet:
    """One motor's data (motor side; thermal resistances K/W, time constants s, capacity J/K)."""

    ratio: float
    kt_nm_per_a: float
    resistance_25c_ohm: float
    copper_resistance_per_c: float
    fast_k_per_w: float
    fast_time_constant_s: float
    slow_k_per_w: float
    slow_time_constant_s: float
    magnet_k_per_w: float
    magnet_time_constant_s: float
    magnet_kt_drop_per_c: float
    housing_ambient_k_per_w: float
    housing_heat_capacity_j_per_k: float
    inductance_h: float

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0.0):
                raise ValueError(f"motor datasheet: {f.name} must be a finite positive number, got {v!r}")


def load_datasheets(names: Sequence[str], path: Optional[Path] = None) -> list[MotorDatasheet]:
    """The datasheet of each joint's motor, by name in ``config/motor_datasheets.yaml``.

    Raises:
        BrainBodyError: missing file, unknown sheet, unknown or missing keys, bad values.
    """
    if path is None:
        from brainbody.share_files import find_share_file
        path = find_share_file("config", "motor_datasheets.yaml")
    path = Path(path)
    try:
        sheets = yaml.safe_load(path.read_text(encoding="utf-8"))["sheets"]
        sheets = {name: dict(entry) for name, entry in sheets.items()}
    except (OSError, KeyError, TypeError, AttributeError, ValueError, yaml.YAMLError) as exc:
        raise BrainBodyError(f"cannot read motor datasheets from {path}: {exc}") from exc
    out = []
    for name in names:
        if name not in sheets:
            raise BrainBodyError(f"unknown motor datasheet {name!r}; known: {sorted(sheets)}")
        entry = {k: v for k, v in sheets[name].items() if k != "description"}
        if set(entry) != set(_SHEET_KEYS):
            raise BrainBodyError(f"motor datasheet {name!r}: keys {sorted(entry)}, expected {sorted(_SHEET_KEYS)}")
        try:
            out.append(MotorDatasheet(**{k: float(v) for k, v in entry.items()}))
        except (TypeError, ValueError) as exc:
            raise BrainBodyError(f"motor datasheet {name!r}: {exc}") from exc
    return out


def sheet_names(path: Optional[Path] = None) -> tuple[str, ...]:
    """The sheets ``config/motor_datasheets.yaml`` offers."""
    from brainbody.share_files import find_share_file
    path = Path(path or find_share_file("config", "motor_datasheets.yaml"))
    try:
        return tuple(sorted(yaml.safe_load(path.read_text(encoding="utf-8"))["sheets"]))
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise BrainBodyError(f"cannot read motor datasheets from {path}: {exc}") from exc


# Per joint, how the model moves over a horizon (the derating's, fixed, or a primitive's): the
# decay of each term and the magnets' lagged response to each winding term.
_HORIZON = np.dtype([("e_fast", "f8"), ("e_slow", "f8"), ("e_magnet", "f8"), ("lag_fast", "f8"), ("lag_slow", "f8")])
# Per joint, one record: the datasheet as the kernels need it, the derating horizon's factors,
# the estimate, and the torque last written (each record argument costs a kernel call about
# 0.15 us of numba's type dispatch).
_MOTOR = np.dtype([("torque_per_a", "f8"), ("r25", "f8"), ("tc", "f8"), ("r_fast", "f8"), ("tau_fast", "f8"),
                   ("r_slow", "f8"), ("tau_slow", "f8"), ("magnet_gain", "f8"), ("tau_magnet", "f8"), ("r_ha", "f8"),
                   ("c_h", "f8"), ("effort_limit", "f8"), ("ke", "f8"), ("inductance", "f8"), ("ratio", "f8")]
                  + _HORIZON.descr
                  + [("fast", "f8"), ("slow", "f8"), ("housing", "f8"), ("magnet", "f8"), ("mean_sq_torque", "f8"),
                     ("limit", "f8"), ("written", "f8")])
# The bounds that are the same for every joint.
_LIMITS = np.dtype([("ambient", "f8"), ("winding_max", "f8"), ("magnet_max", "f8"), ("load_window", "f8")])


@kernel
def _resistance(sh, winding_c):
    """The datasheet winding's resistance at ``winding_c`` (ohm)."""
    return sh.r25 * (1.0 + sh.tc * (winding_c - _REFERENCE_C))


@kernel
def _lagged(tau_in, tau_lag, horizon):
    """Where a first-order lag (``tau_lag``), starting at 0, is after ``horizon`` when its input
    is ``exp(-t / tau_in)``."""
    e_lag = math.exp(-horizon / tau_lag)
    if abs(tau_in - tau_lag) < 1e-6 * tau_lag:
        return horizon / tau_lag * e_lag
    return tau_in / (tau_in - tau_lag) * (math.exp(-horizon / tau_in) - e_lag)


@kernel
def _horizon(sheets, horizon, out):
    """Each joint's :data:`_HORIZON` factors for ``horizon`` seconds into ``out``."""
    for i in range(sheets.shape[0]):
        sh, f = sheets[i], out[i]
        f.e_fast, f.e_slow = math.exp(-horizon / sh.tau_fast), math.exp(-horizon / sh.tau_slow)
        f.e_magnet = math.exp(-horizon / sh.tau_magnet)
        f.lag_fast = _lagged(sh.tau_fast, sh.tau_magnet, horizon)
        f.lag_slow = _lagged(sh.tau_slow, sh.tau_magnet, horizon)


@kernel
def _magnet_after(sh, st, f):
    """The magnets after the horizon of ``f`` with no loss (the housing held), and how much
    higher each watt of constant loss puts them (C, C/W)."""
    free = (st.housing * (1.0 - f.e_magnet) + st.magnet * f.e_magnet
            + sh.magnet_gain * (st.fast * f.lag_fast + st.slow * f.lag_slow))
    per_watt = sh.magnet_gain * ((sh.r_fast + sh.r_slow) * (1.0 - f.e_magnet) - sh.r_fast * f.lag_fast
                                 - sh.r_slow * f.lag_slow)
    return free, per_watt


@kernel
def _loss(sh, st, current_sq):
    """Copper loss at the estimated winding temperature (W)."""
    return current_sq * _resistance(sh, st.housing + st.fast + st.slow)


@kernel
def _update(motors, observers, housing, current, voltage, joint_speed, dt, limits, winding, magnet):
    """Advance every joint's estimate (``motors``: :data:`_MOTOR`) by ``dt`` at the current of
    its ``written`` torque (the command that acted over that period), correct it by the
    winding's resistance where the drives report ``current`` and ``voltage``, recompute its
    torque limit (on the derating horizon's factors); the temperatures into ``winding`` and
    ``magnet``."""
    lim = limits[0]
    n = motors.shape[0]
    electrical = current.shape[0] == n and voltage.shape[0] == n and joint_speed.shape[0] == n
    for i in range(n):
        sh = st = f = motors[i]
        torque = st.written
        if electrical:
            rise = st.fast + st.slow
            correction = model_error_c(observers[i], sh.r25, sh.tc, sh.ke, sh.inductance, current[i], voltage[i],
                                       joint_speed[i] * sh.ratio, dt, _resistance(sh, st.housing + rise),
                                       st.housing, rise)
            if correction != 0.0 and rise > 0.0:
                # The two terms share the error as they share the rise (each known to a few %).
                st.fast += correction * st.fast / rise
                st.slow += correction * st.slow / rise
        current_cmd = torque / sh.torque_per_a
        loss = _loss(sh, st, current_cmd * current_cmd)
        if housing.shape[0] == n and math.isfinite(housing[i]):
            st.housing = housing[i]
        else:
            # What crosses the impedance reaches the housing (exact at steady state).
            into_housing = (st.fast + st.slow) / (sh.r_fast + sh.r_slow)
            st.housing += dt * (into_housing - (st.housing - lim.ambient) / sh.r_ha) / sh.c_h
        st.fast += (loss * sh.r_fast - st.fast) * min(dt / sh.tau_fast, 1.0)
        st.slow += (loss * sh.r_slow - st.slow) * min(dt / sh.tau_slow, 1.0)
        st.magnet += (st.housing + sh.magnet_gain * (st.fast + st.slow) - st.magnet) * min(dt / sh.tau_magnet, 1.0)
        st.mean_sq_torque += (torque * torque - st.mean_sq_torque) * min(dt / lim.load_window, 1.0)
        # I2t: the largest constant loss that brings neither the winding nor the magnets past
        # their bounds within the horizon.
        winding_room = lim.winding_max - st.housing - st.fast * f.e_fast - st.slow * f.e_slow
        allowed = winding_room / (sh.r_fast * (1.0 - f.e_fast) + sh.r_slow * (1.0 - f.e_slow))
        magnet_free, magnet_per_watt = _magnet_after(sh, st, f)
        if magnet_free >= lim.magnet_max:
            allowed = 0.0      # past the bound or heading there on what is already in the winding
        elif magnet_per_watt > 0.0:
            allowed = min(allowed, (lim.magnet_max - magnet_free) / magnet_per_watt)
        r_hot = _resistance(sh, max(lim.winding_max, st.housing + st.fast + st.slow))
        st.limit = min(math.sqrt(max(allowed, 0.0) / r_hot) * sh.torque_per_a, sh.effort_limit)
        winding[i] = st.housing + st.fast + st.slow
        magnet[i] = st.magnet


@kernel
def _derate(motors, torque, share, protect, out, derating):
    """Each joint's torque clipped to its limit into ``out``, and which were clipped into
    ``derating`` (none without ``protect``). Returns whether any was. ``share``: the part of
    the torque written that reaches each joint (a weak motor's command is scaled up by its
    inverse before it is written, and the limit is on what is written)."""
    any_over = False
    for i in range(motors.shape[0]):
        limit = motors[i].limit * share[i]
        over = protect and abs(torque[i]) > limit
        derating[i] = over
        any_over = any_over or over
        out[i] = min(max(torque[i], -limit), limit) if protect else torque[i]
    return any_over


@kernel
def _predict(motors, factors, out_winding, out_magnet):
    """Each joint's winding and magnets after the horizon of ``factors`` at its recent mean square
    torque (the housing held where it is)."""
    for i in range(motors.shape[0]):
        sh = st = motors[i]
        loss = _loss(sh, st, st.mean_sq_torque / (sh.torque_per_a * sh.torque_per_a))
        f = factors[i]
        fast = loss * sh.r_fast + (st.fast - loss * sh.r_fast) * f.e_fast
        slow = loss * sh.r_slow + (st.slow - loss * sh.r_slow) * f.e_slow
        out_winding[i] = st.housing + fast + slow
        magnet_free, magnet_per_watt = _magnet_after(sh, st, f)
        out_magnet[i] = magnet_free + loss * magnet_per_watt


@dataclasses.dataclass(frozen=True)
class ThermalLimits:
    """The bounds the protection keeps, C (declared with their ranges in ``BodyConfig``)."""

    winding_limit_c: float = 155.0
    winding_margin_c: float = 20.0
    magnet_limit_c: float = 150.0
    magnet_margin_c: float = 20.0
    ambient_c: float = 25.0
    derating_horizon_s: float = 2.0

    @classmethod
    def from_config(cls, config) -> "ThermalLimits":
        """The bounds a ``BodyConfig`` sets."""
        return cls(winding_limit_c=config.winding_limit_c, winding_margin_c=config.winding_margin_c,
                   magnet_limit_c=config.magnet_limit_c, magnet_margin_c=config.magnet_margin_c,
                   ambient_c=config.motor_ambient_c, derating_horizon_s=config.thermal_derating_horizon_s)

    @property
    def winding_max_c(self) -> float:
        return self.winding_limit_c - self.winding_margin_c

    @property
    def magnet_max_c(self) -> float:
        return self.magnet_limit_c - self.magnet_margin_c


class MotorThermal:
    """Estimated motor temperatures and the torque each joint may have (7 joints).

    Call :meth:`update` once per fresh state sample (the time since the last one and the
    housing temperatures if the robot reports them), :meth:`derate` on the torque about to be
    written and :meth:`wrote` with what was written.

    Args:
        datasheets: each joint's motor.
        limits: the bounds to keep.
        effort_limit_nm: each joint's torque limit without derating (7,).
        housing_c: the housing temperatures at start (7,), or None (the motors at ambient).
        protect: False: estimate only (no derating, no refusal).
    """

    def __init__(self, datasheets: Sequence[MotorDatasheet], limits: ThermalLimits, *,
                 effort_limit_nm: Sequence[float], housing_c: Optional[np.ndarray] = None, protect: bool = True):
        if len(datasheets) != 7:
            raise ValueError(f"need a motor datasheet for each of 7 joints, got {len(datasheets)}")
        self.datasheets = list(datasheets)
        self.limits = limits
        self.protect = bool(protect)
        col = lambda key: np.array([getattr(d, key) for d in datasheets], dtype=float)  # noqa: E731
        s = self._motors = records(7, _MOTOR)
        s["torque_per_a"] = col("kt_nm_per_a") * col("ratio")
        s["r25"], s["tc"] = col("resistance_25c_ohm"), col("copper_resistance_per_c")
        s["r_fast"], s["tau_fast"] = col("fast_k_per_w"), col("fast_time_constant_s")
        s["r_slow"], s["tau_slow"] = col("slow_k_per_w"), col("slow_time_constant_s")
        s["magnet_gain"] = col("magnet_k_per_w") / (col("fast_k_per_w") + col("slow_k_per_w"))
        s["tau_magnet"] = col("magnet_time_constant_s")
        s["r_ha"], s["c_h"] = col("housing_ambient_k_per_w"), col("housing_heat_capacity_j_per_k")
        s["effort_limit"] = np.asarray(effort_limit_nm, dtype=float)
        s["ke"], s["inductance"], s["ratio"] = col("kt_nm_per_a"), col("inductance_h"), col("ratio")
        self._observers = records(7, OBSERVER)
        lim = self._limits = records(1, _LIMITS)
        lim["ambient"], lim["load_window"] = limits.ambient_c, _LOAD_WINDOW_S
        lim["winding_max"], lim["magnet_max"] = limits.winding_max_c, limits.magnet_max_c
        # The derating looks this horizon ahead every tick: its factors once.
        _horizon(s, limits.derating_horizon_s, s)
        start = np.full(7, limits.ambient_c)
        if housing_c is not None:
            reading = np.asarray(housing_c, dtype=float)
            start = np.where(np.isfinite(reading), reading, start)
        s["housing"] = s["magnet"] = start
        self._written = s["written"]          # a view, taken once
        self._none = np.zeros(0)
        self.derating = np.zeros(7, dtype=bool)   # the joints the last command was clipped on
        # The latest estimates, updated in place every tick (the runtime monitor reads them).
        self.winding_est_c, self.magnet_est_c = np.zeros(7), np.zeros(7)
        self._derated = np.zeros(7)
        self._all = np.ones(7)
        _update(s, self._observers, self._none, self._none, self._none, self._none, 0.0, self._limits,
                self.winding_est_c, self.magnet_est_c)

    # -- every tick ---------------------------------------------------------------------
    def update(self, dt_s: float, housing_c: Optional[np.ndarray] = None, *,
               drive_current_a: Optional[np.ndarray] = None, drive_voltage_v: Optional[np.ndarray] = None,
               joint_speed_radps: Optional[np.ndarray] = None) -> None:
        """Advance by ``dt_s`` at the current of the torque last written; ``housing_c``: the
        robot's housing temperatures (7,) if it reports them (a non-finite one is modelled);
        ``drive_current_a``, ``drive_voltage_v``, ``joint_speed_radps``: what the drives
        measured and applied over that period and the joints' speeds, if they report them (a
        non-finite one is skipped)."""
        housing = self._none if housing_c is None else np.asarray(housing_c, dtype=float)
        if drive_current_a is None or drive_voltage_v is None or joint_speed_radps is None:
            current = voltage = speed = self._none
        else:
            current, voltage = np.asarray(drive_current_a, dtype=float), np.asarray(drive_voltage_v, dtype=float)
            speed = np.asarray(joint_speed_radps, dtype=float)
        _update(self._motors, self._observers, housing, current, voltage, speed, float(dt_s), self._limits,
                self.winding_est_c, self.magnet_est_c)

    def derate(self, arm_torque_nm: np.ndarray, delivered_share: Optional[np.ndarray] = None) -> np.ndarray:
        """The torque command with each joint clipped to its thermal limit (unchanged when
        protection is off); ``delivered_share``: the part of each joint's written torque that
        reaches it, where the body scales its commands up for weak motors (None: all of it)."""
        share = self._all if delivered_share is None else delivered_share
        if not _derate(self._motors, arm_torque_nm, share, self.protect, self._derated, self.derating):
            return arm_torque_nm
        return self._derated.copy()

    def wrote(self, arm_torque_nm: np.ndarray) -> None:
        """The torque just written: its current heats the motors until the next write."""
        self._written[:] = arm_torque_nm

    # -- before a primitive ---------------------------------------------------------------
    def predict(self, horizon_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Each joint's winding and magnet temperature after ``horizon_s`` (C), assuming the
        joints keep the mean square torque of about the last second and the housing stays
        where it is (it heats over tens of minutes)."""
        winding, magnet = np.zeros(7), np.zeros(7)
        factors = records(7, _HORIZON)
        _horizon(self._motors, float(horizon_s), factors)
        _predict(self._motors, factors, winding, magnet)
        return winding, magnet

    def check(self, horizon_s: float, what: str) -> None:
        """Refuse ``what`` (a primitive that may run ``horizon_s``) if a joint is being derated
        now or is predicted to pass a bound within ``horizon_s``.

        Raises:
            OverTemperatureError: naming the joint, its estimates and the bound (code 206).
        """
        if not self.protect:
            return
        lim = self.limits
        if self.derating.any():
            i = int(np.argmax(self.derating))
            raise OverTemperatureError(
                f"{what}: joint {i + 1} is derated to {self.torque_limit_nm[i]:.1f} N m (winding estimated "
                f"{self.winding_c[i]:.1f} C, magnets {self.magnet_c[i]:.1f} C); let it cool first")
        winding, magnet = self.predict(horizon_s)
        for i in range(7):
            if winding[i] > lim.winding_max_c or magnet[i] > lim.magnet_max_c:
                rms = math.sqrt(self._motors["mean_sq_torque"][i])
                raise OverTemperatureError(
                    f"{what}: joint {i + 1} would overheat: carrying {rms:.1f} N m (rms) for up to {horizon_s:.0f} s "
                    f"takes its winding from {self.winding_c[i]:.1f} C to {winding[i]:.1f} C and its magnets to "
                    f"{magnet[i]:.1f} C; bounds {lim.winding_max_c:.0f} C winding, {lim.magnet_max_c:.0f} C magnets")

    # -- estimates (C) ----------------------------------------------------------------------
    @property
    def winding_c(self) -> np.ndarray:
        return self.winding_est_c.copy()

    @property
    def magnet_c(self) -> np.ndarray:
        return self.magnet_est_c.copy()

    @property
    def housing_c(self) -> np.ndarray:
        return self._motors["housing"].copy()

    @property
    def winding_resistance_ohm(self) -> np.ndarray:
        """Each winding's resistance as the drives' readings give it, in the datasheet's terms
        (calibrated), ohm; NaN where not measured (no drive readings, or no load held yet)."""
        r = self._observers["resistance"]
        return np.where(r > 0.0, r, np.nan)

    @property
    def implausible_drive_readings(self) -> np.ndarray:
        """Per joint: how many of its drive's averaged readings put the winding at an impossible
        temperature (skipped: a drive misreporting its voltage or current)."""
        return self._observers["implausible"].copy()

    @property
    def torque_limit_nm(self) -> np.ndarray:
        """Each joint's thermal torque limit now (its effort limit when cool)."""
        return self._motors["limit"].copy()

    @property
    def effort_limit_nm(self) -> np.ndarray:
        return self._motors["effort_limit"].copy()
