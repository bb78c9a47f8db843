"""The grip-force loop and slip reflex on MuJoCo contact physics: the gripper rig (the URDF hand
alone above a cup or a wooden block, sim/gripper_rig.py). Everything asserted comes from
MuJoCo's contact forces and body positions, not from the controller's own readings."""
import dataclasses
import math

import numpy as np
import pytest

from brainbody.body.control_loop import ControlLoop
from brainbody.runtime.grip_rig import RigGrip

from brainbody.body.body_config import BodyConfig
from brainbody.body.grip_force import GripForceController, GripMode
from brainbody.exceptions import ForceLimitError, InvalidPrimitiveError
from brainbody.sim.gripper_rig import GripperRig, RigPlant

CONFIG = BodyConfig()
CUP_LIMIT_N = 3.4


@pytest.fixture(scope="module")
def cup_rig():
    return GripperRig(object_kind="cup")


@pytest.fixture(scope="module")
def block_rig():
    return GripperRig(object_kind="block")


def run(rig, grip, seconds, on_tick=None):
    """Tick grip + plant; returns the ground-truth squeeze per finger (n, 2)."""
    out = []
    loop = ControlLoop(RigGrip(rig, grip))
    for _ in range(int(round(seconds / rig.period_s))):
        loop.step()
        out.append(rig.squeeze_n())
        if on_tick is not None:
            on_tick()
    return np.array(out)


def grasped(rig, target_n, limit_n, config=CONFIG, plant=None, seconds=1.0):
    rig.reset(plant)
    grip = GripForceController(config)
    grip.grasp(target_n, limit_n)
    squeeze = run(rig, grip, seconds)
    return grip, squeeze


@pytest.mark.parametrize("kind,target_n,limit_n", [("cup", 0.5, CUP_LIMIT_N), ("cup", 3.0, CUP_LIMIT_N),
                                                    ("block", 5.0, 8.0)])
def test_regulated_force_is_within_tolerance_of_the_setpoint(cup_rig, block_rig, kind, target_n, limit_n):
    rig = cup_rig if kind == "cup" else block_rig
    grip, squeeze = grasped(rig, target_n, limit_n)
    assert grip.mode is GripMode.REGULATE
    tail = squeeze[-100:].mean(axis=1)
    assert np.all(np.abs(tail - target_n) <= 0.1), (tail.min(), tail.max())
    # No more than 10 % above the set-point at any tick after contact.
    assert squeeze.max() <= 1.1 * target_n


@pytest.mark.parametrize("seed", range(6))
def test_cup_grip_never_exceeds_the_object_limit_on_randomised_plants(cup_rig, seed):
    plant = RigPlant.draw(np.random.default_rng(seed))
    _, squeeze = grasped(cup_rig, 3.0, CUP_LIMIT_N, plant=plant, seconds=0.9)
    assert squeeze.max() <= CUP_LIMIT_N, (squeeze.max(), plant)
    assert abs(squeeze[-50:].mean() - 3.0) <= 0.25


def hold_then_add_mass(rig, hold_n, new_mass_kg, config=CONFIG, seconds=0.5):
    """Grasp the cup, lift it off (the table drops away), then make it heavier at once."""
    grip, _ = grasped(rig, hold_n, CUP_LIMIT_N, config=config, seconds=0.8)
    rig.remove_support()
    run(rig, grip, 0.2)
    before = rig.object_below_pads_m()
    rig.set_object_mass(new_mass_kg)
    setpoints = []
    squeeze = run(rig, grip, seconds, on_tick=lambda: setpoints.append(grip.setpoint_n))
    return grip, squeeze, rig.object_below_pads_m() - before, np.array(setpoints)


def test_slip_reflex_arrests_a_mass_step(cup_rig):
    grip, squeeze, slid_m, setpoints = hold_then_add_mass(cup_rig, 0.5, 0.212)
    assert grip.slip_detected_s is not None
    assert slid_m < 0.001, slid_m                      # ground truth: the cup stayed put
    assert setpoints.max() > 1.0                       # the reflex raised the grip
    assert setpoints.max() <= CUP_LIMIT_N
    assert not grip.hold_failing
    assert squeeze.max() < cup_rig.crush_force_n


def test_without_the_reflex_the_same_step_slides_the_cup(cup_rig):
    config = dataclasses.replace(CONFIG, slip_reflex=False)
    grip, _, slid_m, setpoints = hold_then_add_mass(cup_rig, 0.5, 0.212, config=config)
    assert slid_m > 0.005, slid_m
    assert setpoints.max() == pytest.approx(0.5)


def test_load_beyond_the_limit_is_reported_not_squeezed_harder(cup_rig):
    # 0.7 kg needs ~4.3 N per finger by the controller's friction estimate: more than 3.4 N.
    grip, squeeze, _, setpoints = hold_then_add_mass(cup_rig, 3.0, 0.7, seconds=0.2)
    assert grip.hold_failing
    assert setpoints.max() <= CUP_LIMIT_N
    assert squeeze.max() < cup_rig.crush_force_n


@pytest.mark.parametrize("target,limit,error", [
    (math.nan, 3.4, InvalidPrimitiveError), (-1.0, 3.4, InvalidPrimitiveError), (0.0, 3.4, InvalidPrimitiveError),
    (3.0, math.inf, InvalidPrimitiveError), (True, 3.4, InvalidPrimitiveError), ("3", 3.4, InvalidPrimitiveError),
    (3.5, 3.4, ForceLimitError), (80.0, 100.0, ForceLimitError)])
def test_invalid_grasp_requests_are_rejected_and_nothing_changes(target, limit, error):
    grip = GripForceController(CONFIG)
    with pytest.raises(error):
        grip.grasp(target, limit)
    assert grip.mode is GripMode.POSITION


def test_rig_rejects_unknown_objects_and_bad_draws():
    with pytest.raises(ValueError):
        GripperRig(object_kind="mug")
    with pytest.raises(ValueError):
        RigPlant.draw(np.random.default_rng(0), spread=1.5)
