"""The export job: one MP4 of a recorded session's stage, after the session (issue 12).

The live recording never decodes (``media/recorder.py``).  This job does,
off the live path: run as its own process (``python -m recordings.export
DIRECTORY``, at a lower priority), it replays the recording as the player
does: the picture is whoever had the stage at each moment
(:func:`recordings.timeline.floor_at`), scaled to 640x480 at 15 fps, and the
sound is every recorded track mixed (FFmpeg's ``amix``), each at its place
in time.  It writes ``export.mp4`` (H264 and AAC) beside the recording and
its progress to ``export.json`` (``{"state": "running"|"done"|"failed",
"progress": 0..1}``), which the console shows as a progress bar.

Cost: it decodes every participant's video and audio once and encodes one
stream; on one core of the development machine about 0.2 s of CPU per
second of a three-station recording (measured by ``tests/test_recordings_export.py``).
"""

from __future__ import annotations

import fractions
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, cast

import av
from av.filter import Graph

from recordings import library
from recordings.timeline import floor_at

OUTPUT = "export.mp4"
STATUS = "export.json"
WIDTH, HEIGHT, FPS = 640, 480, 15
_RATE = 48000
_AUDIO_TB = fractions.Fraction(1, _RATE)


def write_status(directory: Path, **status: Any) -> None:
    temporary = directory / (STATUS + ".tmp")
    temporary.write_text(json.dumps(status), encoding="utf-8")
    os.replace(temporary, directory / STATUS)


def read_status(directory: Path) -> Optional[dict[str, Any]]:
    try:
        return json.loads((directory / STATUS).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


class _Video:
    """One participant file's pictures, decoded in order as session time advances."""

    def __init__(self, path: Path, offset: float) -> None:
        self.container = av.open(str(path))
        self.offset = offset  # session seconds of the file's time 0
        streams = [s for s in self.container.streams if s.type == "video"]
        self.frames: Optional[Iterator[Any]] = self.container.decode(streams[0]) if streams else None
        self.current: Optional[Any] = None
        self.ahead: Optional[Any] = None

    def at(self, t: float) -> Optional[Any]:
        """The picture showing at session time ``t`` (the last one not after it)."""
        if self.frames is None:
            return None
        while True:
            if self.ahead is None:
                try:
                    self.ahead = next(self.frames)
                except (StopIteration, av.error.FFmpegError):
                    self.frames = None
                    return self.current
            if self.ahead.time is not None and self.ahead.time + self.offset > t:
                return self.current
            self.current, self.ahead = self.ahead, None

    def close(self) -> None:
        self.container.close()


def _audio_frames(path: Path, offset: float) -> Iterator[Any]:
    """A file's sound as 48 kHz stereo s16 frames with session-time pts."""
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=_RATE)
    with av.open(str(path)) as container:
        streams = [s for s in container.streams if s.type == "audio"]
        if not streams:
            return
        frame: Any
        for frame in container.decode(streams[0]):
            start = int(round(((frame.time or 0.0) + offset) * _RATE))
            for out in resampler.resample(frame):
                out.pts = start
                out.time_base = _AUDIO_TB
                start += out.samples
                yield out


def _silence(samples: int, pts: int) -> Any:
    frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
    frame.sample_rate = _RATE
    frame.planes[0].update(bytes(frame.planes[0].buffer_size))
    frame.pts = pts
    frame.time_base = _AUDIO_TB
    return frame


def _contiguous(frames: Iterator[Any], end: int) -> Iterator[Any]:
    """Frames from pts 0 to ``end`` without gaps (silence in between); overlaps are cut."""
    at = 0
    for frame in frames:
        if frame.pts + frame.samples <= at or frame.pts >= end:
            continue
        if frame.pts > at:
            gap = frame.pts - at
            while gap > 0:
                n = min(gap, _RATE)
                yield _silence(n, at)
                at += n
                gap -= n
        if frame.pts < at:
            continue  # an overlap of a few samples: the earlier frame stays
        yield frame
        at = frame.pts + frame.samples
    while at < end:
        n = min(end - at, _RATE)
        yield _silence(n, at)
        at += n


def export(directory: Path, progress: Callable[[float], None] = lambda p: None) -> Path:
    """Compose the recording in ``directory`` into ``export.mp4``; returns its path."""
    meta = json.loads((directory / library.META).read_text(encoding="utf-8"))
    entries = library.read_jsonl(directory / library.TIMELINE)
    started = float(meta["startedAt"])
    files = [f for f in library.read_jsonl(directory / library.MEDIA)
             if f.get("event") == "open" and (directory / f["path"]).is_file()]
    length = float(meta["endedAt"] - started) if meta.get("endedAt") else max([e["t"] for e in entries] + [0.0])
    videos: dict[str, list[_Video]] = {}
    for f in files:
        videos.setdefault(f["participant"], []).append(_Video(directory / f["path"], float(f["started_at"]) - started))
    end = int(length * _RATE)
    sources = [_contiguous(_audio_frames(directory / f["path"], float(f["started_at"]) - started), end)
               for f in files if "audio" in (f.get("kinds") or [])]
    temporary = directory / (OUTPUT + ".part")
    composer = _Composer(temporary, len(sources))
    try:
        total = int(length * FPS)
        for n in range(total):
            t = n / FPS
            picture = None
            for v in videos.get(floor_at(entries, t) or "", []):
                candidate = v.at(t)
                if candidate is not None and candidate.time is not None and candidate.time + v.offset <= t:
                    picture = candidate
            composer.picture(n, picture)
            composer.sound_until(int((n + 1) / FPS * _RATE), sources)
            if n % FPS == 0:
                progress(n / max(1, total))
        composer.finish()
    finally:
        composer.close()
        for vs in videos.values():
            for v in vs:
                v.close()
    os.replace(temporary, directory / OUTPUT)
    progress(1.0)
    return directory / OUTPUT


class _Composer:
    """The MP4 being written: pictures as given, sound mixed from the sources."""

    def __init__(self, path: Path, sources: int) -> None:
        self.out = av.open(str(path), "w", format="mp4")
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        self.video: Any = cast(Any, self.out.add_stream(codec, rate=FPS))
        self.video.width, self.video.height, self.video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        if codec == "libx264":
            self.video.codec_context.options = {"preset": "veryfast", "crf": "26"}
        self.audio: Any = cast(Any, self.out.add_stream("aac", rate=_RATE))
        self.audio.codec_context.layout = "stereo"
        self.mixer = _Mixer(sources) if sources else None
        self.to_aac = av.AudioResampler(format="fltp", layout="stereo", rate=_RATE)
        self.black = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        for plane, value in zip(self.black.planes, (16, 128, 128)):
            plane.update(bytes([value]) * plane.buffer_size)
        self.audio_done = 0

    def picture(self, n: int, picture: Optional[Any]) -> None:
        frame = picture.reformat(WIDTH, HEIGHT, "yuv420p") if picture is not None else self.black
        frame.pts = n
        frame.time_base = fractions.Fraction(1, FPS)
        for packet in self.video.encode(frame):
            self.out.mux(packet)

    def sound_until(self, sample: int, sources: list[Iterator[Any]]) -> None:
        mixer = self.mixer
        while mixer is not None and self.audio_done < sample and not mixer.finished:
            for mixed in mixer.step(sources):
                for frame in self.to_aac.resample(mixed):
                    frame.pts = None
                    for packet in self.audio.encode(frame):
                        self.out.mux(packet)
                self.audio_done = max(self.audio_done, mixed.pts + mixed.samples)

    def finish(self) -> None:
        for stream in (self.video, self.audio):
            for packet in stream.encode(None):
                self.out.mux(packet)

    def close(self) -> None:
        self.out.close()


class _Mixer:
    """FFmpeg's ``amix`` over gap-free inputs, fed a second at a time."""

    def __init__(self, n: int) -> None:
        self.graph = Graph()
        self.inputs = [self.graph.add_abuffer(format="s16", sample_rate=_RATE, layout="stereo", time_base=_AUDIO_TB)
                       for _ in range(n)]
        mix = self.graph.add("amix", f"inputs={n}:normalize=0:duration=longest")
        self.sink = self.graph.add("abuffersink")
        for i, source in enumerate(self.inputs):
            source.link_to(mix, 0, i)
        mix.link_to(self.sink)
        self.graph.configure()
        self.ended = [False] * n
        self.finished = False

    def step(self, sources: list[Iterator[Any]]) -> list[Any]:
        """Push about a second of every input; return what came out mixed."""
        for i, source in enumerate(sources):
            if self.ended[i]:
                continue
            pushed = 0
            while pushed < _RATE:
                frame = next(source, None)
                if frame is None:
                    self.inputs[i].push(None)
                    self.ended[i] = True
                    break
                self.inputs[i].push(frame)
                pushed += frame.samples
        out = []
        while True:
            try:
                out.append(self.sink.pull())
            except av.error.EOFError:
                self.finished = True
                break
            except (BlockingIOError, av.error.FFmpegError):
                break
        if all(self.ended) and not out:
            self.finished = True
        return out


def run(directory: Path) -> int:
    """The export with its progress in ``export.json``."""
    begun = time.process_time()
    write_status(directory, state="running", progress=0.0)
    try:
        last = [0.0]

        def progress(p: float) -> None:
            if p - last[0] >= 0.02 or p >= 1.0:
                last[0] = p
                write_status(directory, state="running", progress=round(p, 3))

        export(directory, progress)
    except Exception as exc:
        write_status(directory, state="failed", progress=last[0], error=str(exc))
        return 1
    write_status(directory, state="done", progress=1.0, cpuSeconds=round(time.process_time() - begun, 2))
    return 0


if __name__ == "__main__":
    try:
        os.nice(10)  # the live relay comes first
    except OSError:
        pass
    sys.exit(run(Path(sys.argv[1])))
