"""MCU-style control of a live session: pure rules, no I/O.

What government video conferencing has taught dispatchers (``DOMAIN.md``):

* 点名 roll call gives a participant the floor: its picture takes the stage
  and its microphone is forwarded; the others' are not, unless the
  dispatcher allows them (``others_may_speak``).
* 广播 broadcast puts a participant on the stage for all, whatever the floor.
* 轮询 polling rotates the stage through a list every N seconds; pause,
  resume, skip.
* 多画面 layouts: single, 1+N, 2x2, 3x3, 4x4, pushed to every station.
* Mute one, unmute one, mute all (but the floor), unmute all.
* 申请发言 requests to speak: a queue in order with waiting times; approve
  (gives the floor) or decline.
* Lock (no new joins).

:class:`LiveControl` holds that state for one room and answers the two
questions the relay enforces: whose audio is forwarded
(:meth:`audio_allowed`) and which publishers each subscriber receives
(:meth:`view`: the stage plus a bounded set of thumbnails, so the cost grows
with the number of stations, not with its square).  Who may call which
method is the signaling server's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Protocol, cast

from core.errors import RuleError

LAYOUTS = ("single", "1+N", "2x2", "3x3", "4x4")
#: The pictures an equal grid holds (the stage among them): the view fills
#: them even above ``max_thumbnails`` (a 4×4 grid asks for 15 + the stage).
GRID_CELLS = {"2x2": 4, "3x3": 9, "4x4": 16}
DEFAULT_THUMBNAILS = 8
MIN_POLL_SECONDS = 3.0


class ControlError(RuleError):
    """A control action that does not apply (e.g. approving a hand that is
    not raised): a reason of ``core/reasons.py`` and its parameters."""


@dataclass
class Polling:
    order: list[str]
    interval: float
    index: int = 0
    paused: bool = False
    next_at: float = 0.0

    @property
    def current(self) -> Optional[str]:
        return self.order[self.index] if self.order else None


@dataclass
class Hand:
    participant_id: str
    raised_at: float


@dataclass
class View:
    """What one subscriber receives: ``stage`` is the main picture (or
    ``None``), ``thumbnails`` the others shown small."""

    stage: Optional[str]
    thumbnails: list[str]

    @property
    def publishers(self) -> list[str]:
        return ([self.stage] if self.stage else []) + self.thumbnails


@dataclass
class LiveControl:
    max_thumbnails: int = DEFAULT_THUMBNAILS
    layout: str = "1+N"
    floor: Optional[str] = None
    broadcast: Optional[str] = None
    polling: Optional[Polling] = None
    voice_activated: bool = False
    speaker: Optional[str] = None
    others_may_speak: bool = False
    mute_all: bool = False
    muted: set[str] = field(default_factory=set)
    hands: list[Hand] = field(default_factory=list)
    locked: bool = False
    # The room's recording ({"id", "startedAt"}) while it runs: every page
    # shows 录制中 (signaling.recording keeps it).
    recording: Optional[dict[str, Any]] = None
    # Order of arrival: the default stage and thumbnail order.
    members: list[str] = field(default_factory=list)
    # Who sends video now (the server keeps it current): the default stage
    # is the first of them, never a receive-only console.
    video: set[str] = field(default_factory=set)
    # 双流: who shares a screen or document (one at a time), and whether the
    # dispatcher put it on the stage for everyone.
    content: Optional[str] = None
    content_on_stage: bool = False

    # --- presence ---------------------------------------------------------

    def joined(self, participant_id: str) -> None:
        if participant_id not in self.members:
            self.members.append(participant_id)

    def left(self, participant_id: str) -> None:
        """Forget a participant everywhere it was named."""
        if participant_id in self.members:
            self.members.remove(participant_id)
        self.video.discard(participant_id)
        self.muted.discard(participant_id)
        self.hands = [h for h in self.hands if h.participant_id != participant_id]
        if self.floor == participant_id:
            self.floor = None
        if self.content == participant_id:
            self.stop_content()
        if self.broadcast == participant_id:
            self.broadcast = None
        if self.speaker == participant_id:
            self.speaker = None
        if self.polling is not None and participant_id in self.polling.order:
            position = self.polling.order.index(participant_id)
            self.polling.order.remove(participant_id)
            if len(self.polling.order) < 2:  # nothing left to rotate
                self.polling = None
            else:
                if position < self.polling.index:
                    self.polling.index -= 1
                self.polling.index %= len(self.polling.order)

    def _require_member(self, participant_id: str) -> None:
        if participant_id not in self.members:
            raise ControlError("not_member", participant=participant_id)

    # --- controls ---------------------------------------------------------

    def roll_call(self, participant_id: Optional[str]) -> None:
        """Give the floor (``None`` takes it back).  The floor's own hand, if
        raised, is answered."""
        if participant_id is not None:
            self._require_member(participant_id)
            self.hands = [h for h in self.hands if h.participant_id != participant_id]
            self.muted.discard(participant_id)
        self.floor = participant_id

    def set_broadcast(self, participant_id: Optional[str]) -> None:
        if participant_id is not None:
            self._require_member(participant_id)
        self.broadcast = participant_id

    def start_polling(self, order: Iterable[str], interval: float, now: float) -> None:
        order = [pid for pid in dict.fromkeys(order)]
        if len(order) < 2:
            raise ControlError("polling_needs_two")
        for pid in order:
            self._require_member(pid)
        if interval < MIN_POLL_SECONDS:
            raise ControlError("polling_interval", seconds=f"{MIN_POLL_SECONDS:g}")
        self.polling = Polling(order=order, interval=interval, next_at=now + interval)

    def stop_polling(self) -> None:
        self.polling = None

    def pause_polling(self, paused: bool, now: float) -> None:
        if self.polling is None:
            raise ControlError("polling_not_running")
        self.polling.paused = paused
        if not paused:
            self.polling.next_at = now + self.polling.interval

    def skip_polling(self, now: float) -> None:
        if self.polling is None:
            raise ControlError("polling_not_running")
        self._advance(now)

    def tick(self, now: float) -> bool:
        """Advance polling when its time has come; whether the stage moved."""
        polling = self.polling
        if polling is None or polling.paused or now < polling.next_at:
            return False
        self._advance(now)
        return True

    def _advance(self, now: float) -> None:
        assert self.polling is not None
        self.polling.index = (self.polling.index + 1) % len(self.polling.order)
        self.polling.next_at = now + self.polling.interval

    def set_layout(self, layout: str) -> None:
        if layout not in LAYOUTS:
            raise ControlError("layout_unknown", layout=layout, choices=LAYOUTS)
        self.layout = layout

    def set_voice_activated(self, on: bool) -> None:
        self.voice_activated = on

    def set_speaker(self, participant_id: Optional[str]) -> bool:
        """The active speaker changed; whether that moves the stage."""
        before = self.stage()
        self.speaker = participant_id
        return self.stage() != before

    def mute(self, participant_id: str, muted: bool) -> None:
        self._require_member(participant_id)
        if muted:
            self.muted.add(participant_id)
        else:
            self.muted.discard(participant_id)

    def set_mute_all(self, on: bool) -> None:
        """Mute everyone but the floor (on), or lift every mute (off)."""
        self.mute_all = on
        if not on:
            self.muted.clear()

    def allow_others(self, allowed: bool) -> None:
        self.others_may_speak = allowed

    def raise_hand(self, participant_id: str, now: float) -> None:
        self._require_member(participant_id)
        if participant_id == self.floor:
            raise ControlError("floor_already_yours")
        if not any(h.participant_id == participant_id for h in self.hands):
            self.hands.append(Hand(participant_id, now))

    def lower_hand(self, participant_id: str) -> None:
        self.hands = [h for h in self.hands if h.participant_id != participant_id]

    def approve_hand(self, participant_id: str) -> None:
        if not any(h.participant_id == participant_id for h in self.hands):
            raise ControlError("no_hand", participant=participant_id)
        self.roll_call(participant_id)

    def decline_hand(self, participant_id: str) -> None:
        if not any(h.participant_id == participant_id for h in self.hands):
            raise ControlError("no_hand", participant=participant_id)
        self.lower_hand(participant_id)

    def lock(self, locked: bool) -> None:
        self.locked = locked

    # --- what the relay enforces -----------------------------------------

    def audio_allowed(self, participant_id: str) -> bool:
        """Whether the relay forwards this participant's audio."""
        if participant_id in self.muted:
            return False
        if participant_id == self.floor:
            return True
        if self.mute_all:
            return False
        if self.floor is not None and not self.others_may_speak:
            return False
        return True

    def stage(self) -> Optional[str]:
        """The main picture: broadcast, else polling, else the floor, else the
        active speaker when voice-activated, else the first to arrive."""
        if self.broadcast is not None:
            return self.broadcast
        if self.polling is not None and self.polling.current is not None:
            return self.polling.current
        if self.floor is not None:
            return self.floor
        if self.voice_activated and self.speaker is not None:
            return self.speaker
        return next((p for p in self.members if p in self.video), None)

    # --- 双流: shared content ----------------------------------------------

    def start_content(self, participant_id: str) -> None:
        """``participant_id`` shares its screen or a document: one source at a time."""
        if self.content is not None and self.content != participant_id:
            raise ControlError("content_busy", participant=self.content)
        self.content = participant_id

    def stop_content(self) -> None:
        self.content = None
        self.content_on_stage = False

    def set_content_stage(self, on: bool) -> None:
        """The dispatcher puts the shared content on the stage for everyone (or takes it off)."""
        if on and self.content is None:
            raise ControlError("no_content")
        self.content_on_stage = on

    def view(
        self, subscriber: str, publishers: Iterable[str], previous: Iterable[str] = (),
        cap: Optional[int] = None,
    ) -> View:
        """What ``subscriber`` receives among the ``publishers`` that send
        video: the stage and at most ``max_thumbnails`` others (in an equal
        grid, as many as fill it: 15 with the stage in a 4×4), or at most
        ``cap`` whatever the layout (a phone: three): the floor,
        the speaker and raised hands first, then those it already receives
        (``previous``: a floor moving to another station then changes nobody's
        set of pictures, so nothing is renegotiated), then in order of arrival."""
        available = [p for p in self.members if p in set(publishers) and p != subscriber]
        stage = self.stage()
        if stage not in available:
            stage = None
        # Shared content reaches everyone: its publisher is always received.
        content = self.content if self.content in available and self.content != stage else None
        if self.layout == "single":
            return View(stage, [content] if content else [])
        first = [content, self.floor, self.speaker, *(h.participant_id for h in self.hands)]
        kept = [p for p in available if p in set(previous)]
        ordered = [p for p in dict.fromkeys([*first, *kept, *available]) if p in available and p != stage]
        cells = GRID_CELLS.get(self.layout, 0) - (1 if stage else 0)
        chosen = set(ordered[: max(self.max_thumbnails, cells) if cap is None else cap])
        # Shown in order of arrival, so tiles do not jump around.
        return View(stage, [p for p in available if p in chosen])

    # --- what every page is told -----------------------------------------

    def to_public(self, now: float) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "stage": self.stage(),
            "floor": self.floor,
            "broadcast": self.broadcast,
            "voiceActivated": self.voice_activated,
            "speaker": self.speaker,
            "othersMaySpeak": self.others_may_speak,
            "muteAll": self.mute_all,
            "muted": sorted(self.muted),
            "polling": None
            if self.polling is None
            else {
                "order": list(self.polling.order),
                "interval": self.polling.interval,
                "current": self.polling.current,
                "paused": self.polling.paused,
            },
            "hands": [
                {"participantId": h.participant_id, "waitingSeconds": round(max(0.0, now - h.raised_at), 1)}
                for h in self.hands
            ],
            "locked": self.locked,
            "recording": self.recording,
            "heard": [p for p in self.members if self.audio_allowed(p)],
            "content": self.content,
            "contentOnStage": self.content_on_stage,
        }


# --- a dispatcher's control actions, as a table ------------------------------------------------


class ControlRequest(Protocol):
    """What one control action carries (``signaling.events.Control``, the one schema of the
    socket event and of ``POST /api/sessions/{id}/live/control``, which checks what each action
    needs before it gets here)."""

    @property
    def action(self) -> str: ...
    @property
    def participantId(self) -> Optional[str]: ...  # the wire's name
    @property
    def on(self) -> Optional[bool]: ...
    @property
    def layout(self) -> Optional[str]: ...
    @property
    def order(self) -> Optional[list[str]]: ...
    @property
    def interval(self) -> Optional[float]: ...


def _named(request: ControlRequest) -> str:
    return cast(str, request.participantId)  # required by the schema for these actions


#: Actions that name a member of the room (``participantId``): it must be in the room.
NAMES_A_MEMBER = frozenset({"rollCall", "broadcast", "mute", "approveHand", "declineHand", "remove"})

#: Action → how it changes a room's :class:`LiveControl` at ``now`` (monotonic seconds).
#: ``remove`` and ``end`` change no control state: the server removes the participant or ends
#: the session.
ACTIONS: dict[str, Callable[[LiveControl, ControlRequest, float], None]] = {
    "rollCall": lambda c, r, now: c.roll_call(r.participantId),
    "broadcast": lambda c, r, now: c.set_broadcast(r.participantId),
    "startPolling": lambda c, r, now: c.start_polling(r.order or [], r.interval or 0, now),
    "stopPolling": lambda c, r, now: c.stop_polling(),
    "pausePolling": lambda c, r, now: c.pause_polling(bool(r.on), now),
    "skipPolling": lambda c, r, now: c.skip_polling(now),
    "layout": lambda c, r, now: c.set_layout(r.layout or ""),
    "voiceActivated": lambda c, r, now: c.set_voice_activated(bool(r.on)),
    "mute": lambda c, r, now: c.mute(_named(r), bool(r.on)),
    "muteAll": lambda c, r, now: c.set_mute_all(bool(r.on)),
    "allowOthers": lambda c, r, now: c.allow_others(bool(r.on)),
    "approveHand": lambda c, r, now: c.approve_hand(_named(r)),
    "declineHand": lambda c, r, now: c.decline_hand(_named(r)),
    "lock": lambda c, r, now: c.lock(bool(r.on)),
    "contentStage": lambda c, r, now: c.set_content_stage(bool(r.on)),
    "stopContent": lambda c, r, now: c.stop_content(),
}


def apply(control: LiveControl, request: ControlRequest, now: float) -> None:
    """Change ``control`` as ``request`` asks (:class:`ControlError` if the rules refuse)."""
    act = ACTIONS.get(request.action)
    if act is not None:
        act(control, request, now)
