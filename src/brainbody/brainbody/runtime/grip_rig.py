"""The gripper rig driven by the body's control loop: the grip-force controller alone (no arm,
no executor) on the URDF hand above an object (``sim/gripper_rig.py``), for the grip benchmark
and tests. Any controller with the grip loop's ``update`` signature can stand in (the
benchmark's forwarded-effort baseline does).
"""
from __future__ import annotations

from brainbody.sim.gripper_rig import GripperRig


class RigGrip:
    """:class:`brainbody.body.control_loop.Ticked`: one grip-loop period per tick."""

    def __init__(self, rig: GripperRig, controller):
        self.rig, self.controller = rig, controller

    @property
    def time_s(self) -> float:
        return float(self.rig.data.time)

    def tick(self) -> None:
        rig = self.rig
        st = rig.read()
        rig.write(None, self.controller.update(st.time_s, rig.period_s, st.finger_pos_m, st.finger_vel_mps,
                                               st.pad_force_n, st.pad_force_xyz_n))
        rig.step()
