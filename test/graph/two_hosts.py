"""Two "hosts" on this machine for graph tests: network namespaces joined by a veth pair.

Each namespace has only its loopback and its end of the veth, so DDS between them crosses the
link: discovery by multicast on the veth (``ROS_AUTOMATIC_DISCOVERY_RANGE=SUBNET``, which stays
inside the namespace), data over UDP only (``FASTDDS_BUILTIN_TRANSPORTS=UDPv4``: Fast DDS's
shared-memory transport would otherwise carry the data past a cut link). The addresses exist
only inside the two namespaces this creates.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from typing import Optional

import pytest

_SUBNET = "10.231.0"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclasses.dataclass
class TwoHosts:
    """Namespaces ``a`` and ``b`` and the veth between them (``veth_a`` lives in ``a``)."""

    a: str
    b: str
    veth_a: str
    veth_b: str

    def env(self) -> dict:
        env = os.environ.copy()
        env.update(ROS_AUTOMATIC_DISCOVERY_RANGE="SUBNET", FASTDDS_BUILTIN_TRANSPORTS="UDPv4")
        return env

    def popen(self, host: str, module: str, *args: str, **kwargs) -> subprocess.Popen:
        """``python -m module args`` inside namespace ``host`` (``"a"`` or ``"b"``)."""
        ns = self.a if host == "a" else self.b
        return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m", module, *args],
                                env=self.env(), **kwargs)

    def set_link(self, up: bool) -> None:
        """Cut (or restore) the link, as a pulled cable would."""
        _ip("-n", self.a, "link", "set", self.veth_a, "up" if up else "down")

    def remove(self) -> None:
        for ns in (self.a, self.b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def make_two_hosts() -> TwoHosts:
    """Create the namespaces, or skip the calling test with the reason they cannot be made."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add)")
    tag = f"bb{os.getpid() % 100000}"
    hosts = TwoHosts(f"{tag}a", f"{tag}b", f"{tag}va", f"{tag}vb")
    try:
        _ip("netns", "add", hosts.a)
        _ip("netns", "add", hosts.b)
        _ip("link", "add", hosts.veth_a, "type", "veth", "peer", "name", hosts.veth_b)
        for ns, veth, host in ((hosts.a, hosts.veth_a, 1), (hosts.b, hosts.veth_b, 2)):
            _ip("link", "set", veth, "netns", ns)
            _ip("-n", ns, "addr", "add", f"{_SUBNET}.{host}/24", "dev", veth)
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", veth, "up")
    except (OSError, subprocess.CalledProcessError) as exc:
        hosts.remove()
        detail: Optional[str] = getattr(exc, "stderr", None)
        pytest.skip(f"network namespaces are not permitted here: {(detail or str(exc)).strip()}")
    return hosts
