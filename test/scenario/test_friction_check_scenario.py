"""The friction check (body/friction_check.py) on a simulated unit, judged by the plant's own
friction: the benchmark (bench/friction_payload_id.py) measures it on nine units; this fails when
the check or its fit is broken."""
import numpy as np
import pytest

from brainbody.body.body_config import BodyConfig
from brainbody.body.friction_check import FrictionCheckState
from brainbody.runtime.sim_session import SimSession
from brainbody.sim.scene import SceneConfig

pytestmark = pytest.mark.scenario


def test_on_an_honest_unit_the_check_finds_the_plant_s_friction_and_the_compensator_takes_it():
    """The whole check on a simulated unit whose friction is of another model class (LuGre with
    ripple and cogging), judged against the plant's own figures; with adaptive compensation the
    friction compensator's viscous term follows it."""
    session = SimSession(seed=1, body_config=BodyConfig(adaptive_compensation=True),
                         scene_config=SceneConfig(plant="honest", robot_seed=4))
    body, sim = session.body, session.sim
    session.loop.run_until(lambda: body.time_s > 0.05)
    end = body.time_s + body.check_friction() + 0.2
    session.loop.run_until(lambda: body.time_s > end)
    assert body.monitor_trip is None and body.friction_check.state is FrictionCheckState.DONE
    coulomb, viscous = sim.realism.sliding_friction()
    coulomb = coulomb + np.array([d.output_coulomb_nm for d in session.scene_config.drivetrains()])
    np.testing.assert_allclose(body.friction_check.coulomb_nm, coulomb, rtol=0.05)
    np.testing.assert_allclose(body.friction_check.viscous_nms_per_rad, viscous, rtol=0.15)
    session.loop.run_until(lambda: body.time_s > end + 1.5)     # the compensation's next update
    np.testing.assert_allclose(body.servo.friction.params["viscous"], body.friction_check.viscous_nms_per_rad)
