"""Task success judged from simulator ground truth, never from the nodes' own reports.

:class:`CupJudge` watches MuJoCo contacts every physics step: the squeeze on the cup
from each finger (crushed above the plant's crush force), whether the cup ever flew
free or tipped over (dropped), and where it ends up.
"""
from __future__ import annotations

import dataclasses

import mujoco
import numpy as np

from brainbody.jit import kernel
from brainbody.sim.scene import SceneConfig, tilt_rad

# The cup counts as dropped after this long touching nothing at all (a released cup
# falls a few millimetres onto its support in well under this).
_FREE_FLIGHT_DROP_S = 0.06
_TIPPED_RAD = 0.6
_UPRIGHT_RAD = np.deg2rad(10.0)


@dataclasses.dataclass(frozen=True)
class CupVerdict:
    """The judge's findings. ``success`` is the coffee task's criterion."""

    success: bool
    on_tray: bool
    upright: bool
    filled: bool
    crushed: bool
    dropped: bool
    peak_squeeze_n: float
    crush_force_n: float
    final_position_m: tuple[float, float, float]
    fill_fraction: float
    reasons: tuple[str, ...]

    def summary(self) -> str:
        state = "SUCCESS" if self.success else "FAILURE: " + "; ".join(self.reasons)
        x, y, z = self.final_position_m
        return (f"{state} | cup at ({x:.3f}, {y:.3f}, {z:.3f}) m, on tray {self.on_tray}, upright "
                f"{self.upright}, filled {self.fill_fraction:.0%}, peak squeeze {self.peak_squeeze_n:.2f} N "
                f"(crush {self.crush_force_n:.1f} N), dropped {self.dropped}")


_LEFT, _RIGHT = 1, 2     # which jaw a body belongs to (0: neither)


# Typed: the contact arrays are views of MuJoCo's contact structs, C-contiguous with one contact
# and strided with more (see brainbody/jit.py).
@kernel(signature="Tuple((boolean, float64, float64))(int32[:, :], int32[:], float64[:], int64[:], int64, int64[:])")
def _cup_contacts(geoms, efc_address, efc_force, geom_body, cup_geom, jaw_of_body):
    """Whether anything touches the cup, and the normal force each jaw presses on it.

    With elliptic friction cones a contact's first constraint row is its normal force (what
    ``mj_contactForce`` reports first); a contact without constraint rows carries none.
    """
    touching, left, right = False, 0.0, 0.0
    for c in range(geoms.shape[0]):
        g1, g2 = geoms[c, 0], geoms[c, 1]
        if g1 != cup_geom and g2 != cup_geom:
            continue
        touching = True
        jaw = jaw_of_body[geom_body[g2 if g1 == cup_geom else g1]]
        if jaw == 0 or efc_address[c] < 0:
            continue
        force = abs(efc_force[efc_address[c]])
        if jaw == _LEFT:
            left += force
        else:
            right += force
    return touching, left, right


class CupJudge:
    """Ground-truth observer of the cup; call :meth:`update` after every physics step."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, config: SceneConfig):
        if model.opt.cone != mujoco.mjtCone.mjCONE_ELLIPTIC:
            raise ValueError("the cup judge reads contact normal forces of elliptic friction cones")
        self._model, self._data, self._config = model, data, config
        self._cup_geom = model.geom("cup_wall").id
        self._cup_body = model.body("cup").id
        self._jaw_of_body = np.zeros(model.nbody, dtype=np.int64)
        for name, jaw in (("panda_leftfinger", _LEFT), ("panda_leftpad", _LEFT),
                          ("panda_rightfinger", _RIGHT), ("panda_rightpad", _RIGHT)):
            self._jaw_of_body[model.body(name).id] = jaw
        self._geom_body = np.asarray(model.geom_bodyid, dtype=np.int64)
        self._tray_geom = model.geom("tray_plate").id
        self.peak_squeeze_n = 0.0
        self.dropped = False
        self.tipped = False
        self._free_since: float | None = None
        self._cos_tipped = float(np.cos(_TIPPED_RAD))

    def update(self) -> None:
        data = self._data
        ncon = data.ncon
        touching = False
        if ncon:
            contacts = data.contact
            touching, left, right = _cup_contacts(contacts.geom[:ncon], contacts.efc_address[:ncon], data.efc_force,
                                                  self._geom_body, self._cup_geom, self._jaw_of_body)
            # The squeeze is what both jaws press with; take the larger side so a one-sided
            # shove also counts.
            if left > self.peak_squeeze_n or right > self.peak_squeeze_n:
                self.peak_squeeze_n = max(left, right)
        if touching:
            self._free_since = None
        elif self._free_since is None:
            self._free_since = float(data.time)
        elif data.time - self._free_since > _FREE_FLIGHT_DROP_S:
            self.dropped = True
        _, x, y, _ = data.xquat[self._cup_body].tolist()
        if 1.0 - 2.0 * (x * x + y * y) < self._cos_tipped:
            self.tipped = True

    @property
    def crushed(self) -> bool:
        return self.peak_squeeze_n > self._config.cup_crush_force_n

    def verdict(self, fill_fraction: float) -> CupVerdict:
        data, config = self._data, self._config
        pos = data.xpos[self._cup_body]
        bottom_z = pos[2] - config.cup_height_m / 2
        tx, ty = config.tray_center_xy_m
        thx, thy, thz = config.tray_half_size_m
        on_tray = (abs(pos[0] - tx) <= thx and abs(pos[1] - ty) <= thy
                   and abs(bottom_z - 2 * thz) < 0.01)
        upright = tilt_rad(data.xquat[self._cup_body]) < _UPRIGHT_RAD
        filled = fill_fraction >= 0.95
        dropped = self.dropped or self.tipped
        reasons = []
        if not on_tray:
            reasons.append("cup is not on the tray")
        if not upright:
            reasons.append("cup is not upright")
        if not filled:
            reasons.append(f"cup is only {fill_fraction:.0%} filled")
        if self.crushed:
            reasons.append(f"cup crushed ({self.peak_squeeze_n:.2f} N > {config.cup_crush_force_n:.1f} N)")
        if dropped:
            reasons.append("cup was dropped or tipped over")
        return CupVerdict(success=not reasons, on_tray=bool(on_tray), upright=bool(upright), filled=bool(filled),
                          crushed=bool(self.crushed), dropped=bool(dropped),
                          peak_squeeze_n=float(self.peak_squeeze_n),
                          crush_force_n=float(config.cup_crush_force_n),
                          final_position_m=tuple(float(v) for v in pos), fill_fraction=fill_fraction,
                          reasons=tuple(reasons))
