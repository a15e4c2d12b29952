"""CPU cost of recording (issue 12), measured on the recorder alone.

    .venv/bin/python bench/recorder_bench.py [--stations 14] [--seconds 20]

The hub-level comparison (``bench/floor_bench.py --only record``: 14 stations
with and without recording) needs a quiet machine; this one does not: it
feeds a :class:`media.recorder.RoomRecorder` the packets of ``--stations``
publishers (the 640x480@30 VP8 loop of ``bench/source.py`` cut into RTP
packets as a browser does, about 850 kbit/s, plus 50 Opus packets a second)
through the taps of real :class:`media.fanout.PublishedTrack` objects, as
fast as its writer thread drains them, and counts the CPU time of the whole
process (tap, queue, frame assembly, Matroska muxing, writes) per second of
session media.  That is the hub CPU recording adds, in cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.source import FPS, encode_loop  # noqa: E402
from media import packets as rtp  # noqa: E402
from media.fanout import Packet, PublishedTrack  # noqa: E402
from media.recorder import RoomRecorder  # noqa: E402

MTU_PAYLOAD = 1100


def vp8_packets(frame: bytes, picture_id: int) -> list[bytes]:
    """RTP payloads of one VP8 frame: a descriptor with a 15-bit picture ID (RFC 7741)."""
    out = []
    for i in range(0, len(frame), MTU_PAYLOAD):
        start = 0x10 if i == 0 else 0
        out.append(bytes([0x80 | start, 0x80, 0x80 | (picture_id >> 8 & 0x7F), picture_id & 0xFF])
                   + frame[i:i + MTU_PAYLOAD])
    return out


async def run(stations: int, seconds: float) -> dict:
    loop_frames = encode_loop()
    directory = tempfile.mkdtemp(prefix="recorder-bench-")
    tracks = []
    for n in range(stations):
        video = PublishedTrack(f"p{n}", "0", "video", "video/VP8", {}, 90000, None, 96)
        audio = PublishedTrack(f"p{n}", "1", "audio", "audio/opus", {}, 48000, 2, 111)
        tracks.append((video, audio))
    recorder = RoomRecorder("bench", directory)
    for video, audio in tracks:
        recorder.attach(video)
        recorder.attach(audio)
    seq = [0] * stations
    aseq = [0] * stations
    frames = int(seconds * FPS)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    start = time.time()
    payload_bytes = 0
    for f in range(frames):
        data = loop_frames.frames[f % len(loop_frames.frames)]
        key = (f % len(loop_frames.frames)) in loop_frames.keyframes
        arrival = start + f / FPS
        for n, (video, audio) in enumerate(tracks):
            parts = vp8_packets(data, f & 0x7FFF)
            for i, part in enumerate(parts):
                seq[n] += 1
                d = rtp.parse_vp8(part)
                p = Packet(seq[n], f * 3000, int(i == len(parts) - 1), part, i == 0, i == 0 and key, d, None,
                           arrival, b"\0\0\0", 1)
                for tap in video.taps:
                    tap(p)
                payload_bytes += len(part)
            if f % 3 != 2:  # 50 audio packets a second against 30 pictures
                aseq[n] += 1
                a = Packet(aseq[n], aseq[n] * 960, 1, b"\xfc" + os.urandom(79), True, True, None, None,
                           arrival, b"\0\0\0", 1)
                for tap in audio.taps:
                    tap(a)
        while recorder.pending > 2000:  # let the writer drain (never drop)
            await asyncio.sleep(0.001)
    files = await recorder.stop()
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    written = sum(p.stat().st_size for p in Path(directory).iterdir())
    return {
        "stations": stations, "media_seconds": seconds, "cpu_seconds": round(cpu, 2), "wall_seconds": round(wall, 2),
        "cores_while_recording": round(cpu / seconds, 4),
        "per_station_cores": round(cpu / seconds / stations, 5),
        "packets_dropped": recorder.packets_dropped, "files": len(files),
        "frames_written": sum(f.frames.get("video", 0) for f in files),
        "frames_expected": frames * stations, "mbytes_written": round(written / 1e6, 1),
        "payload_mbit_s": round(payload_bytes * 8 / seconds / 1e6, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=14)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.stations, args.seconds))
    load = os.getloadavg()[0]
    for key, value in result.items():
        print(f"{key:24} {value}")
    print(f"{'loadavg_1m':24} {load:.2f} (a shared machine: CPU time is this process's own, wall time is not)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
