"""Fails the moment an aiortc upgrade breaks the forwarding hooks.

media/aiortc_hooks/ patches aiortc internals (see its package docstring).  This
file checks that the pinned version is installed, that every name, signature
and private attribute the hooks rely on still exists, and that a frame really
crosses an aiortc connection encoded, byte for byte, without a frame of delay.
"""

import ast
import asyncio
import importlib
import inspect
import statistics
import time
from pathlib import Path

import aiortc
import pytest
from aiortc import RTCPeerConnection, rtcrtpreceiver, rtcrtpsender
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

from media import aiortc_hooks
from media.aiortc_hooks import frame_path
from media.aiortc_hooks import receiver as receiver_hooks
from media.aiortc_hooks import sender as sender_hooks
from media.aiortc_hooks import transport as transport_hooks
from media_utils import EncodedVideoTrack, frame_counter, wait_for


def test_pinned_aiortc_version():
    assert aiortc.__version__ == aiortc_hooks.AIORTC_VERSION == "1.16.0"


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
    assert "_send_keyframe" in sender_hooks._original_sender_handle_rtcp_packet.__code__.co_names
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
    aiortc_hooks.install()
    aiortc_hooks.install()
    assert rtcrtpreceiver.get_decoder is frame_path.get_passthrough_decoder
    assert rtcrtpreceiver.JitterBuffer is frame_path.LowLatencyJitterBuffer
    assert rtcrtpsender.get_encoder is frame_path.get_forwarding_encoder
    assert RTCRtpSender._send_keyframe is sender_hooks._send_keyframe
    assert RTCRtpReceiver._handle_rtp_packet is receiver_hooks._handle_rtp_packet
    assert RTCRtpReceiver._handle_rtcp_packet is receiver_hooks._receiver_handle_rtcp_packet
    assert RTCRtpReceiver.receive is receiver_hooks._receive
    assert RTCRtpSender.send is sender_hooks._sender_send
    assert RTCRtpSender._handle_rtcp_packet is sender_hooks._sender_handle_rtcp_packet
    assert RTCRtpSender._retransmit is sender_hooks._retransmit
    assert RTCRtpSender._send_rtcp is sender_hooks._sender_send_rtcp
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    assert RTCDtlsTransport._handle_rtp_data is transport_hooks._handle_rtp_data
    assert RTCDtlsTransport._handle_rtcp_data is transport_hooks._handle_rtcp_data


def test_install_replaces_every_original_the_hooks_keep():
    """Each ``_original_*`` a hook module keeps is an aiortc (or aioice) method that
    :func:`install` replaces with the module's own function: a hook added to the package
    without being installed, or installed on the wrong name, fails here."""
    import pkgutil

    from aioice.ice import Connection, StunProtocol
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    aiortc_hooks.install()
    classes = {cls.__name__: cls for cls in (RTCRtpSender, RTCRtpReceiver, RTCDtlsTransport, StunProtocol, Connection)}
    originals = 0
    for info in pkgutil.iter_modules(aiortc_hooks.__path__):
        module = importlib.import_module(f"media.aiortc_hooks.{info.name}")
        for name, original in vars(module).items():
            if not name.startswith("_original_"):
                continue
            originals += 1
            owner, method = original.__qualname__.split(".")
            assert owner in classes, (info.name, name, original.__qualname__)
            installed = getattr(classes[owner], method)
            assert installed is not original, (info.name, name)
            assert installed.__module__ == module.__name__, (info.name, name, installed.__module__)
    assert originals == 11


def private_names_read_outside_the_hooks(root: Path) -> list[str]:
    """Private attributes (``x._name``, ``getattr(x, "_name")``) that a module of ``root`` outside
    ``aiortc_hooks/`` reads on something else than its own objects (a name no module outside the
    hooks defines or assigns)."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in root.rglob("*.py")
             if "aiortc_hooks" not in path.parts}
    own: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
                own.add(node.value)  # __slots__ entries
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    continue
                name = node.attr
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) > 1
                  and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
                name = node.args[1].value
            else:
                continue
            if name.startswith("_") and not name.startswith("__") and (name.startswith("_RTC") or name not in own):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} {name}")
    return found


def test_only_the_hooks_read_private_aiortc_state(tmp_path):
    """The issue 10 rule: everything the relay touches inside aiortc stays in media/aiortc_hooks/."""
    root = Path(__file__).resolve().parent.parent / "media"
    assert private_names_read_outside_the_hooks(root) == []
    # The check finds what it is for: a PLI sent through aiortc's private method.
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "relay.py").write_text(
        "async def pli(receiver, ssrc):\n    await receiver._send_rtcp_pli(ssrc)\n"
        "def rtt(sender):\n    return getattr(sender, '_RTCRtpSender__rtt', None)\n")
    assert sorted(private_names_read_outside_the_hooks(tmp_path / "media")) == [
        "media/relay.py:2 _send_rtcp_pli", "media/relay.py:4 _RTCRtpSender__rtt"]


async def test_encoded_frames_cross_a_connection_unchanged_and_without_delay():
    aiortc_hooks.install()
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
    assert "_retransmit" in sender_hooks._original_sender_handle_rtcp_packet.__code__.co_names
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
    aiortc_hooks.install()
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
    aiortc_hooks.take_rtp(receiver, Sink())
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
    aiortc_hooks.install()
    assert RTCRtpSender._handle_rtcp_packet is sender_hooks._sender_handle_rtcp_packet
    sender_pc, receiver_pc = RTCPeerConnection(), RTCPeerConnection()
    sender = sender_pc.addTransceiver(EncodedVideoTrack(), direction="sendonly").sender
    seen = []
    aiortc_hooks.observe_sender_rtcp(sender, seen.append)
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
        aiortc_hooks.observe_sender_rtcp(sender, None)
        count = len(seen)
        await receiver._send_rtcp(remb)
        await asyncio.sleep(0.3)
        assert len(seen) == count
    finally:
        await sender_pc.close()
        await receiver_pc.close()


def test_srtp_on_arrival_hook_points_exist():
    """Hook 10 (SRTP handled on arrival) reads and replaces these."""
    from aioice.ice import Connection, StunProtocol
    from aiortc.rate import RateCounter, RemoteBitrateEstimator
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    assert list(inspect.signature(StunProtocol.datagram_received).parameters) == ["self", "data", "addr"]
    assert "data_received" in StunProtocol.datagram_received.__code__.co_names
    assert list(inspect.signature(Connection.data_received).parameters) == ["self", "data", "component"]
    assert list(inspect.signature(RTCDtlsTransport._set_state).parameters) == ["self", "state"]
    # The receive task counts what it gets, decrypts it with _rx_srtp, and
    # calls the two handlers that hook 10 calls itself.
    names = RTCDtlsTransport._recv_next.__code__.co_names
    for name in ("_rx_srtp", "unprotect", "unprotect_rtcp", "_handle_rtp_data", "_handle_rtcp_data",
                 "_RTCDtlsTransport__rx_bytes", "_RTCDtlsTransport__rx_packets"):
        assert name in names, name
    # The estimator's incoming rate is replaced (same three methods).
    estimator = RemoteBitrateEstimator()
    assert isinstance(estimator.incoming_bitrate, RateCounter) and isinstance(estimator.ssrcs, dict)
    assert list(inspect.signature(RemoteBitrateEstimator.add).parameters) == [
        "self", "arrival_time_ms", "abs_send_time", "payload_size", "ssrc"]
    for name in ("add", "rate", "reset"):
        assert hasattr(RateCounter, name), name


def test_install_replaces_transport_hooks():
    from aioice.ice import StunProtocol
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    aiortc_hooks.install()
    assert StunProtocol.datagram_received is transport_hooks._datagram_received
    assert RTCDtlsTransport._set_state is transport_hooks._dtls_set_state


async def test_srtp_is_handled_on_arrival_not_queued():
    """Once DTLS is connected, media datagrams never wait in aioice's queue:
    the receive task gets none, yet every packet reaches the receiver."""
    aiortc_hooks.install()
    sender_pc, receiver_pc = RTCPeerConnection(), RTCPeerConnection()
    sender_pc.addTransceiver(EncodedVideoTrack(), direction="sendonly")
    got = []

    class Sink:
        def rtp(self, packet, extended):
            got.append(extended)

        def sender_report(self, ssrc, ntp, rtp_timestamp):
            pass

    await sender_pc.setLocalDescription(await sender_pc.createOffer())
    await receiver_pc.setRemoteDescription(sender_pc.localDescription)
    receiver = receiver_pc.getTransceivers()[0].receiver
    aiortc_hooks.take_rtp(receiver, Sink())
    await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
    await sender_pc.setRemoteDescription(receiver_pc.localDescription)
    try:
        await wait_for(lambda: len(got) >= 10, timeout=10)
        connection = receiver.transport.transport._connection
        queued = []
        original = connection.data_received
        connection.data_received = lambda data, component: (queued.append(data), original(data, component))
        before = len(got)
        await wait_for(lambda: len(got) >= before + 60, timeout=10)
        assert [d for d in queued if 127 < d[0] < 192] == []
        assert got == list(range(got[0], got[0] + len(got)))  # in order, none lost
        assert receiver.transport._RTCDtlsTransport__rx_packets >= len(got)
    finally:
        await sender_pc.close()
        await receiver_pc.close()
    # Closed: the hook is off again for that connection.
    assert getattr(connection, transport_hooks._SRTP_ATTRIBUTE, None) is None


def test_a_report_block_measures_the_round_trip_of_any_recent_sender_report():
    """A receiver report answers the last sender report the receiver got, which is not
    always the last one sent (a probe's, then aiortc's own a moment later): each of the
    recent ones is remembered with when it was sent.  One too old (a paused stream sends
    none: its receiver goes on answering the last) measures nothing."""
    from types import SimpleNamespace

    class Sender:
        pass

    sender = Sender()
    now = time.time()
    sender.__dict__[sender_hooks._SENT_REPORTS_ATTRIBUTE] = {0x1111: now - 0.5, 0x2222: now - 0.2, 0x3333: now - 5}
    block = lambda lsr, dlsr: SimpleNamespace(lsr=lsr, dlsr=int(dlsr * 65536))  # noqa: E731
    assert sender_hooks._block_round_trip(sender, block(0x1111, 0.4), now) == pytest.approx(0.1, abs=1e-4)
    assert sender_hooks._block_round_trip(sender, block(0x2222, 0.05), now) == pytest.approx(0.15, abs=1e-4)
    assert sender_hooks._block_round_trip(sender, block(0x3333, 0.1), now) is None  # too old
    assert sender_hooks._block_round_trip(sender, block(0x4444, 0.1), now) is None  # not sent by it
    assert sender_hooks._block_round_trip(sender, block(0x2222, 0.0), now) is None  # no delay given
