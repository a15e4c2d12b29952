"""Fails the moment an aiortc upgrade breaks the forwarding hooks.

media/passthrough.py patches aiortc internals (see its docstring).  This
file checks that the pinned version is installed, that every name, signature
and private attribute the hooks rely on still exists, and that a frame really
crosses an aiortc connection encoded, byte for byte, without a frame of delay.
"""

import asyncio
import inspect
import statistics
import time

import aiortc
from aiortc import RTCPeerConnection, rtcrtpreceiver, rtcrtpsender
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

from media import passthrough
from media_utils import EncodedVideoTrack, frame_counter, wait_for


def test_pinned_aiortc_version():
    assert aiortc.__version__ == passthrough.AIORTC_VERSION == "1.16.0"


def test_receiver_hook_points_exist():
    # decoder_worker looks the decoder up through the module-level name.
    params = list(inspect.signature(rtcrtpreceiver.decoder_worker).parameters)
    assert params == ["loop", "input_q", "output_q", "decode_error"]
    assert "get_decoder" in rtcrtpreceiver.decoder_worker.__code__.co_names
    assert hasattr(rtcrtpreceiver, "get_decoder")
    # The receiver builds its jitter buffer through the module-level name.
    assert "JitterBuffer" in RTCRtpReceiver.__init__.__code__.co_names
    assert list(inspect.signature(JitterBuffer.__init__).parameters) == ["self", "capacity", "prefetch", "is_video"]
    assert list(inspect.signature(JitterBuffer._remove_frame).parameters) == ["self", "sequence_number"]
    jb = JitterBuffer(capacity=16)
    for attr in ("_origin", "_packets", "_capacity", "_is_video", "remove"):
        assert hasattr(jb, attr), attr
    assert list(inspect.signature(RTCRtpReceiver._handle_rtp_packet).parameters) == [
        "self", "packet", "arrival_time_ms"]
    assert list(inspect.signature(RTCRtpReceiver._send_rtcp_pli).parameters) == ["self", "media_ssrc"]


def test_sender_hook_points_exist():
    assert "get_encoder" in RTCRtpSender._next_encoded_frame.__code__.co_names
    assert hasattr(rtcrtpsender, "get_encoder")
    assert "_send_keyframe" in passthrough._original_sender_handle_rtcp_packet.__code__.co_names
    assert list(inspect.signature(Vp8Encoder._packetize).parameters) == ["buffer", "picture_id"]
    assert list(inspect.signature(H264Encoder._packetize).parameters) == ["packages"]
    assert list(inspect.signature(H264Encoder._split_bitstream).parameters) == ["buf"]


async def test_private_state_read_by_relay_exists():
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("video", direction="sendonly")
    assert hasattr(transceiver.receiver, "_RTCRtpReceiver__remote_streams")
    assert hasattr(transceiver.sender, "_RTCRtpSender__rtt")
    assert isinstance(transceiver._codecs, list)
    await pc.close()


def test_install_replaces_hooks_idempotently():
    passthrough.install()
    passthrough.install()
    assert rtcrtpreceiver.get_decoder is passthrough.get_passthrough_decoder
    assert rtcrtpreceiver.JitterBuffer is passthrough.LowLatencyJitterBuffer
    assert rtcrtpsender.get_encoder is passthrough.get_forwarding_encoder
    assert RTCRtpSender._send_keyframe is passthrough._send_keyframe
    assert RTCRtpReceiver._handle_rtp_packet is passthrough._handle_rtp_packet
    assert RTCRtpReceiver._handle_rtcp_packet is passthrough._receiver_handle_rtcp_packet
    assert RTCRtpReceiver.receive is passthrough._receive
    assert RTCRtpSender.send is passthrough._sender_send
    assert RTCRtpSender._handle_rtcp_packet is passthrough._sender_handle_rtcp_packet
    assert RTCRtpSender._retransmit is passthrough._retransmit
    assert RTCRtpSender._send_rtcp is passthrough._sender_send_rtcp
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    assert RTCDtlsTransport._handle_rtp_data is passthrough._handle_rtp_data
    assert RTCDtlsTransport._handle_rtcp_data is passthrough._handle_rtcp_data


async def test_encoded_frames_cross_a_connection_unchanged_and_without_delay():
    passthrough.install()
    sender_pc, receiver_pc = RTCPeerConnection(), RTCPeerConnection()
    source = EncodedVideoTrack()
    sent_at = {}
    original_recv = source.recv

    async def timed_recv():
        packet = await original_recv()
        sent_at[frame_counter(bytes(packet))] = time.monotonic()
        return packet

    source.recv = timed_recv
    sender_pc.addTransceiver(source, direction="sendonly")
    received = []

    @receiver_pc.on("track")
    def on_track(track):
        async def read():
            while True:
                packet = await track.recv()
                received.append((time.monotonic(), bytes(packet), packet.is_keyframe))

        asyncio.ensure_future(read())

    await sender_pc.setLocalDescription(await sender_pc.createOffer())
    await receiver_pc.setRemoteDescription(sender_pc.localDescription)
    await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
    await sender_pc.setRemoteDescription(receiver_pc.localDescription)
    try:
        await wait_for(lambda: len(received) >= 30, timeout=10)
        first_time, first, first_key = received[0]
        assert first_key and frame_counter(first) == 0
        assert len(first) == source.keyframe_size
        # Bytes identical to what the source produced (no decode/encode).
        assert first[:5] == bytes([0x10, 0, 0, 0, 0])
        delays = [t - sent_at[frame_counter(data)] for t, data, _ in received[1:]]
        # Released on the marker bit: well under one frame interval (33 ms).
        assert statistics.median(delays) < 0.02, delays
    finally:
        await sender_pc.close()
        await receiver_pc.close()


def test_packet_forwarding_hook_points_exist():
    """Hooks 6-8 (forwarding by packet) read and replace these."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport, State
    from aiortc.rtp import HeaderExtensionsMap

    assert list(inspect.signature(RTCRtpReceiver.receive).parameters) == ["self", "parameters"]
    assert list(inspect.signature(RTCRtpReceiver._handle_rtcp_packet).parameters) == ["self", "packet"]
    assert list(inspect.signature(RTCRtpSender.send).parameters) == ["self", "parameters"]
    assert list(inspect.signature(RTCRtpSender._retransmit).parameters) == ["self", "sequence_number"]
    assert list(inspect.signature(RTCRtpSender._send_rtcp).parameters) == ["self", "packets"]
    assert "_retransmit" in passthrough._original_sender_handle_rtcp_packet.__code__.co_names
    assert "_send_rtcp" in RTCRtpSender._run_rtcp.__code__.co_names
    assert list(inspect.signature(RTCDtlsTransport._handle_rtp_data).parameters) == ["self", "data", "arrival_time_ms"]
    assert list(inspect.signature(RTCDtlsTransport._handle_rtcp_data).parameters) == ["self", "data"]
    assert hasattr(RTCRtpReceiver, "_RTCRtpReceiver__stop_decoder")
    assert State.CONNECTED
    assert hasattr(HeaderExtensionsMap(), "_HeaderExtensionsMap__ids")


async def test_private_state_read_by_packet_forwarding_exists():
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver("video", direction="sendrecv")
    receiver, sender = transceiver.receiver, transceiver.sender
    for name in ("codecs", "remote_bitrate_estimator", "rtcp_ssrc", "remote_streams", "rtx_ssrc",
                 "nack_generator", "decoder_thread"):
        assert hasattr(receiver, f"_RTCRtpReceiver__{name}"), name
    for name in ("started", "rtp_header_extensions_map", "rtx_payload_type", "mid", "lsr"):
        assert hasattr(sender, f"_RTCRtpSender__{name}"), name
    assert isinstance(sender._ssrc, int) and isinstance(sender._rtx_ssrc, int)
    dtls = sender.transport
    for name in ("_state", "_tx_srtp", "_rtp_router", "_rtp_header_extensions_map"):
        assert hasattr(dtls, name), name
    assert hasattr(dtls.transport._connection, "_nominated")
    await pc.close()


async def test_packets_cross_a_forwarding_receiver_without_assembly():
    """A receiver given a sink (hook 6) hands over RTP packets, stops its
    decoder thread, and its remote track gets no frames."""
    passthrough.install()
    sender_pc, receiver_pc = RTCPeerConnection(), RTCPeerConnection()
    sender_pc.addTransceiver(EncodedVideoTrack(), direction="sendonly")
    got = []

    class Sink:
        def rtp(self, packet, extended):
            got.append((extended, packet.sequence_number, packet.marker, len(packet.payload)))

        def sender_report(self, ssrc, ntp, rtp_timestamp):
            got.append(("sr", ssrc))

    await sender_pc.setLocalDescription(await sender_pc.createOffer())
    await receiver_pc.setRemoteDescription(sender_pc.localDescription)
    receiver = receiver_pc.getTransceivers()[0].receiver
    passthrough.take_rtp(receiver, Sink())
    await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
    await sender_pc.setRemoteDescription(receiver_pc.localDescription)
    try:
        await wait_for(lambda: sum(1 for g in got if g[0] != "sr") >= 60, timeout=10)
        media = [g for g in got if g[0] != "sr"]
        assert [g[0] for g in media] == list(range(media[0][0], media[0][0] + len(media)))
        assert any(g[2] for g in media)  # marker bits as sent
        assert receiver._RTCRtpReceiver__decoder_thread is None
        assert receiver.track._queue.qsize() <= 1  # no frames (at most the end marker)
        await wait_for(lambda: any(g[0] == "sr" for g in got), timeout=5)
    finally:
        await sender_pc.close()
        await receiver_pc.close()


async def test_sender_feedback_reaches_the_observer():
    """Hook 9: the subscriber's receiver reports and REMB about a sender reach
    the observer registered for it (aiortc hands REMB only to an encoder,
    which a forwarding sender never creates)."""
    from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci

    assert list(inspect.signature(RTCRtpSender._handle_rtcp_packet).parameters) == ["self", "packet"]
    passthrough.install()
    assert RTCRtpSender._handle_rtcp_packet is passthrough._sender_handle_rtcp_packet
    sender_pc, receiver_pc = RTCPeerConnection(), RTCPeerConnection()
    sender = sender_pc.addTransceiver(EncodedVideoTrack(), direction="sendonly").sender
    seen = []
    passthrough.observe_sender_rtcp(sender, seen.append)
    await sender_pc.setLocalDescription(await sender_pc.createOffer())
    await receiver_pc.setRemoteDescription(sender_pc.localDescription)
    await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
    await sender_pc.setRemoteDescription(receiver_pc.localDescription)
    try:
        # Receiver reports come by themselves (every 0.5-1.5 s).
        await wait_for(lambda: any(f.fraction_lost is not None for f in seen), timeout=10)
        report = next(f for f in seen if f.fraction_lost is not None)
        assert report.fraction_lost == 0.0 and report.jitter is not None
        receiver = receiver_pc.getTransceivers()[0].receiver
        remb = RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=receiver._RTCRtpReceiver__rtcp_ssrc, media_ssrc=0,
                              fci=pack_remb_fci(100_000, [sender._ssrc]))
        await receiver._send_rtcp(remb)
        await wait_for(lambda: any(f.remb == 100_000 for f in seen), timeout=5)
        # A REMB naming other streams only is not this sender's.
        other = RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=receiver._RTCRtpReceiver__rtcp_ssrc, media_ssrc=0,
                               fci=pack_remb_fci(50_000, [sender._ssrc ^ 1]))
        await receiver._send_rtcp(other)
        await asyncio.sleep(0.3)
        assert not any(f.remb == 50_000 for f in seen)
        passthrough.observe_sender_rtcp(sender, None)
        count = len(seen)
        await receiver._send_rtcp(remb)
        await asyncio.sleep(0.3)
        assert len(seen) == count
    finally:
        await sender_pc.close()
        await receiver_pc.close()
