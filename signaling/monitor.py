"""Station monitoring for dispatchers: the relay's own figures per
participant and the warnings a dispatcher must see.  Pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from media.interface import ParticipantStats

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
        "warnings": warnings,
    }
