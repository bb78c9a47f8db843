"""Disturbances applied to the plant while it runs (benchmarks and tests), plant side only."""
from __future__ import annotations

import mujoco
import numpy as np


def set_body_mass(model: mujoco.MjModel, data: mujoco.MjData, body_id: int, mass_kg: float) -> None:
    """Change a body's mass now, its inertia scaled with it (e.g. liquid poured into a held cup).

    MuJoCo derives constants from the masses (``mj_setConst``, which evaluates the model at
    ``qpos0`` in ``data``): the state is saved and restored around it.

    Raises:
        ValueError: a mass that is not a positive number.
    """
    if not (np.isfinite(mass_kg) and mass_kg > 0.0):
        raise ValueError(f"mass_kg must be a positive number, got {mass_kg!r}")
    old = float(model.body_mass[body_id])
    model.body_inertia[body_id] *= mass_kg / old
    model.body_mass[body_id] = mass_kg
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    state = np.empty(mujoco.mj_stateSize(model, spec))
    mujoco.mj_getState(model, data, state, spec)
    mujoco.mj_setConst(model, data)
    mujoco.mj_setState(model, data, state, spec)
    mujoco.mj_forward(model, data)
