import pytest

from signaling import events
from signaling.control import ACTIONS, ControlError, LiveControl, apply


def room(n=5, **kw):
    control = LiveControl(**kw)
    for i in range(n):
        control.joined(f"p{i}")
    control.video = set(control.members)
    return control


def audible(control):
    return [p for p in control.members if control.audio_allowed(p)]


def test_everyone_is_heard_until_the_floor_is_given():
    c = room(3)
    assert audible(c) == ["p0", "p1", "p2"]
    c.roll_call("p2")
    assert audible(c) == ["p2"] and c.stage() == "p2"
    c.allow_others(True)
    assert audible(c) == ["p0", "p1", "p2"]
    c.roll_call(None)
    assert c.stage() == "p0"


def test_mute_all_keeps_the_floor_and_unmute_all_lifts_every_mute():
    c = room(3)
    c.roll_call("p1")
    c.allow_others(True)
    c.set_mute_all(True)
    assert audible(c) == ["p1"]
    c.mute("p2", True)
    c.set_mute_all(False)
    assert audible(c) == ["p0", "p1", "p2"]


def test_a_muted_participant_is_not_heard_even_with_the_floor_taken_back():
    c = room(3)
    c.mute("p0", True)
    assert audible(c) == ["p1", "p2"]
    c.roll_call("p0")  # giving the floor unmutes
    assert audible(c) == ["p0"]


def test_stage_precedence():
    c = room(4)
    c.set_voice_activated(True)
    assert c.set_speaker("p3") is True and c.stage() == "p3"
    c.roll_call("p2")
    assert c.stage() == "p2"
    c.start_polling(["p0", "p1"], 5, now=0)
    assert c.stage() == "p0"
    c.set_broadcast("p3")
    assert c.stage() == "p3"
    c.set_broadcast(None)
    assert c.stage() == "p0"


def test_polling_rotates_pauses_skips_and_survives_departures():
    c = room(4)
    c.start_polling(["p1", "p2", "p3"], 10, now=0)
    assert c.tick(5) is False and c.stage() == "p1"
    assert c.tick(10) is True and c.stage() == "p2"
    c.pause_polling(True, now=12)
    assert c.tick(100) is False and c.stage() == "p2"
    c.pause_polling(False, now=100)
    c.skip_polling(now=101)
    assert c.stage() == "p3"
    assert c.tick(111) is True and c.stage() == "p1"
    c.left("p1")
    assert c.stage() in ("p2", "p3") and c.polling.order == ["p2", "p3"]
    c.left("p2")
    assert c.polling is None


@pytest.mark.parametrize("call", [
    lambda c: c.start_polling(["p1"], 10, now=0),
    lambda c: c.start_polling(["p1", "p2"], 1, now=0),
    lambda c: c.start_polling(["p1", "nobody"], 10, now=0),
    lambda c: c.skip_polling(now=0),
    lambda c: c.set_layout("5x5"),
    lambda c: c.roll_call("nobody"),
    lambda c: c.approve_hand("p1"),
    lambda c: c.decline_hand("p1"),
])
def test_actions_that_do_not_apply_are_refused(call):
    c = room(3)
    with pytest.raises(ControlError):
        call(c)


def test_hands_queue_in_order_and_approval_gives_the_floor():
    c = room(4)
    c.raise_hand("p3", now=1)
    c.raise_hand("p1", now=2)
    c.raise_hand("p3", now=3)  # once only
    public = c.to_public(now=5)
    assert public["hands"] == [{"participantId": "p3", "waitingSeconds": 4}, {"participantId": "p1", "waitingSeconds": 3}]
    c.approve_hand("p1")
    assert c.floor == "p1" and [h.participant_id for h in c.hands] == ["p3"]
    c.decline_hand("p3")
    assert c.hands == []
    with pytest.raises(ControlError):
        c.raise_hand("p1", now=6)  # already has the floor


def test_each_subscriber_gets_the_stage_and_a_bounded_set_of_thumbnails():
    c = room(14, max_thumbnails=8)
    everyone = list(c.members)
    view = c.view("p5", everyone)
    assert view.stage == "p0" and len(view.thumbnails) == 8 and "p5" not in view.publishers
    c.raise_hand("p13", now=0)
    c.roll_call("p12")
    view = c.view("p5", everyone)
    assert view.stage == "p12" and "p13" in view.thumbnails
    assert c.view("p12", everyone).stage is None  # the floor does not receive itself
    c.set_layout("single")
    assert c.view("p5", everyone).publishers == ["p12"]
    assert c.view("p5", ["p3"]).stage is None  # the stage has no video yet


def test_an_equal_grid_is_filled_above_max_thumbnails():
    c = room(18, max_thumbnails=8)
    everyone = list(c.members)
    c.set_layout("4x4")
    view = c.view("p5", everyone)
    assert view.stage == "p0" and len(view.publishers) == 16  # the stage and 15 thumbnails
    assert len(c.view("p0", everyone).publishers) == 16  # the stage itself: 16 others, no stage
    c.set_layout("3x3")
    assert len(c.view("p5", everyone).publishers) == 9
    c.set_layout("2x2")
    assert len(c.view("p5", everyone).publishers) == 9  # never fewer than max_thumbnails + the stage
    c.set_layout("1+N")
    assert len(c.view("p5", everyone).publishers) == 9


def test_leaving_clears_floor_broadcast_hands_and_mutes():
    c = room(3)
    c.roll_call("p1")
    c.set_broadcast("p1")
    c.mute("p2", True)
    c.raise_hand("p2", now=0)
    c.left("p1")
    c.left("p2")
    assert (c.floor, c.broadcast, c.muted, c.hands) == (None, None, set(), [])


def test_moving_the_floor_changes_nobodys_set_of_pictures():
    c = room(14, max_thumbnails=8)
    everyone = list(c.members)
    views = {p: c.view(p, everyone).publishers for p in everyone}
    assert set(views["p9"]) == {f"p{i}" for i in range(9)}
    for floor in ("p5", "p6", "p0"):  # each already pictured at p9
        c.roll_call(floor)
        new = {p: c.view(p, everyone, previous=views[p]).publishers for p in everyone}
        assert set(new["p9"]) == set(views["p9"])  # nothing to renegotiate
        views = new
    # a station pictured nowhere is brought in when it takes the floor, once
    c.roll_call("p12")
    new = c.view("p9", everyone, previous=views["p9"]).publishers
    assert "p12" in new and len(new) == 9
    assert c.view("p9", everyone, previous=new).publishers == new


def test_the_default_stage_is_the_first_to_send_video_and_heard_is_public():
    c = LiveControl()
    c.joined("console")  # a receive-only dispatcher arrives first
    c.joined("p1")
    c.joined("p2")
    c.video = {"p1", "p2"}
    assert c.stage() == "p1"
    c.roll_call("p2")
    assert c.to_public(0)["heard"] == ["p2"]


def test_every_action_of_the_schema_has_its_row_in_the_table():
    """Only remove, end, call and record change no control state of their own
    (the server removes, ends, rings or records)."""
    assert set(events.CONTROL_ACTIONS) - set(ACTIONS) == {"remove", "end", "call", "record"}
    assert set(ACTIONS) <= set(events.CONTROL_ACTIONS)


def test_a_request_applies_through_the_table():
    control = LiveControl()
    for p in ("a", "b"):
        control.joined(p)
    apply(control, events.Control(action="mute", participantId="b", on=True), 0.0)
    apply(control, events.Control(action="layout", layout="1+N"), 0.0)
    apply(control, events.Control(action="rollCall", participantId="a"), 0.0)
    public = control.to_public(0.0)
    assert "b" in public["muted"] and public["layout"] == "1+N" and public["stage"] == "a"
    with pytest.raises(ControlError):
        apply(control, events.Control(action="startPolling", order=["a"], interval=10), 0.0)  # one is no round


def test_shared_content_one_at_a_time_reaches_every_view_and_the_stage_on_demand():
    c = room(14, max_thumbnails=8)
    everyone = list(c.members)
    c.start_content("p13")  # the last to arrive: beyond everyone's eight thumbnails
    assert all("p13" in c.view(p, everyone).publishers for p in everyone if p != "p13")
    c.set_layout("single")
    assert c.view("p5", everyone).publishers == ["p0", "p13"]
    try:
        c.start_content("p2")
        raise AssertionError("a second source was accepted")
    except ControlError as exc:
        assert exc.reason.key == "content_busy"
    c.set_content_stage(True)
    assert c.to_public(0)["content"] == "p13" and c.to_public(0)["contentOnStage"] is True
    c.left("p13")
    assert (c.content, c.content_on_stage) == (None, False)
    try:
        c.set_content_stage(True)
        raise AssertionError("content on the stage without content")
    except ControlError as exc:
        assert exc.reason.key == "no_content"
