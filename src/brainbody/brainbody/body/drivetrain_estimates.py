"""The body's own estimates of each joint's drivetrain (``config/drivetrain_estimates.yaml``).

These are the numbers the compensators use: reflected rotor inertia, backlash width,
piecewise gear stiffness, motor-side and output-side friction. They come from
identification, not from the simulator, and may be wrong; every compensator is built to
degrade gracefully when they are.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import yaml

from brainbody.exceptions import BrainBodyError

ARCMIN_RAD = math.pi / (180.0 * 60.0)
_FIELDS = ("reflected_inertia_kgm2", "backlash_arcmin", "stiffness_k1_nm_per_rad", "stiffness_k2_nm_per_rad",
           "stiffness_k3_nm_per_rad", "stiffness_t1_nm", "stiffness_t2_nm", "coulomb_nm", "static_nm",
           "stribeck_velocity_radps", "viscous_nms_per_rad", "output_coulomb_nm")


@dataclasses.dataclass(frozen=True)
class DrivetrainEstimates:
    """Per-joint arrays (7,) of the estimated drivetrain parameters, output-side units."""

    names: tuple[str, ...]
    reflected_inertia_kgm2: np.ndarray
    backlash_rad: np.ndarray
    stiffness_k_nm_per_rad: tuple[np.ndarray, np.ndarray, np.ndarray]
    stiffness_t_nm: tuple[np.ndarray, np.ndarray]
    coulomb_nm: np.ndarray
    static_nm: np.ndarray
    stribeck_velocity_radps: np.ndarray
    viscous_nms_per_rad: np.ndarray
    output_coulomb_nm: np.ndarray

    def with_backlash_scaled(self, factor: float) -> "DrivetrainEstimates":
        """The same estimates with the backlash width mis-estimated by ``factor``."""
        return dataclasses.replace(self, backlash_rad=self.backlash_rad * float(factor))

    def summary(self, joint: int) -> dict[str, float]:
        """Estimates in use for one joint, for diagnostics."""
        return {"set": self.names[joint], "backlash_arcmin": float(self.backlash_rad[joint] / ARCMIN_RAD),
                "coulomb_nm": float(self.coulomb_nm[joint]), "static_nm": float(self.static_nm[joint]),
                "viscous_nms_per_rad": float(self.viscous_nms_per_rad[joint]),
                "stiffness_k1_nm_per_rad": float(self.stiffness_k_nm_per_rad[0][joint]),
                "reflected_inertia_kgm2": float(self.reflected_inertia_kgm2[joint])}


def default_estimates_path() -> Path:
    from brainbody.share_files import find_share_file
    return find_share_file("config", "drivetrain_estimates.yaml")


def load_estimates(names: Sequence[str], path: Optional[Path] = None) -> DrivetrainEstimates:
    """Estimates for the 7 joints, one named set per joint.

    Raises:
        BrainBodyError: unreadable file, unknown set, missing keys or bad values.
    """
    if len(names) != 7:
        raise BrainBodyError(f"need an estimate set for each of 7 joints, got {len(names)}")
    path = Path(path or default_estimates_path())
    try:
        sets = yaml.safe_load(path.read_text(encoding="utf-8"))["sets"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise BrainBodyError(f"cannot read drivetrain estimates from {path}: {exc}") from exc
    columns = {key: np.zeros(7) for key in _FIELDS}
    for joint, name in enumerate(names):
        if name not in sets:
            raise BrainBodyError(f"unknown drivetrain estimate set {name!r}; known: {sorted(sets)}")
        entry = {k: v for k, v in sets[name].items() if k != "description"}
        if set(entry) != set(_FIELDS):
            raise BrainBodyError(f"estimate set {name!r}: unknown {sorted(set(entry) - set(_FIELDS))}, "
                                 f"missing {sorted(set(_FIELDS) - set(entry))}")
        for key, value in entry.items():
            values = list(value) if isinstance(value, (list, tuple)) else [value] * 7
            if len(values) != 7:
                raise BrainBodyError(f"estimate set {name!r}: {key} needs 1 or 7 values")
            v = values[joint]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise BrainBodyError(f"estimate set {name!r}: {key}[{joint}] = {v!r} is not a finite value >= 0")
            columns[key][joint] = float(v)
    k1, k2, k3 = (columns[f"stiffness_k{i}_nm_per_rad"] for i in (1, 2, 3))
    t1, t2 = columns["stiffness_t1_nm"], columns["stiffness_t2_nm"]
    if np.any(k1 <= 0) or np.any(k2 <= 0) or np.any(k3 <= 0) or np.any(t1 <= 0) or np.any(t2 <= t1):
        raise BrainBodyError("estimates need positive stiffnesses and 0 < T1 < T2")
    if np.any(columns["stribeck_velocity_radps"] <= 0):
        raise BrainBodyError("estimates need a positive Stribeck velocity")
    return DrivetrainEstimates(
        names=tuple(names), reflected_inertia_kgm2=columns["reflected_inertia_kgm2"],
        backlash_rad=columns["backlash_arcmin"] * ARCMIN_RAD, stiffness_k_nm_per_rad=(k1, k2, k3),
        stiffness_t_nm=(t1, t2), coulomb_nm=columns["coulomb_nm"],
        static_nm=np.maximum(columns["static_nm"], columns["coulomb_nm"]),
        stribeck_velocity_radps=columns["stribeck_velocity_radps"],
        viscous_nms_per_rad=columns["viscous_nms_per_rad"], output_coulomb_nm=columns["output_coulomb_nm"])
