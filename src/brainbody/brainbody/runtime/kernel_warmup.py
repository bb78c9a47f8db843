"""Compile and cache the per-tick kernels before anything needs them (``python -m
brainbody.runtime.kernel_warmup``; the set-up step runs it).

A kernel compiles on its first call, which takes seconds when nothing is cached yet (a fresh
clone, or any edit of the package: ``brainbody/jit.py``). A body node paying that on its first
tick would miss its deadlines and answer its first goals late; after this, every process loads
the cached kernels in well under a second. Runs the embedded simulation for a few ticks of a
motion, which calls every kernel of the body and of the plant.
"""
from __future__ import annotations

import os
import time

import numpy as np

from brainbody.body.grip_force import GripForceController
from brainbody.body.trajectory import PathTrajectory, duration_for
from brainbody.jit import JIT_ENABLED, max_abs, max_abs_difference
from brainbody.sim.scene import SceneConfig


def warm_up() -> float:
    """Run every kernel once; returns the wall time it took (s). Nothing to do (0.0) when
    kernels run as plain Python (``BRAINBODY_JIT=0``)."""
    if not JIT_ENABLED:
        return 0.0
    from brainbody.runtime.sim_session import SimSession
    t0 = time.perf_counter()
    session = SimSession(seed=0)
    body = session.body
    start = np.asarray(body.q_cmd_rad, dtype=float)
    path = np.vstack([start, start + 0.001])
    duration_for(path, body.model.velocity_limit_radps)               # a motion's planned duration
    body.set_trajectory(PathTrajectory(path, 0.05, body.time_s))
    session.loop.run_until(lambda: False, max_time_s=0.06)
    body.servo.motor_setpoint(start, np.zeros(7), start)             # position mode's path
    session.sim.judge.update_from_contact_list()                      # a step with many cup contacts
    body.thermal.predict(1.0)                                         # a primitive's thermal check
    max_abs_difference(start, start)                                  # the executor's tracking checks
    max_abs(start)                                                    # an IK step's size
    if body.friction_id is not None:
        body.friction_id.coulomb_nm                                   # the friction fit's solve
    # What only runs with an object in hand: the slip check and the weighing.
    pads = np.asarray(session.sim.read().pad_force_xyz_n, dtype=float)
    body.grip.slip_detector.update(pads)
    grip = GripForceController(body.config)                           # the regulating law, on a spare one
    grip.grasp(1.0, 2.0)
    squeeze, still = np.full(2, 1.0), np.zeros(2)
    for xyz in (None, pads, None):                                    # contact, with pads, without
        grip.update(body.time_s, 0.001, np.zeros(2), still, squeeze, xyz)
    if body.weighing is not None:
        body.weighing.update(body.time_s, 0.001, True, np.zeros((2, 3)), np.zeros(7), pads)
    honest = SimSession(seed=0, scene_config=SceneConfig(plant="honest"))  # the honest plant's kernels
    honest.loop.run_until(lambda: False, max_time_s=0.01)
    return time.perf_counter() - t0


def main() -> None:
    if not JIT_ENABLED:
        print("kernels: BRAINBODY_JIT=0, nothing to compile")
        return
    took = warm_up()
    print(f"kernels ready in {took:.1f} s (cache {os.environ.get('NUMBA_CACHE_DIR', 'none')})")


if __name__ == "__main__":
    main()
