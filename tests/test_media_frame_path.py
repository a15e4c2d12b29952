"""Hooks 1-3 in isolation (media/aiortc_hooks/frame_path.py), the readers of encoded frames
(media/frames.py) and media/icegatherer.py."""

import fractions

import aioice.ice
import av
import pytest
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from media import frames, icegatherer
from media import aiortc_hooks
from media.aiortc_hooks import frame_path

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=99)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)


def rtp(seq, ts, data, marker=0):
    packet = RtpPacket(payload_type=97, sequence_number=seq, timestamp=ts)
    packet.marker = marker
    packet._data = data
    return packet


def test_keyframe_detection():
    assert frames.is_vp8_keyframe(b"\x10\x02\x00\x9d\x01\x2a")
    assert not frames.is_vp8_keyframe(b"\x11\x02\x00")
    assert frames.is_h264_keyframe(b"\x00\x00\x00\x01\x67\x42\x00\x00\x01\x68\x00\x00\x01\x65")
    assert frames.is_h264_keyframe(b"\x00\x00\x01\x65\x88")
    assert not frames.is_h264_keyframe(b"\x00\x00\x00\x01\x41\x9a")
    assert frames.is_keyframe("audio/opus", b"\x01")


def test_passthrough_decoder_returns_the_encoded_frame():
    decoder = frame_path.get_passthrough_decoder(VP8)
    [packet] = decoder.decode(JitterFrame(data=b"\x10abc", timestamp=9000))
    assert isinstance(packet, av.Packet)
    assert bytes(packet) == b"\x10abc"
    assert packet.pts == 9000
    assert packet.time_base == fractions.Fraction(1, 90000)
    assert packet.is_keyframe
    [delta] = decoder.decode(JitterFrame(data=b"\x11abc", timestamp=12000))
    assert not delta.is_keyframe
    [audio] = frame_path.get_passthrough_decoder(OPUS).decode(JitterFrame(data=b"x", timestamp=960))
    assert audio.time_base == fractions.Fraction(1, 48000)


def test_video_frame_released_on_marker_bit():
    jb = frame_path.LowLatencyJitterBuffer(capacity=128, is_video=True)
    assert jb.add(rtp(1000, 3000, b"ab")) == (False, None)
    _, frame = jb.add(rtp(1001, 3000, b"cd", marker=1))
    assert frame is not None and frame.data == b"abcd" and frame.timestamp == 3000
    # Next frame, out of order: released once complete, not before.
    assert jb.add(rtp(1003, 6000, b"gh", marker=1))[1] is None
    _, frame = jb.add(rtp(1002, 6000, b"ef"))
    assert frame is not None and frame.data == b"efgh"


def test_video_frame_without_marker_falls_back_to_next_frame_rule():
    jb = frame_path.LowLatencyJitterBuffer(capacity=128, is_video=True)
    assert jb.add(rtp(1, 3000, b"ab"))[1] is None
    _, frame = jb.add(rtp(2, 6000, b"cd"))
    assert frame is not None and frame.data == b"ab"


def test_audio_released_immediately_and_gap_skipped():
    jb = frame_path.LowLatencyJitterBuffer(capacity=16, prefetch=4)
    assert jb.add(rtp(10, 960, b"a"))[1].data == b"a"
    assert jb.add(rtp(11, 1920, b"b"))[1].data == b"b"
    # 12 is lost: wait a little (it may be late), then skip it.
    assert jb.add(rtp(13, 3840, b"d"))[1] is None
    assert jb.add(rtp(14, 4800, b"e"))[1].data == b"d"
    assert jb.add(rtp(15, 5760, b"f"))[1].data == b"e"


def test_forwarding_encoder_packs_without_codec():
    encoder = frame_path.get_forwarding_encoder(VP8)
    packet = av.Packet(bytes(3000))
    packet.pts = 3000
    packet.time_base = fractions.Fraction(1, 90000)
    payloads, timestamp = encoder.pack(packet)
    assert timestamp == 3000 and len(payloads) == 3
    assert encoder._real is None  # no encoder was created
    h264 = frame_path.get_forwarding_encoder(H264)
    au = av.Packet(b"\x00\x00\x00\x01\x67\x42" + b"\x00\x00\x00\x01\x65" + bytes(50))
    au.pts, au.time_base = 0, fractions.Fraction(1, 90000)
    payloads, _ = h264.pack(au)
    assert payloads and h264._real is None
    opus = frame_path.get_forwarding_encoder(OPUS)
    frame = av.Packet(b"opus")
    frame.pts, frame.time_base = 960, fractions.Fraction(1, 48000)
    assert opus.pack(frame) == ([b"opus"], 960)


def test_forwarding_encoder_refuses_a_frame_without_pts():
    packet = av.Packet(b"\x10abc")
    packet.time_base = fractions.Fraction(1, 90000)
    with pytest.raises(ValueError, match="needs a pts"):
        frame_path.get_forwarding_encoder(VP8).pack(packet)


@pytest.fixture
def restore_loopback():
    yield
    icegatherer.use_loopback_addresses(False)


def test_loopback_candidates_knob(restore_loopback):
    icegatherer.use_loopback_addresses(False)
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    icegatherer.use_loopback_addresses(True)
    assert "127.0.0.1" in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    assert "::1" in aioice.ice.get_host_addresses(use_ipv4=False, use_ipv6=True)


def test_vp8_frame_size_is_read_from_keyframes_only():
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 640, 480, "yuv420p"
    frame = av.VideoFrame(640, 480, "yuv420p")
    packets = [bytes(p) for i in range(3) for p in codec.encode(frame)] + [bytes(p) for p in codec.encode(None)]
    assert frames.vp8_frame_size(packets[0]) == (640, 480)
    assert all(frames.vp8_frame_size(p) is None for p in packets[1:] if p[0] & 1)
    assert frames.vp8_frame_size(b"\x00\x01") is None


# --------------------------------------------------------------------------
# transmit: SRTP protect in the session's own buffer, then the socket
# --------------------------------------------------------------------------


def srtp_pair(profile):
    """An outbound and an inbound libsrtp session sharing one key."""
    import os

    import pylibsrtp

    key = os.urandom({pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80: 30,
                      pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM: 44}[profile])
    sessions = []
    for ssrc_type in (pylibsrtp.Policy.SSRC_ANY_OUTBOUND, pylibsrtp.Policy.SSRC_ANY_INBOUND):
        policy = pylibsrtp.Policy(key=key, ssrc_type=ssrc_type, srtp_profile=profile)
        policy.allow_repeat_tx = True
        policy.window_size = 1024
        sessions.append(pylibsrtp.Session(policy))
    return sessions


class RecordingTransport:
    def __init__(self):
        self.sent = []
        self.closed = False

    def sendto(self, data, addr):
        if self.closed:  # what asyncio's unconnected datagram transport does once its socket is gone
            raise AttributeError("'NoneType' object has no attribute 'sendto'")
        self.sent.append((bytes(data), addr))


def fake_sender(tx, transport):
    from types import SimpleNamespace

    from aiortc.rtcdtlstransport import State

    pair = SimpleNamespace(protocol=SimpleNamespace(transport=transport), remote_addr=("192.0.2.7", 5004))
    dtls = SimpleNamespace(_state=State.CONNECTED, _tx_srtp=tx,
                           transport=SimpleNamespace(_connection=SimpleNamespace(_nominated={1: pair})))
    return SimpleNamespace(transport=dtls)


@pytest.mark.parametrize("profile", ["cm", "gcm"])
def test_transmit_protects_header_and_payload_as_one_packet(profile):
    import pylibsrtp

    tx, rx = srtp_pair({"cm": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
                        "gcm": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM}[profile])
    transport = RecordingTransport()
    sender = fake_sender(tx, transport)
    packets = []
    for seq in range(1, 40):
        head = RtpPacket(payload_type=96, sequence_number=seq, timestamp=3000 * seq, ssrc=0x1234,
                         marker=int(seq % 3 == 0)).serialize()
        payload = bytes([seq]) * (1100 + seq)
        assert aiortc_hooks.transmit(sender, head, payload)
        packets.append(head + payload)
    # The fast path was taken (pylibsrtp's internals as pinned), and the
    # datagrams are the packets, protected: the inbound session restores them.
    assert aiortc_hooks.sender._route(sender).srtp is not None
    assert [addr for _, addr in transport.sent] == [("192.0.2.7", 5004)] * len(packets)
    assert [rx.unprotect(data) for data, _ in transport.sent] == packets
    # A packet in one piece (a retransmission) goes the same way.
    whole = RtpPacket(payload_type=97, sequence_number=40, timestamp=1, ssrc=0x1235, payload=b"rtx").serialize()
    assert aiortc_hooks.transmit(sender, whole)
    assert rx.unprotect(transport.sent[-1][0]) == whole


def test_transmit_refuses_what_cannot_be_protected_or_sent():
    import pylibsrtp

    tx, _ = srtp_pair(pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM)
    transport = RecordingTransport()
    sender = fake_sender(tx, transport)
    head = RtpPacket(payload_type=96, sequence_number=7, timestamp=1, ssrc=0x1234).serialize()
    before = aiortc_hooks.packet_counters()
    # Longer than libsrtp's buffer: counted and dropped, never raised.
    assert not aiortc_hooks.transmit(sender, head, bytes(1600))
    # A socket closed under a transport that still says connected.
    transport.closed = True
    assert not aiortc_hooks.transmit(sender, head, b"\x00" * 100)
    after = aiortc_hooks.packet_counters()
    assert after.get("rtp_unprotectable", 0) - before.get("rtp_unprotectable", 0) == 1
    assert after.get("rtp_unsendable", 0) - before.get("rtp_unsendable", 0) == 1
    assert transport.sent == []
    # Not connected (yet, or any more): nothing sent, no route kept.
    transport.closed = False
    from aiortc.rtcdtlstransport import State

    sender.transport._state = State.CLOSED
    assert not aiortc_hooks.transmit(sender, head, b"\x00" * 100)
    assert transport.sent == []
