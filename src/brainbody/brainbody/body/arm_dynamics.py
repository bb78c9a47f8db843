"""The arm's rigid-body dynamics as compiled kernels: forward kinematics, inverse dynamics
(recursive Newton-Euler), the mass matrix (composite rigid bodies) and the tool's motion, for
the 7-joint serial chain of :class:`~brainbody.body.robot_model.RobotModel`.

pinocchio computes the same, and stays the body's model: it reads the URDF, and the chain's
parameters here are copied from its model once (:func:`chain_parameters`). But every call
into pinocchio from Python costs about a microsecond of binding and conversion on top of its
arithmetic, and a kernel cannot make one; the servo and the runtime monitor, which need the
dynamics every tick, call these from inside their own kernels instead (the coffee task's
control tick about 9 us shorter). ``test_arm_dynamics.py`` checks every result against pinocchio.

Everything is in the world frame: each joint's origin, axis and rotation, and each link's
centre of mass and inertia about it, are placed once per configuration (:func:`place`); the
other kernels read that placement.
"""
from __future__ import annotations

import numpy as np
import pinocchio as pin

from brainbody.jit import kernel, records

N_JOINTS = 7

# The chain (one record): each joint's placement in its parent's frame (rotation, translation)
# and axis in its own, each link's mass, centre of mass and inertia about it (in its joint's
# frame), the tool frame's origin in the last joint's frame, and gravity (world).
CHAIN = np.dtype([("joint_rot", "f8", (N_JOINTS, 3, 3)), ("joint_pos", "f8", (N_JOINTS, 3)),
                  ("axis", "f8", (N_JOINTS, 3)), ("mass", "f8", (N_JOINTS,)), ("com", "f8", (N_JOINTS, 3)),
                  ("inertia", "f8", (N_JOINTS, 3, 3)), ("tool_pos", "f8", (3,)),
                  ("gravity", "f8", (3,))])
# A placement of the chain (one record), world frame, and the scratch the kernels work in.
POSE = np.dtype([("rot", "f8", (N_JOINTS, 3, 3)), ("origin", "f8", (N_JOINTS, 3)), ("axis", "f8", (N_JOINTS, 3)),
                 ("com", "f8", (N_JOINTS, 3)), ("inertia", "f8", (N_JOINTS, 3, 3)),
                 ("force", "f8", (N_JOINTS, 3)), ("moment", "f8", (N_JOINTS, 3)),
                 ("sub_mass", "f8", (N_JOINTS,)), ("sub_com", "f8", (N_JOINTS, 3)),
                 ("sub_inertia", "f8", (N_JOINTS, 3, 3)), ("about_origin", "f8", (3, 3))])


def chain_parameters(model: pin.Model, tool_frame: int) -> np.ndarray:
    """The chain record of a pinocchio model of exactly 7 revolute joints in series (the arm,
    fingers locked), with ``tool_frame`` (a frame id) on the last joint."""
    if model.njoints != N_JOINTS + 1 or model.nv != N_JOINTS:
        raise ValueError(f"arm dynamics: need {N_JOINTS} joints, the model has {model.njoints - 1}")
    chain = records(1, CHAIN)
    c = chain[0]
    axes = {"JointModelRX": (1.0, 0.0, 0.0), "JointModelRY": (0.0, 1.0, 0.0), "JointModelRZ": (0.0, 0.0, 1.0)}
    for i in range(N_JOINTS):
        joint = model.joints[i + 1]
        if model.parents[i + 1] != i:
            raise ValueError(f"arm dynamics: joint {i + 1} is not the child of joint {i}")
        name = joint.shortname()
        if name in axes:
            axis = np.array(axes[name])
        elif name == "JointModelRevoluteUnaligned":
            axis = np.asarray(joint.extract().axis, dtype=float)
        else:
            raise ValueError(f"arm dynamics: joint {i + 1} is a {name}, not a revolute joint")
        placement, inertia = model.jointPlacements[i + 1], model.inertias[i + 1]
        c["joint_rot"][i], c["joint_pos"][i], c["axis"][i] = placement.rotation, placement.translation, axis
        c["mass"][i], c["com"][i], c["inertia"][i] = inertia.mass, inertia.lever, inertia.inertia
    frame = model.frames[tool_frame]
    if frame.parentJoint != N_JOINTS:
        raise ValueError(f"arm dynamics: the tool frame hangs on joint {frame.parentJoint}, not the last")
    c["tool_pos"] = frame.placement.translation
    c["gravity"] = model.gravity.linear
    if np.any(model.armature != 0.0):
        raise ValueError("arm dynamics: the model has rotor armature (the body's rotor inertia is the servo's)")
    return chain


def new_pose() -> np.ndarray:
    """A workspace for :func:`place` and the kernels that read it."""
    return records(1, POSE)


@kernel
def place(chain, q, pose) -> None:
    """World placement of every joint and link at ``q`` (7,), into ``pose``."""
    c, p = chain[0], pose[0]
    rot, origin, axis, com, inertia = p.rot, p.origin, p.axis, p.com, p.inertia
    for i in range(N_JOINTS):
        # Rodrigues: the rotation t by q about the joint's own axis u.
        ux, uy, uz = c.axis[i, 0], c.axis[i, 1], c.axis[i, 2]
        cq, sq = np.cos(q[i]), np.sin(q[i])
        v = 1.0 - cq
        t00, t01, t02 = cq + ux * ux * v, ux * uy * v - uz * sq, ux * uz * v + uy * sq
        t10, t11, t12 = uy * ux * v + uz * sq, cq + uy * uy * v, uy * uz * v - ux * sq
        t20, t21, t22 = uz * ux * v - uy * sq, uz * uy * v + ux * sq, cq + uz * uz * v
        for a in range(3):
            # Row a of the joint frame before its rotation: the parent's rotation times the placement's.
            if i == 0:
                origin[i, a] = c.joint_pos[i, a]
                b0, b1, b2 = c.joint_rot[i, a, 0], c.joint_rot[i, a, 1], c.joint_rot[i, a, 2]
            else:
                r0, r1, r2 = rot[i - 1, a, 0], rot[i - 1, a, 1], rot[i - 1, a, 2]
                origin[i, a] = (origin[i - 1, a] + r0 * c.joint_pos[i, 0] + r1 * c.joint_pos[i, 1]
                                + r2 * c.joint_pos[i, 2])
                b0 = r0 * c.joint_rot[i, 0, 0] + r1 * c.joint_rot[i, 1, 0] + r2 * c.joint_rot[i, 2, 0]
                b1 = r0 * c.joint_rot[i, 0, 1] + r1 * c.joint_rot[i, 1, 1] + r2 * c.joint_rot[i, 2, 1]
                b2 = r0 * c.joint_rot[i, 0, 2] + r1 * c.joint_rot[i, 1, 2] + r2 * c.joint_rot[i, 2, 2]
            axis[i, a] = b0 * ux + b1 * uy + b2 * uz
            rot[i, a, 0] = b0 * t00 + b1 * t10 + b2 * t20
            rot[i, a, 1] = b0 * t01 + b1 * t11 + b2 * t21
            rot[i, a, 2] = b0 * t02 + b1 * t12 + b2 * t22
        for a in range(3):
            r0, r1, r2 = rot[i, a, 0], rot[i, a, 1], rot[i, a, 2]
            com[i, a] = origin[i, a] + r0 * c.com[i, 0] + r1 * c.com[i, 1] + r2 * c.com[i, 2]
            # Row a of R I R^T: the link's inertia about its centre of mass, in the world frame.
            k0 = r0 * c.inertia[i, 0, 0] + r1 * c.inertia[i, 1, 0] + r2 * c.inertia[i, 2, 0]
            k1 = r0 * c.inertia[i, 0, 1] + r1 * c.inertia[i, 1, 1] + r2 * c.inertia[i, 2, 1]
            k2 = r0 * c.inertia[i, 0, 2] + r1 * c.inertia[i, 1, 2] + r2 * c.inertia[i, 2, 2]
            for b in range(3):
                inertia[i, a, b] = k0 * rot[i, b, 0] + k1 * rot[i, b, 1] + k2 * rot[i, b, 2]


@kernel
def _cross(x0, x1, x2, y0, y1, y2):
    return x1 * y2 - x2 * y1, x2 * y0 - x0 * y2, x0 * y1 - x1 * y0


@kernel
def inverse_dynamics(chain, pose, qd, qdd, with_gravity, tau) -> None:
    """Joint torques (7,) into ``tau`` for velocities ``qd`` and accelerations ``qdd`` at the
    placed configuration (recursive Newton-Euler, world frame); ``with_gravity`` false leaves
    gravity out. An empty ``qd`` or ``qdd`` is zeros: with ``qdd`` empty the result is the
    Coriolis, centrifugal and gravity torques, with both empty gravity's."""
    c, p = chain[0], pose[0]
    origin, axis, com, inertia, force, moment = p.origin, p.axis, p.com, p.inertia, p.force, p.moment
    # Outward: the base accelerates upwards at g instead of gravity pulling every link down.
    g = 1.0 if with_gravity else 0.0
    w0 = w1 = w2 = 0.0                                   # angular velocity
    e0 = e1 = e2 = 0.0                                   # angular acceleration
    a0, a1, a2 = -g * c.gravity[0], -g * c.gravity[1], -g * c.gravity[2]   # acceleration of the last origin
    o0 = o1 = o2 = 0.0                                   # the last origin
    for i in range(N_JOINTS):
        d0, d1, d2 = origin[i, 0] - o0, origin[i, 1] - o1, origin[i, 2] - o2
        x0, x1, x2 = _cross(e0, e1, e2, d0, d1, d2)
        y0, y1, y2 = _cross(w0, w1, w2, d0, d1, d2)
        z0, z1, z2 = _cross(w0, w1, w2, y0, y1, y2)
        a0, a1, a2 = a0 + x0 + z0, a1 + x1 + z1, a2 + x2 + z2
        o0, o1, o2 = origin[i, 0], origin[i, 1], origin[i, 2]
        u0, u1, u2 = axis[i, 0], axis[i, 1], axis[i, 2]
        speed = qd[i] if qd.shape[0] else 0.0
        s0, s1, s2 = u0 * speed, u1 * speed, u2 * speed
        x0, x1, x2 = _cross(w0, w1, w2, s0, s1, s2)
        acc = qdd[i] if qdd.shape[0] else 0.0
        e0, e1, e2 = e0 + u0 * acc + x0, e1 + u1 * acc + x1, e2 + u2 * acc + x2
        w0, w1, w2 = w0 + s0, w1 + s1, w2 + s2
        # The link's centre of mass: its acceleration, the force and the moment about it.
        r0, r1, r2 = com[i, 0] - o0, com[i, 1] - o1, com[i, 2] - o2
        x0, x1, x2 = _cross(e0, e1, e2, r0, r1, r2)
        y0, y1, y2 = _cross(w0, w1, w2, r0, r1, r2)
        z0, z1, z2 = _cross(w0, w1, w2, y0, y1, y2)
        m = c.mass[i]
        force[i, 0], force[i, 1], force[i, 2] = m * (a0 + x0 + z0), m * (a1 + x1 + z1), m * (a2 + x2 + z2)
        iw0 = inertia[i, 0, 0] * w0 + inertia[i, 0, 1] * w1 + inertia[i, 0, 2] * w2
        iw1 = inertia[i, 1, 0] * w0 + inertia[i, 1, 1] * w1 + inertia[i, 1, 2] * w2
        iw2 = inertia[i, 2, 0] * w0 + inertia[i, 2, 1] * w1 + inertia[i, 2, 2] * w2
        x0, x1, x2 = _cross(w0, w1, w2, iw0, iw1, iw2)
        y0, y1, y2 = _cross(r0, r1, r2, force[i, 0], force[i, 1], force[i, 2])
        for a in range(3):
            moment[i, a] = (inertia[i, a, 0] * e0 + inertia[i, a, 1] * e1 + inertia[i, a, 2] * e2) \
                + (x0, x1, x2)[a] + (y0, y1, y2)[a]
    # Inward: each joint carries its link and everything beyond it (moments about its origin).
    f0 = f1 = f2 = n0 = n1 = n2 = 0.0
    for i in range(N_JOINTS - 1, -1, -1):
        if i < N_JOINTS - 1:
            d0, d1, d2 = (origin[i + 1, 0] - origin[i, 0], origin[i + 1, 1] - origin[i, 1],
                          origin[i + 1, 2] - origin[i, 2])
            x0, x1, x2 = _cross(d0, d1, d2, f0, f1, f2)
            n0, n1, n2 = n0 + x0, n1 + x1, n2 + x2
        f0, f1, f2 = f0 + force[i, 0], f1 + force[i, 1], f2 + force[i, 2]
        n0, n1, n2 = n0 + moment[i, 0], n1 + moment[i, 1], n2 + moment[i, 2]
        tau[i] = axis[i, 0] * n0 + axis[i, 1] * n1 + axis[i, 2] * n2


@kernel
def mass_matrix(chain, pose, mass) -> None:
    """The joint-space mass matrix (7, 7), both triangles, into ``mass`` (composite rigid
    bodies: joint j moving at unit speed turns the links beyond it as one body; its momentum
    about joint i's origin, along i's axis, is M[i, j])."""
    c, p = chain[0], pose[0]
    origin, axis, com, inertia = p.origin, p.axis, p.com, p.inertia
    sub_mass, sub_com, sub_inertia = p.sub_mass, p.sub_com, p.sub_inertia
    # The links from j on: mass, first moment and inertia about the world origin, summed inwards.
    m_sum, s0, s1, s2 = 0.0, 0.0, 0.0, 0.0
    io = p.about_origin
    io[:, :] = 0.0
    for j in range(N_JOINTS - 1, -1, -1):
        m = c.mass[j]
        x0, x1, x2 = com[j, 0], com[j, 1], com[j, 2]
        m_sum += m
        s0, s1, s2 = s0 + m * x0, s1 + m * x1, s2 + m * x2
        xx = x0 * x0 + x1 * x1 + x2 * x2
        for a in range(3):
            xa = (x0, x1, x2)[a]
            for b in range(3):
                io[a, b] += inertia[j, a, b] + m * ((xx if a == b else 0.0) - xa * (x0, x1, x2)[b])
        # As one body: its centre of mass and its inertia about that (parallel axes).
        k0, k1, k2 = s0 / m_sum, s1 / m_sum, s2 / m_sum
        kk = k0 * k0 + k1 * k1 + k2 * k2
        sub_mass[j] = m_sum
        sub_com[j, 0], sub_com[j, 1], sub_com[j, 2] = k0, k1, k2
        for a in range(3):
            ka = (k0, k1, k2)[a]
            for b in range(3):
                sub_inertia[j, a, b] = io[a, b] - m_sum * ((kk if a == b else 0.0) - ka * (k0, k1, k2)[b])
    for j in range(N_JOINTS):
        u0, u1, u2 = axis[j, 0], axis[j, 1], axis[j, 2]
        k0, k1, k2 = sub_com[j, 0], sub_com[j, 1], sub_com[j, 2]
        l0 = sub_inertia[j, 0, 0] * u0 + sub_inertia[j, 0, 1] * u1 + sub_inertia[j, 0, 2] * u2
        l1 = sub_inertia[j, 1, 0] * u0 + sub_inertia[j, 1, 1] * u1 + sub_inertia[j, 1, 2] * u2
        l2 = sub_inertia[j, 2, 0] * u0 + sub_inertia[j, 2, 1] * u1 + sub_inertia[j, 2, 2] * u2
        v0, v1, v2 = _cross(u0, u1, u2, k0 - origin[j, 0], k1 - origin[j, 1], k2 - origin[j, 2])
        h0, h1, h2 = sub_mass[j] * v0, sub_mass[j] * v1, sub_mass[j] * v2
        for i in range(j + 1):
            x0, x1, x2 = _cross(k0 - origin[i, 0], k1 - origin[i, 1], k2 - origin[i, 2], h0, h1, h2)
            value = axis[i, 0] * (l0 + x0) + axis[i, 1] * (l1 + x1) + axis[i, 2] * (l2 + x2)
            mass[i, j] = value
            mass[j, i] = value


@kernel
def tool_motion(chain, pose, qd, position, velocity) -> None:
    """The tool frame's origin (3,) and linear velocity (3,) at joint velocities ``qd``, world
    frame, into ``position`` and ``velocity``."""
    c, p = chain[0], pose[0]
    last = N_JOINTS - 1
    for a in range(3):
        position[a] = p.origin[last, a] + (p.rot[last, a, 0] * c.tool_pos[0] + p.rot[last, a, 1] * c.tool_pos[1]
                                          + p.rot[last, a, 2] * c.tool_pos[2])
    velocity[0] = velocity[1] = velocity[2] = 0.0
    for j in range(N_JOINTS):
        x0, x1, x2 = _cross(p.axis[j, 0], p.axis[j, 1], p.axis[j, 2], position[0] - p.origin[j, 0],
                            position[1] - p.origin[j, 1], position[2] - p.origin[j, 2])
        velocity[0] += x0 * qd[j]
        velocity[1] += x1 * qd[j]
        velocity[2] += x2 * qd[j]
