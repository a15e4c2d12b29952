"""What each subscriber receives of the cameras it sees (issue 9): pure rules, no I/O.

A publishing station sends two streams of its camera, a big one and a small one
(~320×180, ``a=content:alt``).  The relay forwards the big stream for the pictures
shown large and the small one for thumbnails, and steps a video down (big → small →
paused) when the subscriber's downlink cannot carry it.  A subscriber can also ask
for less (``receive``): the phone profile, audio only, a maximum resolution.

:func:`big_publishers` says which pictures a layout shows large, :func:`limits_of`
turns a page's ``receive`` into the relay's :class:`ReceiveLimits`,
:func:`thumbnail_cap` how many thumbnails its view holds (``LiveControl.view``'s
``cap``), and :func:`layers_public` is the wire form of the relay's :class:`VideoLayer` list (the ``layers`` event).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from media.interface import ReceiveLimits, VideoLayer
from signaling.control import View

#: The phone profile: the stage and three thumbnails, the thumbnails on small streams.
PHONE_MAX_VIDEOS = 4

#: Layouts whose every cell is large (a 2×2 grid: each picture a quarter of the screen).
ALL_BIG_LAYOUTS = ("2x2",)


@dataclass(frozen=True)
class ReceivePreference:
    """A page's last ``receive``: ``full`` (everything its layout shows) or
    ``phone``; no video (``audio_only``); pictures at most ``max_height`` tall."""

    profile: str = "full"
    audio_only: bool = False
    max_height: Optional[int] = None

    @property
    def default(self) -> bool:
        return self == ReceivePreference()


def limits_of(pref: ReceivePreference) -> ReceiveLimits:
    """The relay's limits for a page's preference."""
    return ReceiveLimits(
        audio_only=pref.audio_only,
        max_height=pref.max_height,
        max_videos=PHONE_MAX_VIDEOS if pref.profile == "phone" else None,
    )


def thumbnail_cap(pref: Optional[ReceivePreference]) -> Optional[int]:
    """At most this many thumbnails in the subscriber's view (``None``: as
    the layout says).  A phone gets the stage and three: the relay is never
    asked for pictures it would only pause."""
    if pref is not None and pref.profile == "phone":
        return PHONE_MAX_VIDEOS - 1
    return None


def big_publishers(layout: str, view: View) -> list[str]:
    """The publishers a subscriber shows large, whose big stream it receives:
    the stage; in a 2×2 grid every cell.  Thumbnails (the strip of ``1+N``, the
    cells of the 3×3 and 4×4 grids, a third of the width or less) get small
    streams."""
    if layout in ALL_BIG_LAYOUTS:
        return list(view.publishers)
    return [view.stage] if view.stage else []


def layers_public(layers: list[VideoLayer]) -> list[dict[str, Any]]:
    """The ``layers`` event's list: per video, which stream and why."""
    return [
        {"participantId": v.publisher_id, "mid": v.mid, "layer": v.layer, "reason": v.reason}
        for v in layers
    ]


def layer_counts(layers: dict[str, str]) -> dict[str, int]:
    """How many of a subscriber's videos are on each stream (the monitor)."""
    counts = {"big": 0, "small": 0, "paused": 0}
    for layer in layers.values():
        if layer in counts:
            counts[layer] += 1
    return counts


class ReceiveDesk:
    """Every participant's ``receive`` preference, told to the media plane it
    is given: again after the participant's media is made anew (``resume``,
    ``restartMedia``: the relay forgets a participant's limits with its media)."""

    def __init__(self, media: Any) -> None:
        self.media = media  # a media.interface.MediaPlane
        self.prefs: dict[str, ReceivePreference] = {}

    async def set(self, participant_id: str, pref: ReceivePreference) -> None:
        if pref.default:
            self.prefs.pop(participant_id, None)
        else:
            self.prefs[participant_id] = pref
        await self.media.set_receive_limits(participant_id, limits_of(pref))

    def cap(self, participant_id: str) -> Optional[int]:
        """At most this many thumbnails for the participant (``None``: as the layout says)."""
        return thumbnail_cap(self.prefs.get(participant_id))

    async def restore(self, participant_id: str) -> None:
        """The participant's media was made anew: its limits again."""
        pref = self.prefs.get(participant_id)
        if pref is not None:
            await self.media.set_receive_limits(participant_id, limits_of(pref))

    def forget(self, participant_id: str) -> None:
        self.prefs.pop(participant_id, None)
