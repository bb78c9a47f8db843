"""The simulated coffee machine: a press of its button fills a cup standing on the
dispense spot. The cup's mass rises over the brew time, so the grasp after brewing
must hold a heavier cup."""
from __future__ import annotations

import mujoco
import numpy as np

from brainbody.sim.disturbance import set_body_mass
from brainbody.sim.scene import SceneConfig, tilt_rad

_UPRIGHT_RAD = 0.2


class CoffeeMachine:
    """Button edge detection and cup filling; call :meth:`update` after every physics step."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, config: SceneConfig):
        self._model, self._data, self._config = model, data, config
        self._button_qpos = model.jnt_qposadr[model.joint("button_slide").id]
        self._cup_body = model.body("cup").id
        self._cup_qpos = model.jnt_qposadr[model.joint("cup_free").id]
        self._empty_mass = float(model.body_mass[self._cup_body])
        self._was_pressed = False
        self.presses = 0
        self.brew_started_s: float | None = None
        self.fill_fraction = 0.0   # 0 empty .. 1 full

    @property
    def button_pressed(self) -> bool:
        return -self._data.qpos[self._button_qpos] >= self._config.button_press_depth_m

    def cup_on_dispense_spot(self) -> bool:
        pos = self._data.qpos[self._cup_qpos:self._cup_qpos + 3]
        quat = self._data.qpos[self._cup_qpos + 3:self._cup_qpos + 7]
        offset = np.hypot(pos[0] - self._config.dispense_xy_m[0], pos[1] - self._config.dispense_xy_m[1])
        resting = pos[2] < self._config.cup_height_m / 2 + 0.01
        return offset <= self._config.dispense_radius_m and resting and tilt_rad(quat) < _UPRIGHT_RAD

    def update(self) -> None:
        pressed = self.button_pressed
        if pressed and not self._was_pressed:
            self.presses += 1
            # A press with no cup under the spout brews nothing (the machine checks).
            if self.brew_started_s is None and self.cup_on_dispense_spot():
                self.brew_started_s = float(self._data.time)
        self._was_pressed = pressed
        if self.brew_started_s is not None and self.fill_fraction < 1.0:
            elapsed = self._data.time - self.brew_started_s
            fill = min(1.0, elapsed / self._config.brew_time_s)
            # Pour in 10 % portions: each mass change recomputes MuJoCo's derived
            # constants (contact scaling uses the bodies' inverse weights).
            if fill - self.fill_fraction >= 0.1 or fill >= 1.0:
                self.fill_fraction = fill
                set_body_mass(self._model, self._data, self._cup_body,
                              self._empty_mass + self._config.cup_fill_mass_kg * fill)

    @property
    def cup_mass_kg(self) -> float:
        return float(self._model.body_mass[self._cup_body])
