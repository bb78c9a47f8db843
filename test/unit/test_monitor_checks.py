"""Each check of the runtime monitor on hand-made samples: which check trips, on which joint,
with which error code, and what must not trip (an arm at rest in a margin, a tool outside the
box moving back in). The monitor runs as a compiled kernel (``body/runtime_monitor.py``); the
last test runs the same samples through the plain-Python fallback (``BRAINBODY_JIT=0``) in a
fresh interpreter and requires the same decisions and figures."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.hardware import HardwareState
from brainbody.body.robot_model import RobotModel
from brainbody.body.runtime_monitor import MonitorCheck, RuntimeMonitor
from brainbody.exceptions import ErrorCode
from brainbody.sim.scene import default_urdf_path

DT = 0.001
HOME = np.asarray(BodyConfig().home_q_rad, dtype=float)


@pytest.fixture(scope="module")
def model():
    return RobotModel(default_urdf_path())


def monitor(model, *, effort_mode=True, **config) -> RuntimeMonitor:
    return RuntimeMonitor(BodyConfig(**config), model, effort_mode=effort_mode)


def sample(q=HOME, qd=np.zeros(7), t=0.0, pads=(0.0, 0.0), effort=None) -> HardwareState:
    return HardwareState(time_s=t, q_rad=np.asarray(q, dtype=float), qd_radps=np.asarray(qd, dtype=float),
                         finger_pos_m=np.full(2, 0.03), finger_vel_mps=np.zeros(2),
                         pad_force_n=np.asarray(pads, dtype=float),
                         finger_effort_n=None if effort is None else np.asarray(effort, dtype=float))


def test_a_joint_faster_than_its_limit_trips_joint_speed_on_that_joint(model):
    m = monitor(model)
    qd = np.zeros(7)
    qd[6] = 0.9 * m.max_speed_radps[6]         # the flange turns about the tool axis: the tool stays put
    assert m.update(sample(qd=qd), None, DT, grip_limit_n=10.0) is None
    qd[6] = 1.05 * m.max_speed_radps[6]
    trip = m.update(sample(qd=qd), None, DT, grip_limit_n=10.0)
    assert trip.check is MonitorCheck.JOINT_SPEED and trip.code is ErrorCode.JOINT_SPEED
    assert "joint 7" in trip.message
    assert m.margins["joint_speed_fraction"] == pytest.approx(1.05)


def test_a_fast_tool_trips_tool_speed(model):
    m = monitor(model, monitor_max_tool_speed_mps=0.2)
    qd = np.zeros(7)
    qd[0] = 1.0          # the base joint swings the tool at 1 rad/s x its 0.3 m reach
    trip = m.update(sample(qd=qd), None, DT, grip_limit_n=10.0)
    assert trip.check is MonitorCheck.TOOL_SPEED and trip.code is ErrorCode.TOOL_SPEED
    assert m.tool_speed_mps > 0.2
    assert m.margins["tool_speed_mps"] == pytest.approx(m.tool_speed_mps)


def test_the_workspace_trips_only_on_a_motion_outward(model):
    """A tool outside the box trips while it moves further out, not while it rests or moves back in."""
    tool = model.tcp_pose(HOME)[0]
    low_x = dict(workspace_min_m=(float(tool[0]) + 0.05, -0.7, -0.005))    # the tool is 5 cm outside in -x
    jac = model.tcp_jacobian(HOME)[:3]
    outward = np.linalg.pinv(jac) @ np.array([-0.05, 0.0, 0.0])           # 5 cm/s further out in -x
    assert monitor(model, **low_x).update(sample(), None, DT, grip_limit_n=10.0) is None          # at rest
    assert monitor(model, **low_x).update(sample(qd=-outward), None, DT, grip_limit_n=10.0) is None  # back in
    m = monitor(model, **low_x)
    trip = m.update(sample(qd=outward), None, DT, grip_limit_n=10.0)
    assert trip.check is MonitorCheck.WORKSPACE and trip.code is ErrorCode.WORKSPACE_LIMIT
    assert m.margins["workspace_margin_m"] < -0.04


def test_the_joint_limit_trips_on_the_predicted_stop_and_not_at_rest_in_the_margin(model):
    m = monitor(model)
    q = HOME.copy()
    q[1] = model.upper_rad[1] - 0.01              # inside the 0.02 rad margin band
    assert m.update(sample(q=q), None, DT, grip_limit_n=10.0) is None
    qd = np.zeros(7)
    qd[1] = 0.3                                    # moving towards the limit
    trip = monitor(model).update(sample(q=q, qd=qd), None, DT, grip_limit_n=10.0)
    assert trip.check is MonitorCheck.JOINT_LIMIT and "joint 2" in trip.message
    far = HOME.copy()
    far[1] = model.upper_rad[1] - 0.1              # outside the band, but braking from 1 rad/s takes 0.17 rad
    qd[1] = 1.0
    trip = monitor(model).update(sample(q=far, qd=qd), None, DT, grip_limit_n=10.0)
    assert trip is not None and trip.check is MonitorCheck.JOINT_LIMIT


def test_grip_force_over_the_limit_trips_after_its_confirm_time(model):
    m = monitor(model, monitor_grip_force_confirm_s=0.005)
    limit = 3.0
    over = (limit + 0.6, 1.0)                      # margin 0.4 N: 0.2 N over
    trips = [m.update(sample(t=i * DT, pads=over), None, DT, grip_limit_n=limit) for i in range(8)]
    first = next(i for i, trip in enumerate(trips) if trip is not None)
    assert first == 4                              # 5 ms at 1 ms a sample
    assert trips[first].check is MonitorCheck.GRIP_FORCE and trips[first].code is ErrorCode.GRIP_FORCE_EXCEEDED
    assert m.grip_force_n == pytest.approx(limit + 0.6)
    assert "grip force 3.60 N" in m.unsafe_reason()


def test_finger_effort_grip_force_is_the_closing_effort_less_friction(model):
    m = monitor(model, grip_force_source="finger_effort", finger_friction_estimate_n=0.5)
    m.update(sample(effort=(-2.0, -2.6)), None, DT, grip_limit_n=10.0)
    assert m.grip_force_n == pytest.approx(2.1)


def test_position_mode_lag_trips_collision_after_its_confirm_time(model):
    m = monitor(model, effort_mode=False)
    setpoint = HOME.copy()
    setpoint[5] += 0.2                              # the arm is 0.2 rad behind what was written
    m.wrote(setpoint)
    confirm = BodyConfig().monitor_collision_confirm_s
    trips = [m.update(sample(t=i * DT), None, DT, grip_limit_n=10.0) for i in range(int(confirm / DT) + 3)]
    trip = next(t for t in trips if t is not None)
    assert trip.check is MonitorCheck.COLLISION and "joint 6 lags" in trip.message
    assert m.lag_rad[5] == pytest.approx(0.2)


def test_a_saturated_torque_trips_torque_saturation_on_that_joint(model):
    m = monitor(model, monitor_torque_saturation_max_s=0.003)
    arm = np.zeros(7)
    arm[2] = model.effort_limit_nm[2]
    trips = [m.update(sample(t=i * DT), arm, DT, grip_limit_n=10.0) for i in range(6)]
    trip = next(t for t in trips if t is not None)
    assert trip.check is MonitorCheck.TORQUE_SATURATION and "joint 3" in trip.message



def test_a_weak_motor_saturates_at_its_limit_times_the_share_it_delivers(model):
    """Adaptive compensation writes a demagnetised motor's torque scaled up by the inverse of
    its share: at 70 % its drive reaches the effort limit at 0.7 x the limit asked."""
    arm = np.zeros(7)
    arm[1] = 0.75 * model.effort_limit_nm[1]
    plain = monitor(model, monitor_torque_saturation_max_s=0.003)
    assert all(plain.update(sample(t=i * DT), arm, DT, grip_limit_n=10.0) is None for i in range(6))
    weak = monitor(model, monitor_torque_saturation_max_s=0.003)
    share = np.ones(7)
    share[1] = 0.7
    weak.use_torque_share(share)
    trips = [weak.update(sample(t=i * DT), arm, DT, grip_limit_n=10.0) for i in range(6)]
    trip = next(t for t in trips if t is not None)
    assert trip.check is MonitorCheck.TORQUE_SATURATION and trip.code is ErrorCode.TORQUE_SATURATED
    assert "joint 2" in trip.message and "delivers 70%" in trip.message
    weak.use_torque_share(np.ones(7))              # the motor no longer flagged: the full limit again
    assert all(weak.update(sample(t=(6 + i) * DT), arm, DT, grip_limit_n=10.0) is None for i in range(6))


_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from test_monitor_checks import HOME, DT, sample
from brainbody.body.body_config import BodyConfig
from brainbody.body.joint_servo import JointServo
from brainbody.body.robot_model import RobotModel
from brainbody.body.runtime_monitor import RuntimeMonitor
from brainbody.sim.scene import default_urdf_path
model = RobotModel(default_urdf_path())
m = RuntimeMonitor(BodyConfig(monitor_max_tool_speed_mps=0.3), model, effort_mode=True)
servo = JointServo(BodyConfig(), model, DT)
out = []
rng = np.random.default_rng(3)
q, qd = HOME.copy(), np.zeros(7)
for i in range(200):
    qd = qd + rng.normal(0.0, 0.02, 7)
    q = q + qd * DT
    tau = servo.torque(HOME + 0.01 * np.sin(i * 0.05), np.full(7, 0.01), q, qd, DT)
    trip = m.update(sample(q=q, qd=qd, t=i * DT), tau, DT, grip_limit_n=3.0)
    m.wrote(tau)
    out.append([tau.tolist(), m.residual_nm.tolist(), sorted(m.margins.items()),
                None if trip is None else [trip.check.value, trip.message]])
print(json.dumps(out))
"""


def test_a_motor_past_half_its_thermal_margin_trips_over_temperature_on_that_joint(model):
    m = monitor(model)                               # trips at 155 - 20/2 = 145 C winding, 150 - 20/2 = 140 C magnets
    cool = np.full(7, 60.0)
    assert m.update(sample(), None, DT, grip_limit_n=70.0, winding_c=cool, magnet_c=cool) is None
    assert m.margins["temperature_margin_c"] == pytest.approx(80.0)
    assert m.unsafe_reason() is None
    winding = cool.copy()
    winding[5] = 145.5
    trip = m.update(sample(), None, DT, grip_limit_n=70.0, winding_c=winding, magnet_c=cool)
    assert trip.check is MonitorCheck.OVER_TEMPERATURE and trip.code is ErrorCode.OVER_TEMPERATURE
    assert "joint 6" in trip.message and "145.5 C winding" in trip.message
    assert "still too hot" in m.unsafe_reason()
    magnet = cool.copy()
    magnet[1] = 140.5
    trip = m.update(sample(), None, DT, grip_limit_n=70.0, winding_c=cool, magnet_c=magnet)
    assert trip.check is MonitorCheck.OVER_TEMPERATURE and "joint 2" in trip.message
    # Without estimates (position mode) nothing is checked and no margin is reported.
    assert monitor(model).update(sample(), None, DT, grip_limit_n=70.0) is None


def test_the_plain_python_fallback_decides_as_the_compiled_kernels():
    here = os.path.dirname(os.path.abspath(__file__))
    runs = {}
    for jit in ("1", "0"):
        env = dict(os.environ, BRAINBODY_JIT=jit)
        proc = subprocess.run([sys.executable, "-c", _SCRIPT, here], capture_output=True, text=True, env=env,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[jit] = json.loads(proc.stdout)
    compiled, plain = runs["1"], runs["0"]
    assert len(compiled) == len(plain) == 200
    assert any(step[3] is not None for step in compiled)          # the samples do trip something
    for a, b in zip(compiled, plain):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(a[1], b[1], rtol=1e-9, atol=1e-9)
        assert [k for k, _ in a[2]] == [k for k, _ in b[2]]
        np.testing.assert_allclose([v for _, v in a[2]], [v for _, v in b[2]], rtol=1e-9, atol=1e-12)
        assert a[3] == b[3]
