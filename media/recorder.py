"""Recording a room's published media to disk, without decoding.

A :class:`RoomRecorder` is attached to the published tracks of a room like
one more subscriber: each :class:`~media.fanout.PublishedTrack` calls its
*taps* with every packet it forwards (after the mute check, so a muted
kind is not recorded either).  The tap only puts the packet in a bounded
queue; it never blocks forwarding, and a full queue drops packets (counted)
rather than delaying anyone.

One writer thread per recording drains the queue: it puts frames back
together from packets (:mod:`media.depacketize`, no decoder) and muxes them
with FFmpeg (PyAV) into one Matroska file per participant, audio and video
together: WebM (``.webm``) for VP8/VP9 and Opus, which browsers play
directly, Matroska (``.mkv``) otherwise (H264).  The file's tags carry its
wall-clock start (``DATE_UTC`` / ``creation_time``); presentation times are
milliseconds from it, from each frame's RTP timestamp anchored at the
arrival of that track's first frame.

Files stay playable if the hub dies: clusters are closed every
:data:`CLUSTER_MS` and the output flushed after each packet
(``cluster_time_limit``, ``flush_packets``), so a ``kill -9`` loses at most
the last cluster.  ``media.jsonl`` beside the files lists each file as it
is opened and closed (participant, codecs, start and end times).

A write error (a full disk) or the configured byte budget stops the whole
recording cleanly: files are closed, the taps removed, and the control
plane told through ``on_stopped(reason)``; forwarding goes on untouched.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fractions
import json
import logging
import os
import queue
import re
import threading
import time
from typing import Any, Callable, Optional

import av

from .depacketize import Frame, FrameAssembler
from .fanout import Packet, PublishedTrack
from .frames import frame_size
from .interface import RecordedFile

logger = logging.getLogger(__name__)

#: Matroska clusters are closed (and so reach the disk) at least this often.
CLUSTER_MS = 1000
#: Packets waiting for the writer thread before new ones are dropped
#: (about 5 s of a 14-station room's audio and video).
QUEUE_PACKETS = 10000
#: A participant's file is opened when every track has its first frame
#: (video: a keyframe, which gives the picture size), or after this many
#: seconds with what has arrived; frames meanwhile are kept.
OPEN_WAIT = 3.0

_MS = fractions.Fraction(1, 1000)
_WEBM_CODECS = {"vp8", "vp9", "opus"}
_CODECS = {"video/vp8": "vp8", "video/vp9": "vp9", "video/h264": "h264", "audio/opus": "opus",
           "audio/pcmu": "pcm_mulaw", "audio/pcma": "pcm_alaw", "audio/g722": "g722"}
_STOP = object()


def safe_name(value: str) -> str:
    """A participant id as a file name part (letters, digits, ``-_.``)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", value)[:80] or "_"


class _TrackState:
    def __init__(self, track: PublishedTrack, codec: str) -> None:
        self.kind = track.kind
        self.mime_type = track.mime_type
        self.codec = codec  # the container's name of it (_CODECS)
        self.clock_rate = track.clock_rate
        self.channels = track.channels or (2 if track.kind == "audio" else None)
        self.keyframes = track.keyframes
        self.assembler = FrameAssembler(track.mime_type)
        self.stream: Any = None
        self.size: Optional[tuple[int, int]] = track.frame_size
        self.anchor: Optional[tuple[int, int, int]] = None  # (epoch, extended ts, ms)
        self.last_ts = 0
        self.ext_ts = 0  # extended RTP timestamp of the last frame written
        self.last_pts = -1
        self.frames = 0


class _ParticipantFile:
    """One participant's open (or waiting) file in the writer thread."""

    def __init__(self, participant_id: str, index: int) -> None:
        self.participant_id = participant_id
        self.index = index
        self.tracks: dict[int, _TrackState] = {}  # id(PublishedTrack) ->
        self.container: Any = None
        self.record: Optional[RecordedFile] = None
        self.started_at: Optional[float] = None
        self.pending: list[tuple[_TrackState, Frame]] = []
        self.first_frame_at: Optional[float] = None


class RecordingStopped(Exception):
    """Raised in the writer thread to end a recording (budget, write error)."""


class RoomRecorder:
    """Records the published tracks of one room into ``directory``.

    Called on the event loop: :meth:`attach` for every published track
    (the relay does it as tracks are published), :meth:`participant_left`,
    :meth:`stop`.  ``max_bytes`` bounds what this recording writes (None: no
    bound); ``on_stopped(reason)`` is called on the loop if the recording
    stops by itself (``"disk"`` for a write error, ``"budget"``)."""

    def __init__(self, room_id: str, directory: str, max_bytes: Optional[int] = None,
                 on_stopped: Optional[Callable[[str], None]] = None) -> None:
        self.room_id = room_id
        self.directory = directory
        self.max_bytes = max_bytes
        self.on_stopped = on_stopped
        self.files: list[RecordedFile] = []
        self.packets_dropped = 0
        self.bytes_written = 0
        self.stopped_reason: Optional[str] = None
        self.started_at = time.time()
        self._loop = asyncio.get_event_loop()
        self._queue: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        # Packets queued (bounded by QUEUE_PACKETS): each count is written by
        # one thread only (the loop's taps, the writer), so none is ever lost.
        self._queued = 0
        self._taken = 0
        self._taps: list[tuple[PublishedTrack, Callable[[Packet], None]]] = []
        self._stopping = False
        self._files: dict[str, _ParticipantFile] = {}  # writer thread only
        self._counts: dict[str, int] = {}
        os.makedirs(directory, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name=f"recorder-{safe_name(room_id)}", daemon=True)
        self._thread.start()

    # -- event loop side -----------------------------------------------------

    @property
    def active(self) -> bool:
        return not self._stopping

    @property
    def pending(self) -> int:
        """Packets waiting for the writer thread."""
        return self._queued - self._taken

    def attach(self, track: PublishedTrack) -> None:
        """Record ``track`` from now on (from its cached keyframe for video)."""
        if self._stopping or any(t is track for t, _ in self._taps):
            return
        codec = _CODECS.get(track.mime_type.lower())
        if codec is None:
            logger.warning("recording %s: %s of %s not recorded (codec %s)", self.room_id,
                           track.kind, track.publisher_id, track.mime_type)
            return
        state = _TrackState(track, codec)
        self._queue.put(("track", track.publisher_id, id(track), state))

        def tap(packet: Packet) -> None:
            if self._queued - self._taken >= QUEUE_PACKETS:
                self.packets_dropped += 1
                return
            self._queued += 1
            self._queue.put((id(track), packet))

        for packet in list(track.gop):
            tap(packet)
        track.taps.append(tap)
        self._taps.append((track, tap))

    def participant_left(self, participant_id: str) -> None:
        """Close the participant's file (a later return opens a new one)."""
        for track, tap in [(t, f) for t, f in self._taps if t.publisher_id == participant_id]:
            self._untap(track, tap)
        if not self._stopping:
            self._queue.put(("close", participant_id))

    async def stop(self) -> list[RecordedFile]:
        """Stop recording; returns every file written (closed)."""
        if not self._stopping:
            self._stopping = True
            for track, tap in list(self._taps):
                self._untap(track, tap)
            self._queue.put(_STOP)
        await asyncio.get_event_loop().run_in_executor(None, self._thread.join)
        return self.files

    def _untap(self, track: PublishedTrack, tap: Callable[[Packet], None]) -> None:
        try:
            track.taps.remove(tap)
        except ValueError:
            pass
        self._taps = [(t, f) for t, f in self._taps if f is not tap]

    def _failed(self, reason: str) -> None:
        """On the loop: the writer stopped by itself."""
        if not self._stopping:
            self._stopping = True
            for track, tap in list(self._taps):
                self._untap(track, tap)
        if self.on_stopped is not None:
            self.on_stopped(reason)

    # -- writer thread ---------------------------------------------------------

    def _run(self) -> None:
        tracks: dict[int, tuple[_ParticipantFile, _TrackState]] = {}
        failed: Optional[str] = None
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            packet = isinstance(item[0], int)
            if packet:
                self._taken += 1
            if failed is not None:
                continue  # drained and dropped until stopped
            try:
                if packet:
                    entry = tracks.get(item[0])
                    if entry is not None:
                        self._packet(entry[0], entry[1], item[1])
                elif item[0] == "track":
                    self._add_track(tracks, *item[1:])
                elif item[0] == "close":
                    self._close_participant(tracks, item[1])
                self._check_waiting()
            except RecordingStopped as exc:
                failed = str(exc)
            except Exception as exc:  # an FFmpeg or OS error: the disk, most likely
                logger.error("recording %s stopped: write error: %s", self.room_id, exc)
                failed = "disk"
            if failed is not None:
                self.stopped_reason = failed
                self._close_all(quiet=True)
                self._loop.call_soon_threadsafe(self._failed, failed)
        if failed is None:
            try:
                self._close_all(quiet=False)
            except Exception as exc:
                logger.error("recording %s: closing files failed: %s", self.room_id, exc)
                self._close_all(quiet=True)

    def _add_track(self, tracks: dict[int, tuple[_ParticipantFile, _TrackState]], participant_id: str,
                   key: int, state: _TrackState) -> None:
        pf = self._files.get(participant_id)
        if pf is not None and pf.container is not None:
            # A track added to an open file: the participant's next file has them all.
            self._close(pf)
            pf = None
        if pf is None:
            pf = self._files[participant_id] = _ParticipantFile(
                participant_id, self._counts.get(participant_id, 0) + 1)
            self._counts[participant_id] = pf.index
            for other_key, (other_pf, other_state) in list(tracks.items()):
                if other_pf.participant_id == participant_id:
                    pf.tracks[other_key] = other_state
                    tracks[other_key] = (pf, other_state)
                    other_state.stream = None
                    other_state.anchor = None
        pf.tracks[key] = state
        tracks[key] = (pf, state)

    def _close_participant(self, tracks: dict[int, tuple[_ParticipantFile, _TrackState]],
                           participant_id: str) -> None:
        pf = self._files.pop(participant_id, None)
        if pf is not None:
            self._close(pf)
        for key in [k for k, (p, _) in tracks.items() if p.participant_id == participant_id]:
            del tracks[key]

    def _packet(self, pf: _ParticipantFile, state: _TrackState, p: Packet) -> None:
        frames = state.assembler.push(
            p.seq, p.timestamp, bool(p.marker), p.payload, p.frame_start, p.key_start,
            p.vp8.size if p.vp8 is not None else 0, p.epoch, p.arrival)
        if state.assembler.waiting_for_keyframe and state.keyframes is not None and p.frame_start:
            # Skipping frames until a keyframe: ask for one (the requester
            # merges requests and paces them).
            self._loop.call_soon_threadsafe(state.keyframes.request)
        for frame in frames:
            if state.kind == "video" and frame.keyframe:
                state.size = frame_size(state.mime_type, frame.data) or state.size
            if pf.container is None:
                if pf.first_frame_at is None:
                    pf.first_frame_at = time.monotonic()
                pf.pending.append((state, frame))
                if len(pf.pending) > 2000:
                    pf.pending = pf.pending[-2000:]
            else:
                self._write(pf, state, frame)

    def _check_waiting(self) -> None:
        now = time.monotonic()
        for pf in self._files.values():
            if pf.container is not None or not pf.pending:
                continue
            have = {id(state) for state, _ in pf.pending}
            ready = all(id(s) in have and (s.kind != "video" or s.size) for s in pf.tracks.values())
            if ready or (pf.first_frame_at is not None and now - pf.first_frame_at > OPEN_WAIT):
                self._open(pf)

    def _open(self, pf: _ParticipantFile) -> None:
        have = {id(state) for state, _ in pf.pending}
        states = [s for s in pf.tracks.values() if id(s) in have and (s.kind != "video" or s.size)]
        if not states:
            pf.pending = []
            return
        webm = all(s.codec in _WEBM_CODECS for s in states)
        name = f"{safe_name(pf.participant_id)}-{pf.index}.{'webm' if webm else 'mkv'}"
        started = min(frame.arrival for _, frame in pf.pending)
        container = av.open(
            os.path.join(self.directory, name), "w", format="webm" if webm else "matroska",
            options={"cluster_time_limit": str(CLUSTER_MS), "flush_packets": "1"},
        )
        pf.container = container
        pf.started_at = started
        container.metadata["title"] = pf.participant_id
        container.metadata["creation_time"] = dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat()
        for state in sorted(states, key=lambda s: s.kind, reverse=True):  # video first
            # PyAV types a new stream's kind from literal codec names only.
            stream: Any
            if state.kind == "video":
                stream = container.add_stream(state.codec)
                stream.width, stream.height = state.size  # type: ignore[misc]
            else:
                stream = container.add_stream(state.codec, rate=state.clock_rate)
                stream.codec_context.layout = "stereo" if (state.channels or 1) > 1 else "mono"
            stream.time_base = _MS
            state.stream = stream
            state.anchor = None
            state.last_pts = -1
        pf.record = RecordedFile(
            path=name, participant_id=pf.participant_id, kinds=[s.kind for s in states],
            codecs=[s.mime_type for s in states], started_at=started)
        self.files.append(pf.record)
        self._manifest({"event": "open", **_record_json(pf.record)})
        pending, pf.pending = pf.pending, []
        for state, frame in pending:
            if state.stream is not None:
                self._write(pf, state, frame)

    def _write(self, pf: _ParticipantFile, state: _TrackState, frame: Frame) -> None:
        if state.stream is None:
            return  # a track that came too late for this file
        assert pf.started_at is not None
        if state.anchor is None or state.anchor[0] != frame.epoch:
            # First frame (or a new encoder): place it by its arrival.
            ms = max(int((frame.arrival - pf.started_at) * 1000), state.last_pts + 1)
            state.anchor = (frame.epoch, frame.timestamp, ms)
            state.ext_ts = frame.timestamp
        else:
            delta = (frame.timestamp - state.last_ts) & 0xFFFFFFFF
            if delta >= 0x80000000:
                delta -= 0x100000000
            state.ext_ts += delta
        state.last_ts = frame.timestamp
        _, base_ts, base_ms = state.anchor
        pts = base_ms + ((state.ext_ts - base_ts) * 1000) // state.clock_rate
        if pts <= state.last_pts:
            pts = state.last_pts + 1
        state.last_pts = pts
        packet = av.Packet(frame.data)
        packet.stream = state.stream
        packet.pts = packet.dts = pts
        packet.time_base = _MS
        packet.is_keyframe = frame.keyframe
        pf.container.mux(packet)
        state.frames += 1
        self.bytes_written += len(frame.data)
        if self.max_bytes is not None and self.bytes_written > self.max_bytes:
            logger.error("recording %s stopped: disk budget of %d bytes used", self.room_id, self.max_bytes)
            raise RecordingStopped("budget")

    def _close(self, pf: _ParticipantFile) -> None:
        if pf.container is not None:
            container, pf.container = pf.container, None
            if pf.record is not None:
                pf.record.ended_at = time.time()
                pf.record.frames = {s.kind: s.frames for s in pf.tracks.values() if s.stream is not None}
            for state in pf.tracks.values():
                state.stream = None
                state.frames = 0
            container.close()
            if pf.record is not None:
                self._manifest({"event": "close", **_record_json(pf.record)})

    def _close_all(self, quiet: bool) -> None:
        for pf in list(self._files.values()):
            try:
                self._close(pf)
            except Exception:
                if not quiet:
                    raise
        self._files.clear()

    def _manifest(self, entry: dict) -> None:
        with open(os.path.join(self.directory, "media.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _record_json(record: RecordedFile) -> dict:
    return {
        "path": record.path, "participant": record.participant_id, "kinds": record.kinds,
        "codecs": record.codecs, "started_at": record.started_at, "ended_at": record.ended_at,
        "frames": record.frames,
    }
