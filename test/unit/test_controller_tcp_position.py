"""The controller's measured tool position is of the sample being acted on, also when it was
last read between ticks (a primitive's report, the next primitive's plan)."""
import numpy as np

from brainbody.body.trajectory import PathTrajectory
from brainbody.runtime.sim_session import SimSession


def test_a_read_between_ticks_is_not_served_again_in_the_next_tick():
    session = SimSession(seed=0)
    body = session.body
    start = np.asarray(body.q_cmd_rad, dtype=float)
    body.set_trajectory(PathTrajectory(np.vstack([start, start + 0.2]), 0.5, body.time_s))
    session.loop.run_until(lambda: False, max_time_s=0.2)     # the arm is moving
    seen = []
    torque = body.servo.torque

    def torque_reading_the_tool(*args, **kwargs):      # inside the tick, on its new sample
        seen.append((body.tcp_position_m.copy(), body.model.tcp_pose(body.state.q_rad)[0]))
        return torque(*args, **kwargs)

    body.tcp_position_m      # read between ticks
    body.servo.torque = torque_reading_the_tool
    session.loop.step()
    (cached, fresh), = seen
    assert not np.array_equal(cached, body.model.tcp_pose(start)[0])     # the arm has moved on
    np.testing.assert_array_equal(cached, fresh)
