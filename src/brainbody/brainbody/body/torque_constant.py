"""The motors' torque constant from their back-EMF: a demagnetised motor noticed while the arm
works.

A drive applies the q-axis voltage ``v = R i + L di/dt + k_e w`` plus what its dead-time
compensation leaves (a few tens of mV, its sign the current's) and noise, and for a permanent
magnet motor the back-EMF constant ``k_e`` (V s/rad) is the torque constant ``k_t`` (N m/A). While
a joint moves, least squares over the drive's own readings, ``v - L di/dt`` on the motor speed,
the current and the current's sign, give ``k_e`` with the winding's resistance and the residual
fitted alongside (both drift slowly; the fit forgets over ``WINDOW_S``).

Against the motor's reference constant at the magnets' estimated temperature (NdFeB magnets lose
about 0.12 %/C reversibly, ``magnet_kt_drop_per_c`` on the sheet), a ratio well under one is
magnet strength lost for good: a motor demagnetised by an overheat, before this controller ran or
while it did not protect. The reference is the robot's own constant measured at commissioning
(:attr:`TorqueConstantMonitor.constant_at_25c_nm_per_a` of the healthy robot) where it was
recorded, else the datasheet's: built motors are a few per cent off their sheet (a catalogue's
tolerance is about 5 %), which the datasheet comparison cannot tell from a loss. The drive still
converts torque to current with the datasheet's constant, so a joint delivers its constant over
the sheet's of the torque the body asks. The ratio is reported once the fit's own scatter puts it
within ``MAX_STD_FRAC``; a joint that has not moved enough says so.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from brainbody.jit import kernel, records

_NONE = np.zeros(0)

WINDOW_S = 30.0              # the fit forgets over about this long (the resistance drifts as the winding warms)
SOLVE_EVERY_S = 0.1          # the fit is solved this often (the sums are kept every sample)
MAX_STD_FRAC = 0.005         # a constant is reported once its standard error is under this share of the sheet's
MIN_SAMPLES = 500.0          # and the fit holds this many (forgetting-weighted) samples
_REFERENCE_C = 25.0          # the datasheets give the torque constant at 25 C
_REFERENCE_TOLERANCE = 0.25  # a commissioning constant this far off the sheet is refused

# Per joint, one record (one kernel argument): from the datasheet, the gear ratio, torque
# constant, inductance and the magnets' drop per C; then the forgetting sums of the fit
# (regressors x = motor speed, current, sign of the current; target y = v - L di/dt), the last
# current, and what the fit says now.
_JOINT = np.dtype([("ratio", "f8"), ("kt", "f8"), ("inductance", "f8"), ("drop_per_c", "f8"),
                   ("n", "f8"), ("xx00", "f8"), ("xx01", "f8"), ("xx02", "f8"), ("xx11", "f8"), ("xx12", "f8"),
                   ("xx22", "f8"), ("xy0", "f8"), ("xy1", "f8"), ("xy2", "f8"), ("yy", "f8"), ("last_current", "f8"),
                   ("has_last", "b1"), ("since_solve", "f8"), ("ke", "f8"), ("ke_std", "f8")])


@kernel
def _solve(f):
    """The fit's back-EMF constant and its standard error (NaN, NaN while it is not determined)."""
    a00, a01, a02, a11, a12, a22 = f.xx00, f.xx01, f.xx02, f.xx11, f.xx12, f.xx22
    # Cofactors of the symmetric 3x3 normal matrix: its inverse's first row, for k_e and its variance.
    c00 = a11 * a22 - a12 * a12
    c01 = a02 * a12 - a01 * a22
    c02 = a01 * a12 - a02 * a11
    det = a00 * c00 + a01 * c01 + a02 * c02
    if not (det > 0.0 and c00 > 0.0 and f.n > 3.0):
        return math.nan, math.nan
    b0, b1, b2 = f.xy0, f.xy1, f.xy2
    ke = (c00 * b0 + c01 * b1 + c02 * b2) / det
    # The resistance and the residual too (the rest of the inverse), for the fit's scatter.
    c11 = a00 * a22 - a02 * a02
    c12 = a01 * a02 - a00 * a12
    c22 = a00 * a11 - a01 * a01
    resistance = (c01 * b0 + c11 * b1 + c12 * b2) / det
    dead_time = (c02 * b0 + c12 * b1 + c22 * b2) / det
    residual = f.yy - (ke * b0 + resistance * b1 + dead_time * b2)
    variance = max(residual, 0.0) / (f.n - 3.0)
    return ke, math.sqrt(variance * c00 / det)


@kernel
def _observe(joints, current, voltage, joint_speed, dt, magnet_c, magnet_now_c):
    """One sample of every joint's drive (non-finite readings are skipped) into its fit, and
    the fit solved every ``SOLVE_EVERY_S``; ``magnet_c`` (empty: unknown) into ``magnet_now_c``.
    False (and nothing done) when ``magnet_c`` is neither empty nor one per joint."""
    if magnet_c.shape[0] != 0 and magnet_c.shape[0] != magnet_now_c.shape[0]:
        return False
    for i in range(magnet_c.shape[0]):
        magnet_now_c[i] = magnet_c[i]
    decay = math.exp(-dt / WINDOW_S) if dt > 0.0 else 1.0
    for i in range(joints.shape[0]):
        sh = f = joints[i]
        c, v, w = current[i], voltage[i], joint_speed[i] * sh.ratio
        if not (math.isfinite(c) and math.isfinite(v) and math.isfinite(w)) or dt <= 0.0:
            f.has_last = False
            continue
        if f.has_last:
            y = v - sh.inductance * (c - f.last_current) / dt
            s = 1.0 if c > 0.0 else (-1.0 if c < 0.0 else 0.0)
            f.n = f.n * decay + 1.0
            f.xx00 = f.xx00 * decay + w * w
            f.xx01 = f.xx01 * decay + w * c
            f.xx02 = f.xx02 * decay + w * s
            f.xx11 = f.xx11 * decay + c * c
            f.xx12 = f.xx12 * decay + c * s
            f.xx22 = f.xx22 * decay + s * s
            f.xy0 = f.xy0 * decay + w * y
            f.xy1 = f.xy1 * decay + c * y
            f.xy2 = f.xy2 * decay + s * y
            f.yy = f.yy * decay + y * y
        f.last_current = c
        f.has_last = True
        f.since_solve += dt
        if f.since_solve >= SOLVE_EVERY_S:
            f.since_solve = 0.0
            f.ke, f.ke_std = _solve(f)
    return True


class TorqueConstantMonitor:
    """Each arm motor's torque constant from its drive's voltage, current and speed (7 joints).

    Call :meth:`update` with every fresh sample of a robot whose drives report their q-axis
    current and voltage.

    Args:
        datasheets: each joint's motor (``body/motor_thermal.py``'s sheets: gear ratio, torque
            constant, inductance, the magnets' reversible drop per C).
        warn_frac: a joint whose constant is this far under its reference is reported.
        reference_nm_per_a: each motor's constant at 25 C measured at commissioning (7,); 0 or
            None for a joint: its datasheet's.
    """

    def __init__(self, datasheets: Sequence, *, warn_frac: float, reference_nm_per_a: Optional[Sequence] = None):
        if len(datasheets) != 7:
            raise ValueError(f"need a motor datasheet for each of 7 joints, got {len(datasheets)}")
        if not 0.0 < warn_frac < 1.0:
            raise ValueError(f"warn_frac must be in (0, 1), got {warn_frac!r}")
        self.warn_frac = float(warn_frac)
        s = self._joints = records(7, _JOINT)
        s["ratio"] = [d.ratio for d in datasheets]
        s["kt"] = [d.kt_nm_per_a for d in datasheets]
        reference = np.zeros(7) if reference_nm_per_a is None else np.asarray(reference_nm_per_a, dtype=float)
        if reference.shape != (7,) or not np.all(np.isfinite(reference) & (reference >= 0.0)):
            raise ValueError(f"reference_nm_per_a needs a constant >= 0 for each of 7 motors, got {reference_nm_per_a!r}")
        # A reference far from the sheet is a typo or another motor, not a unit's tolerance.
        bad = (reference > 0.0) & (np.abs(reference / s["kt"] - 1.0) > _REFERENCE_TOLERANCE)
        if bad.any():
            raise ValueError(f"reference_nm_per_a: joint(s) {(np.flatnonzero(bad) + 1).tolist()} more than "
                             f"{_REFERENCE_TOLERANCE:.0%} off the datasheet's {s['kt'][bad].tolist()} N m/A")
        self.commissioned = reference > 0.0              # per joint: measured on this robot, not the sheet
        self.reference_nm_per_a = np.where(self.commissioned, reference, s["kt"])
        s["inductance"] = [d.inductance_h for d in datasheets]
        s["drop_per_c"] = [d.magnet_kt_drop_per_c for d in datasheets]
        s["ke"] = s["ke_std"] = np.nan
        self._magnet_c = np.full(7, _REFERENCE_C)

    def update(self, dt_s: float, drive_current_a: np.ndarray, drive_voltage_v: np.ndarray,
               joint_speed_radps: np.ndarray, magnet_c: Optional[np.ndarray]) -> None:
        """One sample: what the drives measured and applied over the last period, the joints'
        speeds and the magnets' estimated temperatures (None: taken as 25 C)."""
        f = np.asarray     # four calls, not a generator of them: this runs every tick
        if not _observe(self._joints, f(drive_current_a, dtype=float), f(drive_voltage_v, dtype=float),
                        f(joint_speed_radps, dtype=float), float(dt_s),
                        _NONE if magnet_c is None else f(magnet_c, dtype=float), self._magnet_c):
            raise ValueError(f"magnet_c must hold one temperature per joint, got {magnet_c!r}")

    @property
    def measured_nm_per_a(self) -> np.ndarray:
        """Each motor's torque constant as its back-EMF says (NaN until determined)."""
        ke, std = self._joints["ke"], self._joints["ke_std"]
        known = np.isfinite(ke) & (std <= MAX_STD_FRAC * self._joints["kt"]) & (self._joints["n"] >= MIN_SAMPLES)
        return np.where(known, ke, np.nan)

    @property
    def expected_nm_per_a(self) -> np.ndarray:
        """The reference constant (commissioning's, else the datasheet's) at the magnets'
        estimated temperature."""
        return self.reference_nm_per_a * self._magnet_factor()

    @property
    def constant_at_25c_nm_per_a(self) -> np.ndarray:
        """Each motor's measured constant taken back to 25 C (NaN until determined): on a healthy
        robot, what to record as its commissioning reference."""
        return self.measured_nm_per_a / self._magnet_factor()

    def _magnet_factor(self) -> np.ndarray:
        s = self._joints
        return 1.0 - s["drop_per_c"] * (self._magnet_c - _REFERENCE_C)

    @property
    def ratio(self) -> np.ndarray:
        """Measured over expected, per joint (NaN until determined): under one, magnet strength
        lost since commissioning (or under the datasheet, where none was recorded)."""
        return self.measured_nm_per_a / self.expected_nm_per_a

    @property
    def delivered_share(self) -> np.ndarray:
        """Of the torque written with the datasheet's constant, the part a demagnetised joint
        delivers (its measured constant over the sheet's); NaN for the joints not flagged."""
        return np.where(self.demagnetised, self.measured_nm_per_a / self._joints["kt"], np.nan)

    @property
    def demagnetised(self) -> np.ndarray:
        """The joints whose constant is more than ``warn_frac`` under their reference."""
        ratio = self.ratio
        return np.isfinite(ratio) & (ratio < 1.0 - self.warn_frac)
