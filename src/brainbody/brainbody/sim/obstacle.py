"""The fault-injection obstacle: a free box that the scene keeps parked, inert, out of the
robot's reach, and that a test drops into the arm's path at run time (``sim_node``'s
``/sim/disturbance/obstacle_drop``; :meth:`Obstacle.drop` in process), plus the ground-truth
judge of the contact between the robot and it.

Parked, the box neither collides nor falls (its geom's contact bits are off and gravity
compensation holds it), so the coffee scene's physics is the same with it as without it.
Dropped, it is an ordinary free body: released at rest, it falls onto whatever is below,
and the arm may push, tip or slide it.

The judge (:meth:`Obstacle.update`, every physics step while the box is out) sums the contact
forces (normal and friction, MuJoCo's ``mj_contactForce``) of every contact between a robot
geom (the arm, hand, fingers, pads) and the box into one force vector on the box and keeps its
largest magnitude: ``peak_contact_force_n``. Contacts between the box and a held object are
counted apart (``held_object_contact``): a box hit by the cup is not a force on the robot.

The bounds a collision is judged against (tests and benchmarks): the peak comes from the
impact, a few milliseconds after the first touch and before any detection can act, and may be
at most the transient contact value ISO/TS 15066 (Annex A, table A.2) allows on the hand and
fingers, twice their 140 N quasi-static value (:data:`TRANSIENT_CONTACT_LIMIT_N`). After the
body's reaction the arm may rest on the obstacle but not press it (:data:`HELD_CONTACT_LIMIT_N`):
the Panda hand weighs 7.5 N, plus a margin for the gravity model's error. The quasi-static 140 N
would pass an arm that keeps pressing with 100 N (measured with a fallback that braked along the
motion, driving the hand on into the box for its braking distance). MuJoCo's contacts are soft
(``solref`` 20 ms by default), so an impact peak here is lower than the same impact on steel.

Plant side only: the body never reads any of this.
"""
from __future__ import annotations

import math
from typing import Optional

import mujoco
import numpy as np

from brainbody.sim.scene import OBSTACLE_BODY, OBSTACLE_GEOM, SCENE_CONTACT_BITS, SceneConfig

_ROBOT_ROOT = "panda_link0"

TRANSIENT_CONTACT_LIMIT_N = 280.0   # ISO/TS 15066 hand and fingers: 2 x 140 N, transient contact
HELD_CONTACT_LIMIT_N = 20.0         # resting on the obstacle after the stop, not pressing it


class Obstacle:
    """The scene's obstacle box and its contact judge.

    Args:
        model, data: the scene (built by :func:`brainbody.sim.scene.build_model`).
        config: the box's size and parking place.
    """

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, config: SceneConfig):
        self._model, self._data, self._config = model, data, config
        self._body = model.body(OBSTACLE_BODY).id
        self._geom = model.geom(OBSTACLE_GEOM).id
        joint = model.body_jntadr[self._body]
        self._qpos = int(model.jnt_qposadr[joint])
        self._dof = int(model.jnt_dofadr[joint])
        self._contype = int(model.geom_contype[self._geom])        # as built: parked, 0
        self._conaffinity = int(model.geom_conaffinity[self._geom])
        self._robot_body = _subtree(model, model.body(_ROBOT_ROOT).id)
        self._cup_geom = model.geom("cup_wall").id
        self._force = np.zeros(6)
        self.active = False
        self._reset_judge()

    def _reset_judge(self) -> None:
        self.peak_contact_force_n = 0.0
        self.contact_force_n = 0.0
        self.first_contact_s: Optional[float] = None
        self.peak_at_s: Optional[float] = None
        self.contact_s = 0.0
        self.held_object_contact = False
        self.dropped_at_s: Optional[float] = None

    # -- placing it ------------------------------------------------------------------------
    def drop(self, center_xy_m, bottom_z_m: float) -> None:
        """Release the box at rest, upright, its bottom face centred under ``center_xy_m`` at
        height ``bottom_z_m`` (world frame, m): it falls from there. Resets the judge.

        Raises:
            ValueError: a non-finite position, or a bottom below the table.
        """
        x, y = (float(v) for v in center_xy_m)
        z = float(bottom_z_m)
        if not all(math.isfinite(v) for v in (x, y, z)):
            raise ValueError(f"the obstacle's drop point must be finite, got ({x}, {y}, {z})")
        if z < 0.0:
            raise ValueError(f"the obstacle's bottom must be at or above the table (z >= 0), got {z!r} m")
        self._place((x, y, z + self._config.obstacle_half_size_m[2]), solid=True)
        self._reset_judge()
        self.active, self.dropped_at_s = True, float(self._data.time)

    def park(self) -> None:
        """Take the box out of the scene again (its parking place, inert)."""
        self._place(self._config.obstacle_parked_m, solid=False)
        self.active = False

    def _place(self, center_m, *, solid: bool) -> None:
        m, d = self._model, self._data
        d.qpos[self._qpos:self._qpos + 3] = center_m
        d.qpos[self._qpos + 3:self._qpos + 7] = (1.0, 0.0, 0.0, 0.0)
        d.qvel[self._dof:self._dof + 6] = 0.0
        contype, conaffinity = SCENE_CONTACT_BITS if solid else (self._contype, self._conaffinity)
        # The broad phase filters on the body's bits (the union of its geoms'), set at compile time.
        m.geom_contype[self._geom] = m.body_contype[self._body] = contype
        m.geom_conaffinity[self._geom] = m.body_conaffinity[self._body] = conaffinity
        m.body_gravcomp[self._body] = 0.0 if solid else 1.0
        mujoco.mj_forward(m, d)

    @property
    def position_m(self) -> np.ndarray:
        """The box's centre (world frame, m)."""
        return self._data.xpos[self._body].copy()

    # -- ground truth --------------------------------------------------------------------
    def update(self) -> None:
        """After every physics step: the robot's contact force on the box (nothing when parked)."""
        if not self.active:
            return
        m, d = self._model, self._data
        ncon = d.ncon
        total = np.zeros(3)
        touching = False
        if ncon:
            geoms = d.contact.geom[:ncon]
            mine = np.flatnonzero((geoms[:, 0] == self._geom) | (geoms[:, 1] == self._geom))
            for c in mine:
                g1, g2 = int(geoms[c, 0]), int(geoms[c, 1])
                other = g2 if g1 == self._geom else g1
                if other == self._cup_geom:
                    self.held_object_contact = True
                    continue
                if not self._robot_body[m.geom_bodyid[other]] or d.contact.efc_address[c] < 0:
                    continue
                mujoco.mj_contactForce(m, d, int(c), self._force)
                # The contact frame's rows are its axes, the first the normal from geom1 to
                # geom2; the force acts on geom2 along it, on geom1 against it.
                world = d.contact.frame[c].reshape(3, 3).T @ self._force[:3]
                total += world if g2 == self._geom else -world
                touching = True
        self.contact_force_n = float(np.linalg.norm(total))
        if touching:
            self.contact_s += float(m.opt.timestep)
            if self.first_contact_s is None:
                self.first_contact_s = float(d.time)
        if self.contact_force_n > self.peak_contact_force_n:
            self.peak_contact_force_n, self.peak_at_s = self.contact_force_n, float(d.time)

    def ground_truth(self) -> dict:
        """What the judge saw, for ``/sim/ground_truth`` (``obstacle``)."""
        return {"active": self.active, "position_m": [float(v) for v in self.position_m],
                "dropped_at_s": self.dropped_at_s,
                "peak_contact_force_n": self.peak_contact_force_n, "peak_at_s": self.peak_at_s,
                "contact_force_n": self.contact_force_n, "first_contact_s": self.first_contact_s,
                "contact_s": self.contact_s, "held_object_contact": self.held_object_contact}


def _subtree(model: mujoco.MjModel, root: int) -> np.ndarray:
    """Per body: whether it is ``root`` or one of its descendants."""
    inside = np.zeros(model.nbody, dtype=bool)
    for body in range(model.nbody):
        b = body
        while b > 0 and b != root:
            b = model.body_parentid[b]
        inside[body] = b == root
    return inside
