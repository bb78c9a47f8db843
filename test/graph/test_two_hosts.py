"""Brain and body on two hosts (network namespaces joined by a veth, DDS over UDP across it):
the coffee task works across the link, judged by the simulator's ground truth."""
from __future__ import annotations

import subprocess

import pytest

from two_hosts import make_two_hosts

pytestmark = pytest.mark.graph


@pytest.fixture(scope="module")
def hosts():
    hosts = make_two_hosts()
    yield hosts
    hosts.remove()


def _stop(procs) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def test_make_coffee_with_brain_and_body_on_two_hosts(hosts):
    body = hosts.popen("b", "brainbody.ros.body_node", "--ros-args", "-p", "seed:=3")
    brain = hosts.popen("a", "brainbody.ros.intent_node")
    try:
        # The demo's client on the brain's host, starting no nodes: every goal, feedback and
        # ground-truth message crosses the link.
        run = hosts.popen("a", "brainbody.cli", "demo", "make coffee", "--connect", "--seed", "3",
                          "--timeout", "240", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = run.communicate(timeout=300)
        assert run.returncode == 0, out[-3000:]
        assert "SUCCESS" in out and "on tray True" in out and "crushed False" in out, out[-3000:]
        assert body.poll() is None and brain.poll() is None
    finally:
        _stop([brain, body])


@pytest.fixture(scope="module")
def wired_hosts():
    hosts = make_two_hosts(wire=True)
    yield hosts
    hosts.remove()


@pytest.mark.soak     # 2-3 minutes: reliable DDS repairs each loss on its next heartbeat
def test_make_coffee_over_a_link_that_loses_a_fifth_and_adds_50_ms(wired_hosts):
    """Every frame between brain and body crosses a wire that drops 20 % of them, each way, and
    delays the rest by 50 ms: reliable DDS retransmits, and the task still succeeds by ground
    truth; nothing is crushed or dropped whatever happens."""
    hosts = wired_hosts
    hosts.start_wire(loss=0.2, delay_ms=50.0, seed=1)
    body = hosts.popen("b", "brainbody.ros.body_node", "--ros-args", "-p", "seed:=3")
    brain = hosts.popen("a", "brainbody.ros.intent_node")
    try:
        run = hosts.popen("a", "brainbody.cli", "demo", "make coffee", "--connect", "--seed", "3",
                          "--timeout", "300", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = run.communicate(timeout=360)
        assert "crushed False" in out and "dropped False" in out, out[-3000:]
        assert run.returncode == 0 and "SUCCESS" in out, out[-3000:]
        assert body.poll() is None and brain.poll() is None
    finally:
        _stop([brain, body])
