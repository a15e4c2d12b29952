"""Recording in the media plane (media.recorder, media.depacketize): packets
put back into frames, muxed per participant, files that play, a recording
that stops by itself on a full disk while forwarding goes on, and files
that survive a ``kill -9``."""

import asyncio
import fractions
import os
import signal
import subprocess
import sys
import tempfile
import time
import json

import av
import pytest
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack

from media.depacketize import FrameAssembler, h264_frame_part
from media.relay import MediaError, Relay
from media_utils import EncodedAudioTrack, Events, join_subscriber, publish, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- depacketizing ------------------------------------------------------------------


def vp8_packet(start: bool, key: bool, body: bytes) -> bytes:
    # Descriptor: X=1, S, PID 0; extension byte with I; 7-bit picture ID.
    return bytes([0x90 if start else 0x80, 0x80, 0x05]) + (bytes([0x00 if key else 0x01]) if start else b"") + body


def push_vp8(assembler, seq, ts, start, key, marker, body=b"x"):
    payload = vp8_packet(start, key, body)
    return assembler.push(seq, ts, marker, payload, start, start and key, 3, 1, 100.0 + seq / 100)


def test_vp8_frames_are_put_together_in_sequence_order_despite_reordering():
    a = FrameAssembler("video/VP8")
    assert push_vp8(a, 10, 900, True, True, False, b"AA") == []
    assert push_vp8(a, 12, 900, False, False, True, b"CC") == []  # before 11
    frames = push_vp8(a, 11, 900, False, False, False, b"BB")
    assert [(f.timestamp, f.data, f.keyframe) for f in frames] == [(900, b"\x00AABBCC", True)]


def test_a_lost_packet_drops_frames_until_the_next_keyframe():
    a = FrameAssembler("video/VP8")
    out = push_vp8(a, 1, 0, True, True, True)
    assert len(out) == 1
    push_vp8(a, 2, 3000, True, False, False)  # its second packet (3) is lost
    out = push_vp8(a, 4, 6000, True, False, True)  # complete, but depends on the lost one
    out += push_vp8(a, 5, 9000, True, False, True)
    assert out == [] and a.waiting_for_keyframe and a.frames_lost == 3
    out = push_vp8(a, 6, 12000, True, True, True)
    assert [f.keyframe for f in out] == [True] and not a.waiting_for_keyframe


def test_video_before_the_first_keyframe_is_skipped():
    a = FrameAssembler("video/VP8")
    assert push_vp8(a, 1, 0, True, False, True) == []
    assert len(push_vp8(a, 2, 3000, True, True, True)) == 1


def test_h264_single_stap_a_and_fu_a_become_annex_b():
    sc = b"\x00\x00\x00\x01"
    assert h264_frame_part(b"\x65abc") == sc + b"\x65abc"
    stap = b"\x18" + b"\x00\x02\x67\x01" + b"\x00\x02\x68\x02"
    assert h264_frame_part(stap) == sc + b"\x67\x01" + sc + b"\x68\x02"
    assert h264_frame_part(b"\x7c\x85first") == sc + b"\x65first"  # FU-A start of an IDR
    assert h264_frame_part(b"\x7c\x45last") == b"last"
    a = FrameAssembler("video/H264")
    a.push(1, 0, False, stap, True, True, 0, 1, 0.0)
    a.push(2, 0, False, b"\x7c\x85first", False, False, 0, 1, 0.0)
    frames = a.push(3, 0, True, b"\x7c\x45last", False, False, 0, 1, 0.0)
    assert frames[0].data == sc + b"\x67\x01" + sc + b"\x68\x02" + sc + b"\x65firstlast"


def test_audio_packets_are_frames():
    a = FrameAssembler("audio/opus")
    assert [f.data for f in a.push(7, 960, True, b"op", True, True, 0, 1, 0.0)] == [b"op"]


# -- recording through the relay -------------------------------------------------------


class CountingVideo(VideoStreamTrack):
    """aiortc's test picture (encoded by aiortc's VP8 encoder in the client),
    small, each frame a different grey, counting the frames produced."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(160, 120, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([(self.frames * 7) % 256]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        self.frames += 1
        return frame


class RecordingEvents:
    def __init__(self) -> None:
        self.stopped: list[tuple[str, str]] = []

    async def recording_stopped(self, room_id: str, reason: str) -> None:
        self.stopped.append((room_id, reason))


@pytest.fixture
async def relay():
    relay = Relay()
    yield relay
    await relay.close()


def decode_all(path: str) -> dict[str, tuple[int, float]]:
    """Frames decoded per kind and the span of their presentation times;
    raises on any decode error."""
    result = {}
    with av.open(path) as container:
        for stream in container.streams:
            pass
    for kind in ("video", "audio"):
        with av.open(path) as container:
            streams = [s for s in container.streams if s.type == kind]
            if not streams:
                continue
            stream = streams[0]
            stream.codec_context.options = {"err_detect": "explode"} if kind == "video" else {}
            n = 0
            times = []
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                times.append(float(packet.pts * packet.time_base))
                n += len(packet.decode())
            result[kind] = (n, max(times) - min(times) if times else 0.0)
    return result


async def test_records_vp8_and_opus_per_participant_into_playable_webm(relay, tmp_path):
    events = Events()
    await relay.join("room", "pub", events)
    video = CountingVideo()
    pc = await publish(relay, "pub", video, AudioStreamTrack())
    try:
        await wait_for(lambda: any(t.live for t in relay._participants["pub"].published.values()), 10)
        await asyncio.sleep(0.5)
        rec_events = RecordingEvents()
        sent_before = video.frames
        started = time.time()
        await relay.start_recording("room", str(tmp_path), rec_events)
        with pytest.raises(MediaError):
            await relay.start_recording("room", str(tmp_path), rec_events)
        await asyncio.sleep(4)
        sent = video.frames - sent_before
        files = await relay.stop_recording("room")
        elapsed = time.time() - started
    finally:
        await pc.close()
    assert [f.participant_id for f in files] == ["pub"]
    record = files[0]
    assert record.path == "pub-1.webm" and sorted(record.kinds) == ["audio", "video"]
    assert abs(record.started_at - started) < 1.0
    decoded = decode_all(str(tmp_path / record.path))
    frames, span = decoded["video"]
    assert frames >= 0.95 * sent - 2, (frames, sent)
    assert abs(span - elapsed) < 1.0, (span, elapsed)
    audio_frames, audio_span = decoded["audio"]
    assert abs(audio_span - elapsed) < 1.0 and audio_frames >= 0.95 * elapsed * 50
    with av.open(str(tmp_path / record.path)) as container:
        assert container.metadata.get("title") == "pub"
    manifest = [json.loads(line) for line in (tmp_path / "media.jsonl").read_text().splitlines()]
    assert [(m["event"], m["participant"]) for m in manifest] == [("open", "pub"), ("close", "pub")]
    assert manifest[1]["frames"]["video"] == frames
    assert rec_events.stopped == []


async def test_a_publisher_who_comes_later_and_leaves_gets_its_own_file(relay, tmp_path):
    events = Events()
    await relay.join("room", "a", events)
    rec_events = RecordingEvents()
    await relay.start_recording("room", str(tmp_path), rec_events)
    pc = await publish(relay, "a", EncodedAudioTrack())
    try:
        await asyncio.sleep(1.0)
        await relay.leave("a")
        await relay.join("room", "a", events)
        pc2 = await publish(relay, "a", EncodedAudioTrack())
        await asyncio.sleep(1.0)
        files = await relay.stop_recording("room")
        await pc2.close()
    finally:
        await pc.close()
    assert [f.path for f in files] == ["a-1.webm", "a-2.webm"]
    assert all(f.ended_at is not None and f.frames["audio"] > 20 for f in files)


class BigVideo(MediaStreamTrack):
    """30 fps of 20 kB "VP8" frames with a valid keyframe header, to fill a disk."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self._start = None

    def request_keyframe(self) -> None:
        pass

    async def recv(self):
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self.n / 30 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        key = self.n % 30 == 0
        head = (b"\x10\x00\x00\x9d\x01\x2a" + (160).to_bytes(2, "little") + (120).to_bytes(2, "little")) if key \
            else b"\x11\x00\x00"
        packet = av.Packet(head + os.urandom(20000 - len(head)))
        packet.pts = self.n * 3000
        packet.time_base = fractions.Fraction(1, 90000)
        self.n += 1
        return packet


@pytest.fixture
def small_disk():
    """A 2 MB tmpfs made for the test."""
    path = tempfile.mkdtemp(prefix="rec-tmpfs-")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", path], capture_output=True)
    if result.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (root needed): {result.stderr.decode()}")
    yield path
    subprocess.run(["umount", path])
    os.rmdir(path)


async def test_a_full_disk_stops_the_recording_and_forwarding_goes_on(relay, small_disk, caplog):
    events = Events()
    await relay.join("room", "pub", events)
    pc = await publish(relay, "pub", BigVideo())
    sub = await join_subscriber(relay, events, "room", "sub")
    try:
        await relay.subscribe("sub", ["pub"])
        await wait_for(lambda: sub.by_publisher("pub", "video") is not None
                       and len(sub.by_publisher("pub", "video").packets) > 5, 10)
        rec_events = RecordingEvents()
        await relay.start_recording("room", os.path.join(small_disk, "r"), rec_events)
        await wait_for(lambda: rec_events.stopped, 20)
        assert rec_events.stopped == [("room", "disk")]
        assert "write error" in caplog.text
        # The room can be recorded again (elsewhere), and forwarding went on.
        received = len(sub.by_publisher("pub", "video").packets)
        try:  # 30 frames a second are sent; a loaded machine may drop to keyframes (one a second)
            await wait_for(lambda: len(sub.by_publisher("pub", "video").packets) > received + 10, 10)
        except AssertionError:
            raise AssertionError(f"forwarding stopped: {await relay.stats('room')}") from None
        assert relay._participants["pub"].published and all(
            not t.taps for t in relay._participants["pub"].published.values())
        assert await relay.stop_recording("room") == []
    finally:
        await sub.close()
        await pc.close()


async def test_the_byte_budget_stops_the_recording(relay, tmp_path):
    events = Events()
    await relay.join("room", "pub", events)
    pc = await publish(relay, "pub", BigVideo())
    try:
        rec_events = RecordingEvents()
        await relay.start_recording("room", str(tmp_path), rec_events, max_bytes=300_000)
        await wait_for(lambda: rec_events.stopped, 20)
        assert rec_events.stopped == [("room", "budget")]
        files = [f for f in os.listdir(tmp_path) if f.endswith(".webm")]
        assert files and os.path.getsize(tmp_path / files[0]) < 400_000
    finally:
        await pc.close()


CHILD = """
import asyncio, sys, time
sys.path[:0] = [{root!r}, {tests!r}]
from media.relay import Relay
from media_utils import Events, publish
from test_media_recorder import CountingVideo
from aiortc.mediastreams import AudioStreamTrack

class RecEvents:
    async def recording_stopped(self, room_id, reason):
        pass

async def main():
    relay = Relay()
    await relay.join("room", "pub", Events())
    await publish(relay, "pub", CountingVideo(), AudioStreamTrack())
    await relay.start_recording("room", {directory!r}, RecEvents())
    print("recording", flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def test_kill_9_while_recording_leaves_playable_files(tmp_path):
    directory = str(tmp_path / "rec")
    code = CHILD.format(root=ROOT, tests=os.path.join(ROOT, "tests"), directory=directory)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert child.stdout.readline().strip() == b"recording"
        path = os.path.join(directory, "pub-1.webm")
        deadline = time.monotonic() + 30
        while not (os.path.exists(path) and os.path.getsize(path) > 60_000):
            assert time.monotonic() < deadline, "nothing recorded"
            time.sleep(0.2)
        time.sleep(3)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    decoded = decode_all(path)
    frames, span = decoded["video"]
    # Written up to about the last cluster (1 s) before the kill.
    assert span > 2.0 and frames > 2.0 * 25, decoded
    assert decoded["audio"][0] > 2.0 * 45, decoded
