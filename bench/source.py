"""Synthetic video for the bench: a pre-encoded VP8 loop, replayed without encoding.

* :func:`encode_loop` encodes ONCE a loop of 640x480 VP8 frames (a panning
  blocky texture plus a bouncing box) with av's libvpx, keyframes at a fixed
  interval, so that the loop can wrap and any keyframe can be jumped to.
* :class:`StampedSource` is an aiortc ``MediaStreamTrack`` whose ``recv()``
  returns ``av.Packet`` objects (pts in 1/90000), so ``RTCRtpSender`` takes
  its ``encoder.pack()`` path: no encoder runs while sending.  It paces at
  30 fps, appends a trailer (magic, send time, sequence, source id) to every
  frame, and answers keyframe requests: ``request_keyframe()`` (called by
  ``media.aiortc_hooks``'s patched ``RTCRtpSender._send_keyframe`` on PLI/FIR)
  makes the next frame sent a keyframe of the loop.
* :func:`read_trailer` reads the trailer back off an assembled frame.  Nobody
  decodes the frames, so the trailing bytes are harmless.
"""

from __future__ import annotations

import asyncio
import fractions
import random
import struct
import time
from dataclasses import dataclass
from typing import Optional

import av
from aiortc.mediastreams import MediaStreamTrack

WIDTH, HEIGHT, FPS = 640, 480, 30
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)

MAGIC = b"LHBENCH1"
_TRAILER = struct.Struct(">8sQII")  # magic, send time (time.time_ns), sequence, source id
TRAILER_SIZE = _TRAILER.size  # 24


@dataclass(frozen=True)
class EncodedLoop:
    frames: list[bytes]
    keyframes: list[int]  # indices of keyframes in ``frames``
    bitrate: float  # bit/s of the loop at FPS
    encode_seconds: float

    @property
    def mean_frame_bytes(self) -> float:
        return sum(len(f) for f in self.frames) / len(self.frames)


def _texture(width: int, height: int, block: int, seed: int) -> list[bytes]:
    """Rows of a blocky random luma texture (``block`` x ``block`` cells)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(height // block):
        cells = bytes(rng.randrange(40, 216) for _ in range(width // block))
        row = b"".join(bytes((c,)) * block for c in cells)
        rows.extend([row] * block)
    return rows


def _frame(index: int, texture: list[bytes], width: int = WIDTH, height: int = HEIGHT) -> av.VideoFrame:
    """Picture ``index`` of the loop: the texture panning and a bouncing box
    (a small stream's pictures move at its scale: whole pixels, so that they
    stay as cheap to predict as the big ones)."""
    scale = width / WIDTH
    tex_h, tex_w = len(texture), len(texture[0])
    dx = (index * max(1, round(3 * scale))) % (tex_w - width)
    dy = (index * max(1, round(2 * scale))) % (tex_h - height)
    # A bouncing white box (96x96 at 640x480).
    box = max(8, round(96 * scale))
    period_x, period_y = 2 * (width - box), 2 * (height - box)
    bx = (index * max(1, round(7 * scale))) % period_x
    by = (index * max(1, round(5 * scale))) % period_y
    bx = bx if bx < width - box else period_x - bx
    by = by if by < height - box else period_y - by
    white = b"\xeb" * box
    rows = []
    for y in range(height):
        row = texture[y + dy][dx : dx + width]
        if by <= y < by + box:
            row = row[:bx] + white + row[bx + box :]
        rows.append(row)
    frame = av.VideoFrame(width, height, "yuv420p")
    planes = frame.planes
    _fill(planes[0], rows, width)
    u = bytes(((128 + (index % 60) - 30) & 0xFF,)) * (width // 2)
    v = bytes(((128 - (index % 90) + 45) & 0xFF,)) * (width // 2)
    _fill(planes[1], [u] * (height // 2), width // 2)
    _fill(planes[2], [v] * (height // 2), width // 2)
    return frame


def _fill(plane, rows: list[bytes], width: int) -> None:
    stride = plane.line_size
    if stride == width:
        plane.update(b"".join(rows))
    else:
        pad = b"\x00" * (stride - width)
        plane.update(b"".join(r + pad for r in rows))


def encode_loop(
    seconds: float = 4.0, keyframe_interval: float = 2.0, bitrate: int = 750_000, seed: int = 7,
    size: tuple[int, int] = (WIDTH, HEIGHT), cpu_used: int = 8,
) -> EncodedLoop:
    """Encode a loop of ``seconds`` of 640x480@30 VP8 with a keyframe every
    ``keyframe_interval`` seconds.  One warm-up keyframe interval is encoded
    first and dropped, so the rate control has settled in the kept frames.
    Another ``size`` (a publisher's small stream, 320x180): the same kind of
    picture at that size, texture cells and motion scaled down.  A positive
    ``cpu_used`` lets libvpx pick its speed from the time encoding takes (the
    output then depends on the machine's load), a negative one fixes it."""
    width, height = size
    started = time.perf_counter()
    gop = int(round(keyframe_interval * FPS))
    keep = int(round(seconds * FPS))
    assert keep % gop == 0, "the loop must hold whole keyframe intervals"
    total = gop + keep
    ctx = av.CodecContext.create("libvpx", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = fractions.Fraction(1, FPS)
    ctx.framerate = fractions.Fraction(FPS, 1)
    ctx.bit_rate = bitrate
    ctx.gop_size = 10 * gop  # keyframes are forced below, at exact indices
    ctx.options = {
        "deadline": "realtime",
        "cpu-used": str(cpu_used),
        "lag-in-frames": "0",
        "rc_lookahead": "0",
        "minrate": str(bitrate),
        "maxrate": str(bitrate),
        "bufsize": str(bitrate),
    }
    block = max(2, round(8 * width / WIDTH))
    texture = _texture(width + 512, height + 384, block, seed)
    encoded: list[bytes] = []
    for i in range(total):
        frame = _frame(i, texture, width, height)
        frame.pts = i
        frame.time_base = ctx.time_base
        frame.pict_type = av.video.frame.PictureType.I if i % gop == 0 else av.video.frame.PictureType.NONE
        for packet in ctx.encode(frame):
            encoded.append(bytes(packet))
    for packet in ctx.encode(None):
        encoded.append(bytes(packet))
    if len(encoded) != total:
        raise RuntimeError(f"libvpx returned {len(encoded)} frames for {total}")
    frames = encoded[gop:]
    keyframes = [i for i, f in enumerate(frames) if (f[0] & 0x01) == 0]
    if 0 not in keyframes:
        raise RuntimeError("the loop does not start with a keyframe")
    bits = 8 * sum(len(f) for f in frames)
    return EncodedLoop(
        frames=frames,
        keyframes=keyframes,
        bitrate=bits * FPS / len(frames),
        encode_seconds=time.perf_counter() - started,
    )


# aiortc's VP8 packetizer cuts a frame into chunks of 1300 bytes minus the
# payload descriptor (3 bytes while the picture id is < 128, then 4).
_VP8_CHUNKS = (1296, 1297)


def padding_for(frame_size: int) -> int:
    """Zero bytes to put between a frame and its trailer so that the trailer
    is never split over two RTP packets (the receiver reads it off the last
    packet too).  Trailing bytes after a VP8 frame are ignored by decoders."""
    for pad in range(0, 64):
        total = frame_size + pad + TRAILER_SIZE
        if all(total % c == 0 or total % c >= TRAILER_SIZE for c in _VP8_CHUNKS):
            return pad
    return 0


def stamp(data: bytes, sequence: int, source_id: int, now_ns: Optional[int] = None, pad: int = 0) -> bytes:
    return (
        data
        + b"\x00" * pad
        + _TRAILER.pack(MAGIC, now_ns if now_ns is not None else time.time_ns(), sequence & 0xFFFFFFFF, source_id)
    )


def read_trailer(data: bytes) -> Optional[tuple[int, int, int]]:
    """(send time ns, sequence, source id) of a stamped frame, or None."""
    if len(data) < TRAILER_SIZE:
        return None
    magic, sent_ns, sequence, source_id = _TRAILER.unpack_from(data, len(data) - TRAILER_SIZE)
    if magic != MAGIC:
        return None
    return sent_ns, sequence, source_id


class StampedSource(MediaStreamTrack):
    """Replays an :class:`EncodedLoop` at 30 fps as stamped ``av.Packet`` frames."""

    kind = "video"

    def __init__(self, loop: EncodedLoop, source_id: int, start_index: int = 0) -> None:
        super().__init__()
        self.loop = loop
        self.source_id = source_id
        self._index = start_index % len(loop.frames)
        self._padding = [padding_for(len(f)) for f in loop.frames]
        self._start: Optional[float] = None
        self._count = 0
        self._keyframe_wanted = False
        # Statistics.
        self.frames_sent = 0
        self.keyframes_sent = 0
        self.keyframe_requests = 0
        self.late_resyncs = 0

    def request_keyframe(self) -> None:
        """The next frame will be a keyframe (PLI/FIR from the far end)."""
        self._keyframe_wanted = True
        self.keyframe_requests += 1

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            from aiortc.mediastreams import MediaStreamError

            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        target = self._start + self._count / FPS
        if target > now:
            await asyncio.sleep(target - now)
        elif now - target > 0.2:
            # Starved for more than 6 frames: re-anchor instead of bursting.
            self._start = now - self._count / FPS
            self.late_resyncs += 1
        frames, keyframes = self.loop.frames, self.loop.keyframes
        index = self._index
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            if index not in keyframes:
                index = next((k for k in keyframes if k > index), keyframes[0])
        self._index = (index + 1) % len(frames)
        if index in keyframes:
            self.keyframes_sent += 1
        packet = av.Packet(stamp(frames[index], self._count, self.source_id, pad=self._padding[index]))
        packet.pts = self._count * (90000 // FPS)
        packet.time_base = VIDEO_TIME_BASE
        self._count += 1
        self.frames_sent += 1
        return packet
