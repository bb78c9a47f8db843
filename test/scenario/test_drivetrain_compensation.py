"""Compensation must beat the plain servo by a clear margin on short runs of the real
plant (MuJoCo + drivetrain), judged on the ground-truth link angle. Benchmarks measure
the margins precisely (bench/backlash.py, bench/friction.py); these fail when a
compensator is broken or switched off by mistake."""
import numpy as np
import pytest

from brainbody.runtime.joint_rig import ARCMIN, COMPENSATED, PLAIN, quintic_moves, run_joint

BUDGET_J1 = ("budget_planetary",) + ("harmonic",) * 6


@pytest.fixture(scope="module")
def reversals():
    reference, duration, holds = quintic_moves(0, [0.15, -0.15], move_s=1.0, hold_s=0.5)
    runs = {name: run_joint(reference, duration, drivetrain=BUDGET_J1, estimate_sets=BUDGET_J1, switches=sw)
            for name, sw in (("plain", PLAIN), ("compensated", COMPENSATED),
                             ("no_backlash", dict(COMPENSATED, backlash_compensation=False)))}
    return runs, holds


def test_backlash_compensation_beats_plain_pid_by_a_wide_margin(reversals):
    runs, _ = reversals
    plain, comp = runs["plain"].rms(0), runs["compensated"].rms(0)
    assert plain > 5 * ARCMIN                    # the 20 arcmin gap really shows without compensation
    assert comp < 0.2 * plain, (comp / ARCMIN, plain / ARCMIN)


def test_the_backlash_inverse_itself_does_the_work(reversals):
    runs, _ = reversals
    assert runs["compensated"].rms(0) < 0.3 * runs["no_backlash"].rms(0)


def test_no_limit_cycle_while_holding(reversals):
    runs, holds = reversals
    comp = runs["compensated"]
    for mask in holds(comp.time_s):
        assert np.ptp(comp.q_link_rad[mask, 0]) < 0.5 * ARCMIN


def test_friction_compensation_improves_slow_tracking():
    omega, peak = 1.25, 0.03

    def reference(t):
        q, qd = np.zeros(7), np.zeros(7)
        q[3], qd[3] = peak / omega * np.sin(omega * t), peak * np.cos(omega * t)
        return q, qd
    harmonic = ("harmonic",) * 7
    without = run_joint(reference, 3.0, drivetrain=harmonic, estimate_sets=harmonic,
                        switches=dict(COMPENSATED, friction_compensation=False)).rms(3)
    with_ = run_joint(reference, 3.0, drivetrain=harmonic, estimate_sets=harmonic, switches=COMPENSATED).rms(3)
    assert with_ < 0.6 * without, (with_ / ARCMIN, without / ARCMIN)
