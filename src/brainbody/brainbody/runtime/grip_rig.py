"""The gripper rig driven by the body's control loop: the grip-force controller alone (no arm,
no executor) on the URDF hand above an object (``sim/gripper_rig.py``), for the grip benchmark
and tests. Any controller with the grip loop's ``update`` signature can stand in (the
benchmark's forwarded-effort baseline does).
"""
from __future__ import annotations

from brainbody.body.body_config import BodyConfig
from brainbody.body.grip_force_source import PadSensorForce
from brainbody.sim.gripper_rig import GripperRig


class RigGrip:
    """:class:`brainbody.body.control_loop.Ticked`: one grip-loop period per tick.

    ``source`` (``body/grip_force_source.py``) turns each sample into the measured force:
    the pad sensors unless another is given.
    """

    def __init__(self, rig: GripperRig, controller, source=None):
        self.rig, self.controller = rig, controller
        self.source = source or PadSensorForce(BodyConfig())

    @property
    def time_s(self) -> float:
        return float(self.rig.data.time)

    def tick(self) -> None:
        rig = self.rig
        st = rig.read()
        # A stand-in controller without the grip loop's modes never tares the pads.
        force, force_xyz, touching = self.source.measure(st, rig.period_s,
                                                         free=getattr(self.controller, "in_free_air", False))
        rig.write(None, self.controller.update(st.time_s, rig.period_s, st.finger_pos_m, st.finger_vel_mps,
                                               force, force_xyz, touching))
        rig.step()
