"""Payloads of the client → server events of ``docs/protocol.md``.

Every incoming event is validated against one of these models before
anything happens; a payload that does not fit is refused with
``invalid_payload`` naming the field.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from core.errors import InvalidPayload
from signaling.control import LAYOUTS, MIN_POLL_SECONDS

MAX_SDP = 64 * 1024
#: ``receive``'s ``maxHeight`` bounds, pixels: the small stream's height to 4K.
MIN_RECEIVE_HEIGHT = 180
MAX_RECEIVE_HEIGHT = 2160


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Join(Event):
    token: str = Field(min_length=1, max_length=4096)
    lang: Literal["zh-CN", "en"] = "zh-CN"


class Resume(Event):
    """Take over one's participant from a new socket (after a network
    change): the same token and the participant id ``join`` gave."""

    token: str = Field(min_length=1, max_length=4096)
    participantId: str = Field(min_length=1, max_length=64)
    lang: Literal["zh-CN", "en"] = "zh-CN"


class RestartMedia(Event):
    """Both media connections are to be built anew (ICE failed, the network
    changed); the participant stays."""


class Detach(Event):
    """The page is about to drop this socket and ``resume`` from a new one:
    its closing is not a leave."""


class Ping(Event):
    """A liveness probe: answered at once (a page whose media stalled asks
    whether its socket still works)."""


class Offer(Event):
    sdp: str = Field(min_length=1, max_length=MAX_SDP)
    type: Literal["offer"]


class Answer(Event):
    sdp: str = Field(min_length=1, max_length=MAX_SDP)
    type: Literal["answer"]


class Ice(Event):
    candidate: Optional[str] = Field(default=None, max_length=1024)
    sdpMid: Optional[str] = Field(default=None, max_length=64)
    sdpMLineIndex: Optional[int] = Field(default=None, ge=0, le=1024)
    usernameFragment: Optional[str] = Field(default=None, max_length=256)


class MediaState(Event):
    camera: bool
    mic: bool


class Leave(Event):
    pass


CONTROL_ACTIONS = (
    "rollCall",        # participantId, or null to take the floor back
    "broadcast",       # participantId, or null to end the broadcast
    "startPolling",    # order (participant ids), interval (seconds)
    "stopPolling",
    "pausePolling",    # on: true pauses, false resumes
    "skipPolling",
    "layout",          # layout: single | 1+N | 2x2 | 3x3 | 4x4
    "voiceActivated",  # on
    "mute",            # participantId, on
    "muteAll",         # on: mute all but the floor; off: lift every mute
    "allowOthers",     # on: others may speak while someone has the floor
    "approveHand",     # participantId
    "declineHand",     # participantId
    "remove",          # participantId
    "lock",            # on
    "end",             # end the session for all (the live occurrence ends now)
    "call",            # station: ring an absent station's open page (呼叫)
    "contentStage",    # on: the shared content on the stage for everyone (双流)
    "stopContent",     # stop whoever shares content
    "record",          # on: start recording the session, off: stop (issue 12)
)


#: What each action needs besides ``action`` (the reason when it is missing).
CONTROL_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "mute": (("participantId", "participant_required"), ("on", "on_required")),
    "approveHand": (("participantId", "participant_required"),),
    "declineHand": (("participantId", "participant_required"),),
    "remove": (("participantId", "participant_required"),),
    "pausePolling": (("on", "on_required"),),
    "voiceActivated": (("on", "on_required"),),
    "muteAll": (("on", "on_required"),),
    "allowOthers": (("on", "on_required"),),
    "lock": (("on", "on_required"),),
    "record": (("on", "on_required"),),
    "layout": (("layout", "layout_required"),),
    "startPolling": (("order", "order_required"), ("interval", "interval_required")),
    "call": (("station", "station_required"),),
    "contentStage": (("on", "on_required"),),
}


class Control(Event):
    """A dispatcher's control action: one schema for the socket event
    ``control`` and for ``POST /api/sessions/{id}/live/control``."""

    action: Literal[CONTROL_ACTIONS] = Field(  # type: ignore[valid-type]
        description="rollCall, broadcast, startPolling, stopPolling, pausePolling, skipPolling, layout, "
        "voiceActivated, mute, muteAll, allowOthers, approveHand, declineHand, remove, lock, end, call, contentStage, "
        "stopContent, record")
    participantId: Optional[str] = Field(
        default=None, max_length=64,
        description="rollCall, broadcast (null takes the floor back / ends the broadcast); required by mute, "
        "approveHand, declineHand, remove")
    on: Optional[bool] = Field(
        default=None, description="required by pausePolling, voiceActivated, mute, muteAll, allowOthers, lock, record")
    layout: Optional[Literal[LAYOUTS]] = Field(default=None, description="required by layout")  # type: ignore[valid-type]
    order: Optional[list[str]] = Field(
        default=None, max_length=64, description="startPolling: participant ids (at least two present)")
    interval: Optional[float] = Field(
        default=None, ge=MIN_POLL_SECONDS, le=3600, description="startPolling: seconds per participant")
    station: Optional[str] = Field(
        default=None, min_length=1, max_length=64, description="call: the code of a station of the session not in it")

    @model_validator(mode="after")
    def _needs(self) -> "Control":
        for name, reason in CONTROL_NEEDS.get(self.action, ()):
            if getattr(self, name) is None:
                raise PydanticCustomError(reason, "{field} is required", {"field": name})
        return self


class Hand(Event):
    pass


class Share(Event):
    """This participant starts (``on``) or stops sharing content: its second
    video track, offered with ``a=content:slides``."""

    on: bool


class Receive(Event):
    """What this page wants to receive (issue 9): ``full`` (all its layout
    shows) or the ``phone`` profile (the stage and three thumbnails, on
    small streams); ``audioOnly`` (no video at all, 仅音频); pictures no
    taller than ``maxHeight`` pixels (``null``: as sent)."""

    profile: Literal["full", "phone"] = "full"
    audioOnly: bool = False
    maxHeight: Optional[int] = Field(default=None, ge=MIN_RECEIVE_HEIGHT, le=MAX_RECEIVE_HEIGHT)


class Watch(Event):
    """A station's open page that has not joined: it waits to be called."""

    token: str = Field(min_length=1, max_length=4096)


def parse(model: type[Event], data: Any) -> Any:
    """Validate ``data`` as ``model`` or raise :class:`InvalidPayload`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidPayload("payload_not_object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "payload"
        raise InvalidPayload.of_validation(first, field) from None
