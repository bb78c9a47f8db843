"""The latched stop: what keeps the arm holding until someone resets it on purpose.

Two things latch: the emergency stop (``/body/estop`` true) and a fault the body detected
below itself (a stale or invalid hardware state, a failed tick). Publishing ``false`` on
``/body/estop`` clears nothing: a stop that anyone's message could lift, or that lifted
itself when its cause went away, would restart motion nobody asked for. Only
:meth:`StopLatch.reset` (``/body/reset``) clears it, and only while the arm is at rest and
its state is sane, so the body never resumes into a moving or unknown arm.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional

import numpy as np

from brainbody.body.hardware import HardwareState
from brainbody.exceptions import BrainBodyError, EstopActiveError
from brainbody.jit import all_finite, kernel

_NONE = np.zeros(0)


# Typed: any other argument (an int or float32 array, a list) is a TypeError, never a new
# compilation, so the arrays go in as they are and the check below names the odd one.
@kernel(signature="boolean(float64, float64[:], float64[:], float64[:], float64[:], float64[:], float64[:, :], "
                  "float64[:])")
def _state_finite(time_s, q, qd, finger_pos, finger_vel, pad_force, pad_force_xyz, q_link) -> bool:
    for row in range(pad_force_xyz.shape[0]):
        if not all_finite(pad_force_xyz[row]):
            return False
    return (math.isfinite(time_s) and all_finite(q) and all_finite(qd) and all_finite(finger_pos)
            and all_finite(finger_vel) and all_finite(pad_force) and all_finite(q_link))


@dataclasses.dataclass(frozen=True)
class ResetOutcome:
    """``success`` and a sentence saying what was cleared, or why nothing was."""

    success: bool
    message: str


def state_problem(state: HardwareState) -> Optional[str]:
    """The first non-finite field of ``state`` as a sentence, or None when every value is finite."""
    try:     # every tick: one compiled pass over the sample
        link = state.q_link_rad
        if _state_finite(state.time_s, state.q_rad, state.qd_radps, state.finger_pos_m, state.finger_vel_mps,
                         state.pad_force_n, state.pad_force_xyz_n, _NONE if link is None else link):
            return None
    except (TypeError, ValueError, AttributeError):   # not float arrays: the check below says which is not finite
        pass
    fields = [("time_s", state.time_s), ("q_rad", state.q_rad), ("qd_radps", state.qd_radps),
              ("finger_pos_m", state.finger_pos_m), ("finger_vel_mps", state.finger_vel_mps),
              ("pad_force_n", state.pad_force_n), ("pad_force_xyz_n", state.pad_force_xyz_n)]
    if state.q_link_rad is not None:
        fields.append(("q_link_rad", state.q_link_rad))
    for name, value in fields:
        try:
            finite = bool(np.all(np.isfinite(np.asarray(value, dtype=np.float64))))
        except (TypeError, ValueError):
            finite = False
        if not finite:
            return f"non-finite {name} in the hardware state"
    return None


class StopLatch:
    """The e-stop flag and the first latched fault.

    Args:
        rest_speed_radps: a reset needs every arm joint slower than this.
    """

    def __init__(self, *, rest_speed_radps: float):
        self.rest_speed_radps = float(rest_speed_radps)
        self.estop = False
        self.fault: Optional[BrainBodyError] = None

    @property
    def active(self) -> bool:
        return self.estop or self.fault is not None

    def latch_estop(self) -> None:
        self.estop = True

    def latch_fault(self, error: BrainBodyError) -> None:
        """Keep the first fault: it is the cause; later ones are usually its consequences."""
        if self.fault is None:
            self.fault = error

    def describe(self) -> str:
        """What is latched, e.g. ``emergency stop`` or ``fault 304 (no fresh ...)``."""
        parts = ["emergency stop"] if self.estop else []
        if self.fault is not None:
            parts.append(f"fault {int(self.fault.code)} ({self.fault.message})")
        return " and ".join(parts) or "nothing"

    def refusal(self) -> EstopActiveError:
        """The error a motion command gets while the stop is latched."""
        return EstopActiveError(f"{self.describe()} latched: holding; call /body/reset once the arm is at rest")

    def reset(self, state: HardwareState, *, braking: bool = False, state_error: Optional[str] = None) -> ResetOutcome:
        """Clear the latch if it is safe to let the arm move again.

        Args:
            state: the last hardware state the body accepted.
            braking: the body is still braking to its hold.
            state_error: why the current state cannot be trusted (stale, refused), if it cannot.

        Returns:
            The outcome; on refusal nothing is cleared.
        """
        if not self.active:
            return ResetOutcome(True, "nothing latched; the body accepts commands")
        what = self.describe()
        problem = state_error or state_problem(state)
        if problem:
            return ResetOutcome(False, f"reset refused: {problem}; still latched: {what}")
        speed = np.abs(np.asarray(state.qd_radps, dtype=float))
        j = int(np.argmax(speed))
        if braking or speed[j] >= self.rest_speed_radps:
            why = ("still braking to a hold" if braking else
                   f"arm not at rest (joint {j + 1} at {speed[j]:.3f} rad/s, limit {self.rest_speed_radps:g} rad/s)")
            return ResetOutcome(False, f"reset refused: {why}; still latched: {what}")
        self.estop, self.fault = False, None
        return ResetOutcome(True, f"reset: cleared {what}; the body accepts commands")
