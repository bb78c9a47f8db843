"""Task success judged from simulator ground truth, never from the nodes' own reports.

:class:`CupJudge` watches MuJoCo contacts every physics step: the squeeze on the cup
from each finger (crushed above the plant's crush force), whether the cup ever flew
free or tipped over (dropped), and where it ends up.
"""
from __future__ import annotations

import dataclasses

import mujoco
import numpy as np

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


class CupJudge:
    """Ground-truth observer of the cup; call :meth:`update` after every physics step."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, config: SceneConfig):
        self._model, self._data, self._config = model, data, config
        self._cup_geom = model.geom("cup_wall").id
        self._cup_body = model.body("cup").id
        self._finger_bodies = {model.body(n).id for n in
                               ("panda_leftfinger", "panda_rightfinger", "panda_leftpad", "panda_rightpad")}
        self._left = {model.body("panda_leftfinger").id, model.body("panda_leftpad").id}
        self._tray_geom = model.geom("tray_plate").id
        self._force = np.zeros(6)
        self.peak_squeeze_n = 0.0
        self.dropped = False
        self.tipped = False
        self._free_since: float | None = None
        self._cos_tipped = float(np.cos(_TIPPED_RAD))

    def update(self) -> None:
        model, data = self._model, self._data
        ncon = data.ncon
        touching = False
        if ncon:
            # Vectorised over the contact list: only cup contacts reach Python.
            geoms = data.contact.geom[:ncon]
            involved = np.flatnonzero((geoms[:, 0] == self._cup_geom) | (geoms[:, 1] == self._cup_geom))
            touching = involved.size > 0
            left = right = 0.0
            for i in involved:
                g1, g2 = geoms[i]
                other = model.geom_bodyid[g2 if g1 == self._cup_geom else g1]
                if other in self._finger_bodies:
                    mujoco.mj_contactForce(model, data, int(i), self._force)
                    if other in self._left:
                        left += abs(self._force[0])
                    else:
                        right += abs(self._force[0])
            # The squeeze is what both jaws press with; take the larger side so a
            # one-sided shove also counts.
            if left > self.peak_squeeze_n or right > self.peak_squeeze_n:
                self.peak_squeeze_n = max(left, right)
        if touching:
            self._free_since = None
        elif self._free_since is None:
            self._free_since = float(data.time)
        elif data.time - self._free_since > _FREE_FLIGHT_DROP_S:
            self.dropped = True
        quat = data.xquat[self._cup_body]
        if 1.0 - 2.0 * (quat[1] * quat[1] + quat[2] * quat[2]) < self._cos_tipped:
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
