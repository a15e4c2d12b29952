from signaling.speaker import ActiveSpeaker


def test_loudest_voice_is_chosen_and_held():
    s = ActiveSpeaker(threshold=50, margin=6, hold=1.0)
    assert s.update({"a": 30, "b": 127}, 0.0) == "a"
    # b becomes louder by more than the margin, but only for a moment
    assert s.update({"a": 30, "b": 10}, 0.1) == "a"
    assert s.update({"a": 30, "b": 127}, 0.5) == "a"
    # b louder for longer than hold
    assert s.update({"a": 30, "b": 10}, 1.0) == "a"
    assert s.update({"a": 30, "b": 10}, 2.1) == "b"


def test_quiet_speaker_gives_way_after_hold():
    s = ActiveSpeaker(hold=1.0)
    assert s.update({"a": 20, "b": 127}, 0) == "a"
    assert s.update({"a": 127, "b": 40}, 0.5) == "a"
    assert s.update({"a": 127, "b": 40}, 1.6) == "b"


def test_silence_means_no_speaker_and_leaving_speaker_is_replaced():
    s = ActiveSpeaker(hold=0.5)
    assert s.update({"a": 127, "b": None}, 0) is None
    assert s.update({"a": 20, "b": 30}, 1) == "a"
    assert s.update({"b": 30}, 1.1) == "b"
