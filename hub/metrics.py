"""Prometheus text exposition of the hub's figures (``GET /metrics``):
the relay's own statistics per participant and the hub's counters."""

from __future__ import annotations

from typing import Iterable, Mapping, Optional

from media.interface import ParticipantStats

PREFIX = "liaison_"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


class _Family:
    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.name, self.kind, self.help = PREFIX + name, kind, help_text
        self.samples: list[tuple[dict[str, str], float]] = []

    def add(self, value: Optional[float], **labels: str) -> None:
        if value is not None:
            self.samples.append((labels, float(value)))

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        lines += [f"{self.name}{_labels(labels)} {value:g}" for labels, value in self.samples]
        return lines


def render(
    stats: Iterable[ParticipantStats],
    names: Mapping[str, str],
    hub_metrics: Mapping[str, float],
) -> str:
    """``names`` maps participant ids to a display label (station code)."""
    bitrate = _Family("participant_inbound_bitrate_bits", "gauge", "Bitrate the relay receives from a participant, bit/s")
    received = _Family("participant_packets_received_total", "counter", "RTP packets received from a participant")
    lost = _Family("participant_packets_lost_total", "counter", "RTP packets lost from a participant")
    rtt = _Family("participant_round_trip_seconds", "gauge", "Round-trip time to a participant's subscribe connection")
    forwarded = _Family("participant_frames_forwarded_total", "counter", "Frames the relay forwarded to a participant")
    dropped = _Family("participant_frames_dropped_total", "counter", "Frames dropped by a participant's bounded queues")
    level = _Family("participant_audio_level_dbov", "gauge", "Last RFC 6464 audio level, -dBov (127 is silence)")
    width = _Family("participant_video_width_pixels", "gauge", "Width of a participant's video")
    for s in stats:
        base = {"room": s.room_id, "participant": s.participant_id, "name": names.get(s.participant_id, "")}
        for kind, value in s.inbound_bitrate.items():
            bitrate.add(value, **base, kind=kind)
        for kind, value in s.packets_received.items():
            received.add(value, **base, kind=kind)
        for kind, value in s.packets_lost.items():
            lost.add(value, **base, kind=kind)
        rtt.add(s.round_trip_time, **base)
        forwarded.add(s.frames_forwarded, **base)
        dropped.add(s.frames_dropped, **base)
        level.add(s.audio_level, **base)
        width.add(s.frame_width, **base)
    hub = _Family("media", "gauge", "Hub-wide media counters, by name")
    for name, value in sorted(hub_metrics.items()):
        hub.add(value, name=name)
    lines: list[str] = []
    for family in (bitrate, received, lost, rtt, forwarded, dropped, level, width, hub):
        lines += family.render()
    return "\n".join(lines) + "\n"
