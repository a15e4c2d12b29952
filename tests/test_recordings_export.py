"""The MP4 export job (recordings.export): the stage as the timeline says,
every track's sound mixed, progress in export.json."""

from __future__ import annotations

import fractions
import json
import time
from pathlib import Path

import av

from recordings import export, library

COLOURS = {"a": (81, 90, 240), "b": (145, 54, 34)}  # YUV of red and green-ish


def write_participant(path: Path, yuv: tuple[int, int, int], seconds: float, tone: int) -> None:
    """A WebM as the recorder writes it: VP8 pictures of one colour, Opus sound."""
    out = av.open(str(path), "w", format="webm")
    video = out.add_stream("libvpx", rate=30)
    video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
    audio = out.add_stream("libopus", rate=48000)
    audio.codec_context.layout = "stereo"
    for n in range(int(seconds * 30)):
        frame = av.VideoFrame(160, 120, "yuv420p")
        for plane, value in zip(frame.planes, yuv):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts, frame.time_base = n, fractions.Fraction(1, 30)
        for packet in video.encode(frame):
            out.mux(packet)
    samples = 960
    for n in range(int(seconds * 50)):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        frame.sample_rate = 48000
        frame.planes[0].update(((tone * (1 if (n * samples // 40) % 2 else -1)) & 0xFFFF).to_bytes(2, "little") * (samples * 2))
        frame.pts, frame.time_base = n * samples, fractions.Fraction(1, 48000)
        for packet in audio.encode(frame):
            out.mux(packet)
    for stream in (video, audio):
        for packet in stream.encode(None):
            out.mux(packet)
    out.close()


def make_recording(root: Path, number: int = 3) -> Path:
    rec_id, directory = library.new_recording(root, number, 1000.0)
    library.write_meta(directory, {"sessionId": str(number), "sessionNumber": number, "title": "t",
                                   "stations": ["xucun"], "startedAt": 1000.0, "endedAt": 1006.0})
    write_participant(directory / "a-1.webm", COLOURS["a"], 6.0, 3000)
    write_participant(directory / "b-1.webm", COLOURS["b"], 5.0, 2000)  # joined a second later
    with open(directory / library.MEDIA, "w") as f:
        for pid, start in (("a", 1000.0), ("b", 1001.0)):
            f.write(json.dumps({"event": "open", "path": f"{pid}-1.webm", "participant": pid,
                                "kinds": ["video", "audio"], "started_at": start}) + "\n")
    with open(directory / library.TIMELINE, "w") as f:
        f.write(json.dumps({"t": 0, "at": 1000, "type": "state", "control": {"stage": "a"}, "participants": []}) + "\n")
        f.write(json.dumps({"t": 3.0, "at": 1003, "type": "stage", "participantId": "b"}) + "\n")
    return directory


def test_the_export_shows_the_stage_and_mixes_every_track(tmp_path):
    directory = make_recording(tmp_path)
    begun = time.process_time()
    assert export.run(directory) == 0
    cpu = time.process_time() - begun
    status = export.read_status(directory)
    assert status["state"] == "done" and status["progress"] == 1.0
    print(f"export of a 6 s two-station recording: {cpu:.2f} s of CPU")
    with av.open(str(directory / export.OUTPUT)) as container:
        assert container.format.name.startswith("mov")
        pictures = [(float(f.time), f) for f in container.decode(video=0)]
    assert abs(pictures[-1][0] - 6.0) < 0.2 and len(pictures) == 6 * export.FPS
    def colour(t):
        frame = min(pictures, key=lambda p: abs(p[0] - t))[1]
        y = frame.planes[0]
        return bytes(y)[y.line_size * 240 + 320]  # the centre's luma
    assert abs(colour(1.5) - COLOURS["a"][0]) < 12  # a on the stage
    assert abs(colour(4.5) - COLOURS["b"][0]) < 12  # b after the stage moved
    with av.open(str(directory / export.OUTPUT)) as container:
        sound = list(container.decode(audio=0))
    assert abs(float(sound[-1].time) - 6.0) < 0.2
