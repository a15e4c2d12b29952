from media.interface import ParticipantStats
from signaling.monitor import assess


def stats(**kw):
    base = dict(participant_id="p", room_id="r", publishing={"audio": "audio/opus", "video": "video/VP8"},
                inbound_bitrate={"video": 800_000.0, "audio": 40_000.0},
                packets_received={"video": 1000, "audio": 500}, packets_lost={"video": 0, "audio": 0},
                round_trip_time=0.02, frame_width=640, frame_height=480)
    base.update(kw)
    return ParticipantStats(**base)


def test_a_healthy_station_has_no_warning():
    tile = assess(stats(), camera=True, mic=True, connection="connected")
    assert tile["warnings"] == [] and tile["online"] and tile["resolution"] == [640, 480]
    assert tile["bitrate"] == {"video": 800000, "audio": 40000}


def test_loss_is_counted_over_the_last_interval():
    before = stats(packets_received={"video": 1000}, packets_lost={"video": 0})
    now = stats(packets_received={"video": 1090}, packets_lost={"video": 10})
    tile = assess(now, True, True, "connected", previous=before)
    assert tile["packetLoss"] == 0.1 and "packet_loss" in tile["warnings"]


def test_degraded_and_dropped_stations_are_flagged():
    assert assess(stats(round_trip_time=0.8), True, True, "connected")["warnings"] == ["high_rtt"]
    assert assess(stats(inbound_bitrate={"video": 20_000.0}), True, True, "connected")["warnings"] == ["low_bitrate"]
    assert assess(stats(publishing={"audio": "audio/opus"}), True, True, "connected")["warnings"] == ["no_video"]
    assert assess(stats(), True, True, "disconnected")["warnings"] == ["offline"]
    assert assess(stats(inbound_bitrate={}), False, True, "connected")["warnings"] == []  # camera off


def test_prometheus_text():
    from hub.metrics import render
    text = render([stats()], {"p": 'xu"cun'}, {"participants": 1, "codecs_created": 0})
    assert '# TYPE liaison_participant_inbound_bitrate_bits gauge' in text
    assert 'liaison_participant_inbound_bitrate_bits{room="r",participant="p",name="xu\\"cun",kind="video"} 800000' in text
    assert 'liaison_media{name="codecs_created"} 0' in text
    assert text.endswith("\n")


def test_a_negative_round_trip_estimate_is_no_figure():
    tile = assess(stats(round_trip_time=-0.099), True, True, "connected")
    assert tile["roundTripTime"] is None and tile["warnings"] == []
