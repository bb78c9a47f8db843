"""A network cable with faults, in user space: forwards Ethernet frames between two interfaces,
dropping a fraction of them and delaying the rest.

The kernel here has no netem qdisc, so the two-host tests put this between the hosts: each
host's veth ends in a third namespace, where this relays frames both ways (multicast discovery
included) through raw packet sockets. Seeded, so a run's losses can be replayed.

    python lossy_wire.py IFACE_A IFACE_B [--loss 0.2] [--delay-ms 50] [--seed 0]

SIGTERM ends it; SIGUSR1 cuts the cable (drop everything), SIGUSR2 mends it.
"""
from __future__ import annotations

import argparse
import heapq
import random
import select
import signal
import socket
import time

_ETH_P_ALL = 0x0003
_PACKET_OUTGOING = 4       # sll_pkttype of a frame this host sent (our own relays): not relayed back
_MAX_FRAME = 65536


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("iface_a")
    parser.add_argument("iface_b")
    parser.add_argument("--loss", type=float, default=0.0, help="fraction of frames dropped, each way")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="added one-way latency")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (0.0 <= args.loss <= 1.0 and args.delay_ms >= 0.0):
        parser.error("--loss must be in [0, 1] and --delay-ms >= 0")
    rng = random.Random(args.seed)
    socks = {}
    for name in (args.iface_a, args.iface_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        s.bind((name, 0))
        s.setblocking(False)
        socks[name] = s
    other = {args.iface_a: socks[args.iface_b], args.iface_b: socks[args.iface_a]}
    state = {"run": True, "cut": False}
    signal.signal(signal.SIGTERM, lambda *_: state.update(run=False))
    signal.signal(signal.SIGINT, lambda *_: state.update(run=False))
    signal.signal(signal.SIGUSR1, lambda *_: state.update(cut=True))
    signal.signal(signal.SIGUSR2, lambda *_: state.update(cut=False))
    delay_s = args.delay_ms * 1e-3
    queue: list = []        # (due time, sequence, socket, frame)
    seq = 0
    by_fd = {s.fileno(): name for name, s in socks.items()}
    while state["run"]:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                out.send(frame)
            except OSError:
                pass            # interface down (a cut): the frame is lost, as on a wire
        timeout = max(0.0, queue[0][0] - now) if queue else 0.05
        try:
            ready, _, _ = select.select(list(socks.values()), [], [], min(timeout, 0.05))
        except InterruptedError:
            continue
        for s in ready:
            try:
                frame, address = s.recvfrom(_MAX_FRAME)
            except (BlockingIOError, InterruptedError):
                continue
            if address[2] == _PACKET_OUTGOING or state["cut"] or rng.random() < args.loss:
                continue
            seq += 1
            heapq.heappush(queue, (time.monotonic() + delay_s, seq, other[by_fd[s.fileno()]], frame))


if __name__ == "__main__":
    main()
