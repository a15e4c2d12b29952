"""The load generator: synthetic aiortc stations in a worker process.

:func:`worker_main` runs in a separate process (``multiprocessing`` spawn),
so the stations' CPU does not count in the bench process and does not
distort the hub's numbers.  The bench drives it with small RPC commands over
a ``multiprocessing`` pipe (:class:`WorkerHandle` on the bench side).

A :class:`Station` speaks the hub's Socket.IO protocol (``docs/protocol.md``):
``join``; optionally ``publishOffer`` with one sendonly VP8 transceiver fed
by a :class:`bench.source.StampedSource` (pre-encoded, never encoded here);
and answers every ``subscribeOffer``.  ``media.aiortc_hooks`` is installed,
so received tracks yield the assembled encoded frames (``av.Packet``) and
nothing is decoded; the receiver only reads the trailer to count frames and
compute one-way latency (same machine, same clock: ``time.time_ns``).

The direct baseline (:class:`DirectSender` → :class:`DirectReceiver`) is a
plain aiortc-to-aiortc link with no hub, negotiated through the bench.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Callable, Optional

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------
# Bench side: a handle on one worker process
# ---------------------------------------------------------------------------


class WorkerError(RuntimeError):
    pass


class WorkerHandle:
    """Send commands to a worker; replies may come back in any order."""

    def __init__(self, name: str, process: Any, conn: Connection) -> None:
        self.name = name
        self.process = process
        self.conn = conn
        self._ids = itertools.count(1)
        self._replies: dict[int, tuple[bool, Any]] = {}

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, command: str, **kwargs: Any) -> int:
        request_id = next(self._ids)
        self.conn.send((request_id, command, kwargs))
        return request_id

    def wait(self, request_id: int, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while request_id not in self._replies:
            left = deadline - time.monotonic()
            if left <= 0 or not self.conn.poll(left):
                if not self.process.is_alive():
                    raise WorkerError(f"worker {self.name} died (exit code {self.process.exitcode})")
                raise WorkerError(f"worker {self.name}: no reply to request {request_id} in {timeout} s")
            rid, ok, value = self.conn.recv()
            self._replies[rid] = (ok, value)
        ok, value = self._replies.pop(request_id)
        if not ok:
            raise WorkerError(f"worker {self.name}: {value}")
        return value

    def call(self, command: str, timeout: float = 60.0, **kwargs: Any) -> Any:
        return self.wait(self.send(command, **kwargs), timeout)


# ---------------------------------------------------------------------------
# Worker side
# ---------------------------------------------------------------------------


@dataclass
class TrackStats:
    """What one receiver saw of one publisher (by the trailer's source id)."""

    first_frame_ns: Optional[int] = None
    frames: int = 0
    frames_window: int = 0
    unstamped: int = 0
    latencies_ns: list[int] = field(default_factory=list)  # in the window only
    last_sequence: Optional[int] = None
    gaps_window: int = 0
    # The same, measured at the arrival of the frame's last RTP packet (marker
    # bit) in the receiver, before aiortc's jitter buffer, decoder thread and
    # track queue (which belong to the load generator, not to the relay).
    rtp_frames_window: int = 0
    rtp_latencies_ns: list[int] = field(default_factory=list)
    rtp_last_sequence: int = -1


class Receiver:
    """Counts frames and latency per publisher for every received track."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tracks: dict[int, TrackStats] = {}
        self.readers: list[asyncio.Task] = []
        self.track_events = 0
        self.window_started_ns: Optional[int] = None
        self.recv_errors: list[str] = []

    def _pc(self) -> Any:
        return None

    def on_track(self, track: Any) -> None:
        self.track_events += 1
        if track.kind != "video":
            return
        pc = self._pc()
        receiver = None
        if pc is not None:
            from media import aiortc_hooks

            for transceiver in pc.getTransceivers():
                if transceiver.receiver.track is track:
                    receiver = transceiver.receiver
                    aiortc_hooks.observe_rtp(receiver, self._on_rtp)
        if SINK_FRAMES and receiver is not None and FrameSink.attach(receiver, self.on_frame):
            return
        self.readers.append(asyncio.ensure_future(self._read(track)))

    def _on_rtp(self, packet: Any) -> None:
        """Every RTP packet as it arrives (RTX included): time the marker packets."""
        if not packet.marker:
            return
        from bench.source import read_trailer

        trailer = read_trailer(packet.payload)
        if trailer is None:
            return
        now = time.time_ns()
        sent_ns, sequence, source_id = trailer
        stats = self.tracks.get(source_id)
        if stats is None:
            stats = self.tracks[source_id] = TrackStats()
        if sequence <= stats.rtp_last_sequence:
            return  # a retransmission
        stats.rtp_last_sequence = sequence
        if self.window_started_ns is not None:
            stats.rtp_frames_window += 1
            stats.rtp_latencies_ns.append(now - sent_ns)

    async def _read(self, track: Any) -> None:
        """Read a received track (only when frames are not sunk, see :class:`FrameSink`)."""
        from aiortc.mediastreams import MediaStreamError

        try:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                now = time.time_ns()
                try:
                    data = bytes(frame)
                except TypeError:
                    # A decoded av.VideoFrame: media.aiortc_hooks is not installed.
                    self.recv_errors.append(f"got {type(frame).__name__}, not an encoded packet")
                    return
                self.on_frame(data, now)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # keep going for the others, but say so
            self.recv_errors.append(f"{type(exc).__name__}: {exc}")

    def on_frame(self, data: bytes, now: Optional[int] = None) -> None:
        """One assembled received frame."""
        from bench.source import read_trailer

        if now is None:
            now = time.time_ns()
        trailer = read_trailer(data)
        if trailer is None:
            stats = self.tracks.setdefault(-1, TrackStats())
            stats.unstamped += 1
            return
        sent_ns, sequence, source_id = trailer
        stats = self.tracks.get(source_id)
        if stats is None:
            stats = self.tracks[source_id] = TrackStats()
        if stats.first_frame_ns is None:
            stats.first_frame_ns = now
        stats.frames += 1
        if self.window_started_ns is not None:
            stats.frames_window += 1
            stats.latencies_ns.append(now - sent_ns)
            if stats.last_sequence is not None and sequence != stats.last_sequence + 1:
                stats.gaps_window += 1
        stats.last_sequence = sequence

    def window_start(self) -> None:
        self.window_started_ns = time.time_ns()
        for stats in self.tracks.values():
            stats.frames_window = 0
            stats.gaps_window = 0
            stats.latencies_ns = []
            stats.rtp_frames_window = 0
            stats.rtp_latencies_ns = []

    def window_report(self) -> dict[int, dict[str, Any]]:
        report = {}
        for source_id, stats in self.tracks.items():
            report[source_id] = {
                "frames": stats.frames_window,
                "gaps": stats.gaps_window,
                "latencies_ns": stats.latencies_ns,
                "unstamped": stats.unstamped,
                "rtp_frames": stats.rtp_frames_window,
                "rtp_latencies_ns": stats.rtp_latencies_ns,
            }
            stats.latencies_ns = []
            stats.rtp_latencies_ns = []
        return report

    async def stop_readers(self) -> None:
        for task in self.readers:
            task.cancel()
        if self.readers:
            await asyncio.gather(*self.readers, return_exceptions=True)
        self.readers = []


#: Take assembled frames straight from the receiver's jitter buffer, in the
#: event loop thread, instead of through aiortc's per-receiver decoder thread
#: and the track's queue (``--read-tracks`` turns this off).
SINK_FRAMES = True


class FrameSink:
    """Stands in for an ``RTCRtpReceiver``'s decoder queue (load generator only).

    aiortc hands every assembled frame to a per-receiver decoder thread through
    a ``queue.Queue``; the thread (with ``media.aiortc_hooks``, a no-op
    "decoder") passes it back to the event loop for ``track.recv()``.  That is
    two thread hand-offs per frame under the GIL, which costs the load
    generator much CPU and latency with tens of receivers.  Put in place
    before the receiver starts (the ``track`` event comes first), the sink
    gets ``put((codec, frame))`` in the event loop thread and calls
    ``on_frame(frame.data)`` directly; :func:`_sink_aware_decoder_worker`
    makes the decoder thread exit at once.
    """

    def __init__(self, on_frame: Callable[[bytes], None]) -> None:
        self.on_frame = on_frame

    @classmethod
    def attach(cls, receiver: Any, on_frame: Callable[[bytes], None]) -> bool:
        if getattr(receiver, "_RTCRtpReceiver__decoder_thread", None) is not None:
            return False  # already started: too late
        receiver._RTCRtpReceiver__decoder_queue = cls(on_frame)
        return True

    def put(self, item: Any) -> None:
        if item is not None:
            self.on_frame(item[1].data)

    def get(self) -> None:
        return None


def _install_frame_sink() -> None:
    from aiortc import rtcrtpreceiver

    original = rtcrtpreceiver.decoder_worker

    def _sink_aware_decoder_worker(loop: Any, input_q: Any, output_q: Any, *args: Any) -> None:
        if isinstance(input_q, FrameSink):
            return
        original(loop, input_q, output_q, *args)

    rtcrtpreceiver.decoder_worker = _sink_aware_decoder_worker


def _vp8_only(transceiver: Any) -> None:
    from aiortc import RTCRtpSender

    codecs = [
        c
        for c in RTCRtpSender.getCapabilities("video").codecs
        if c.mimeType.lower() in ("video/vp8", "video/rtx")
    ]
    transceiver.setCodecPreferences(codecs)


class Station(Receiver):
    """One synthetic participant of the hub."""

    def __init__(
        self,
        name: str,
        url: str,
        token: str,
        publish: bool,
        loop: Any,
        source_id: int,
    ) -> None:
        super().__init__(name)
        self.url = url
        self.token = token
        self.publish = publish
        self.loop = loop
        self.source_id = source_id
        self.sio: Any = None
        self.pub_pc: Any = None
        self.sub_pc: Any = None
        self.source: Any = None
        self.participant_id: Optional[str] = None
        self.connect_started_ns: Optional[int] = None
        self.joined_ns: Optional[int] = None
        self.events: dict[str, int] = {}
        self.errors: list[Any] = []
        self.mids: dict[str, str] = {}
        self.states: dict[str, list[str]] = {"publish": [], "subscribe": []}
        self._negotiation = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.answers_sent = 0
        self.window_sent_start = 0
        # A phone that shows the stage and 3 thumbnails: video m-lines past
        # the first ``max_video`` are answered inactive (the relay then sends
        # nothing on them).
        self.max_video: Optional[int] = None

    def _pc(self) -> Any:
        return self.sub_pc

    def _count(self, name: str) -> None:
        self.events[name] = self.events.get(name, 0) + 1

    def _new_pc(self, transport: str) -> Any:
        from aiortc import RTCPeerConnection

        from bench.loopback import rtc_configuration

        pc = RTCPeerConnection(rtc_configuration())

        @pc.on("connectionstatechange")
        def _state() -> None:
            self.states[transport].append(pc.connectionState)

        return pc

    async def start(self) -> dict[str, Any]:
        import socketio

        from bench.loopback import only_loopback_candidates
        from bench.source import StampedSource

        self.connect_started_ns = time.time_ns()
        sio = self.sio = socketio.AsyncClient(reconnection=False)

        for name in ("participantJoined", "participantUpdated", "participantLeft", "audioLevels"):
            sio.on(name, (lambda n: (lambda data=None: self._count(n)))(name))

        @sio.on("subscribeOffer")
        async def _on_offer(data: dict) -> None:
            self._count("subscribeOffer")
            task = asyncio.ensure_future(self._answer(data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        @sio.on("subscribeTracks")
        async def _on_tracks(data: dict) -> None:
            self._count("subscribeTracks")
            task = asyncio.ensure_future(self._retarget(data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        @sio.on("error")
        def _on_error(data: Any = None) -> None:
            self._count("error")
            self.errors.append(data)

        @sio.on("kicked")
        def _on_kicked(data: Any = None) -> None:
            self._count("kicked")

        await sio.connect(self.url, transports=["websocket"], wait_timeout=10)
        result = await sio.call("join", {"token": self.token, "lang": "en"}, timeout=15)
        if not result or not result.get("ok"):
            raise RuntimeError(f"{self.name}: join failed: {result}")
        self.participant_id = result["self"]["id"]
        self.joined_ns = time.time_ns()
        if self.publish:
            pc = self.pub_pc = self._new_pc("publish")
            self.source = StampedSource(self.loop, self.source_id, start_index=0)
            transceiver = pc.addTransceiver(self.source, direction="sendonly")
            _vp8_only(transceiver)
            await pc.setLocalDescription(await pc.createOffer())
            answer = await sio.call(
                "publishOffer", {"sdp": pc.localDescription.sdp, "type": "offer"}, timeout=15
            )
            if not answer or not answer.get("ok"):
                raise RuntimeError(f"{self.name}: publishOffer failed: {answer}")
            from aiortc import RTCSessionDescription

            await pc.setRemoteDescription(
                RTCSessionDescription(sdp=only_loopback_candidates(answer["sdp"]), type="answer")
            )
        return {"participantId": self.participant_id, "others": len(result.get("participants", []))}

    async def _answer(self, data: dict) -> None:
        from aiortc import RTCSessionDescription

        from bench.loopback import only_loopback_candidates

        try:
            async with self._negotiation:
                if self.sub_pc is None:
                    self.sub_pc = self._new_pc("subscribe")
                    self.sub_pc.on("track", self.on_track)
                for track in data.get("tracks", []):
                    self.mids[track["mid"]] = track["participantId"]
                await self.sub_pc.setRemoteDescription(
                    RTCSessionDescription(sdp=only_loopback_candidates(data["sdp"]), type="offer")
                )
                if self.max_video is not None:
                    video = [t for t in self.sub_pc.getTransceivers() if t.kind == "video"]
                    for i, transceiver in enumerate(video):
                        transceiver.direction = "recvonly" if i < self.max_video else "inactive"
                await self.sub_pc.setLocalDescription(await self.sub_pc.createAnswer())
                result = await self.sio.call(
                    "subscribeAnswer",
                    {"sdp": self.sub_pc.localDescription.sdp, "type": "answer"},
                    timeout=15,
                )
                self.answers_sent += 1
                if not result or not result.get("ok"):
                    self.errors.append({"subscribeAnswer": result})
        except Exception as exc:
            self.errors.append(f"answering subscribeOffer: {type(exc).__name__}: {exc}")

    async def _retarget(self, data: dict) -> None:
        """``subscribeTracks``: the same transceivers carry other publishers."""
        async with self._negotiation:  # after any answer still being made
            self.mids = {t["mid"]: t["participantId"] for t in data.get("tracks", [])}

    async def stop(self) -> None:
        try:
            if self.sio is not None and self.sio.connected:
                try:
                    await self.sio.call("leave", {}, timeout=5)
                except Exception:
                    pass
                await self.sio.disconnect()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await self.stop_readers()
            for pc in (self.pub_pc, self.sub_pc):
                if pc is not None:
                    await pc.close()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "participantId": self.participant_id,
            "events": dict(self.events),
            "errors": [str(e) for e in self.errors[-5:]],
            "publishStates": self.states["publish"],
            "subscribeStates": self.states["subscribe"],
            "mids": dict(self.mids),
            "trackEvents": self.track_events,
            "answersSent": self.answers_sent,
            "subscribeMLines": (
                self.sub_pc.remoteDescription.sdp.count("\nm=")
                if self.sub_pc is not None and self.sub_pc.remoteDescription is not None else 0
            ),
            "subscribeTransceivers": len(self.sub_pc.getTransceivers()) if self.sub_pc is not None else 0,
            "framesBySource": {k: v.frames for k, v in self.tracks.items()},
            "recvErrors": self.recv_errors[-3:],
            "sent": self.source.frames_sent if self.source else None,
            "keyframeRequests": self.source.keyframe_requests if self.source else None,
        }


class DirectSender:
    """The publisher end of the direct (no hub) baseline link."""

    def __init__(self, loop: Any, source_id: int) -> None:
        from bench.source import StampedSource

        self.pc: Any = None
        self.source = StampedSource(loop, source_id)

    async def offer(self) -> str:
        from aiortc import RTCPeerConnection

        from bench.loopback import rtc_configuration

        self.pc = RTCPeerConnection(rtc_configuration())
        transceiver = self.pc.addTransceiver(self.source, direction="sendonly")
        _vp8_only(transceiver)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, sdp: str) -> None:
        from aiortc import RTCSessionDescription

        from bench.loopback import only_loopback_candidates

        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=only_loopback_candidates(sdp), type="answer")
        )

    async def stop(self) -> None:
        if self.pc is not None:
            await self.pc.close()


class DirectReceiver(Receiver):
    def __init__(self) -> None:
        super().__init__("direct")
        self.pc: Any = None

    def _pc(self) -> Any:
        return self.pc

    async def answer(self, sdp: str) -> str:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        from bench.loopback import only_loopback_candidates, rtc_configuration

        self.pc = RTCPeerConnection(rtc_configuration())
        self.pc.on("track", self.on_track)
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=only_loopback_candidates(sdp), type="offer")
        )
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def stop(self) -> None:
        await self.stop_readers()
        if self.pc is not None:
            await self.pc.close()


class Worker:
    """The commands a worker understands (``cmd_*``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop_frames: Any = None
        self.stations: dict[str, Station] = {}
        self.direct_sender: Optional[DirectSender] = None
        self.direct_receiver: Optional[DirectReceiver] = None
        self.window_started: Optional[float] = None

    # -- setup ---------------------------------------------------------------

    async def cmd_setup(self, loop: Any) -> dict:
        self.loop_frames = loop
        return {"pid": os.getpid()}

    async def cmd_start_station(
        self, name: str, url: str, token: str, publish: bool, source_id: int
    ) -> dict:
        if name in self.stations:
            raise RuntimeError(f"station {name} already running")
        station = Station(name, url, token, publish, self.loop_frames, source_id)
        self.stations[name] = station
        return await station.start()

    async def cmd_start_janus_station(
        self, name: str, url: str, room: int, publish: bool, source_id: int, feed: Optional[int] = None
    ) -> dict:
        """A participant of a Janus VideoRoom room (``bench/janus.py``)."""
        from bench.janus import JanusStation

        if name in self.stations:
            raise RuntimeError(f"station {name} already running")
        station = JanusStation(name, url, room, publish, self.loop_frames, source_id, feed)
        self.stations[name] = station  # type: ignore[assignment]
        return await station.start()

    async def cmd_packets_sent(self, names: list[str]) -> dict:
        """RTP packets sent so far by the publish connection of each station."""
        out = {}
        for n in names:
            station = self.stations.get(n)
            pc = getattr(station, "pub_pc", None) or getattr(station, "pc", None)
            out[n] = sum(getattr(t.sender, "_RTCRtpSender__packet_count", 0)
                         for t in pc.getTransceivers()) if pc is not None else 0
        return out

    async def cmd_stop_station(self, name: str) -> dict:
        station = self.stations.pop(name)
        await station.stop()
        return {}

    async def cmd_stop_stations(self, names: Optional[list[str]] = None) -> dict:
        names = list(self.stations) if names is None else names
        stations = [self.stations.pop(n) for n in names if n in self.stations]
        await asyncio.gather(*(s.stop() for s in stations), return_exceptions=True)
        return {"stopped": len(stations)}

    async def cmd_wait_frames(
        self, names: list[str], sources: list[int], timeout: float
    ) -> dict:
        """Wait until every station of ``names`` received a frame from every
        source of ``sources`` (its own excluded)."""
        deadline = time.monotonic() + timeout
        while True:
            missing = {
                n: [
                    s
                    for s in sources
                    if s != self.stations[n].source_id
                    and (s not in self.stations[n].tracks or self.stations[n].tracks[s].first_frame_ns is None)
                ]
                for n in names
            }
            missing = {n: m for n, m in missing.items() if m}
            if not missing or time.monotonic() >= deadline:
                return {"missing": missing}
            await asyncio.sleep(0.02)

    async def cmd_join_times(self, names: list[str]) -> dict:
        """For each station: connect start, join done, and first frame per source (ns)."""
        return {
            n: {
                "connect_ns": self.stations[n].connect_started_ns,
                "joined_ns": self.stations[n].joined_ns,
                "first_frame_ns": {
                    s: t.first_frame_ns for s, t in self.stations[n].tracks.items()
                },
            }
            for n in names
            if n in self.stations
        }

    async def cmd_describe(self) -> dict:
        out = {n: s.describe() for n, s in self.stations.items()}
        if self.direct_receiver is not None:
            out["direct"] = {
                "framesBySource": {k: v.frames for k, v in self.direct_receiver.tracks.items()},
                "state": self.direct_receiver.pc.connectionState if self.direct_receiver.pc else None,
            }
        return out

    # -- direct baseline --------------------------------------------------------

    async def cmd_direct_offer(self, source_id: int) -> str:
        self.direct_sender = DirectSender(self.loop_frames, source_id)
        return await self.direct_sender.offer()

    async def cmd_direct_answer(self, sdp: str) -> str:
        self.direct_receiver = DirectReceiver()
        return await self.direct_receiver.answer(sdp)

    async def cmd_direct_accept(self, sdp: str) -> dict:
        assert self.direct_sender is not None
        await self.direct_sender.accept(sdp)
        return {}

    # -- measurement window -------------------------------------------------------

    def _receivers(self) -> list[Receiver]:
        receivers: list[Receiver] = list(self.stations.values())
        if self.direct_receiver is not None:
            receivers.append(self.direct_receiver)
        return receivers

    def _sources(self) -> dict[str, Any]:
        sources = {n: s.source for n, s in self.stations.items() if s.source is not None}
        if self.direct_sender is not None:
            sources["direct"] = self.direct_sender.source
        return sources

    async def cmd_window_start(self) -> dict:
        self.window_started = time.monotonic()
        for receiver in self._receivers():
            receiver.window_start()
        self._sent_at_start = {n: s.frames_sent for n, s in self._sources().items()}
        return {}

    async def cmd_window_end(self) -> dict:
        assert self.window_started is not None
        duration = time.monotonic() - self.window_started
        received = {r.name: r.window_report() for r in self._receivers()}
        sent = {
            n: {
                "source_id": s.source_id,
                "frames": s.frames_sent - self._sent_at_start.get(n, 0),
                "keyframe_requests": s.keyframe_requests,
                "late_resyncs": s.late_resyncs,
            }
            for n, s in self._sources().items()
        }
        for receiver in self._receivers():
            receiver.window_started_ns = None
        self.window_started = None
        return {"duration": duration, "received": received, "sent": sent}

    async def cmd_shutdown(self) -> dict:
        await self.cmd_stop_stations()
        if self.direct_sender is not None:
            await self.direct_sender.stop()
        if self.direct_receiver is not None:
            await self.direct_receiver.stop()
        return {}


def worker_main(name: str, conn: Connection, log_level: str = "WARNING", sink_frames: bool = True) -> None:
    """Entry point of a load generator process."""
    if PROJECT_DIR not in sys.path:
        sys.path.insert(0, PROJECT_DIR)
    logging.basicConfig(level=log_level, format=f"[{name}] %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aioice").setLevel(logging.ERROR)

    from media import aiortc_hooks  # receive encoded frames, never decode

    from bench import loopback

    aiortc_hooks.install()
    loopback.install()
    global SINK_FRAMES
    SINK_FRAMES = sink_frames
    if sink_frames:
        _install_frame_sink()
    if os.environ.get("BENCH_UVLOOP") == "1":  # off by default: see bench/README.md
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_serve(name, conn))
    else:
        asyncio.run(_serve(name, conn))


async def _serve(name: str, conn: Connection) -> None:
    worker = Worker(name)
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task] = set()
    stopping = False

    async def run(request_id: int, command: str, kwargs: dict) -> None:
        try:
            handler: Callable = getattr(worker, "cmd_" + command)
            value = await handler(**kwargs)
            conn.send((request_id, True, value))
        except Exception as exc:
            conn.send((request_id, False, f"{command}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"))

    while not stopping:
        try:
            request_id, command, kwargs = await loop.run_in_executor(None, conn.recv)
        except (EOFError, OSError):
            break
        if command == "shutdown":
            stopping = True
            await asyncio.gather(*pending, return_exceptions=True)
            await run(request_id, command, kwargs)
            break
        task = asyncio.ensure_future(run(request_id, command, kwargs))
        pending.add(task)
        task.add_done_callback(pending.discard)
    for task in pending:
        task.cancel()
