"""The grip-force loop closed around an independent finger + object plant at 1 kHz.

The plant below is written for this test only and shares no code and no constants with
the controller (architecture: honesty rules): two fingers with their own mass, viscous
and Coulomb friction (stick/slip) and hard stops, and a light object that slides on the
table between them, touching the pads through a stiff, damped contact.
"""
import dataclasses
import math

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.grip_force import GripForceController, GripMode

CONFIG = BodyConfig()
TICK_S = 0.001


@dataclasses.dataclass
class FingerPlant:
    """Two prismatic fingers (opening of each, metres from the gripper centre) and an object.

    Left pad at +x_left, right pad at -x_right; the object spans [y - w, y + w].
    """

    finger_mass_kg: float = 0.1
    finger_viscous_nspm: float = 4.0
    finger_coulomb_n: float = 0.7
    stroke_m: float = 0.042
    object_half_width_m: float = 0.03      # 0: no object between the fingers
    object_mass_kg: float = 0.015
    object_offset_m: float = 0.004         # starts off-centre: one pad touches first
    table_friction_n: float = 0.07         # Coulomb, object on the table
    contact_stiffness_npm: float = 4000.0
    contact_damping_nspm: float = 3.0
    sensor_noise_n: float = 0.01
    substeps: int = 5
    seed: int = 1

    def __post_init__(self):
        self.x = [0.04, 0.04]          # left, right opening
        self.v = [0.0, 0.0]
        self.y = self.object_offset_m
        self.vy = 0.0
        self.time_s = 0.0
        self.contact = [0.0, 0.0]
        self._rng = np.random.default_rng(self.seed)

    def _contact_forces(self):
        if self.object_half_width_m <= 0.0:
            return [0.0, 0.0]
        w = self.object_half_width_m
        depth = [(self.y + w) - self.x[0], (w - self.y) - self.x[1]]
        rate = [self.vy - self.v[0], -self.vy - self.v[1]]
        return [max(self.contact_stiffness_npm * d + self.contact_damping_nspm * r, 0.0) if d > 0 else 0.0
                for d, r in zip(depth, rate)]

    @staticmethod
    def _coulomb_step(v, force, mass, coulomb, dt):
        """Velocity after ``dt`` under ``force`` and Coulomb friction with stiction."""
        if v == 0.0 and abs(force) <= coulomb:
            return 0.0
        direction = math.copysign(1.0, v if v != 0.0 else force)
        v_new = v + dt * (force - coulomb * direction) / mass
        if v != 0.0 and math.copysign(1.0, v_new) != direction:
            return 0.0                   # friction stops it; no reversal within one substep
        return v_new

    def step(self, finger_force_n):
        """Advance one control tick; ``finger_force_n`` (2,), positive opens."""
        dt = TICK_S / self.substeps
        for _ in range(self.substeps):
            self.contact = self._contact_forces()
            for k in range(2):
                force = float(finger_force_n[k]) + self.contact[k] - self.finger_viscous_nspm * self.v[k]
                self.v[k] = self._coulomb_step(self.v[k], force, self.finger_mass_kg, self.finger_coulomb_n, dt)
                self.x[k] += dt * self.v[k]
                if self.x[k] < 0.0 or self.x[k] > self.stroke_m:
                    self.x[k] = min(max(self.x[k], 0.0), self.stroke_m)
                    self.v[k] = 0.0
            if self.object_half_width_m > 0.0:
                push = self.contact[1] - self.contact[0]
                self.vy = self._coulomb_step(self.vy, push, self.object_mass_kg, self.table_friction_n, dt)
                self.y += dt * self.vy
        self.time_s += TICK_S
        self.contact = self._contact_forces()

    def sensors(self):
        noise = self._rng.normal(0.0, self.sensor_noise_n, 2)
        pads = np.maximum(np.asarray(self.contact) + noise * (np.asarray(self.contact) > 0), 0.0)
        return np.array(self.x), np.array(self.v), pads


def run(plant, controller, seconds, log=None, on_tick=None):
    for _ in range(int(round(seconds / TICK_S))):
        pos, vel, pads = plant.sensors()
        command = controller.update(plant.time_s, TICK_S, pos, vel, pads)
        assert command.shape == (2,) and np.all(np.isfinite(command))
        if log is not None:
            log.append((plant.time_s, pads.copy(), command.copy(), controller.mode))
        if on_tick is not None:
            on_tick(plant, controller, pads, command)
        plant.step(command)


# -- position mode ------------------------------------------------------------------------

@pytest.mark.parametrize("coulomb_n", [0.0, 0.7, 1.5])
def test_position_mode_opens_and_closes_without_an_object(coulomb_n):
    plant = FingerPlant(object_half_width_m=0.0, finger_coulomb_n=coulomb_n)
    grip = GripForceController(CONFIG)
    grip.set_opening(0.0)
    run(plant, grip, 1.0)
    assert max(plant.x) < 0.004
    grip.set_opening(0.025)
    run(plant, grip, 1.0)
    assert plant.x == pytest.approx([0.025, 0.025], abs=0.004)
    grip.set_opening(1.0)            # clamped to the configured full opening
    assert grip.opening_target_m == CONFIG.finger_open_m
    run(plant, grip, 1.0)
    assert plant.x == pytest.approx([CONFIG.finger_open_m] * 2, abs=0.004)
    assert grip.mode is GripMode.POSITION


def test_position_mode_force_is_capped():
    plant = FingerPlant(object_half_width_m=0.0)
    grip = GripForceController(CONFIG)
    grip.set_opening(0.0)
    log = []
    run(plant, grip, 0.3, log)
    assert max(np.max(np.abs(cmd)) for _, _, cmd, _ in log) <= CONFIG.finger_position_force_limit_n + 1e-9


# -- force regulation -------------------------------------------------------------------------

PLANTS = [
    FingerPlant(),
    FingerPlant(contact_stiffness_npm=1500.0, finger_coulomb_n=0.3, seed=2),       # soft paper cup
    FingerPlant(contact_stiffness_npm=20000.0, finger_coulomb_n=1.0, seed=3),      # stiff object, sticky fingers
    FingerPlant(object_offset_m=-0.008, object_half_width_m=0.025, seed=4),          # narrower, far off-centre
]


@pytest.mark.parametrize("plant", PLANTS, ids=["nominal", "soft", "stiff-sticky", "narrow-offset"])
@pytest.mark.parametrize("target_n,limit_n", [(3.0, 3.4), (1.0, 1.5), (10.0, 12.0)])
def test_grasp_reaches_the_setpoint_and_never_exceeds_the_limit(plant, target_n, limit_n):
    plant = dataclasses.replace(plant)
    grip = GripForceController(CONFIG)
    grip.grasp(target_n, limit_n)
    log, contact = [], []
    run(plant, grip, 2.0, log, on_tick=lambda p, *_: contact.append(max(p.contact)))
    assert grip.mode is GripMode.REGULATE
    assert grip.contact_time_s is not None and grip.contact_time_s < 1.2
    assert grip.settled_for_s(plant.time_s) >= CONFIG.grip_settle_s
    # The last half second: both pads at the set-point.
    tail = np.array([pads for t, pads, _, _ in log if t >= 1.5])
    assert np.all(np.abs(tail.mean(axis=1) - target_n) < CONFIG.force_tolerance_n + 0.05), \
        (tail.mean(axis=1).min(), tail.mean(axis=1).max())
    # Never above the limit, on either pad, at any tick (plant truth, not the noisy sensor).
    true_peak = max(contact)
    assert true_peak <= limit_n, true_peak
    assert grip.peak_force_n <= limit_n
    # The object ends up held between the pads, not shoved against a hard stop.
    assert 0.0 < plant.x[0] < plant.stroke_m and 0.0 < plant.x[1] < plant.stroke_m


def test_approach_closes_at_limited_speed_and_force_before_contact():
    plant = FingerPlant()
    grip = GripForceController(CONFIG)
    grip.grasp(3.0, 3.4)
    log = []
    run(plant, grip, 0.25, log)   # the pads start 10 mm from the object: not yet touching
    assert all(mode is GripMode.APPROACH for _, _, _, mode in log)
    assert max(np.max(np.abs(cmd)) for _, _, cmd, _ in log) <= (CONFIG.approach_force_fraction * 3.0
                                                                + CONFIG.finger_friction_allowance_n + 1e-9)
    assert max(abs(v) for v in plant.v) < 2 * CONFIG.approach_speed_mps


def test_reflex_cuts_the_command_when_the_measured_force_exceeds_the_limit():
    plant = FingerPlant()
    grip = GripForceController(CONFIG)
    target_n, limit_n = 3.0, 3.4
    grip.grasp(target_n, limit_n)
    run(plant, grip, 1.0)
    assert grip.settled_for_s(plant.time_s) > 0.0
    # Something shoves the object against the right pad (the cup swells / is bumped).
    plant.object_half_width_m += 0.0006
    reflexes = []

    def watch(plant, controller, pads, command):
        if np.max(pads) > limit_n:
            # Closing force beyond the damping that opposes the fingers yielding outward.
            yield_damping = 0.5 * CONFIG.finger_damping_nspm * np.maximum(plant.sensors()[1], 0.0)
            reflexes.append(np.max(-command - yield_damping))

    log = []
    run(plant, grip, 1.0, log, on_tick=watch)
    assert reflexes, "the disturbance should push a pad above the limit"
    # Each tick that measures above the limit commands at most 80 % of the target.
    assert max(reflexes) <= 0.8 * target_n + 1e-9
    # The fingers yield and the force comes back to the set-point within the second.
    tail = np.array([pads.mean() for t, pads, _, _ in log if t >= plant.time_s - 0.3])
    assert np.all(np.abs(tail - target_n) < CONFIG.force_tolerance_n + 0.05)
    over = [t for t, pads, _, _ in log if np.max(pads) > limit_n]
    assert max(over) - min(over) < 0.2


def test_position_command_releases_a_held_object():
    plant = FingerPlant()
    grip = GripForceController(CONFIG)
    grip.grasp(3.0, 3.4)
    run(plant, grip, 1.0)
    grip.set_opening(CONFIG.finger_open_m)
    run(plant, grip, 0.5)
    assert max(plant.contact) == 0.0
    assert min(plant.x) > plant.object_half_width_m + 0.005
    assert grip.settled_for_s(plant.time_s) == 0.0


def test_grasp_on_nothing_never_reports_settled():
    plant = FingerPlant(object_half_width_m=0.0)
    grip = GripForceController(CONFIG)
    grip.grasp(3.0, 3.4)
    run(plant, grip, 3.0)
    assert grip.mode is GripMode.APPROACH
    assert grip.settled_for_s(plant.time_s) == 0.0
    assert max(plant.x) < 0.002      # the fingers closed on air
