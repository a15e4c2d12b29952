"""Malformed RTP/RTCP from a publisher is dropped and counted, never raised.

100,000 random and mutated packets go into the relay's publish transport
just after SRTP (``RTCDtlsTransport._handle_rtp_data`` / ``_handle_rtcp_data``,
where a real packet goes once decrypted), while the real publisher keeps
sending; the subscriber must keep receiving its frames.
"""

import asyncio
import os
import random
import struct

import pytest
from aiortc import clock
from aiortc.rtcdtlstransport import RTCDtlsTransport

from media import aiortc_hooks
from media.relay import Relay
from media_utils import EncodedAudioTrack, EncodedVideoTrack, Events, join_subscriber, publish, wait_for

FUZZ_PACKETS = int(os.environ.get("FUZZ_PACKETS", 100_000))


def mutations(real: list[bytes], rng: random.Random):
    """Endless random and mutated RTP packets (truncated, wrong version,
    absurd CSRC counts and extension lengths, unknown SSRC, replayed or
    jumping sequence numbers, flipped bytes)."""
    while True:
        base = bytearray(rng.choice(real))
        kind = rng.randrange(10)
        if kind == 0:
            yield bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 64)))
            continue
        if kind == 1:
            yield bytes(base[: rng.randrange(0, len(base))])  # truncated
        elif kind == 2:
            base[0] = (base[0] & 0x3F) | (rng.choice((0, 1, 3)) << 6)  # wrong version
            yield bytes(base)
        elif kind == 3:
            base[0] |= 0x0F  # 15 CSRCs that are not there
            yield bytes(base)
        elif kind == 4:
            base[0] |= 0x10  # an extension with an absurd length
            if len(base) > 16:
                base[12:16] = b"\xbe\xde" + struct.pack("!H", rng.randrange(0, 0x10000))
            yield bytes(base)
        elif kind == 5:
            base[8:12] = struct.pack("!I", rng.getrandbits(32))  # unknown SSRC
            yield bytes(base)
        elif kind == 6:
            yield bytes(base)  # replayed as is
        elif kind == 7:
            base[2:4] = struct.pack("!H", rng.getrandbits(16))  # sequence number anywhere
            yield bytes(base)
        elif kind == 8:
            for _ in range(rng.randrange(1, 8)):  # flipped bytes, header or payload
                i = rng.randrange(len(base))
                base[i] ^= 1 << rng.randrange(8)
            yield bytes(base)
        else:
            base[0] = (base[0] & 0xDF) | 0x20  # padding bit with an absurd padding length
            base[-1] = rng.randrange(256)
            yield bytes(base)


def rtcp_mutations(rng: random.Random):
    """Random and truncated RTCP: SR, RR, SDES, BYE, feedback with bad lengths."""
    while True:
        packet_type = rng.choice((200, 201, 202, 203, 205, 206, rng.randrange(256)))
        count = rng.randrange(32)
        body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 80)))
        length = rng.choice((len(body) // 4, rng.randrange(0x10000)))
        yield bytes([0x80 | count, packet_type]) + struct.pack("!H", length) + body


@pytest.fixture
async def relay():
    relay = Relay()
    yield relay
    await relay.close()


async def test_random_and_mutated_packets_are_dropped_and_counted(relay):
    events = Events()
    await relay.join("room", "pub", events)
    video = EncodedVideoTrack()
    publisher = await publish(relay, "pub", video, EncodedAudioTrack())
    sub = await join_subscriber(relay, events, "room", "sub")
    try:
        await relay.subscribe("sub", ["pub"])
        await wait_for(lambda: sub.by_publisher("pub", "video") is not None
                       and len(sub.by_publisher("pub", "video").packets) > 5, 30)
        transport = relay._participants["pub"].publish_pc.getTransceivers()[0].receiver.transport
        real: list[bytes] = []
        original = RTCDtlsTransport._handle_rtp_data

        async def capture(self, data, arrival_time_ms):
            if self is transport and len(real) < 200:
                real.append(data)
            await original(self, data, arrival_time_ms)

        RTCDtlsTransport._handle_rtp_data = capture
        try:
            await wait_for(lambda: len(real) >= 200, 30)
        finally:
            RTCDtlsTransport._handle_rtp_data = original

        before = aiortc_hooks.packet_counters()
        rng = random.Random(20261129)
        rtp_source, rtcp_source = mutations(real, rng), rtcp_mutations(rng)
        for n in range(FUZZ_PACKETS):
            if n % 10 == 9:
                await transport._handle_rtcp_data(next(rtcp_source))
            else:
                await transport._handle_rtp_data(next(rtp_source), clock.current_ms())
            if n % 500 == 0:
                await asyncio.sleep(0)  # the real publisher keeps sending
        after = aiortc_hooks.packet_counters()
        dropped = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        assert dropped["rtp_malformed"] > 1000 and dropped["rtp_rejected"] > 1000
        assert dropped["rtcp_malformed"] > 1000
        assert dropped.get("rtp_failed", 0) == 0 and dropped.get("rtcp_failed", 0) == 0

        # The publisher's real stream still reaches the subscriber.
        await wait_for(lambda: sub.by_publisher("pub", "video") is not None, 30)
        received = sub.by_publisher("pub", "video")
        count = len(received.packets)
        await wait_for(lambda: len(received.packets) > count + 20, 30)
        assert relay._participants["pub"].publish_state == "connected"
    finally:
        await sub.close()
        await publisher.close()
