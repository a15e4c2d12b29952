"""Helpers for media tests: in-process aiortc client peers around a Relay.

Clients are plain aiortc ``RTCPeerConnection`` objects on real ICE (host
candidates of this machine).  With :mod:`media.aiortc_hooks` installed (the
Relay installs it) they too receive encoded frames, so a test can compare
bytes end to end.  :class:`EncodedVideoTrack` / :class:`EncodedAudioTrack`
send synthetic pre-encoded frames, so nothing in the process needs a codec.
"""

from __future__ import annotations

import asyncio
import fractions
import struct
import time
from dataclasses import dataclass, field
from typing import Optional

import av
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.interface import SessionDescription, TrackInfo
from media.relay import Relay

VIDEO_TB = fractions.Fraction(1, 90000)


def client_pc() -> RTCPeerConnection:
    """An aiortc client connection with max-bundle, as browsers are configured.

    Not aiortc's default BALANCED policy: with it, an offer that adds two
    m-lines of one kind at once leaves the second on a transport that the
    BUNDLE step then stops (it is already marked bundled), so its packets
    reach the first receiver of that kind by payload type (aiortc 1.16.0,
    ``RTCPeerConnection.__createTransceiver``).  This made a relay test fail
    about once in 50 runs on a loaded machine."""
    return RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))

AUDIO_TB = fractions.Fraction(1, 48000)


class EncodedVideoTrack(MediaStreamTrack):
    """30 fps synthetic "VP8" frames: byte 0 bit 0 clear marks a keyframe
    (as in VP8), then a 4-byte frame counter, then filler.  Keyframes only on
    request (``request_keyframe``, called by the patched sender on PLI), like
    a browser; ``initial_keyframe`` sends one first."""

    kind = "video"

    def __init__(self, keyframe_size: int = 4000, delta_size: int = 900, initial_keyframe: bool = True) -> None:
        super().__init__()
        self.keyframe_size = keyframe_size
        self.delta_size = delta_size
        self.counter = 0
        self.keyframe_requests = 0
        self.keyframes_sent = 0
        self._want_keyframe = initial_keyframe
        self._start: Optional[float] = None

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._want_keyframe = True

    async def recv(self) -> av.Packet:
        if self._start is None:
            self._start = time.monotonic()
        target = self._start + self.counter / 30
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        key = self._want_keyframe
        self._want_keyframe = False
        if key:
            self.keyframes_sent += 1
        size = self.keyframe_size if key else self.delta_size
        data = bytes([0x10 if key else 0x11]) + struct.pack("!I", self.counter)
        data += bytes((self.counter + i) & 0xFF for i in range(size - len(data)))
        packet = av.Packet(data)
        packet.pts = self.counter * 3000
        packet.time_base = VIDEO_TB
        self.counter += 1
        return packet


class EncodedAudioTrack(MediaStreamTrack):
    """50 packets/s of synthetic "Opus" payloads carrying a counter."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.counter = 0
        self._start: Optional[float] = None

    async def recv(self) -> av.Packet:
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self.counter / 50 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        packet = av.Packet(b"\xfc" + struct.pack("!I", self.counter) + bytes(40))
        packet.pts = self.counter * 960
        packet.time_base = AUDIO_TB
        self.counter += 1
        return packet


def frame_counter(data: bytes) -> int:
    return struct.unpack("!I", data[1:5])[0]


@dataclass
class Received:
    """What a subscriber client got on one transceiver."""

    mid: str
    kind: str
    packets: list[tuple[float, bytes]] = field(default_factory=list)


class SubscriberClient:
    """The client end of a subscribe connection: answers every offer."""

    def __init__(self, relay: Relay, participant_id: str) -> None:
        self.relay = relay
        self.participant_id = participant_id
        self.pc = client_pc()
        self.offers: list[tuple[SessionDescription, list[TrackInfo]]] = []
        #: The mid map: from the last offer, or a later ``subscriber_tracks``.
        self.mapping: list[TrackInfo] = []
        self.track_updates: list[list[TrackInfo]] = []
        self.received: dict[str, Received] = {}
        self._readers: list[asyncio.Task] = []
        self.offer_event = asyncio.Event()

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            mid = next(t.mid for t in self.pc.getTransceivers() if t.receiver.track is track)
            rec = self.received.setdefault(mid, Received(mid, track.kind))
            self._readers.append(asyncio.ensure_future(self._read(track, rec)))

    async def _read(self, track: MediaStreamTrack, rec: Received) -> None:
        try:
            while True:
                packet = await track.recv()
                rec.packets.append((time.monotonic(), bytes(packet)))
        except (MediaStreamError, asyncio.CancelledError):
            pass

    async def handle_offer(self, offer: SessionDescription, tracks: list[TrackInfo]) -> None:
        self.offers.append((offer, tracks))
        self.mapping = tracks
        if self.pc.signalingState == "closed":
            return
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type=offer.type))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.relay.answer(
            self.participant_id, SessionDescription(sdp=self.pc.localDescription.sdp, type="answer")
        )
        self.offer_event.set()

    def handle_tracks(self, tracks: list[TrackInfo]) -> None:
        self.track_updates.append(tracks)
        self.mapping = tracks

    @property
    def tracks(self) -> list[TrackInfo]:
        return self.mapping

    def by_publisher(self, publisher_id: str, kind: str) -> Optional[Received]:
        for info in self.tracks:
            if info.publisher_id == publisher_id and info.kind == kind:
                return self.received.get(info.mid)
        return None

    async def close(self) -> None:
        for task in self._readers:
            task.cancel()
        await self.pc.close()


class Events:
    """A MediaEvents implementation for tests: records everything and lets
    each participant's :class:`SubscriberClient` answer offers."""

    def __init__(self) -> None:
        self.subscribers: dict[str, SubscriberClient] = {}
        self.states: list[tuple[str, str, str]] = []
        self.publishing_calls: list[tuple[str, list[str]]] = []
        self.tasks: list[asyncio.Task] = []

    async def subscriber_offer(self, participant_id: str, offer: SessionDescription, tracks: list[TrackInfo]) -> None:
        client = self.subscribers[participant_id]
        # Deliver asynchronously, as a socket would.
        self.tasks.append(asyncio.ensure_future(client.handle_offer(offer, tracks)))

    async def subscriber_tracks(self, participant_id: str, tracks: list[TrackInfo]) -> None:
        self.subscribers[participant_id].handle_tracks(tracks)

    async def connection_state(self, participant_id: str, transport: str, state: str) -> None:
        self.states.append((participant_id, transport, state))

    async def publishing(self, participant_id: str, kinds: list[str]) -> None:
        self.publishing_calls.append((participant_id, kinds))


async def publish(relay: Relay, participant_id: str, *tracks: MediaStreamTrack) -> RTCPeerConnection:
    """Create a client publish connection sending ``tracks`` through ``relay``."""
    pc = client_pc()
    for track in tracks:
        pc.addTransceiver(track, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    answer = await relay.publish(participant_id, SessionDescription(sdp=pc.localDescription.sdp, type="offer"))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type=answer.type))
    return pc


async def join_subscriber(relay: Relay, events: Events, room: str, participant_id: str) -> SubscriberClient:
    client = SubscriberClient(relay, participant_id)
    events.subscribers[participant_id] = client
    await relay.join(room, participant_id, events)
    return client


async def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02) -> None:
    """Poll ``predicate`` until true; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
