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
    assert "_send_keyframe" in RTCRtpSender._handle_rtcp_packet.__code__.co_names
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
