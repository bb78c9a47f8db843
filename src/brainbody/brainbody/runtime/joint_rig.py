"""A one-joint test rig on the full simulated arm, for the joint benchmarks and tests: the
MuJoCo Panda with its drivetrain plant driven by the body's JointServo alone, one joint
following a reference while the others hold. Error is judged on the plant's ground-truth
link angle, never on the encoder the servo sees.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Optional

import numpy as np

from brainbody.body.body_config import BodyConfig
from brainbody.body.control_loop import ControlLoop
from brainbody.body.drivetrain_estimates import DrivetrainEstimates, load_estimates
from brainbody.body.joint_servo import JointServo
from brainbody.body.robot_model import RobotModel
from brainbody.body.trajectory import _quintic
from brainbody.sim.reducer_wear import ReducerWearConfig
from brainbody.sim.scene import SceneConfig, default_urdf_path
from brainbody.sim.simulator import Simulator

ARCMIN = math.pi / (180 * 60)
PLAIN = dict(inertia_feedforward=False, friction_compensation=False, backlash_compensation=False,
             compliance_compensation=False)
COMPENSATED = dict(inertia_feedforward=True, friction_compensation=True, backlash_compensation=True,
                   compliance_compensation=True)

_ROBOT: Optional[RobotModel] = None


def robot() -> RobotModel:
    global _ROBOT
    if _ROBOT is None:
        _ROBOT = RobotModel(default_urdf_path())
    return _ROBOT


@dataclasses.dataclass
class Run:
    time_s: np.ndarray
    q_des_rad: np.ndarray          # (n, 7) link reference
    q_link_rad: np.ndarray         # (n, 7) ground-truth link angle
    q_motor_rad: np.ndarray        # (n, 7) motor encoder

    def error(self, joint: int) -> np.ndarray:
        return self.q_link_rad[:, joint] - self.q_des_rad[:, joint]

    def rms(self, joint: int, mask: Optional[np.ndarray] = None) -> float:
        e = self.error(joint) if mask is None else self.error(joint)[mask]
        return float(np.sqrt(np.mean(e * e)))


class _RigServo:
    """The rig's controller for the control loop: the joint servo alone on the motor encoders
    (no executor, no grip loop; the fingers hold shut with a constant force)."""

    _FINGER_FORCE_N = np.array([5.0, 5.0])

    def __init__(self, sim: Simulator, servo: JointServo, set_point: Callable[[int], tuple[np.ndarray, np.ndarray]]):
        self.sim, self.servo, self.set_point = sim, servo, set_point
        self.state = sim.read()
        self.q_des_rad = self.state.q_rad
        self.ticks = 0

    @property
    def time_s(self) -> float:
        return self.state.time_s

    def tick(self) -> None:
        self.state = state = self.sim.read()
        self.q_des_rad, qd_des = self.set_point(self.ticks)
        self.sim.write(self.servo.torque(self.q_des_rad, qd_des, state.q_rad, state.qd_radps), self._FINGER_FORCE_N)
        self.sim.step()
        self.ticks += 1


def run_joint(reference: Callable[[float], tuple[np.ndarray, np.ndarray]], duration_s: float, *,
              drivetrain: tuple[str, ...], estimate_sets: tuple[str, ...], switches: dict,
              estimates: Optional[DrivetrainEstimates] = None, warmup_s: float = 0.5, plant: str = "ideal",
              wear: Optional[ReducerWearConfig] = None) -> Run:
    """Hold the start pose for ``warmup_s`` (settles the initial twist), then follow ``reference``
    on the ``plant`` (``ideal`` or ``honest``: see sim/plant_realism.py), its reducers as
    worn as ``wear`` says (None: as built)."""
    body = BodyConfig(drivetrain_estimates=estimate_sets, **switches)
    scene = SceneConfig(drivetrain=drivetrain, plant=plant, wear=wear or ReducerWearConfig())
    sim = Simulator(scene, home_q_rad=np.asarray(body.home_q_rad))
    est = estimates if estimates is not None else load_estimates(estimate_sets)
    servo = JointServo(body, robot(), sim.period_s, est)
    hold = servo.start(sim.read().q_rad)
    q0, _ = reference(0.0)
    offset = hold - q0           # the reference is relative to where the arm starts
    n = int(round(duration_s / sim.period_s))
    w = int(round(warmup_s / sim.period_s))
    zero = np.zeros(7)

    def set_point(k: int) -> tuple[np.ndarray, np.ndarray]:
        if k < w:
            return hold, zero
        q_ref, qd_des = reference((k - w) * sim.period_s)
        return q_ref + offset, qd_des

    rig = _RigServo(sim, servo, set_point)
    t_log, qd_log, ql_log, qm_log = (np.zeros(n), np.zeros((n, 7)), np.zeros((n, 7)), np.zeros((n, 7)))

    def record() -> None:
        """Between ticks: what the last tick commanded, read and did to the link."""
        i = rig.ticks - 1 - w
        if i >= 0:
            t_log[i], qd_log[i] = i * sim.period_s, rig.q_des_rad
            ql_log[i], qm_log[i] = sim.link_angle_rad(), rig.state.q_rad

    loop = ControlLoop(rig)
    loop.every(0.0, record)
    loop.run_until(lambda: rig.ticks >= w + n)
    record()
    return Run(t_log, qd_log, ql_log, qm_log)


def sine_reference(joint: int, amplitude_rad: float, omega_radps: float):
    """A reference: one joint on ``amplitude_rad * sin(omega t)`` (the others still)."""
    def reference(t: float) -> tuple[np.ndarray, np.ndarray]:
        q, qd = np.zeros(7), np.zeros(7)
        q[joint] = amplitude_rad * np.sin(omega_radps * t)
        qd[joint] = amplitude_rad * omega_radps * np.cos(omega_radps * t)
        return q, qd
    return reference


def quintic_moves(joint: int, amplitudes_rad: list[float], move_s: float, hold_s: float):
    """A reference: a sequence of quintic moves of one joint, each followed by a hold.

    Returns (reference(t) -> (q (7,), qd (7,)), duration_s, hold masks builder).
    """
    segments = []
    t, q = 0.0, 0.0
    for a in amplitudes_rad:
        segments.append((t, move_s, q, a))
        t += move_s + hold_s
        q += a
    duration = t

    def reference(time_s: float):
        q_out, qd_out = np.zeros(7), np.zeros(7)
        pos = 0.0
        vel = 0.0
        for start, length, q_start, amp in segments:
            if time_s < start:
                break
            s, ds = _quintic(min((time_s - start) / length, 1.0))
            pos = q_start + amp * s
            vel = amp * ds / length
        q_out[joint], qd_out[joint] = pos, vel
        return q_out, qd_out

    def hold_windows(time_s: np.ndarray, settle_fraction: float = 0.5) -> list[np.ndarray]:
        """Masks of the second half of each hold (where a limit cycle would show)."""
        masks = []
        for start, length, _, _ in segments:
            h0 = start + length + settle_fraction * hold_s
            h1 = start + length + hold_s
            masks.append((time_s >= h0) & (time_s < h1))
        return masks

    return reference, duration, hold_windows
