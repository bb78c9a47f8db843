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
from pathlib import Path
from typing import Optional

import pytest

_SUBNET = "10.231.0"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


_WIRE = Path(__file__).with_name("lossy_wire.py")


@dataclasses.dataclass
class TwoHosts:
    """Namespaces ``a`` and ``b`` joined by a veth (``veth_a`` lives in ``a``), or, with ``wire``,
    each by its own veth to a third namespace where ``lossy_wire.py`` relays the frames."""

    a: str
    b: str
    veth_a: str
    veth_b: str
    wire: Optional[str] = None
    wire_process: Optional[subprocess.Popen] = None

    def env(self) -> dict:
        env = os.environ.copy()
        env.update(ROS_AUTOMATIC_DISCOVERY_RANGE="SUBNET", FASTDDS_BUILTIN_TRANSPORTS="UDPv4")
        return env

    def popen(self, host: str, module: str, *args: str, **kwargs) -> subprocess.Popen:
        """``python -m module args`` inside namespace ``host`` (``"a"`` or ``"b"``)."""
        ns = self.a if host == "a" else self.b
        return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m", module, *args],
                                env=self.env(), **kwargs)

    def popen_script(self, host: str, path, *args: str, **kwargs) -> subprocess.Popen:
        """``python path args`` inside namespace ``host``."""
        ns = self.a if host == "a" else self.b
        return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, str(path), *args],
                                env=self.env(), **kwargs)

    def set_link(self, up: bool) -> None:
        """Cut (or restore) the link, as a pulled cable would."""
        _ip("-n", self.a, "link", "set", self.veth_a, "up" if up else "down")

    def start_wire(self, *, loss: float, delay_ms: float, seed: int = 0) -> None:
        """Relay frames between the hosts, dropping ``loss`` of them and delaying the rest."""
        assert self.wire is not None, "made without a wire namespace"
        self.stop_wire()
        self.wire_process = subprocess.Popen(
            ["ip", "netns", "exec", self.wire, sys.executable, str(_WIRE), f"{self.a}w", f"{self.b}w",
             "--loss", str(loss), "--delay-ms", str(delay_ms), "--seed", str(seed)])

    def stop_wire(self) -> None:
        if self.wire_process is not None:
            self.wire_process.terminate()
            self.wire_process.wait(timeout=10)
            self.wire_process = None

    def remove(self) -> None:
        self.stop_wire()
        for ns in (self.a, self.b, self.wire):
            if ns:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def make_two_hosts(*, wire: bool = False) -> TwoHosts:
    """Create the namespaces, or fail the calling test with the reason they cannot be made
    (these machines give root and ``ip netns``: a test that cannot make its hosts has not run).

    ``wire``: the hosts meet in a third namespace instead of directly; nothing passes until
    :meth:`TwoHosts.start_wire`.
    """
    if os.geteuid() != 0:
        pytest.fail("network namespaces need root (ip netns add)")
    tag = f"bb{os.getpid() % 100000}{'w' if wire else ''}"
    hosts = TwoHosts(f"{tag}a", f"{tag}b", f"{tag}va", f"{tag}vb", wire=f"{tag}x" if wire else None)
    try:
        _ip("netns", "add", hosts.a)
        _ip("netns", "add", hosts.b)
        if wire:
            _ip("netns", "add", hosts.wire)
            for ns, veth in ((hosts.a, hosts.veth_a), (hosts.b, hosts.veth_b)):
                # The host's end, and the wire's end named after the host.
                _ip("link", "add", veth, "type", "veth", "peer", "name", f"{ns}w")
                _ip("link", "set", f"{ns}w", "netns", hosts.wire)
                _ip("-n", hosts.wire, "link", "set", f"{ns}w", "promisc", "on", "up")
        else:
            _ip("link", "add", hosts.veth_a, "type", "veth", "peer", "name", hosts.veth_b)
        for ns, veth, host in ((hosts.a, hosts.veth_a, 1), (hosts.b, hosts.veth_b, 2)):
            _ip("link", "set", veth, "netns", ns)
            _ip("-n", ns, "addr", "add", f"{_SUBNET}.{host}/24", "dev", veth)
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", veth, "up")
            if wire:
                # The wire relays frames as the host hands them over: with checksum offload the
                # UDP checksum is still blank then, and the far host would drop every datagram.
                subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-K", veth, "tx", "off"], check=True,
                               capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        hosts.remove()
        detail: Optional[str] = getattr(exc, "stderr", None)
        pytest.fail(f"network namespaces could not be made: {(detail or str(exc)).strip()}")
    return hosts
