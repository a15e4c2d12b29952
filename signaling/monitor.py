"""Station monitoring for dispatchers: the relay's own figures per
participant and the warnings a dispatcher must see (pure rules,
:func:`assess`), and :class:`LiveTicker`, the one 250 ms beat of a live
room: audio levels and the active speaker, polling turns, and every 2 s the
monitor.  The ticker does its I/O only through what it is given (the relay's
figures, an emit, the server's enforcement), so the socket server keeps just
the socket protocol."""

from __future__ import annotations

from dataclasses import dataclass
import time
from typing import Any, Awaitable, Callable, Optional

from media.interface import ParticipantStats
from signaling.control import LiveControl
from signaling.presence import Presence
from signaling.receive import layer_counts
from signaling.speaker import ActiveSpeaker

MONITOR_INTERVAL = 2.0


@dataclass(frozen=True)
class Thresholds:
    loss_ratio: float = 0.05  # more than 5 % of packets lost
    round_trip_time: float = 0.4  # seconds
    min_video_bitrate: float = 100_000  # bit/s, with the camera on


def loss_ratio(received: int, lost: int) -> float:
    total = received + lost
    return lost / total if total else 0.0


def assess(
    stats: ParticipantStats,
    camera: bool,
    mic: bool,
    connection: str,
    previous: Optional[ParticipantStats] = None,
    thresholds: Thresholds = Thresholds(),
) -> dict[str, Any]:
    """One tile of the monitoring view.  Loss is counted over the last
    interval when ``previous`` is given, else since the start."""
    received = sum(stats.packets_received.values())
    lost = sum(stats.packets_lost.values())
    if previous is not None:
        received -= sum(previous.packets_received.values())
        lost -= sum(previous.packets_lost.values())
    loss = loss_ratio(max(received, 0), max(lost, 0))
    video_bitrate = stats.inbound_bitrate.get("video", 0.0)
    warnings = []
    if connection in ("disconnected", "failed", "closed"):
        warnings.append("offline")
    if connection == "reconnecting":  # lost its network; has resume_seconds to come back
        warnings.append("reconnecting")
    if loss > thresholds.loss_ratio:
        warnings.append("packet_loss")
    # aiortc's estimate can come out negative when RTCP reports race: no figure then.
    rtt = stats.round_trip_time if stats.round_trip_time is not None and stats.round_trip_time >= 0 else None
    if rtt is not None and rtt > thresholds.round_trip_time:
        warnings.append("high_rtt")
    if camera and "video" in stats.publishing and video_bitrate < thresholds.min_video_bitrate:
        warnings.append("low_bitrate")
    if camera and connection == "connected" and "video" not in stats.publishing:
        warnings.append("no_video")
    return {
        "participantId": stats.participant_id,
        "online": connection == "connected",
        "camera": camera,
        "mic": mic,
        "bitrate": {kind: round(value) for kind, value in stats.inbound_bitrate.items()},
        "packetLoss": round(loss, 4),
        "roundTripTime": None if rtt is None else round(rtt, 4),
        "resolution": [stats.frame_width, stats.frame_height] if stats.frame_width else None,
        "downlink": downlink(stats),
        "warnings": warnings,
    }


def downlink(stats: ParticipantStats) -> dict[str, Any]:
    """What the participant receives, as the relay sees it: its estimated
    downlink (bit/s, ``None`` before the first estimate; ``limited`` False:
    no limit known, the estimate is "at least"), the loss and
    round-trip time its receiver reports say, and how many of its videos
    come on big streams, on small ones, or are paused."""
    rtt = stats.downlink_rtt if stats.downlink_rtt is not None and stats.downlink_rtt >= 0 else None
    return {
        "estimate": None if stats.downlink_estimate is None else round(stats.downlink_estimate),
        "limited": bool(stats.downlink_limited),
        "loss": None if stats.downlink_loss is None else round(stats.downlink_loss, 4),
        "roundTripTime": None if rtt is None else round(rtt, 4),
        "layers": layer_counts(stats.layers),
    }


#: Seconds between two beats of :class:`LiveTicker` (levels, speaker, polling).
AUDIO_LEVELS_INTERVAL = 0.25

Emit = Callable[..., Awaitable[Any]]


class LiveTicker:
    """One beat of every live room.  ``stats`` reads the relay's figures, ``emit`` is the socket
    server's ``emit(event, data, to=…, room=…)``, ``apply`` enforces a room's control state at
    the relay and tells its members (after a polling turn or a change of speaker)."""

    def __init__(
        self, presence: Presence, controls: dict[str, LiveControl],
        stats: Callable[[], Awaitable[list[ParticipantStats]]], emit: Emit,
        apply: Callable[[str], Awaitable[None]],
    ) -> None:
        self.presence = presence
        self.controls = controls
        self.stats = stats
        self.emit = emit
        self.apply = apply
        self.speakers: dict[str, ActiveSpeaker] = {}
        self._last_stats: dict[str, ParticipantStats] = {}  # per participant, for the interval figures
        self._monitor_due = 0.0

    async def emit_monitor(self, all_stats: list[ParticipantStats]) -> None:
        """Every 2 s, each room's dispatchers get the relay's figures for
        every participant, with warnings for degraded or dropped stations."""
        by_room: dict[str, list[dict[str, Any]]] = {}
        for stat in all_stats:
            participant = self.presence.by_id(stat.participant_id)
            if participant is None:
                continue
            tile = assess(
                stat, participant.camera, participant.mic, participant.connection,
                previous=self._last_stats.get(stat.participant_id),
            )
            tile["displayName"] = participant.display_name
            by_room.setdefault(stat.room_id, []).append(tile)
        self._last_stats = {stat.participant_id: stat for stat in all_stats}
        for room_id, tiles in by_room.items():
            for p in self.presence.rooms.get(room_id) or ():
                if p.role == "dispatcher":
                    await self.emit("monitor", {"participants": tiles, "at": time.time()}, to=p.sid)

    async def tick(self) -> None:
        """One beat: the monitor when due, polling turns, audio levels and the active speaker."""
        if not self.presence.rooms:
            return
        now = time.monotonic()
        by_room: dict[str, dict[str, Optional[float]]] = {}
        all_stats = await self.stats()
        if now >= self._monitor_due:
            self._monitor_due = now + MONITOR_INTERVAL
            await self.emit_monitor(all_stats)
        for stat in all_stats:
            if self.presence.by_id(stat.participant_id) is None:
                continue
            if "audio" not in stat.publishing:
                continue
            by_room.setdefault(stat.room_id, {})[stat.participant_id] = stat.audio_level
        for room_id in list(self.speakers):
            if room_id not in self.presence.rooms:
                del self.speakers[room_id]
        for room_id, control in list(self.controls.items()):
            if control.tick(now):  # polling moved the stage
                await self.apply(room_id)
        for room_id, levels in by_room.items():
            speaker = self.speakers.setdefault(room_id, ActiveSpeaker())
            room_control = self.controls.get(room_id)
            heard = {pid: lvl for pid, lvl in levels.items() if room_control is None or room_control.audio_allowed(pid)}
            speaking = speaker.update(heard, now)
            if room_control is not None and room_control.speaker != speaking and room_control.set_speaker(speaking):
                await self.apply(room_id)
            await self.emit(
                "audioLevels",
                {
                    "levels": {pid: (127 if lvl is None else lvl) for pid, lvl in levels.items()},
                    "speaking": speaking,
                },
                room=room_id,
            )
