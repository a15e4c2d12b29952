"""Big and small streams through the Relay (issue 9), with in-process aiortc
clients over real ICE: a publisher sends its camera twice, the second media
section marked ``a=content:alt``; each subscriber gets, on one transceiver per
publisher, the big stream, the small one or nothing, switched without
renegotiation at a keyframe."""

import asyncio
import struct
import time

import av
import pytest
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack

from media import adapt, packets
from media.estimate import DownlinkEstimator
from media.interface import ReceiveLimits, SessionDescription, VideoLayer
from media.relay import Relay
from media.sdp import alt_mids
from media.select import SelectorConfig
from media_utils import (
    VIDEO_TB,
    EncodedAudioTrack,
    Events,
    SubscriberClient,
    client_pc,
    wait_for,
)


class TaggedVideoTrack(MediaStreamTrack):
    """30 fps synthetic VP8-like frames: a keyframe carries a VP8 keyframe
    header (start code, width, height); every frame then a tag byte (which
    stream), a 4-byte counter and filler to a fixed size.  Keyframes on
    request, like a browser."""

    kind = "video"

    def __init__(self, tag: bytes, width: int, height: int, keyframe_size: int = 3000,
                 delta_size: int = 1000, fps: int = 30) -> None:
        super().__init__()
        self.fps = fps
        self.tag, self.width, self.height = tag, width, height
        self.keyframe_size, self.delta_size = keyframe_size, delta_size
        self.counter = 0
        self.keyframe_requests = 0
        self._want_keyframe = True
        self._start = None

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._want_keyframe = True

    async def recv(self) -> av.Packet:
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self.counter / self.fps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        key, self._want_keyframe = self._want_keyframe, False
        if key:
            head = b"\x10\x00\x00\x9d\x01\x2a" + struct.pack("<HH", self.width, self.height)
        else:
            head = b"\x11" + bytes(9)
        data = head + self.tag + struct.pack("!I", self.counter)
        size = self.keyframe_size if key else self.delta_size
        data += bytes(size - len(data))
        packet = av.Packet(data)
        packet.pts = self.counter * 90000 // self.fps
        packet.time_base = VIDEO_TB
        self.counter += 1
        return packet


def frame_info(data: bytes):
    """(tag, counter, keyframe) of a TaggedVideoTrack frame."""
    return data[10:11], struct.unpack("!I", data[11:15])[0], data[0] & 1 == 0


class Client(SubscriberClient):
    """Also keeps each frame's RTP timestamp."""

    def __init__(self, relay, participant_id):
        super().__init__(relay, participant_id)
        self.timestamps: dict[str, list[int]] = {}

    async def _read(self, track, rec):
        try:
            while True:
                packet = await track.recv()
                rec.packets.append((time.monotonic(), bytes(packet)))
                self.timestamps.setdefault(rec.mid, []).append(packet.pts)
        except (MediaStreamError, asyncio.CancelledError):
            pass


class LayerEvents(Events):
    def __init__(self):
        super().__init__()
        self.layers: dict[str, list[list[VideoLayer]]] = {}

    async def subscriber_layers(self, participant_id, layers):
        self.layers.setdefault(participant_id, []).append(layers)


def mark_alt(sdp: str, mid: str) -> str:
    lines = sdp.split("\r\n")
    at = lines.index(f"a=mid:{mid}")
    lines.insert(at + 1, "a=content:alt")
    return "\r\n".join(lines)


async def publish_two(relay, participant_id, big, small, *others):
    """A client publish connection sending ``big`` and ``small`` (marked
    ``a=content:alt`` in the offer the relay gets), and ``others``."""
    pc = client_pc()
    for track in others:
        pc.addTransceiver(track, direction="sendonly")
    pc.addTransceiver(big, direction="sendonly")
    small_transceiver = pc.addTransceiver(small, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = mark_alt(pc.localDescription.sdp, small_transceiver.mid)
    assert alt_mids(sdp) == {small_transceiver.mid}
    answer = await relay.publish(participant_id, SessionDescription(sdp=sdp, type="offer"))
    from aiortc import RTCSessionDescription

    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type=answer.type))
    return pc


async def join(relay, events, room, participant_id):
    client = Client(relay, participant_id)
    events.subscribers[participant_id] = client
    await relay.join(room, participant_id, events)
    return client


@pytest.fixture
async def cleanup():
    items = []
    yield items
    for item in items:
        await item.close()


def frames(rec):
    return [frame_info(data) for _, data in rec.packets] if rec is not None else []


def runs(infos):
    """Consecutive runs of one tag: [(tag, [infos])]."""
    out = []
    for info in infos:
        if out and out[-1][0] == info[0]:
            out[-1][1].append(info)
        else:
            out.append((info[0], [info]))
    return out


def assert_continuous(client, rec, big, small):
    """Every frame whole, each run of one stream starting at a keyframe and
    without a gap but after a pause (at a keyframe), RTP timestamps increasing."""
    sizes = {b"B": (big.keyframe_size, big.delta_size), b"S": (small.keyframe_size, small.delta_size)}
    for _, data in rec.packets:
        tag, _, key = frame_info(data)
        assert len(data) == sizes[tag][0 if key else 1], "a torn frame"
    for tag, run in runs(frames(rec)):
        assert run[0][2], f"a run of {tag} does not start at a keyframe"
        for (_, before, _), (_, after, key) in zip(run, run[1:]):
            assert after == before + 1 or (after > before and key), "a gap, not resumed at a keyframe"
    stamps = client.timestamps[rec.mid]
    steps = [(b - a) & 0xFFFFFFFF for a, b in zip(stamps, stamps[1:])]
    assert all(0 < step < 60 * 90000 for step in steps), steps  # increasing (over a pause: by its length)


async def test_stage_big_thumbnail_small_switch_without_renegotiation(cleanup):
    relay = Relay()
    cleanup.append(relay)
    events = LayerEvents()
    await relay.join("room", "pub", events)
    big, small = TaggedVideoTrack(b"B", 640, 360), TaggedVideoTrack(b"S", 320, 180, 1200, 300)
    cleanup.append(await publish_two(relay, "pub", big, small, EncodedAudioTrack()))
    # One REMB estimate for the publisher's connection, over both videos: a browser
    # takes each REMB for its whole connection (two estimates in turn starve both).
    receivers = [t.receiver for t in relay._participants["pub"].publish_pc.getTransceivers() if t.kind == "video"]
    estimators = {id(r._RTCRtpReceiver__remote_bitrate_estimator) for r in receivers}
    assert len(receivers) == 2 and len(estimators) == 1
    sub = await join(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"], big=["pub"])
    await wait_for(lambda: len(frames(sub.by_publisher("pub", "video"))) >= 10, 10)
    # One video transceiver for the camera: the small stream is no track of its own.
    assert sorted(t.kind for t in sub.tracks) == ["audio", "video"]
    rec = sub.by_publisher("pub", "video")
    assert {tag for tag, _, _ in frames(rec)} == {b"B"}
    offers = len(sub.offers)
    # As a thumbnail: the small stream, from its keyframe, on the same transceiver.
    await relay.subscribe("sub", ["pub"], big=[])
    await wait_for(lambda: sum(1 for tag, _, _ in frames(rec) if tag == b"S") >= 10, 5)
    # Back on the stage.
    await relay.subscribe("sub", ["pub"], big=["pub"])
    await wait_for(lambda: len(runs(frames(rec))) == 3 and len(runs(frames(rec))[-1][1]) >= 10, 5)
    assert len(sub.offers) == offers and sub.track_updates == []  # no renegotiation
    # The subscriber can estimate its downlink: REMB and abs-send-time are offered.
    assert "goog-remb" in sub.offers[-1][0].sdp and "abs-send-time" in sub.offers[-1][0].sdp
    assert [tag for tag, _ in runs(frames(rec))] == [b"B", b"S", b"B"]
    assert_continuous(sub, rec, big, small)
    mid = rec.mid
    await wait_for(lambda: events.layers.get("sub", [[None]])[-1] == [VideoLayer("pub", mid, "big", "none")], 3)
    assert [VideoLayer("pub", mid, "small", "none")] in events.layers["sub"]
    stats = {s.participant_id: s for s in await relay.stats("room")}
    assert stats["sub"].layers == {"pub": "big"}
    assert stats["pub"].frame_height == 360
    # The subscriber's RTCP about what it is sent reaches its estimator (hook 9):
    # its receiver reports by themselves, a REMB when its browser sends one.
    await wait_for(lambda: relay._participants["sub"].adaptation.estimator.loss(time.monotonic()) is not None, 10)
    receiver = next(t.receiver for t in sub.pc.getTransceivers() if t.mid == rec.mid)
    media_ssrc = relay._participants["sub"].slots[[s.transceiver.mid for s in relay._participants["sub"].slots]
                                                 .index(rec.mid)].transceiver.sender._ssrc
    await receiver._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=receiver._RTCRtpReceiver__rtcp_ssrc,
                                             media_ssrc=0, fci=pack_remb_fci(123_000, [media_ssrc])))
    await wait_for(lambda: relay._participants["sub"].adaptation.estimator.remb(time.monotonic()) == 123_000, 5)
    await wait_for(lambda: relay._participants["sub"].adaptation.estimator.rtt is not None, 10)  # after a sender report
    stats = {s.participant_id: s for s in await relay.stats("room")}
    assert stats["sub"].downlink_loss == 0.0 and 0 <= stats["sub"].downlink_rtt < 1


async def test_audio_only_pauses_video_and_resumes_at_a_keyframe(cleanup):
    relay = Relay()
    cleanup.append(relay)
    events = LayerEvents()
    await relay.join("room", "pub", events)
    big, small = TaggedVideoTrack(b"B", 640, 360), TaggedVideoTrack(b"S", 320, 180, 1200, 300)
    cleanup.append(await publish_two(relay, "pub", big, small, EncodedAudioTrack()))
    sub = await join(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])  # big=None: everyone on the stage
    await wait_for(lambda: len(frames(sub.by_publisher("pub", "video"))) >= 10, 10)
    video, audio = sub.by_publisher("pub", "video"), sub.by_publisher("pub", "audio")
    offers = len(sub.offers)
    await relay.set_receive_limits("sub", ReceiveLimits(audio_only=True))
    await asyncio.sleep(0.3)
    paused_video, paused_audio = len(video.packets), len(audio.packets)
    await asyncio.sleep(1.0)
    assert len(video.packets) == paused_video  # nothing
    assert len(audio.packets) >= paused_audio + 30  # audio goes on (50 a second)
    assert events.layers["sub"][-1] == [VideoLayer("pub", video.mid, "paused", "limits")]
    assert {s.participant_id: s for s in await relay.stats()}["sub"].layers == {"pub": "paused"}
    # A height cap: the small stream instead of the big one.
    await relay.set_receive_limits("sub", ReceiveLimits(max_height=200))
    await wait_for(lambda: len(video.packets) >= paused_video + 10, 5)
    assert events.layers["sub"][-1] == [VideoLayer("pub", video.mid, "small", "limits")]
    await relay.set_receive_limits("sub", ReceiveLimits())
    await wait_for(lambda: runs(frames(video))[-1][0] == b"B" and len(runs(frames(video))[-1][1]) >= 5, 5)
    assert [tag for tag, _ in runs(frames(video))] == [b"B", b"S", b"B"]
    first_after_pause = frame_info(video.packets[paused_video][1])
    assert first_after_pause[0] == b"S" and first_after_pause[2]  # resumed at a keyframe
    assert_continuous(sub, video, big, small)
    assert len(sub.offers) == offers


class Scripted(DownlinkEstimator):
    """A subscriber's DownlinkEstimator whose estimate the test says."""

    scripted = None

    def update(self, now, send_rate):
        super().update(now, send_rate)
        self.estimate = self.scripted
        return self.scripted


async def test_adaptation_steps_thumbnails_down_first_and_recovers_one_step_at_a_time(cleanup, monkeypatch):
    # The rates each source is measured at, fixed (a loaded machine sends unevenly):
    # big 360 kbit/s, small 72 kbit/s (publish mid 2), audio 18 kbit/s.
    monkeypatch.setattr(adapt, "_rate", lambda track, default: (
        18_000.0 if track.kind == "audio" else 72_000.0 if track.mid == "2" else 360_000.0))
    relay = Relay(adapt_interval=0.1, selector=SelectorConfig(down_after=0.3, up_after=0.6))
    cleanup.append(relay)
    events = LayerEvents()
    sources = {}
    for name in ("a", "b", "c"):
        await relay.join("room", name, events)
        # 10 frames a second: six video streams in one process on a loaded machine
        sources[name] = (TaggedVideoTrack(b"B", 640, 360, 3000, 1500, fps=10),
                         TaggedVideoTrack(b"S", 320, 180, 600, 300, fps=10))
        cleanup.append(await publish_two(relay, name, *sources[name], EncodedAudioTrack()))
    sub = await join(relay, events, "room", "sub")
    cleanup.append(sub)
    estimator = Scripted()
    relay._participants["sub"].adaptation.estimator = estimator
    await relay.subscribe("sub", ["a", "b", "c"], big=["a"])
    await wait_for(lambda: all(len(frames(sub.by_publisher(n, "video"))) >= 5 for n in "abc"), 30)
    mids = {n: sub.by_publisher(n, "video").mid for n in "abc"}

    def layers():
        last = events.layers["sub"][-1]
        return {next(n for n, m in mids.items() if m == v.mid): (v.layer, v.reason) for v in last}

    assert layers() == {"a": ("big", "none"), "b": ("small", "none"), "c": ("small", "none")}
    steps = []

    async def expect(estimate, wanted, timeout=5):
        estimator.scripted = estimate
        await wait_for(lambda: {n: layer for n, (layer, _) in layers().items()} == wanted, timeout)
        steps.append((time.monotonic(), wanted))

    # Full need: 360 + 72 + 72 + 3 x 18 (audio first) = 558 kbit/s.
    await expect(520_000, {"a": "big", "b": "small", "c": "paused"})  # the last thumbnail first
    assert layers()["c"] == ("paused", "network")
    c_slot = next(x for x in relay._participants["sub"].slots if x.transceiver.mid == mids["c"])
    c_audio = sub.by_publisher("c", "audio")
    sent, heard = c_slot.track.packets_sent, len(c_audio.packets)
    await wait_for(lambda: len(c_audio.packets) >= heard + 10, 10)  # its audio goes on
    assert c_slot.track.packets_sent == sent  # nothing of c's video leaves the relay
    await expect(450_000, {"a": "big", "b": "paused", "c": "paused"})
    await expect(200_000, {"a": "small", "b": "paused", "c": "paused"})  # the stage last
    await expect(80_000, {"a": "paused", "b": "paused", "c": "paused"})
    # Recovery: one step at a time, in reverse order, each after the surplus has held.
    seen = []
    estimator.scripted = 10_000_000
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not seen or seen[-1][1] != {"a": "big", "b": "small", "c": "small"}):
        current = {n: layer for n, (layer, _) in layers().items()}
        if not seen or seen[-1][1] != current:
            seen.append((time.monotonic(), current))
        await asyncio.sleep(0.02)
    assert [s for _, s in seen] == [
        {"a": "paused", "b": "paused", "c": "paused"},
        {"a": "small", "b": "paused", "c": "paused"},
        {"a": "big", "b": "paused", "c": "paused"},
        {"a": "big", "b": "small", "c": "paused"},
        {"a": "big", "b": "small", "c": "small"},
    ]
    assert all(b - a >= 0.5 for (a, _), (b, _) in zip(seen[1:], seen[2:]))
    # The pictures came back: each video's latest run is its chosen stream.
    await wait_for(lambda: all(frames(sub.by_publisher(n, "video"))[-1][0] == tag
                               for n, tag in (("a", b"B"), ("b", b"S"), ("c", b"S"))), 5)
    for n in "abc":
        assert_continuous(sub, sub.by_publisher(n, "video"), *sources[n])


# --- the switch itself, packet by packet, without a network ---------------------------------

from test_media_fanout import Publisher, continuous, make_source, opened, seqs, wire  # noqa: E402,F401


def feed(pub, packet):
    pub.track.rtp(packet, pub.gate.check(packet.sequence_number))


def test_a_switch_waits_for_the_targets_keyframe_and_the_current_frames_end(wire):  # noqa: F811
    big_source, small_source = make_source(), make_source(ssrc=3000)
    small_source.mid = "2"
    big, small = Publisher(big_source), Publisher(small_source, ssrc=3000, seq=9000, ts=777, picture_id=100)
    stream = opened(big_source)
    stream.set_alternate(small_source)
    small_source.active = True
    big.frame(key=True)
    big.frame()
    assert stream.current_layer == "big" and len(wire.of(stream)) == 4
    requests = small_source.keyframes.requests
    stream.set_layer("small")
    assert small_source.keyframes.requests > requests  # asked at once
    small.frame()  # not a keyframe: nothing changes
    big.frame()
    assert stream.current_layer == "big" and len(wire.of(stream)) == 6
    # The small keyframe arrives in the middle of a big frame: held until that frame ends.
    first_half, second_half = big.frame(send=False)
    feed(big, first_half)
    for packet in small.frame(key=True):
        feed(small, packet)
    assert stream.current_layer == "big" and len(wire.of(stream)) == 7
    feed(big, second_half)
    assert stream.current_layer == "small" and len(wire.of(stream)) == 10
    big.frame()  # the big stream no longer reaches this subscriber
    small.frame()
    sent = wire.of(stream)
    assert len(sent) == 12 and continuous(seqs(sent))
    assert {p.ssrc for p in sent} == {5000}
    described = [packets.parse_vp8(p.payload) for p in sent]
    assert sent[7].marker and described[8].keyframe  # the big frame whole, then the small keyframe
    pictures = [d.picture_id for d in described if d.start]
    assert pictures == list(range(pictures[0], pictures[0] + len(pictures)))  # continuous picture IDs
    stamps = [p.timestamp for p in sent]
    assert all(0 <= (b - a) & 0xFFFFFFFF < 90000 for a, b in zip(stamps, stamps[1:]))
    assert stamps[8] != stamps[7]  # a new frame on the continued timeline
    # Paused: nothing; resumed: at the next keyframe. The cached one was sent
    # before the pause already: replaying it would show older pictures.
    stream.set_layer("paused")
    small.frame()
    assert len(wire.of(stream)) == 12 and stream.current_layer == "paused"
    stream.set_layer("small")
    small.frame()
    assert len(wire.of(stream)) == 12  # a delta frame: still waiting
    small.frame(key=True)
    resumed = wire.of(stream)[12:]
    assert resumed and packets.parse_vp8(resumed[0].payload).keyframe  # a new keyframe
    assert continuous(seqs(wire.of(stream)))


# --- real VP8 (aiortc's encoder in the publishing client), decoded at the subscriber ----------


class SizedVideoTrack(VideoStreamTrack):
    """aiortc's dummy camera at a given size: real frames for its VP8 encoder."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.frame = av.VideoFrame(width, height, "yuv420p")
        for plane, value in zip(self.frame.planes, (90, 100, 160)):
            plane.update(bytes([value]) * plane.buffer_size)

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        self.frame.pts, self.frame.time_base = pts, time_base
        return self.frame


async def test_real_vp8_switches_size_at_a_keyframe_and_decodes_throughout(cleanup):
    relay = Relay()
    cleanup.append(relay)
    events = LayerEvents()
    await relay.join("room", "pub", events)
    cleanup.append(await publish_two(relay, "pub", SizedVideoTrack(640, 360), SizedVideoTrack(320, 180)))
    sub = await join(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"], big=["pub"])
    await wait_for(lambda: sub.by_publisher("pub", "video") is not None
                   and len(sub.by_publisher("pub", "video").packets) >= 5, 20)
    rec = sub.by_publisher("pub", "video")
    decoder = av.CodecContext.create("libvpx", "r")
    sizes = []
    starts = []
    done = 0

    def decode_new():
        nonlocal done
        for _, data in rec.packets[done:]:
            for picture in decoder.decode(av.Packet(data)):  # raises on a frame it cannot decode
                size = (picture.width, picture.height)
                if not sizes or sizes[-1][0] != size:
                    sizes.append([size, 0])
                    starts.append(data[0] & 1 == 0)  # a VP8 keyframe
                sizes[-1][1] += 1
            done += 1
        return sizes

    await wait_for(lambda: decode_new() and sizes[-1][1] >= 5, 10)
    assert sizes == [[(640, 360), sizes[0][1]]]
    offers = len(sub.offers)
    await relay.subscribe("sub", ["pub"], big=[])  # a thumbnail: the small stream
    await wait_for(lambda: decode_new()[-1][0] == (320, 180) and sizes[-1][1] >= 5, 10)
    await relay.subscribe("sub", ["pub"], big=["pub"])
    await wait_for(lambda: len(decode_new()) == 3 and sizes[-1][1] >= 5, 10)
    assert [size for size, _ in sizes] == [(640, 360), (320, 180), (640, 360)]
    assert starts == [True, True, True]  # each stream starts at its keyframe
    assert len(sub.offers) == offers
