"""Forwarding by packet (media/fanout.py), without a network.

A :class:`PublishedTrack` is fed aiortc ``RtpPacket`` objects as the receiver
hook would; each :class:`ForwardedTrack` "sends" through a stand-in for
``aiortc_hooks.transmit`` that records the serialized packets.
"""

import pytest
from aiortc.rtp import RtpPacket

from media import aiortc_hooks, fanout, packets
from media.fanout import ForwardedTrack, PublishedTrack, codec_key
from test_media_packets import vp8_payload


class FakeKeyframes:
    def __init__(self):
        self.requests = 0

    def request(self):
        self.requests += 1


class FakeSender:
    pass


class FakeTransceiver:
    def __init__(self, ssrc):
        self.sender = FakeSender()
        self.ssrc = ssrc


@pytest.fixture
def wire(monkeypatch):
    """Packets sent per FakeSender, parsed back; ``backlog`` per sender."""
    sent = {}
    backlog = {}

    def transmit(sender, data, payload=b""):
        sent.setdefault(sender, []).append(RtpPacket.parse(data + payload))
        return True

    def send_parameters(transceiver):
        return aiortc_hooks.SendParameters(
            ssrc=transceiver.ssrc, payload_type=96, rtx_ssrc=transceiver.ssrc + 1, rtx_payload_type=97,
            mid="0", mid_id=4, abs_send_time_id=2, audio_level_id=1)

    monkeypatch.setattr(aiortc_hooks, "transmit", transmit)
    monkeypatch.setattr(aiortc_hooks, "send_parameters", send_parameters)
    monkeypatch.setattr(aiortc_hooks, "send_backlog", lambda sender: backlog.get(sender, 0))

    class Wire:
        def __init__(self):
            self.sent = sent
            self.backlog = backlog

        def of(self, track):
            return sent.get(track.transceiver.sender, [])

    return Wire()


def make_source(kind="video", ssrc=1000, mime=None):
    return PublishedTrack(
        publisher_id="pub", mid="0", kind=kind,
        mime_type=mime or ("video/VP8" if kind == "video" else "audio/opus"),
        codec_parameters={}, clock_rate=90000 if kind == "video" else 48000, channels=None,
        payload_type=100, keyframes=FakeKeyframes(),
    )


class Publisher:
    """Feeds a PublishedTrack like the receiver hook: VP8 frames of two
    packets, picture IDs counting up, 3000 ticks per frame."""

    def __init__(self, track, ssrc=1000, seq=500, ts=123456, picture_id=7000):
        self.track, self.ssrc, self.seq, self.ts, self.picture_id = track, ssrc, seq, ts, picture_id
        self.gate = packets.SequenceGate()

    def packet(self, payload, marker, seq=None, ts=None):
        seq = self.seq if seq is None else seq
        p = RtpPacket(payload_type=100, sequence_number=seq & 0xFFFF, timestamp=ts if ts is not None else self.ts,
                      ssrc=self.ssrc, payload=payload, marker=marker)
        return p

    def frame(self, key=False, tid=None, send=True):
        sent = []
        for i in range(2):
            payload = vp8_payload(start=i == 0, key=key, picture_id=self.picture_id, tl0=self.picture_id & 0xFF,
                                  tid=tid)
            p = self.packet(payload, marker=int(i == 1))
            if send:
                self.track.rtp(p, self.gate.check(p.sequence_number))
            sent.append(p)
            self.seq += 1
        self.ts += 3000
        self.picture_id += 1
        return sent


def opened(source, ssrc=5000):
    track = ForwardedTrack(source.kind)
    track.attach(FakeTransceiver(ssrc))
    track.bind(source)
    track.open()
    return track


def seqs(packets_):
    return [p.sequence_number for p in packets_]


def continuous(numbers):
    return all((b - a) & 0xFFFF == 1 for a, b in zip(numbers, numbers[1:]))


def test_a_subscriber_starts_on_a_keyframe_with_its_own_ssrc_and_payload_type(wire):
    source = make_source()
    pub = Publisher(source)
    track = opened(source)
    assert source.keyframes.requests == 1  # nothing cached: asked for one
    pub.frame()
    assert wire.of(track) == []  # a delta frame is useless to a new subscriber
    pub.frame(key=True)
    pub.frame()
    out = wire.of(track)
    assert len(out) == 4 and continuous(seqs(out))
    assert {p.ssrc for p in out} == {5000} and {p.payload_type for p in out} == {96}
    assert [p.marker for p in out] == [0, 1, 0, 1]
    assert out[2].timestamp - out[0].timestamp == 3000
    assert packets.parse_vp8(out[0].payload).keyframe
    assert track.frames_forwarded == 2 and track.packets_sent == 4


def test_switching_publishers_keeps_one_continuous_stream(wire):
    """The floor moves: the same outgoing stream continues with the other
    publisher's packets, sequence numbers, timestamps and picture IDs
    continuing where they were, starting at the new publisher's keyframe."""
    a, b = make_source(), make_source()
    pub_a = Publisher(a, ssrc=1, seq=100, ts=1000, picture_id=50)
    pub_b = Publisher(b, ssrc=2, seq=60000, ts=4_000_000_000, picture_id=32000)
    track = opened(a)
    pub_a.frame(key=True)
    pub_a.frame()
    track.bind(b)
    track.open()
    pub_b.frame()  # not a keyframe: not sent
    pub_b.frame(key=True)
    pub_b.frame()
    out = wire.of(track)
    assert len(out) == 8
    assert continuous(seqs(out)) and {p.ssrc for p in out} == {5000}
    stamps = [p.timestamp for p in out]
    assert all(0 < (y - x) & 0xFFFFFFFF < 90000 for x, y in zip(stamps, stamps[1:]) if x != y)
    ids = [packets.parse_vp8(p.payload).picture_id for p in out[::2]]
    assert ids == [50, 51, 52, 53]
    assert packets.parse_vp8(out[4].payload).keyframe


def test_a_late_subscriber_starts_from_the_cached_gop_at_once(wire):
    source = make_source()
    pub = Publisher(source)
    pub.frame()
    pub.frame(key=True)
    pub.frame()
    requests = source.keyframes.requests
    track = opened(source)
    out = wire.of(track)
    assert len(out) == 4 and packets.parse_vp8(out[0].payload).keyframe
    assert source.keyframes.requests == requests  # nobody asked the publisher
    pub.frame()
    assert continuous(seqs(wire.of(track)))


def test_the_gop_cache_is_dropped_when_too_old(wire):
    source = make_source()
    pub = Publisher(source)
    pub.frame(key=True)
    for _ in range(fanout.GOP_CACHE_FRAMES):
        pub.frame()
    assert source.gop == []
    track = opened(source)
    assert wire.of(track) == [] and source.keyframes.requests == 1


def test_mute_sends_nothing_and_unmute_restarts_at_a_keyframe_without_a_gap(wire):
    source = make_source()
    pub = Publisher(source)
    track = opened(source)
    pub.frame(key=True)
    source.set_forwarding(False)
    pub.frame()
    pub.frame(key=True)
    assert len(wire.of(track)) == 2
    source.set_forwarding(True)
    requests = source.keyframes.requests
    pub.frame()
    assert source.keyframes.requests > requests and len(wire.of(track)) == 2
    pub.frame(key=True)
    out = wire.of(track)
    assert len(out) == 4 and continuous(seqs(out))


def test_audio_mute_gap_is_closed_too(wire):
    source = make_source("audio")
    track = opened(source)
    gate = packets.SequenceGate()
    for seq in range(10, 20):
        if seq == 13:
            source.set_forwarding(False)
        if seq == 17:
            source.set_forwarding(True)
        p = RtpPacket(payload_type=100, sequence_number=seq, timestamp=seq * 960, ssrc=9, payload=b"\xfc" + bytes(10))
        source.rtp(p, gate.check(seq))
    out = wire.of(track)
    assert len(out) == 6 and continuous(seqs(out))


def test_reordered_packets_fill_their_gap_and_duplicates_are_dropped(wire):
    source = make_source()
    pub = Publisher(source)
    track = opened(source)
    first, second = pub.frame(key=True, send=False)
    third, fourth = pub.frame(send=False)
    for p in (first, second, fourth, third, third):
        source.rtp(p, pub.gate.check(p.sequence_number))
    out = wire.of(track)
    assert len(out) == 4
    assert sorted(seqs(out)) == list(range(out[0].sequence_number, out[0].sequence_number + 4))
    assert out[3].sequence_number == out[2].sequence_number - 1  # the late one took its place
    assert aiortc_hooks.packet_counters().get("rtp_replayed", 0) >= 1


def test_nack_is_answered_from_the_history_by_rtx(wire):
    source = make_source()
    pub = Publisher(source)
    track = opened(source)
    pub.frame(key=True)
    pub.frame()
    original = wire.of(track)[1]
    track.retransmit(original.sequence_number)
    rtx = wire.of(track)[-1]
    assert (rtx.ssrc, rtx.payload_type) == (5001, 97)
    assert rtx.payload[:2] == original.sequence_number.to_bytes(2, "big")
    assert rtx.payload[2:] == original.payload and rtx.timestamp == original.timestamp
    assert track.retransmissions == 1
    track.retransmit((original.sequence_number + 1000) & 0xFFFF)  # not in the history: nothing
    assert track.retransmissions == 1


def test_a_packet_is_sent_again_at_most_once_per_round_trip(wire, monkeypatch):
    """A receiver NACKs a missing packet every ~100 ms until it arrives; on a link whose
    queue has grown, answering each request would pour copies into the queue that lost
    it (congestion collapse).  The relay sends a packet again at most once per round
    trip, as libwebrtc does (100 ms while none is known)."""
    from media import fanout

    now = [100.0]
    monkeypatch.setattr(fanout.time, "monotonic", lambda: now[0])
    source = make_source()
    pub = Publisher(source)
    track = opened(source)
    pub.frame(key=True)
    seq = wire.of(track)[1].sequence_number
    track.retransmit(seq)
    now[0] += 0.05
    track.retransmit(seq)  # asked again too soon: the copy may still be on its way
    assert (track.retransmissions, track.retransmissions_held) == (1, 1)
    now[0] += 0.06
    track.retransmit(seq)
    assert track.retransmissions == 2
    track._sender._RTCRtpSender__rtt = 0.3  # a grown queue: the round trip aiortc measured
    now[0] += 0.2
    track.retransmit(seq)
    assert track.retransmissions == 2
    now[0] += 0.11
    track.retransmit(seq)
    track.retransmit(wire.of(track)[0].sequence_number)  # another packet is its own
    assert (track.retransmissions, track.retransmissions_held) == (4, 2)


def test_retransmissions_are_a_bounded_share_of_the_stream(wire, monkeypatch):
    """On a link that loses most of a stream, every packet is NACKed, and answering each
    once per round trip still outgrew the stream itself (several Mbit/s of repeats into
    300 kbit/s).  Repeats may add at most RETRANSMIT_SHARE of what is sent, and a burst
    (a token bucket, not renewed by the clock); the rest of the NACKs are counted and
    left: a lower layer is the fix.  A paused stream answers none."""
    from media import fanout

    monkeypatch.setattr(fanout, "RETRANSMIT_BURST_OCTETS", 40)
    source = make_source()
    pub = Publisher(source)
    track = opened(source)
    for i in range(20):  # every packet lost, and asked for as soon as the next one arrives
        for p in pub.frame(key=i == 0):
            track.retransmit(p.sequence_number + track._seq_offset & 0xFFFF)
    sent = wire.of(track)
    media = [p for p in sent if p.ssrc == 5000]
    assert len(media) == 40
    payload_resent = track.octets_resent - 2 * track.retransmissions  # RTX: the sequence number first
    assert payload_resent <= fanout.RETRANSMIT_SHARE * track.octets_sent + 40
    assert track.retransmissions >= 8 and track.retransmissions_over_budget == 40 - track.retransmissions
    # Paused: the subscriber does not see this picture any more; nothing is sent again.
    track.set_layer("paused")
    before = len(wire.of(track))
    track.retransmit(media[-1].sequence_number)
    assert len(wire.of(track)) == before and track.retransmissions_over_budget == 40 - track.retransmissions


def test_sender_reports_map_to_the_publishers_clock(wire):
    """Audio and video of one publisher: each forwarded stream's sender
    report gives its RTP timestamp the NTP time the publisher's reports
    give the matching source timestamp, so the subscriber can sync them."""
    source = make_source()
    pub = Publisher(source, ts=90000)
    track = opened(source)
    assert track.sender_info() is None  # nothing sent yet
    pub.frame(key=True)
    pub.frame()
    sr_ntp = packets.ntp_from_unix(1_700_000_000.0)
    source.sender_report(1000, sr_ntp, 90000)
    info = track.sender_info()
    last = wire.of(track)[-1]
    assert info.rtp_timestamp == last.timestamp
    # The last packet's source timestamp is 3000 ticks after the report's.
    assert info.ntp_timestamp == packets.ntp_at(sr_ntp, 90000, 93000, 90000)
    assert info.packet_count == 4


def test_upper_temporal_layers_can_be_dropped_per_subscriber(wire):
    source = make_source()
    pub = Publisher(source)
    full, base = opened(source, 5000), opened(source, 6000)
    base.max_temporal_layer = 0
    pub.frame(key=True, tid=0)
    for tid in (2, 1, 2, 0, 2, 1):
        pub.frame(tid=tid)
    assert len(wire.of(full)) == 14
    out = wire.of(base)
    assert len(out) == 4 and continuous(seqs(out))
    ids = [packets.parse_vp8(p.payload).picture_id for p in out[::2]]
    assert ids[1] == ids[0] + 1  # picture IDs stay continuous too
    assert base.packets_filtered == 10


def test_a_congested_subscriber_drops_to_the_next_keyframe(wire):
    source = make_source()
    pub = Publisher(source)
    slow, fast = opened(source, 5000), opened(source, 6000)
    pub.frame(key=True)
    wire.backlog[slow.transceiver.sender] = fanout.MAX_BACKLOG_BYTES + 1
    for _ in range(20):
        pub.frame()
    wire.backlog.clear()
    sent = len(wire.of(slow))
    assert sent < 40 and slow.frames_dropped > 0
    pub.frame()
    assert len(wire.of(slow)) == sent  # still waiting for a keyframe
    pub.frame(key=True)
    assert len(wire.of(slow)) == sent + 2 and continuous(seqs(wire.of(slow)))
    assert len(wire.of(fast)) == 46 and fast.frames_dropped == 0


def test_a_congested_subscriber_loses_video_never_audio(wire):
    """Audio and video of one subscriber share its socket: while it has a
    backlog, video waits for a keyframe and audio is sent, every packet."""
    video_source, audio_source = make_source(), make_source("audio", ssrc=2000)
    video_pub, audio_pub = Publisher(video_source), Publisher(audio_source, ssrc=2000)
    video, audio = opened(video_source, 5000), opened(audio_source, 6000)
    video_pub.frame(key=True)
    wire.backlog[video.transceiver.sender] = wire.backlog[audio.transceiver.sender] = fanout.MAX_BACKLOG_BYTES + 1
    for _ in range(10):
        video_pub.frame()
        audio_pub.frame()  # two "audio" packets a round
    assert len(wire.of(video)) == 2 and video.frames_dropped == 10
    assert len(wire.of(audio)) == 20 and continuous(seqs(wire.of(audio)))
    wire.backlog.clear()
    video_pub.frame(key=True)
    assert len(wire.of(video)) == 4 and continuous(seqs(wire.of(video)))  # no hole where it dropped


def test_h264_switch_starts_at_the_access_unit_with_the_sps():
    source = make_source(mime="video/H264")
    gate = packets.SequenceGate()
    sps, pps = b"\x67\x42\xc0\x1f\xda\x02\x80\xbf\xe5\x84\x00", b"\x68\xce\x3c\x80"
    stap = b"\x78" + len(sps).to_bytes(2, "big") + sps + len(pps).to_bytes(2, "big") + pps
    aus = [(b"\x41\x9a",), (stap, b"\x7c\x85idr", b"\x7c\x45end"), (b"\x41\x9b",)]
    seq = 0
    for n, au in enumerate(aus):
        for i, payload in enumerate(au):
            p = RtpPacket(payload_type=100, sequence_number=seq, timestamp=n * 3000, ssrc=3, payload=payload,
                          marker=int(i == len(au) - 1))
            source.rtp(p, gate.check(seq))
            seq += 1
    assert source.frames_received == 3
    assert len(source.gop) == 4 and source.gop[0].payload == stap and source.gop[0].key_start
    assert not source.gop[1].key_start  # the IDR fragment is not a second start
    assert source.frame_size == (640, 360)  # read from the SPS in the STAP-A


def test_codec_key_distinguishes_h264_profiles():
    assert codec_key("video/VP8", {}) == codec_key("video/vp8", {})
    base = {"profile-level-id": "42e01f", "packetization-mode": "1"}
    assert codec_key("video/H264", base) != codec_key("video/H264", {**base, "profile-level-id": "42001f"})
    assert codec_key("video/H264", base) != codec_key("video/H264", {**base, "packetization-mode": "0"})


def test_a_subscribers_temporal_limit_follows_it_across_re_binding(wire):
    """The limit is the subscriber's, per publisher: set before a switch, it
    applies when that publisher is bound (the relay's set_temporal_layer)."""
    limits = {"b": 0}
    a, b = make_source(), make_source()
    b.publisher_id = "b"
    track = ForwardedTrack("video", temporal_limits=limits)
    track.attach(FakeTransceiver(5000))
    track.bind(a)
    assert track.max_temporal_layer is None
    track.bind(b)
    track.open()
    assert track.max_temporal_layer == 0
    pub = Publisher(b)
    pub.frame(key=True, tid=0)
    pub.frame(tid=1)
    pub.frame(tid=0)
    assert len(wire.of(track)) == 4 and track.packets_filtered == 2


def test_a_keyframe_whose_first_packet_comes_late_is_sent_whole(wire):
    """The keyframe's first packet is lost on the way in and retransmitted
    after the rest of the frame: a subscriber waiting for a keyframe starts
    on it and also gets the packets that came before it, in order."""
    source = make_source()
    pub = Publisher(source)
    track = opened(source)
    first, second = pub.frame(key=True, send=False)
    source.rtp(second, pub.gate.check(second.sequence_number))
    assert wire.of(track) == []  # still waiting
    source.rtp(first, pub.gate.check(first.sequence_number))  # the retransmission
    pub.frame()
    out = wire.of(track)
    assert len(out) == 4 and continuous(seqs(out))
    assert packets.parse_vp8(out[0].payload).keyframe and out[1].marker == 1
    assert out[1].payload == second.payload


def test_probe_padding_is_copies_of_the_last_packets_on_the_rtx_stream(wire):
    """A probe's padding (media/probe.py) is what the receiver already has, sent again
    on the RTX stream with a fresh abs-send-time: its link carries it, its bandwidth
    estimator counts it, its jitter buffer discards it; the media stream is untouched."""
    source = make_source()
    pub = Publisher(source)
    track = opened(source)
    assert not track.can_pad  # nothing sent yet
    assert track.pad(5000) == 0
    pub.frame(key=True)
    pub.frame()
    media = list(wire.of(track))
    assert track.can_pad
    sent = track.pad(1)  # at least one packet: the newest
    padding = wire.of(track)[len(media):]
    assert len(padding) == 1 and sent == 2 + len(media[-1].payload)
    assert (padding[0].ssrc, padding[0].payload_type) == (5001, 97)
    assert padding[0].payload[:2] == media[-1].sequence_number.to_bytes(2, "big")
    assert padding[0].payload[2:] == media[-1].payload
    track.pad(10_000)  # more than the history holds: each packet once, newest first
    padding = wire.of(track)[len(media) + 1:]
    assert [p.payload[:2] for p in padding] == [m.sequence_number.to_bytes(2, "big") for m in reversed(media)]
    assert continuous([p.sequence_number for p in wire.of(track)[len(media):]])  # the RTX stream's own numbers
    assert (track.packets_sent, track.retransmissions) == (4, 0)  # counted apart from the stream
    assert (track.packets_padded, track.octets_padded) == (5, sent + sum(2 + len(m.payload) for m in media))
