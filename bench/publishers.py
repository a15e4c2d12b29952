"""Publishing stations without a browser, for tests and benches (issue 9).

A :class:`Publisher` joins through the hub's real signaling (Socket.IO,
a station's join token, ``docs/protocol.md``) and publishes what a station
page publishes: Opus audio, a big video stream (640x480, ~850 kbit/s) and a
small one (320x180, ~120 kbit/s), the small one's media section marked
``a=content:alt``.  Nothing is encoded while it runs: the media are loops
encoded once (:func:`station_media`, cached on disk) and replayed as
``av.Packet`` objects, which aiortc's senders only packetize; a keyframe
request (PLI/FIR, through ``media.aiortc_hooks``) jumps the loop to its next
keyframe.  Eight publishers cost a fraction of a core.

Audio: the first publisher of a run "speaks" (a voice-like tone, ~24 kbit/s
of Opus), the others send the Opus frames of silence a quiet room's
Chromium sends under the DTX the hub's answer asks for (3 bytes, one every
400 ms): what a session sounds like.

A publisher that does not ``receive`` never answers the hub's
``subscribeOffer``: the hub then forwards nothing to it (a pure load source).
One that does answers every offer and counts what arrives per mid (packets,
bytes, frames by the marker bit), without depacketizing or decoding
(:func:`install` with ``light_receive``): the stations of the relay-CPU bench.

Run as a process (the tests start it inside the hub's network namespace)::

    python -m bench.publishers --url http://10.203.0.1:PORT --host 10.203.0.1 \\
        --token xucun=TOKEN --token changan=TOKEN ...

It prints one JSON line ``{"ready": …}`` once every publisher published
(with ``--wait``: first ``{"waiting": …}``, and it joins when a line arrives
on stdin; with ``--connect-timeout``: it may start before the hub listens),
then a JSON line of figures for every line read on stdin, and stops when
stdin closes (or on SIGTERM).
"""

from __future__ import annotations

import argparse
import array
import asyncio
import fractions
import hashlib
import json
import math
import os
import pickle
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

PROJECT_DIR = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("LIAISON_BENCH_CACHE", PROJECT_DIR / "bench" / "out" / "cache"))

BIG_SIZE, SMALL_SIZE = (640, 480), (320, 180)
BIG_BITRATE, SMALL_BITRATE = 750_000, 115_000  # libvpx targets: ~850 and ~125 kbit/s come out
AUDIO_RATE, AUDIO_FRAME = 48000, 960  # 20 ms Opus frames
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)
ALT_MARK = "a=content:alt"


@dataclass(frozen=True)
class StationMedia:
    """Everything a publisher sends, encoded once."""

    big: Any  # bench.source.EncodedLoop
    small: Any
    speech: list[bytes]  # Opus frames of a 4 s voice-like loop
    silence: list[bytes]  # Opus frames of silence

    @property
    def speech_bitrate(self) -> float:
        return 8 * sum(len(f) for f in self.speech) * AUDIO_RATE / AUDIO_FRAME / len(self.speech)


def _encode_opus(samples: array.array, bitrate: int) -> list[bytes]:
    import av

    ctx = av.CodecContext.create("libopus", "w")
    ctx.sample_rate, ctx.layout, ctx.format, ctx.bit_rate = AUDIO_RATE, "mono", "s16", bitrate
    ctx.time_base = AUDIO_TIME_BASE
    out: list[bytes] = []
    for start in range(0, len(samples) - AUDIO_FRAME + 1, AUDIO_FRAME):
        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_FRAME)
        frame.planes[0].update(samples[start:start + AUDIO_FRAME].tobytes())
        frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, start, AUDIO_TIME_BASE
        out.extend(bytes(p) for p in ctx.encode(frame))
    out.extend(bytes(p) for p in ctx.encode(None))
    return out[: len(samples) // AUDIO_FRAME]


def _voice(seconds: float, seed: int = 1) -> array.array:
    """A voice-like signal: two partials, a 3 Hz syllable envelope, a little noise."""
    rng = random.Random(seed)
    n = int(seconds * AUDIO_RATE)
    two_pi = 2 * math.pi / AUDIO_RATE
    return array.array("h", (
        int(26000 * (0.5 + 0.5 * math.sin(3 * two_pi * i))
            * (0.6 * math.sin(220 * two_pi * i) + 0.3 * math.sin(447 * two_pi * i)) + rng.gauss(0, 300))
        for i in range(n)
    ))


def encode_station_media(seconds: float = 4.0) -> StationMedia:
    from bench.source import encode_loop

    return StationMedia(
        big=encode_loop(seconds, bitrate=BIG_BITRATE, size=BIG_SIZE),
        small=encode_loop(seconds, bitrate=SMALL_BITRATE, size=SMALL_SIZE, cpu_used=-8),  # the same on any machine
        speech=_encode_opus(_voice(seconds), 24_000),
        silence=_encode_opus(array.array("h", bytes(2 * int(seconds * AUDIO_RATE))), 24_000),
    )


def station_media(cache_dir: Optional[Path] = CACHE_DIR) -> StationMedia:
    """The encoded loops, from the on-disk cache when the code and settings
    that encode them have not changed since (encoding takes 5-40 s)."""
    if cache_dir is None:
        return encode_station_media()
    import bench.source

    import inspect

    recipe = "".join(inspect.getsource(f) for f in (encode_station_media, _encode_opus, _voice))
    recipe += repr((BIG_SIZE, SMALL_SIZE, BIG_BITRATE, SMALL_BITRATE, AUDIO_RATE, AUDIO_FRAME))
    key = hashlib.sha256(recipe.encode() + Path(bench.source.__file__).read_bytes()).hexdigest()[:16]
    path = Path(cache_dir) / f"station-media-{key}.pickle"
    try:
        with open(path, "rb") as f:
            media = pickle.load(f)
        if isinstance(media, StationMedia):
            return media
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    media = encode_station_media()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(media))
    tmp.replace(path)
    return media


#: Frames of silence per frame sent under Opus DTX: a browser's encoder asked for DTX
#: (``usedtx=1``, which the hub's answer asks for) sends a silent microphone as one
#: packet every 400 ms (measured here: Chromium 4.8 packets a second, 50 without DTX).
DTX_FRAMES = 20


def _opus_track(frames: list[bytes], dtx: bool = False) -> Any:
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    step = DTX_FRAMES if dtx else 1

    class OpusLoop(MediaStreamTrack):
        """Pre-encoded Opus frames, 50 a second (``dtx``: one every 400 ms, the RTP
        timestamp running on over the others), as ``av.Packet`` objects."""

        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.sent = 0
            self._start: Optional[float] = None

        async def recv(self) -> Any:
            import av

            if self.readyState != "live":
                raise MediaStreamError
            now = time.monotonic()
            if self._start is None:
                self._start = now
            index = self.sent * step
            target = self._start + index * AUDIO_FRAME / AUDIO_RATE
            if target > now:
                await asyncio.sleep(target - now)
            elif now - target > 0.2:
                self._start = now - index * AUDIO_FRAME / AUDIO_RATE  # starved: no burst
            packet = av.Packet(frames[self.sent % len(frames)])
            packet.pts, packet.time_base = index * AUDIO_FRAME, AUDIO_TIME_BASE
            self.sent += 1
            return packet

    return OpusLoop()


def mark_alt(sdp: str, mid: str) -> str:
    """``sdp`` with ``a=content:alt`` in the media section of ``mid`` (the small stream)."""
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    out = []
    for line in lines:
        out.append(line)
        if line == f"a=mid:{mid}":
            out.append(ALT_MARK)
    if ALT_MARK not in out:
        raise ValueError(f"no media section with mid {mid!r}")
    return "\r\n".join(out) + "\r\n"


def _vp8_only(transceiver: Any) -> None:
    from aiortc import RTCRtpSender

    transceiver.setCodecPreferences([
        c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType.lower() in ("video/vp8", "video/rtx")
    ])


async def publish_tracks(pc: Any, media: StationMedia, source_id: int, *, small: bool = True,
                         speak: bool = False) -> tuple[dict[str, Any], str]:
    """Add a station's sendonly transceivers (audio, big, small) to ``pc``,
    set its offer, and return the sources by name and the offer to send
    (the small one marked ``a=content:alt``)."""
    from bench.source import StampedSource

    sources: dict[str, Any] = {
        "audio": _opus_track(media.speech) if speak else _opus_track(media.silence, dtx=True),
        "big": StampedSource(media.big, source_id, start_index=0),
    }
    if small:
        sources["small"] = StampedSource(media.small, source_id + 10_000, start_index=0)
    transceivers = {}
    for name, track in sources.items():
        transceivers[name] = pc.addTransceiver(track, direction="sendonly")
        if name != "audio":
            _vp8_only(transceivers[name])
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    if small:
        sdp = mark_alt(sdp, transceivers["small"].mid)
    return sources, sdp


def packets_sent(pc: Any) -> dict[str, int]:
    """RTP packets and bytes sent so far per transceiver mid."""
    out = {}
    for t in pc.getTransceivers():
        out[t.mid] = (getattr(t.sender, "_RTCRtpSender__packet_count", 0),
                      getattr(t.sender, "_RTCRtpSender__octet_count", 0))
    return out


def only_host(sdp: str, host: str) -> str:
    """``sdp`` without ICE candidates on any address other than ``host``."""
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            if len(parts) < 6 or parts[4] != host:
                continue
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


class Publisher:
    """One publishing station (see the module docstring)."""

    def __init__(self, name: str, url: str, token: str, media: StationMedia, source_id: int, *,
                 host: str = "127.0.0.1", small: bool = True, speak: bool = False, receive: bool = False) -> None:
        self.name, self.url, self.token, self.media = name, url, token, media
        self.source_id, self.host, self.small, self.speak = source_id, host, small, speak
        self.receive = receive
        self.sio: Any = None
        self.pc: Any = None
        self.sub_pc: Any = None
        self.mids: dict[str, dict] = {}  # subscribe mid -> {participantId, kind}
        self.received: dict[str, list[int]] = {}  # subscribe mid -> [packets, bytes, frames]
        self._negotiation = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.sources: dict[str, Any] = {}
        self.participant_id: Optional[str] = None
        self.states: list[str] = []
        self.errors: list[str] = []

    async def _connect(self, timeout: float) -> None:
        """Connect the socket, trying again until the hub listens (a publisher
        process starts beside the hub, not after it) or ``timeout`` passes."""
        import socketio

        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.sio.connect(self.url, transports=["websocket"], wait_timeout=15)
                return
            except socketio.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)

    async def _join(self, timeout: float) -> dict:
        """Connect and join; on a starved hub the join may outlast the hub's
        join_timeout (the socket is closed): a new socket tries again, until
        ``timeout`` has passed (one try with 0)."""
        import socketio

        deadline = time.monotonic() + timeout
        while True:
            self.sio = socketio.AsyncClient(reconnection=False)
            self.sio.on("error", lambda data=None: self.errors.append(str(data)))
            self.sio.on("kicked", lambda data=None: self.errors.append(f"kicked: {data}"))
            self.sio.on("disconnect", lambda *a: self.errors.append(f"socket disconnected {a}"))
            if self.receive:
                self.sio.on("subscribeOffer", lambda data: self._spawn(self._answer(data)))
                self.sio.on("subscribeTracks", lambda data: self._spawn(self._retarget(data)))
            await self._connect(max(0.0, deadline - time.monotonic()))
            try:
                result = await self.sio.call("join", {"token": self.token, "lang": "zh-CN"}, timeout=20)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.DisconnectedError) as exc:
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            if result and result.get("ok") and self.sio.connected:
                return result
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: join failed: {result}")
            self.errors.append(f"join tried again after {result}")
            await self.sio.disconnect()

    async def start(self, connect_timeout: float = 0) -> str:
        """Join and publish; ``connect_timeout``: how long to wait for the hub
        to listen."""
        from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        result = await self._join(connect_timeout)
        self.participant_id = result["self"]["id"]
        # Max-bundle as browsers (tests/media_utils.py says why), and no ICE server at all.
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.pc.on("connectionstatechange", lambda: self.states.append(self.pc.connectionState))
        self.sources, sdp = await publish_tracks(self.pc, self.media, self.source_id, small=self.small,
                                                 speak=self.speak)
        answer = await self.sio.call("publishOffer", {"sdp": sdp, "type": "offer"}, timeout=20)
        if not answer or not answer.get("ok"):
            raise RuntimeError(f"{self.name}: publishOffer failed: {answer}")
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=only_host(answer["sdp"], self.host),
                                                                 type="answer"))
        return self.participant_id

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, data: dict) -> None:
        from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        try:
            async with self._negotiation:
                if self.sub_pc is None:
                    self.sub_pc = RTCPeerConnection(RTCConfiguration(iceServers=[],
                                                                     bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
                    self.sub_pc.on("track", self._on_track)
                self.mids = {str(t["mid"]): t for t in data.get("tracks", [])}
                await self.sub_pc.setRemoteDescription(
                    RTCSessionDescription(sdp=only_host(data["sdp"], self.host), type="offer"))
                await self.sub_pc.setLocalDescription(await self.sub_pc.createAnswer())
                result = await self.sio.call("subscribeAnswer", {"sdp": self.sub_pc.localDescription.sdp,
                                                                 "type": "answer"}, timeout=20)
                if not result or not result.get("ok"):
                    self.errors.append(f"subscribeAnswer: {result}")
        except Exception as exc:
            self.errors.append(f"answering subscribeOffer: {type(exc).__name__}: {exc}")

    async def _retarget(self, data: dict) -> None:
        async with self._negotiation:
            self.mids = {str(t["mid"]): t for t in data.get("tracks", [])}

    def _on_track(self, track: Any) -> None:
        for transceiver in self.sub_pc.getTransceivers():
            if transceiver.receiver.track is track:
                counts = self.received.setdefault(str(transceiver.mid), [0, 0, 0])
                transceiver.receiver._light_counts = counts

    async def wait_connected(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if time.monotonic() > deadline or self.pc.connectionState in ("failed", "closed"):
                raise RuntimeError(f"{self.name}: publish connection {self.pc.connectionState} ({self.states}, "
                                   f"{self.errors})")
            await asyncio.sleep(0.1)

    def figures(self) -> dict[str, Any]:
        return {
            "participantId": self.participant_id,
            "state": self.pc.connectionState if self.pc else None,
            "framesSent": {k: getattr(s, "frames_sent", getattr(s, "sent", 0)) for k, s in self.sources.items()},
            "keyframeRequests": {k: getattr(s, "keyframe_requests", 0) for k, s in self.sources.items()},
            # aiortc ends a sender's RTP loop for good on any ConnectionError and then stops its track.
            "sourcesEnded": [k for k, s in self.sources.items() if s.readyState != "live"],
            "sentByMid": packets_sent(self.pc) if self.pc else {},
            "received": {mid: {"participantId": self.mids.get(mid, {}).get("participantId"),
                               "kind": self.mids.get(mid, {}).get("kind"), "packets": c[0], "bytes": c[1],
                               "frames": c[2]} for mid, c in self.received.items()},
            "errors": self.errors[-3:],
        }

    async def stop(self) -> None:
        try:
            if self.sio is not None and self.sio.connected:
                try:
                    await self.sio.call("leave", {}, timeout=3)
                except Exception:
                    pass
                await self.sio.disconnect()
        finally:
            for task in list(self._tasks):
                task.cancel()
            for pc in (self.pc, self.sub_pc):
                if pc is not None:
                    await pc.close()


def install(host: str, light_receive: bool = False) -> None:
    """Process-wide: receive without decoding, ICE consent as the hub checks
    it, and gather ICE host candidates on ``host`` only.  ``light_receive``: a receiver with ``_light_counts``
    only counts its RTP packets (packets, bytes, marker bits) and drops them
    (no NACK, no jitter buffer, no decoder thread)."""
    from aioice import ice

    from media import aiortc_hooks

    aiortc_hooks.install()
    ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: [host] if use_ipv4 else []
    if light_receive:
        from aiortc import clock
        from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics

        previous = RTCRtpReceiver._handle_rtp_packet

        async def _handle_rtp_packet(self: Any, packet: Any, arrival_time_ms: int) -> None:
            counts = getattr(self, "_light_counts", None)
            if counts is None:
                await previous(self, packet, arrival_time_ms)
                return
            counts[0] += 1
            counts[1] += len(packet.payload)
            counts[2] += packet.marker
            # Receiver reports (loss, jitter) still go back: the hub adapts from them.
            codec = self._RTCRtpReceiver__codecs.get(packet.payload_type)
            if codec is not None and codec.mimeType.lower() != "video/rtx":
                self._RTCRtpReceiver__active_ssrc[packet.ssrc] = clock.current_datetime()
                streams = self._RTCRtpReceiver__remote_streams
                if packet.ssrc not in streams:
                    streams[packet.ssrc] = StreamStatistics(codec.clockRate)
                streams[packet.ssrc].add(packet)

        RTCRtpReceiver._handle_rtp_packet = _handle_rtp_packet  # type: ignore[method-assign]


async def run(args: argparse.Namespace) -> int:
    install(args.host, light_receive=args.receive)
    media = station_media()
    publishers = [
        Publisher(name, args.url, token, media, source_id=args.first_source + i, host=args.host,
                  small=not args.big_only, speak=(args.first_source + i == 1), receive=args.receive)
        for i, (name, token) in enumerate(t.split("=", 1) for t in args.token)
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        if args.wait:
            print(json.dumps({"waiting": [p.name for p in publishers]}), flush=True)
            if not await reader.readline():
                return 0
        # The first joins first (the first to arrive takes the stage), the others together.
        ids = {publishers[0].name: await publishers[0].start(connect_timeout=args.connect_timeout)}
        started = await asyncio.gather(*(p.start(connect_timeout=args.connect_timeout) for p in publishers[1:]))
        ids.update(zip((p.name for p in publishers[1:]), started))
        await asyncio.gather(*(p.wait_connected() for p in publishers))
        print(json.dumps({"ready": ids, "speechKbps": round(media.speech_bitrate / 1000, 1),
                          "bigKbps": round(media.big.bitrate / 1000), "smallKbps": round(media.small.bitrate / 1000)}),
              flush=True)
        while not stop.is_set():
            line_task = asyncio.ensure_future(reader.readline())
            stop_task = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({line_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
            stop_task.cancel()
            if line_task not in done:
                line_task.cancel()
                break
            if not line_task.result():
                break  # stdin closed
            print(json.dumps({p.name: p.figures() for p in publishers}), flush=True)
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    finally:
        await asyncio.gather(*(p.stop() for p in publishers), return_exceptions=True)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the hub's base URL")
    parser.add_argument("--host", default="127.0.0.1", help="the one address ICE uses")
    parser.add_argument("--token", action="append", default=[], metavar="NAME=TOKEN",
                        help="a station's join token (repeat; the first one speaks and takes the stage)")
    parser.add_argument("--big-only", action="store_true", help="no small stream")
    parser.add_argument("--receive", action="store_true", help="answer subscribeOffer and count what arrives")
    parser.add_argument("--wait", action="store_true",
                        help='print {"waiting": ...}, then join when a line arrives on stdin')
    parser.add_argument("--connect-timeout", type=float, default=0,
                        help="seconds to keep trying to reach a hub that does not listen yet")
    parser.add_argument("--first-source", type=int, default=1,
                        help="source id of the first publisher (1 speaks), for several processes")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("at least one --token")
    import logging

    logging.basicConfig(level=logging.WARNING, format="[publishers] %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aioice").setLevel(logging.INFO if os.environ.get("PUBLISHERS_DEBUG") else logging.ERROR)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())


class PublisherProcess:
    """``python -m bench.publishers`` as a child process, driven from a bench
    (``prefix``: e.g. ``["ip", "netns", "exec", NS]``)."""

    def __init__(self, url: str, tokens: dict[str, str], *, host: str = "127.0.0.1", small: bool = True,
                 receive: bool = False, first_source: int = 1, prefix: Optional[list[str]] = None,
                 log_path: Optional[Path] = None) -> None:
        import subprocess

        args = [*(prefix or []), sys.executable, "-m", "bench.publishers", "--url", url, "--host", host,
                "--first-source", str(first_source)]
        for name, token in tokens.items():
            args += ["--token", f"{name}={token}"]
        if not small:
            args.append("--big-only")
        if receive:
            args.append("--receive")
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL
        self.popen = subprocess.Popen(args, cwd=PROJECT_DIR, env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True)

    def _line(self, timeout: float) -> dict:
        import select

        assert self.popen.stdout is not None
        ready, _, _ = select.select([self.popen.stdout], [], [], timeout)
        line = self.popen.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the publisher process said nothing in {timeout} s (exit {self.popen.poll()})")
        return json.loads(line)

    def ready(self, timeout: float = 180) -> dict:
        line = self._line(timeout)
        if "ready" not in line:
            raise RuntimeError(f"publishers did not start: {line}")
        return line

    def figures(self, timeout: float = 20) -> dict:
        assert self.popen.stdin is not None
        self.popen.stdin.write("\n")
        self.popen.stdin.flush()
        return self._line(timeout)

    def stop(self) -> None:
        import subprocess

        try:
            if self.popen.stdin is not None:
                self.popen.stdin.close()
            self.popen.wait(15)
        except (subprocess.TimeoutExpired, OSError):
            self.popen.kill()
            self.popen.wait(5)
        if hasattr(self._log, "close"):
            self._log.close()
