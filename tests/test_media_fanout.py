"""Bounded per-subscriber queues (media/fanout.py)."""

import asyncio
import fractions

import av
import pytest

from media.fanout import ForwardedTrack, PublishedTrack, codec_key

TB = fractions.Fraction(1, 90000)


class FakeKeyframes:
    def __init__(self):
        self.requests = 0

    def request(self):
        self.requests += 1


def make_source(kind="video"):
    source = PublishedTrack(
        publisher_id="pub", mid="0", kind=kind, mime_type="video/VP8" if kind == "video" else "audio/opus",
        codec_parameters={}, clock_rate=90000 if kind == "video" else 48000, channels=None,
        payload_type=97, source=None, keyframes=FakeKeyframes(),
    )
    return source


def frame(n, key=False):
    data = bytes([0 if key else 1, n])
    packet = av.Packet(data)
    packet.pts = n * 3000
    packet.time_base = TB
    return packet, data, key


def test_slow_video_subscriber_drops_to_next_keyframe_and_asks_for_one():
    source = make_source()
    slow = ForwardedTrack("video", capacity=4)
    fast = ForwardedTrack("video", capacity=4)
    slow.bind(source)
    fast.bind(source)
    slow.open()
    fast.open()
    assert source.keyframes.requests == 2  # opening waits for a keyframe
    slow.push(*frame(0, key=True))
    for n in range(1, 4):
        slow.push(*frame(n))
    assert len(slow._queue) == 4
    slow.push(*frame(4))  # full: everything is dropped, a keyframe requested
    assert len(slow._queue) == 0
    assert slow.frames_dropped == 5
    assert source.keyframes.requests == 3
    for n in range(5, 8):  # deltas are useless until the keyframe
        slow.push(*frame(n))
    assert len(slow._queue) == 0
    assert slow.frames_dropped == 8
    slow.push(*frame(8, key=True))
    slow.push(*frame(9))
    assert [d[1] for _, d in slow._queue] == [8, 9]
    # The other subscriber was never affected.
    assert fast.frames_dropped == 0


def test_queue_full_with_keyframe_keeps_the_keyframe():
    source = make_source()
    track = ForwardedTrack("video", capacity=2)
    track.bind(source)
    track.open()
    for n, key in ((0, True), (1, False), (2, True)):
        track.push(*frame(n, key))
    assert [d[1] for _, d in track._queue] == [2]
    assert track.frames_dropped == 2


def test_audio_drops_oldest_and_never_grows():
    source = make_source("audio")
    track = ForwardedTrack("audio", capacity=5)
    track.bind(source)
    track.open()
    for n in range(100):
        track.push(*frame(n, key=True))
    assert len(track._queue) == 5
    assert [d[1] for _, d in track._queue] == [95, 96, 97, 98, 99]
    assert track.frames_dropped == 95


def test_closed_track_queues_nothing():
    source = make_source()
    track = ForwardedTrack("video", capacity=4)
    track.bind(source)
    track.push(*frame(0, key=True))
    assert len(track._queue) == 0
    assert track.frames_dropped == 0


async def test_recv_returns_packets_and_rebinding_keeps_timestamps_continuous():
    first, second = make_source(), make_source()
    track = ForwardedTrack("video", capacity=10)
    track.bind(first)
    track.open()
    track.push(*frame(100, key=True))
    track.push(*frame(101))
    a = await track.recv()
    b = await track.recv()
    assert isinstance(a, av.Packet) and bytes(a) == bytes([0, 100])
    assert b.pts - a.pts == 3000
    track.bind(second)  # transceiver reused for another publisher
    track.open()
    track.push(*frame(5, key=True))  # the new source's clock is elsewhere
    c = await asyncio.wait_for(track.recv(), 1)
    assert c.pts == b.pts + 3000


async def test_stop_ends_recv():
    track = ForwardedTrack("audio")
    waiter = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    track.stop()
    from aiortc.mediastreams import MediaStreamError

    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(waiter, 1)


def test_codec_key_distinguishes_h264_profiles():
    assert codec_key("video/VP8", {}) == codec_key("video/vp8", {})
    base = {"profile-level-id": "42e01f", "packetization-mode": "1"}
    assert codec_key("video/H264", base) != codec_key("video/H264", {**base, "profile-level-id": "42001f"})
    assert codec_key("video/H264", base) != codec_key("video/H264", {**base, "packetization-mode": "0"})
