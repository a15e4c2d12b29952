"""A media plane that records what signaling asks of it (no WebRTC)."""

from __future__ import annotations

from typing import Optional

from media.interface import IceCandidate, MediaEvents, ParticipantStats, ReceiveLimits, SessionDescription, TrackInfo


class FakeMedia:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.rooms: dict[str, str] = {}
        self.events: dict[str, MediaEvents] = {}
        self.subscriptions: dict[str, list[str]] = {}
        self.levels: dict[str, float] = {}
        self.fail_publish: Optional[Exception] = None
        self.big: dict[str, list[str]] = {}  # subscriber -> the publishers it gets on big streams
        self.limits: dict[str, ReceiveLimits] = {}  # subscriber -> its receive limits
        self.downlinks: dict[str, tuple[float, float, float, dict[str, str]]] = {}  # estimate, loss, rtt, layers

    async def join(self, room_id, participant_id, events):
        self.calls.append(("join", room_id, participant_id))
        self.rooms[participant_id] = room_id
        self.events[participant_id] = events

    async def publish(self, participant_id, offer):
        self.calls.append(("publish", participant_id))
        if self.fail_publish:
            raise self.fail_publish
        await self.events[participant_id].publishing(participant_id, ["audio", "video"])
        return SessionDescription(sdp="v=0 answer-for-" + participant_id, type="answer")

    async def subscribe(self, participant_id, publisher_ids, audio_from=None, big=None):
        self.subscriptions[participant_id] = sorted(publisher_ids)
        self.big[participant_id] = sorted(big or [])
        self.audio_subscriptions = getattr(self, "audio_subscriptions", {})
        self.audio_subscriptions[participant_id] = sorted(audio_from or [])
        tracks = [TrackInfo(mid=str(i), publisher_id=p, kind="video") for i, p in enumerate(sorted(publisher_ids))]
        await self.events[participant_id].subscriber_offer(
            participant_id, SessionDescription(sdp="v=0 offer", type="offer"), tracks
        )

    def received(self, participant_id):
        """Everyone whose media (video or audio) the participant receives."""
        audio = getattr(self, "audio_subscriptions", {}).get(participant_id, [])
        return sorted(set(self.subscriptions.get(participant_id, [])) | set(audio))

    async def set_receive_limits(self, participant_id, limits: ReceiveLimits):
        self.calls.append(("limits", participant_id, limits))
        self.limits[participant_id] = limits

    async def answer(self, participant_id, answer):
        self.calls.append(("answer", participant_id, answer.sdp))

    async def add_ice_candidate(self, participant_id, transport, candidate: IceCandidate):
        self.calls.append(("ice", participant_id, transport, candidate))

    async def set_forwarding(self, publisher_id, kind, enabled):
        self.calls.append(("forwarding", publisher_id, kind, enabled))

    async def leave(self, participant_id):
        self.calls.append(("leave", participant_id))
        self.rooms.pop(participant_id, None)
        self.subscriptions.pop(participant_id, None)
        self.big.pop(participant_id, None)
        self.limits.pop(participant_id, None)  # the relay forgets them with the media
        getattr(self, "audio_subscriptions", {}).pop(participant_id, None)

    async def start_recording(self, room_id, directory, events, max_bytes=None):
        self.calls.append(("start_recording", room_id, directory, max_bytes))
        self.recordings = getattr(self, "recordings", {})
        self.recordings[room_id] = events

    async def stop_recording(self, room_id):
        self.calls.append(("stop_recording", room_id))
        getattr(self, "recordings", {}).pop(room_id, None)
        return []

    async def stats(self, room_id=None):
        out = []
        for pid, rid in self.rooms.items():
            if room_id is not None and rid != room_id:
                continue
            stat = ParticipantStats(participant_id=pid, room_id=rid, publishing={"audio": "audio/opus"},
                                    audio_level=self.levels.get(pid))
            if pid in self.downlinks:
                stat.downlink_estimate, stat.downlink_loss, stat.downlink_rtt, stat.layers = self.downlinks[pid]
            out.append(stat)
        return out

    async def metrics(self):
        return {"participants": len(self.rooms), "codecs_created": 0}

    async def close(self):
        self.calls.append(("close",))
