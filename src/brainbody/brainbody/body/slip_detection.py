"""Slip detection from 3-axis fingertip forces against an estimated friction cone.

Each pad measures its contact force in its own frame: y normal to the pad face, x and z
in its plane. A held object stays put while, on every pad, the tangential load ``f_t``
stays inside the friction cone ``f_t <= mu * f_n``. The detector compares the load with
the cone of the controller's own, deliberately low, friction estimate ``mu_est``:

- ``utilisation = max over pads of f_t / (mu_est * f_n)``;
- the normal force each pad needs to hold the load with a safety margin is
  ``required = margin * max(f_t) / mu_est`` (grip-load coupling, as human grasping does);
- the state is SLIPPING at utilisation >= 1 (the load has left the estimated cone), INCIPIENT
  at utilisation >= 1 / margin (the margin is used up) and NONE below.

A sensor offset (pad weight, drift) is tared before contact. The detector knows nothing of
the plant: it sees forces only, and the true friction coefficient is never given to it.
"""
from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np

from brainbody.jit import all_finite

_MIN_NORMAL_N = 0.02   # below this a pad is not in contact: its ratio is not defined


class SlipState(enum.Enum):
    NONE = "none"              # load well inside the estimated friction cone
    INCIPIENT = "incipient"    # the safety margin is used up: the grip must rise
    SLIPPING = "slipping"      # the load has left the estimated friction cone


@dataclasses.dataclass(frozen=True)
class SlipEstimate:
    """One detector reading.

    Attributes:
        state: see :class:`SlipState`.
        utilisation: largest tangential / (mu_est * normal) over the pads (0: no load).
        tangential_n: largest tangential load on one pad (N).
        normal_n: normal force of each pad (2,) (N).
        required_force_n: normal force per pad that holds the load with the margin (N).
        needed_force_n: normal force per pad that just holds the load, no margin (N).
        load_xz_n: tangential load summed over both pads, (x, z) in the pad frame (N): its
            direction tells which way the object pulls (the pads share one orientation).
    """

    state: SlipState = SlipState.NONE
    utilisation: float = 0.0
    tangential_n: float = 0.0
    normal_n: tuple[float, float] = (0.0, 0.0)
    required_force_n: float = 0.0
    needed_force_n: float = 0.0
    load_xz_n: tuple[float, float] = (0.0, 0.0)


class SlipDetector:
    """Friction-cone slip detector for a two-pad gripper.

    Args:
        friction_estimate: the controller's friction coefficient pad/object (keep it low).
        safety_margin: hold with this multiple of the force the estimated cone needs (> 1).

    Raises:
        ValueError: a non-positive friction estimate or a margin below 1.
    """

    def __init__(self, friction_estimate: float, safety_margin: float):
        if not (np.isfinite(friction_estimate) and friction_estimate > 0.0):
            raise ValueError(f"friction_estimate must be positive, got {friction_estimate!r}")
        if not (np.isfinite(safety_margin) and safety_margin >= 1.0):
            raise ValueError(f"safety_margin must be >= 1, got {safety_margin!r}")
        self.friction_estimate = float(friction_estimate)
        self.safety_margin = float(safety_margin)
        self._offset_n = np.zeros((2, 3))
        self.estimate = SlipEstimate()

    def tare(self, pad_force_xyz_n: np.ndarray) -> None:
        """Take the current reading as zero (call with the pads free of contact)."""
        self._offset_n = _as_pads(pad_force_xyz_n).copy()

    def reset(self) -> None:
        self.estimate = SlipEstimate()

    def update(self, pad_force_xyz_n: np.ndarray) -> SlipEstimate:
        """Evaluate one sample of the two pads' 3-axis forces (2, 3), N, in the pad frames.

        Raises:
            ValueError: wrong shape or a non-finite value.
        """
        # Plain floats: this runs every control tick and numpy is slow on six numbers.
        (lx, ly, lz), (rx, ry, rz) = (_as_pads(pad_force_xyz_n) - self._offset_n).tolist()
        normal = (abs(ly), abs(ry))
        tangential = (math.hypot(lx, lz), math.hypot(rx, rz))
        mu = self.friction_estimate
        ratios = [t / (mu * n) for n, t in zip(normal, tangential) if n > _MIN_NORMAL_N]
        if not ratios:
            self.estimate = SlipEstimate(normal_n=normal)
            return self.estimate
        utilisation = max(ratios)
        load = max(t for n, t in zip(normal, tangential) if n > _MIN_NORMAL_N)
        if utilisation >= 1.0:
            state = SlipState.SLIPPING
        elif utilisation * self.safety_margin >= 1.0:
            state = SlipState.INCIPIENT
        else:
            state = SlipState.NONE
        self.estimate = SlipEstimate(state=state, utilisation=utilisation, tangential_n=load, normal_n=normal,
                                     required_force_n=self.safety_margin * load / mu, needed_force_n=load / mu,
                                     load_xz_n=(lx + rx, lz + rz))
        return self.estimate


def _as_pads(pad_force_xyz_n) -> np.ndarray:
    f = np.asarray(pad_force_xyz_n, dtype=float)
    if f.shape != (2, 3):
        raise ValueError(f"pad_force_xyz_n must have shape (2, 3), got {f.shape}")
    if not all_finite(f.reshape(-1)):
        raise ValueError(f"pad_force_xyz_n must be finite, got {f.tolist()}")
    return f
