"""The relay's per-packet send path in one process: µs of CPU per forwarded packet.

    .venv/bin/python bench/sendpath_bench.py [--subscribers 16] [--packets 3000] [--repeat 5] [--loop uvloop|asyncio]

A :class:`media.published.PublishedTrack` is handed the RTP packets of a 30 fps
VP8 stream (~850 kbit/s, about 3 packets a frame, a keyframe every 2 s) as the
receive hook would hand them, as fast as the process runs, and forwards each
to N :class:`media.fanout.ForwardedTrack` streams.  Each stream's sender has
a real SRTP session (libsrtp, AES-256-GCM as aiortc negotiates with aiortc
and Chromium) and a real UDP socket of the event loop (uvloop by default, as
the hub) sending to its own receiving socket on 127.0.0.1, drained outside
the timed part.  Everything from ``PublishedTrack.rtp`` to ``sendto`` is
timed (thread CPU time): with N = 0 and with N streams, so that the
difference divided by N × packets is the cost of one forwarded packet,
without the receive side (SRTP unprotect, parse, statistics), which is paid
once per published packet whatever N.

It needs no hub, no load generator and no quiet machine: thread CPU time is
what this process spent, whatever else runs (a loaded machine still slows
it through caches and frequency: compare runs made together).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Optional

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

import pylibsrtp  # noqa: E402
from aiortc.rtcdtlstransport import State as DtlsState  # noqa: E402
from aiortc.rtp import RtpPacket  # noqa: E402

from media import aiortc_hooks  # noqa: E402
from media.fanout import ForwardedTrack  # noqa: E402
from media.published import PublishedTrack  # noqa: E402

PACKET_PAYLOAD = 1100  # bytes of VP8 per full packet (aiortc packetizes at about this size)
FRAME_BYTES = 3500  # an 850 kbit/s stream at 30 fps
KEYFRAME_BYTES = 20000
GOP = 60  # frames per keyframe


class _Keyframes:
    def request(self) -> None:
        pass

    def close(self) -> None:
        pass


def vp8_stream(frames: int, ssrc: int = 4242) -> list[RtpPacket]:
    """The RTP packets of ``frames`` VP8 frames, with 15-bit picture IDs."""
    out = []
    seq, ts = 1000, 90000
    for f in range(frames):
        key = f % GOP == 0
        size = KEYFRAME_BYTES if key else FRAME_BYTES
        count = -(-size // PACKET_PAYLOAD)
        pid = f & 0x7FFF
        for i in range(count):
            first = i == 0
            head = bytes([0x90 if first else 0x80, 0x80, 0x80 | (pid >> 8), pid & 0xFF])
            body = size // count
            vp8 = (bytes([0x00 if key else 0x01]) + b"\x9d\x01\x2a\x80\x02\xe0\x01" if first else b"")
            payload = head + vp8 + bytes(body - len(vp8))
            out.append(RtpPacket(payload_type=96, marker=int(i == count - 1), sequence_number=seq & 0xFFFF,
                                 timestamp=ts & 0xFFFFFFFF, ssrc=ssrc, payload=payload))
            seq += 1
        ts += 3000
    return out


def srtp_session() -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(key=os.urandom(44), ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                              srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM)
    policy.allow_repeat_tx = True
    policy.window_size = 1024
    return pylibsrtp.Session(policy)


class Subscriber:
    """A forwarded stream whose sender is a real SRTP session and UDP socket."""

    def __init__(self, index: int, transport: Any, sink: socket.socket) -> None:
        self.sink = sink
        pair = SimpleNamespace(protocol=SimpleNamespace(transport=transport), remote_addr=sink.getsockname())
        dtls = SimpleNamespace(_state=DtlsState.CONNECTED, _tx_srtp=srtp_session(),
                               transport=SimpleNamespace(_connection=SimpleNamespace(_nominated={1: pair})))
        self.sender = SimpleNamespace(transport=dtls, _ssrc=10000 + index)
        self.transceiver = SimpleNamespace(sender=self.sender, mid=str(index))
        self.track = ForwardedTrack("video")
        self.track.attach(self.transceiver)

    def drain(self) -> int:
        got = 0
        while True:
            try:
                self.sink.recv(2048)
            except BlockingIOError:
                return got
            got += 1


def _send_parameters(transceiver: Any) -> aiortc_hooks.SendParameters:
    ssrc = transceiver.sender._ssrc
    return aiortc_hooks.SendParameters(ssrc=ssrc, payload_type=96, rtx_ssrc=ssrc + 1, rtx_payload_type=97,
                                      mid=transceiver.mid, mid_id=4, abs_send_time_id=2, audio_level_id=0)


async def measure(n: int, packets_wanted: int, stream: list[RtpPacket]) -> dict[str, Any]:
    """Feeds two published tracks the same frames in turn, one with no
    subscriber and one with ``n``: thread CPU time of each."""
    loop = asyncio.get_running_loop()
    sources = [PublishedTrack("pub", str(i), "video", "video/VP8", {}, 90000, None, 96,  # type: ignore[arg-type]
                              keyframes=_Keyframes()) for i in range(2)]  # type: ignore[arg-type]
    subs = []
    for i in range(n):
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sink.bind(("127.0.0.1", 0))
        sink.setblocking(False)
        transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
        sub = Subscriber(i, transport, sink)
        sub.track.bind(sources[1])
        sub.track.open()
        subs.append(sub)
    clock = time.thread_time_ns
    spent = [0, 0]
    forwarded = 0
    packets = 0
    index = seq = laps = 0
    loop_ticks = (stream[-1].timestamp - stream[0].timestamp) + 3000
    frame: list[tuple[RtpPacket, int]] = []
    while packets < packets_wanted:
        frame.clear()
        while True:
            p = stream[index]
            index += 1
            if index == len(stream):
                index = 0
                laps += 1
            # Sequence numbers and timestamps continue past the loop's end.
            seq += 1
            q = RtpPacket(payload_type=p.payload_type, marker=p.marker, sequence_number=seq & 0xFFFF,
                          timestamp=(p.timestamp + laps * loop_ticks) & 0xFFFFFFFF, ssrc=p.ssrc, payload=p.payload)
            frame.append((q, seq + 0x10000))
            if p.marker:
                break
        for k in (0, 1):
            rtp = sources[k].rtp
            t0 = clock()
            for q, extended in frame:
                rtp(q, extended)  # type: ignore[arg-type]
            spent[k] += clock() - t0
        packets += len(frame)
        for sub in subs:
            forwarded += sub.drain()
        await asyncio.sleep(0)
    for sub in subs:
        forwarded += sub.drain()
        sub.track.stop()
        sub.sink.close()
    return {"n": n, "packets": packets, "received": forwarded, "base_ns": spent[0], "cpu_ns": spent[1]}


async def run(subscribers: int, packets: int, repeat: int) -> dict[str, Any]:
    stream = vp8_stream(GOP * 2)
    aiortc_hooks.send_parameters = _send_parameters  # type: ignore[assignment]
    rows: dict[str, list[float]] = {"base_us": [], "per_forward_us": []}
    for _ in range(repeat):
        m = await measure(subscribers, packets, stream)
        base_per = m["base_ns"] / m["packets"] / 1000
        per_forward = (m["cpu_ns"] - m["base_ns"]) / m["packets"] / 1000 / max(1, subscribers)
        rows["base_us"].append(base_per)
        rows["per_forward_us"].append(per_forward)
        lost = 1 - m["received"] / max(1, m["packets"] * subscribers)
        print(f"  {base_per:6.2f} µs per published packet, {per_forward:6.2f} µs per forwarded packet "
              f"(N={subscribers}, {m['packets']} packets in, {lost:.1%} not received; "
              f"load average {os.getloadavg()[0]:.1f})", flush=True)
    return {"subscribers": subscribers, "base_us_median": statistics.median(rows["base_us"]),
            "per_forward_us_median": statistics.median(rows["per_forward_us"]), **rows}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=16)
    parser.add_argument("--packets", type=int, default=3000, help="published packets per repeat")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args(argv)
    if args.loop == "uvloop":
        import uvloop

        runner = uvloop.run
    else:
        runner = asyncio.run
    result = runner(run(args.subscribers, args.packets, args.repeat))
    print(f"median: {result['base_us_median']:.2f} µs per published packet, "
          f"{result['per_forward_us_median']:.2f} µs per forwarded packet ({args.loop}; "
          f"load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
