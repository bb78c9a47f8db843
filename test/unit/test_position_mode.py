"""Position command mode: the body sends motor-side set-points to a vendor position loop.
Here the in-process MuJoCo plant with the simulated robot's own position loop stands for a
robot whose vendor owns the servo; success is judged on the plant's true link angles."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.controller import BodyController
from brainbody.body.hardware import CommandMode, HardwareCapabilities, HardwareState
from brainbody.body.robot_model import RobotModel
from brainbody.exceptions import HardwareMismatchError, InvalidPrimitiveError
from brainbody.sim.scene import SceneConfig, default_urdf_path
from brainbody.sim.simulator import Simulator
from brainbody.sim.vendor_position_loop import VendorPositionLoop

BUDGET = ("budget_planetary",) * 7


class VendorArm:
    """Hardware in position mode: each command is a motor-side set-point that the robot's loop
    tracks at the physics rate (2 physics steps per 2 ms command period)."""

    period_s = 0.002
    capabilities = HardwareCapabilities(command_modes=frozenset({CommandMode.POSITION}), pad_force_3axis=True,
                                        finger_effort=True)

    def __init__(self, home_q_rad):
        self.sim = Simulator(SceneConfig(drivetrain=BUDGET), home_q_rad=np.asarray(home_q_rad),
                             urdf_path=default_urdf_path())
        self.loop = VendorPositionLoop(self.sim.arm_effort_limit_nm, self.period_s)
        self.setpoints: list[np.ndarray] = []
        self._finger = np.zeros(2)

    def activate(self, command_mode) -> None:
        assert command_mode is CommandMode.POSITION

    def deactivate(self) -> None:
        pass

    def read(self) -> HardwareState:
        return self.sim.read()

    def write(self, arm_values, finger_force_n) -> None:
        self.setpoints.append(np.array(arm_values))
        self.loop.set_target(arm_values, self.sim.data.time)
        self._finger = np.asarray(finger_force_n)

    def step(self) -> None:
        for _ in range(2):
            q, qd, bias = self.sim.motor_feedback()
            self.sim.write(self.loop.torque(q, qd, bias, self.sim.data.time), self._finger)
            self.sim.step()


def _body(**changes):
    config = dataclasses.replace(BodyConfig(command_mode="position", drivetrain_estimates=BUDGET), **changes)
    arm = VendorArm(config.home_q_rad)
    return BodyController(config, RobotModel(default_urdf_path()), arm), arm


def _run(body, seconds):
    for _ in range(int(seconds / body.hardware.period_s)):
        body.tick()


def test_nothing_moves_at_start_and_friction_compensation_is_off():
    body, arm = _body()
    start = arm.sim.link_angle_rad().copy()
    _run(body, 0.5)
    assert np.max(np.abs(arm.sim.link_angle_rad() - start)) < 2e-3
    # The first set-point is where the motors already are.
    np.testing.assert_allclose(arm.setpoints[0], body.state.q_rad, atol=2e-3)
    assert body.servo.compensation_state["friction"] is False
    assert body.servo.compensation_state["backlash"] and body.servo.compensation_state["compliance"]


def _link_error_after_move(**changes):
    body, arm = _body(**changes)
    goal = np.asarray(body.config.home_q_rad) + np.array([0.3, 0.15, 0.2, 0.25, -0.3, 0.3, 0.4])
    q0 = body.q_cmd_rad.copy()
    body.follow_trajectory([0.0, 2.0], [q0, goal])
    _run(body, 3.5)
    # The set-point sent is the link set-point plus the backlash and twist offsets.
    servo = body.servo
    np.testing.assert_allclose(arm.setpoints[-1], body.q_cmd_rad + servo.backlash_offset_rad
                               + servo.twist_offset_rad, atol=1e-12)
    return np.abs(arm.sim.link_angle_rad() - goal)


def test_motor_side_setpoints_land_the_links_better_than_link_setpoints():
    compensated = _link_error_after_move()
    plain = _link_error_after_move(backlash_compensation=False, compliance_compensation=False)
    # The budget planetary's backlash (20 arcmin ~ 5.8 mrad) and twist show up uncompensated.
    # Joint 7 carries almost no load at rest: its link floats in the gap whichever way, so
    # only the loaded joints 1-6 can tell compensation from none.
    loaded = slice(0, 6)
    assert np.max(plain[loaded]) > 3e-3
    assert np.max(compensated[loaded]) < 0.35 * np.max(plain[loaded]), (compensated, plain)


def test_a_backend_without_position_mode_is_refused():
    config = BodyConfig(command_mode="position")
    sim = Simulator(SceneConfig(), home_q_rad=np.asarray(config.home_q_rad), urdf_path=default_urdf_path())
    with pytest.raises(HardwareMismatchError, match="does not take command mode 'position'"):
        BodyController(config, RobotModel(default_urdf_path()), sim)


class StallingVendorArm(VendorArm):
    """A robot whose states now and then reach the body late: every ``every`` commands, the
    robot runs ``periods`` command periods on the set-point it has before the body hears
    from it again (a loaded host, a delayed network)."""

    def __init__(self, home_q_rad, *, every: int, periods: int):
        super().__init__(home_q_rad)
        self.every, self.periods, self.steps = every, periods, 0
        self.max_motor_speed = np.zeros(7)

    def step(self) -> None:
        self.steps += 1
        for _ in range(self.periods if self.steps % self.every == 0 else 1):
            super().step()
            self.max_motor_speed = np.maximum(self.max_motor_speed, np.abs(self.sim.read().qd_radps))


def _max_motor_speed_of_a_move(arm_class, **kwargs):
    config = BodyConfig(command_mode="position", drivetrain_estimates=BUDGET)
    arm = arm_class(config.home_q_rad, **kwargs)
    body = BodyController(config, RobotModel(default_urdf_path()), arm)
    q0 = body.q_cmd_rad.copy()
    body.follow_trajectory([0.0, 1.0], [q0, q0 + np.array([0.3, 0.15, 0.2, 0.25, -0.3, 0.3, 0.4])])
    _run(body, 1.0)
    return arm.max_motor_speed


def test_a_late_state_slows_the_motion_instead_of_speeding_it_up():
    """The vendor loop ramps to each set-point over one command period: a trajectory advanced by
    a 24 ms gap reached its next set-point at several times the planned speed (0.6 m/s at the
    tool, into the table, in a wall-paced demo on a loaded machine)."""
    smooth = _max_motor_speed_of_a_move(StallingVendorArm, every=10**9, periods=1)
    stalled = _max_motor_speed_of_a_move(StallingVendorArm, every=50, periods=12)
    # Restarting from the stall's standstill overshoots the planned speed a little (up to 1.4x
    # with the stiff vendor loop); a trajectory jumped ahead by the gap reached 2.5-3x.
    assert np.all(stalled <= 1.5 * smooth + 0.02), (stalled, smooth)


def _trajectory_progress(*, holding, every, periods=4, seconds=0.6):
    """How far the trajectory clock went in ``seconds`` of robot time, while a move runs with
    states ``periods`` late every ``every`` commands."""
    config = BodyConfig(command_mode="position", drivetrain_estimates=BUDGET)
    arm = StallingVendorArm(config.home_q_rad, every=every, periods=periods)
    body = BodyController(config, RobotModel(default_urdf_path()), arm)
    body.holding = holding          # as the executor sets it after a grasp
    q0 = body.q_cmd_rad.copy()
    body.follow_trajectory([0.0, 5.0], [q0, q0 + 0.2])
    start_robot, start_trajectory = body.time_s, body.trajectory_time_s
    while body.time_s - start_robot < seconds:
        body.tick()
    return (body.trajectory_time_s - start_trajectory) / (body.time_s - start_robot), body, arm


def test_late_states_slow_the_motion_while_an_object_is_in_hand():
    """Each late state stopped the arm dead under the vendor loop's held set-point; at carrying
    speed the full cup's inertia then pushed a jaw by over a newton, on top of the grip (the cup
    crushed at 4.2-4.7 N in a coffee task whose states came 3-12 periods late every 20-50
    commands). Late states now slow the motion while something is held."""
    config = BodyConfig()
    free, _, _ = _trajectory_progress(holding=None, every=20)
    held, body, _ = _trajectory_progress(holding="cup", every=20)
    punctual, _, _ = _trajectory_progress(holding="cup", every=10**9)
    # Robot time runs on during a stall, the trajectory by one period per command: a stalled
    # stream alone slows the clock to (every + 1) / (every + periods) of the robot's time.
    assert free == pytest.approx(21 / 24, rel=0.05)
    assert punctual == pytest.approx(1.0, rel=0.01)
    # With the cup in hand it slows further, to the floor.
    assert held < 0.6 * free
    assert held > 0.8 * config.late_state_speed_scale * 21 / 24
    # Punctual states bring the speed back.
    body.hardware.every = 10**9
    for _ in range(int(config.late_state_recovery_s / body.hardware.period_s) + 100):
        body.tick()
    t0, tt0 = body.time_s, body.trajectory_time_s
    for _ in range(100):
        body.tick()
    assert (body.trajectory_time_s - tt0) / (body.time_s - t0) == pytest.approx(1.0, rel=0.01)


def test_the_drives_cannot_weigh_a_load_when_the_vendor_loop_decides_the_torque():
    body, arm = _body()
    with pytest.raises(InvalidPrimitiveError, match="position mode"):
        body.weigh_payload()
    assert body.drive_weighing is None and arm.setpoints == []


def test_the_friction_check_is_refused_when_the_vendor_loop_decides_the_torque():
    body, arm = _body()
    with pytest.raises(InvalidPrimitiveError, match="position mode"):
        body.check_friction()
    assert body.friction_check is None and arm.setpoints == []
