"""Task success judged from simulator ground truth, never from the nodes' own reports.

:class:`CupJudge` watches MuJoCo contacts every physics step: the squeeze on the cup
from each finger (crushed above the plant's crush force), whether the cup ever flew
free or tipped over (dropped), and where it ends up.
"""
from __future__ import annotations

import dataclasses
import math

import mujoco
import numpy as np

from brainbody.jit import kernel, records
from brainbody.sim.scene import CUP_JAW_SENSORS, CUP_JAW_SLOTS, CUP_TOUCH_SENSOR, SceneConfig, tilt_rad

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
    """Whether anything touches the cup, and the normal force each jaw presses on it, from
    MuJoCo's contact list (the judge's sensors ran out of slots for a jaw's contacts).

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


# The judge's findings so far, and where its sensors are in ``sensordata``.
_JUDGE = np.dtype([("touch_adr", np.int64), ("left_adr", np.int64), ("right_adr", np.int64),
                   ("cos_tipped", np.float64), ("peak_squeeze_n", np.float64),
                   ("free_since_s", np.float64),      # NaN: touching something
                   ("dropped", np.bool_), ("tipped", np.bool_)])
_SLOT = 4     # a jaw sensor's slot: found, then the force in the contact frame (normal first)


@kernel
def _jaw_force(sensordata, adr) -> float:
    """The normal force a jaw presses on the cup: the sum over its sensor's contacts (a
    contact's frame may be flipped: its magnitude); NaN when it found more than its slots."""
    found = int(sensordata[adr])
    if found > CUP_JAW_SLOTS:
        return math.nan
    force = 0.0
    for k in range(found):
        force += abs(sensordata[adr + _SLOT * k + 1])
    return force


@kernel
def _note(touching, left, right, cup_quat, time_s, judge) -> None:
    """One step's findings: the peak squeeze (the larger side, so a one-sided shove counts
    too), dropped (touching nothing for a while), tipped over."""
    j = judge[0]
    if left > j.peak_squeeze_n or right > j.peak_squeeze_n:
        j.peak_squeeze_n = max(left, right)
    if touching:
        j.free_since_s = math.nan
    elif math.isnan(j.free_since_s):
        j.free_since_s = time_s
    elif time_s - j.free_since_s > _FREE_FLIGHT_DROP_S:
        j.dropped = True
    x, y = cup_quat[1], cup_quat[2]
    if 1.0 - 2.0 * (x * x + y * y) < j.cos_tipped:
        j.tipped = True


@kernel
def _judge_step(sensordata, cup_quat, time_s, judge) -> bool:
    """One step from the judge's sensors; False (nothing noted) when a jaw's sensor ran out of
    slots."""
    j = judge[0]
    left, right = _jaw_force(sensordata, j.left_adr), _jaw_force(sensordata, j.right_adr)
    if math.isnan(left) or math.isnan(right):
        return False
    _note(sensordata[j.touch_adr] > 0.0, left, right, cup_quat, time_s, judge)
    return True


class CupJudge:
    """Ground-truth observer of the cup; call :meth:`update` after every physics step. It reads
    the scene's cup contact sensors (sim/scene.py): MuJoCo's contact forces, summed in C."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, config: SceneConfig):
        if model.opt.cone != mujoco.mjtCone.mjCONE_ELLIPTIC:
            raise ValueError("the cup judge reads contact normal forces of elliptic friction cones")
        self._model, self._data, self._config = model, data, config
        self._cup_geom = model.geom("cup_wall").id
        self._cup_body = model.body("cup").id
        j = self._j = records(1, _JUDGE)
        (left, left_finger), (right, right_finger) = CUP_JAW_SENSORS
        try:
            j["touch_adr"], j["left_adr"], j["right_adr"] = (model.sensor_adr[model.sensor(name).id]
                                                            for name in (CUP_TOUCH_SENSOR, left, right))
        except KeyError as exc:
            raise ValueError(f"the cup judge needs the scene's cup contact sensors: {exc}") from None
        j["cos_tipped"], j["free_since_s"] = np.cos(_TIPPED_RAD), math.nan
        # Views of MjData arrays of fixed size: they stay where MuJoCo put them.
        self._sensordata = data.sensordata
        self._cup_quat = data.xquat[self._cup_body]
        # For a step whose contacts outnumber a jaw sensor's slots: each body of a finger's subtree.
        self._jaw_of_body = np.zeros(model.nbody, dtype=np.int64)
        for finger, jaw in ((left_finger, _LEFT), (right_finger, _RIGHT)):
            root = model.body(finger).id
            for body in range(model.nbody):
                b = body
                while b > 0 and b != root:
                    b = model.body_parentid[b]
                if b == root:
                    self._jaw_of_body[body] = jaw
        self._geom_body = np.asarray(model.geom_bodyid, dtype=np.int64)

    def update(self) -> None:
        if not _judge_step(self._sensordata, self._cup_quat, self._data.time, self._j):
            self.update_from_contact_list()

    def update_from_contact_list(self) -> None:
        """:meth:`update` from MuJoCo's contact list: for a step whose contacts outnumber a
        jaw sensor's slots (the same findings, about 2 us dearer)."""
        data = self._data
        ncon = data.ncon
        contacts = data.contact
        touching, left, right = _cup_contacts(contacts.geom[:ncon], contacts.efc_address[:ncon], data.efc_force,
                                              self._geom_body, self._cup_geom, self._jaw_of_body)
        _note(touching, left, right, self._cup_quat, data.time, self._j)

    @property
    def peak_squeeze_n(self) -> float:
        return float(self._j["peak_squeeze_n"][0])

    @property
    def dropped(self) -> bool:
        return bool(self._j["dropped"][0])

    @property
    def tipped(self) -> bool:
        return bool(self._j["tipped"][0])

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
