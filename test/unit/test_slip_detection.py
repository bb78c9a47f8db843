"""The friction-cone slip detector on hand-made pad forces (pad frame: y normal, x and z in plane)."""
import math

import numpy as np
import pytest

from brainbody.body.slip_detection import SlipDetector, SlipState

MU, MARGIN = 0.8, 1.3


def pads(normal_n, tangential_z_n, tangential_x_n=0.0):
    """Both pads squeezing with ``normal_n`` and carrying a tangential load each."""
    return np.array([[tangential_x_n, -normal_n, tangential_z_n], [tangential_x_n, normal_n, tangential_z_n]])


def test_load_well_inside_the_cone_is_no_slip():
    est = SlipDetector(MU, MARGIN).update(pads(3.0, -0.5))
    assert est.state is SlipState.NONE
    assert est.utilisation == pytest.approx(0.5 / (MU * 3.0))
    assert est.required_force_n == pytest.approx(MARGIN * 0.5 / MU)
    assert est.needed_force_n == pytest.approx(0.5 / MU)
    assert est.normal_n == pytest.approx((3.0, 3.0))
    assert est.load_xz_n == pytest.approx((0.0, -1.0))


@pytest.mark.parametrize("load_n,state", [(1.0, SlipState.NONE), (1.9, SlipState.INCIPIENT),
                                          (2.5, SlipState.SLIPPING), (5.0, SlipState.SLIPPING)])
def test_state_follows_the_utilisation_of_the_estimated_cone(load_n, state):
    # Cone edge at 0.8 x 3 N = 2.4 N; the margin is used up at 2.4 / 1.3 = 1.85 N.
    assert SlipDetector(MU, MARGIN).update(pads(3.0, load_n)).state is state


def test_tangential_load_in_both_in_plane_axes_counts():
    est = SlipDetector(MU, MARGIN).update(pads(1.0, 0.6, 0.8))
    assert est.tangential_n == pytest.approx(1.0)
    assert est.state is SlipState.SLIPPING


def test_the_worst_pad_decides():
    f = pads(2.0, 0.2)
    f[1] = [0.0, 0.5, 0.45]          # the right pad barely touches and carries load
    est = SlipDetector(MU, MARGIN).update(f)
    assert est.utilisation == pytest.approx(0.45 / (MU * 0.5))
    assert est.state is SlipState.SLIPPING


def test_tare_removes_a_sensor_offset():
    detector = SlipDetector(MU, MARGIN)
    offset = np.array([[0.1, 0.05, -0.3], [0.0, -0.05, -0.3]])
    detector.tare(offset)
    est = detector.update(pads(2.0, 0.1) + offset)
    assert est.tangential_n == pytest.approx(0.1)
    assert est.state is SlipState.NONE


def test_no_contact_is_no_slip():
    est = SlipDetector(MU, MARGIN).update(np.zeros((2, 3)))
    assert est.state is SlipState.NONE and est.required_force_n == 0.0


@pytest.mark.parametrize("bad", [np.zeros(6), np.zeros((3, 2)), [[0, 1, math.nan], [0, 1, 0]],
                                 [[0, 1, math.inf], [0, 1, 0]]])
def test_malformed_readings_are_rejected(bad):
    with pytest.raises(ValueError):
        SlipDetector(MU, MARGIN).update(bad)


@pytest.mark.parametrize("mu,margin", [(0.0, 1.3), (-0.5, 1.3), (math.nan, 1.3), (0.8, 0.9), (0.8, math.inf)])
def test_bad_parameters_are_rejected(mu, margin):
    with pytest.raises(ValueError):
        SlipDetector(mu, margin)
