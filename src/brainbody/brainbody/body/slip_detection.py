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

import enum
import math
from typing import NamedTuple

import numpy as np

from brainbody.jit import all_finite, kernel

MIN_NORMAL_N = 0.02   # below this a pad is not in contact: its ratio is not defined


class SlipState(enum.Enum):
    NONE = "none"              # load well inside the estimated friction cone
    INCIPIENT = "incipient"    # the safety margin is used up: the grip must rise
    SLIPPING = "slipping"      # the load has left the estimated friction cone


class SlipEstimate(NamedTuple):
    """One detector reading (a named tuple: immutable, and built every tick while holding at a
    third of a frozen dataclass's cost).

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
        self._figures = np.zeros(6)
        self.estimate = SlipEstimate()

    def tare(self, pad_force_xyz_n: np.ndarray) -> None:
        """Take the current reading as zero (call with the pads free of contact)."""
        self._offset_n[...] = _as_pads(pad_force_xyz_n)      # in place: compiled callers hold it

    def reset(self) -> None:
        self.estimate = SlipEstimate()

    def update(self, pad_force_xyz_n: np.ndarray) -> SlipEstimate:
        """Evaluate one sample of the two pads' 3-axis forces (2, 3), N, in the pad frames.

        Raises:
            ValueError: wrong shape or a non-finite value.
        """
        f = pad_sample(pad_force_xyz_n)
        out = self._figures
        code = slip_figures(f, self._offset_n, self.friction_estimate, self.safety_margin, MIN_NORMAL_N, out)
        if code < 0:
            raise not_finite(f)
        self.estimate = self.estimate_from(code, out)
        return self.estimate

    @property
    def offset_n(self) -> np.ndarray:
        """The tared reading (2, 3), as :func:`slip_figures` takes it."""
        return self._offset_n

    def estimate_from(self, code: int, figures: np.ndarray) -> SlipEstimate:
        """The reading :func:`slip_figures` gave as ``code`` and ``figures`` (a compiled caller
        that ran it builds this only when someone asks)."""
        left_n, right_n, utilisation, load, load_x, load_z = figures.tolist()
        if code == NO_CONTACT:
            return SlipEstimate(normal_n=(left_n, right_n))
        mu = self.friction_estimate
        # Positional, in the fields' order (state, utilisation, tangential_n, normal_n,
        # required_force_n, needed_force_n, load_xz_n): half the cost of keywords.
        return SlipEstimate(_STATES[code], utilisation, load, (left_n, right_n),
                            self.safety_margin * load / mu, load / mu, (load_x, load_z))


# What slip_figures returns: the state's index in _STATES, no pad in contact, or a non-finite sample.
_STATES = (SlipState.NONE, SlipState.INCIPIENT, SlipState.SLIPPING)
NO_CONTACT, NOT_FINITE = 3, -1


@kernel
def slip_figures(pads, offset, mu, margin, min_normal, out):
    """One sample's figures into ``out``: each pad's normal force, the utilisation of the
    estimated cone, the largest tangential load on a pad in contact, and the tangential load
    summed over both pads (x, z). Returns the state's index in ``_STATES``, ``NO_CONTACT``
    or ``NOT_FINITE``."""
    for p in range(2):
        for k in range(3):
            if not math.isfinite(pads[p, k]):
                return NOT_FINITE
    lx, ly, lz = pads[0, 0] - offset[0, 0], pads[0, 1] - offset[0, 1], pads[0, 2] - offset[0, 2]
    rx, ry, rz = pads[1, 0] - offset[1, 0], pads[1, 1] - offset[1, 1], pads[1, 2] - offset[1, 2]
    normal_l, normal_r = abs(ly), abs(ry)
    tangential_l, tangential_r = math.hypot(lx, lz), math.hypot(rx, rz)
    out[0], out[1], out[4], out[5] = normal_l, normal_r, lx + rx, lz + rz
    utilisation, load, any_contact = 0.0, 0.0, False
    if normal_l > min_normal:
        utilisation, load, any_contact = tangential_l / (mu * normal_l), tangential_l, True
    if normal_r > min_normal:
        ratio = tangential_r / (mu * normal_r)
        utilisation = max(utilisation, ratio) if any_contact else ratio
        load = max(load, tangential_r) if any_contact else tangential_r
        any_contact = True
    out[2], out[3] = utilisation, load
    if not any_contact:
        return NO_CONTACT
    if utilisation >= 1.0:
        return 2
    if utilisation * margin >= 1.0:
        return 1
    return 0


def pad_sample(pad_force_xyz_n) -> np.ndarray:
    """The two pads' 3-axis forces as :func:`slip_figures` takes them: one C-contiguous (2, 3)
    float array (one compiled layout whatever the caller hands over).

    Raises:
        ValueError: another shape.
    """
    f = np.ascontiguousarray(pad_force_xyz_n, dtype=float)
    if f.shape != (2, 3):
        raise ValueError(f"pad_force_xyz_n must have shape (2, 3), got {f.shape}")
    return f


def not_finite(sample: np.ndarray) -> ValueError:
    """The refusal of a sample :func:`slip_figures` found a non-finite value in."""
    return ValueError(f"pad_force_xyz_n must be finite, got {sample.tolist()}")


def _as_pads(pad_force_xyz_n) -> np.ndarray:
    f = pad_sample(pad_force_xyz_n)
    if not all_finite(f.reshape(-1)):
        raise not_finite(f)
    return f
