"""The Relay end to end, with in-process aiortc clients over real ICE."""

import asyncio
import fractions
import math
import time

import av
import array
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import g711, g722, h264, opus, vpx
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from media.interface import SessionDescription
from media.interface import MediaError
from media.relay import Relay
from media_utils import (
    EncodedAudioTrack,
    EncodedVideoTrack,
    Events,
    client_pc,
    frame_counter,
    join_subscriber,
    publish,
    wait_for,
)


@pytest.fixture
async def relay():
    relay = Relay()
    yield relay
    await relay.close()


@pytest.fixture
async def cleanup():
    items = []
    yield items
    for item in items:
        await item.close()


def count(rec):
    return len(rec.packets) if rec is not None else 0


async def test_forwards_real_vp8_and_audio(relay, cleanup):
    """A publisher encoding with aiortc's own VP8/Opus encoders (client side);
    the subscriber gets frames that decode to the publisher's picture."""
    events = Events()
    await relay.join("room", "pub", events)
    cleanup.append(await publish(relay, "pub", VideoStreamTrack(), AudioStreamTrack()))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])
    await wait_for(lambda: count(sub.by_publisher("pub", "video")) >= 10 and count(sub.by_publisher("pub", "audio")) >= 10, 10)
    assert {(t.publisher_id, t.kind) for t in sub.tracks} == {("pub", "video"), ("pub", "audio")}
    assert ("pub", ["audio", "video"]) in events.publishing_calls
    # The forwarded frames are valid VP8: decode them here, in the test.
    decoder = av.CodecContext.create("libvpx", "r")
    pictures = []
    for _, data in sub.by_publisher("pub", "video").packets[:10]:
        pictures += decoder.decode(av.Packet(data))
    assert pictures and (pictures[0].width, pictures[0].height) == (640, 480)
    assert "a=rtpmap:97 VP8/90000" in sub.offers[-1][0].sdp or "VP8/90000" in sub.offers[-1][0].sdp
    stats = {s.participant_id: s for s in await relay.stats("room")}
    assert stats["pub"].publishing == {"video": "video/VP8", "audio": "audio/opus"}
    assert stats["pub"].packets_received["video"] > 0
    assert stats["sub"].frames_forwarded > 0
    assert stats["pub"].publish_state == "connected" and stats["sub"].subscribe_state == "connected"


async def test_no_codec_is_created_while_forwarding(relay, cleanup, monkeypatch):
    """Clients send pre-encoded packets and receive with passthrough, so any
    encoder or decoder constructed in this process would be the relay's."""
    created = []
    classes = [vpx.Vp8Encoder, vpx.Vp8Decoder, h264.H264Encoder, h264.H264Decoder,
               opus.OpusEncoder, opus.OpusDecoder, g711.PcmuEncoder, g711.PcmuDecoder,
               g711.PcmaEncoder, g711.PcmaDecoder, g722.G722Encoder, g722.G722Decoder]
    for cls in classes:
        original = cls.__init__

        def counting(self, *args, _original=original, _name=cls.__name__, **kwargs):
            created.append(_name)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    events = Events()
    await relay.join("room", "pub", events)
    video = EncodedVideoTrack()
    cleanup.append(await publish(relay, "pub", video, EncodedAudioTrack()))
    subs = []
    for name in ("s1", "s2"):
        sub = await join_subscriber(relay, events, "room", name)
        cleanup.append(sub)
        subs.append(sub)
        await relay.subscribe(name, ["pub"])
    await wait_for(lambda: all(count(s.by_publisher("pub", "video")) >= 20 and count(s.by_publisher("pub", "audio")) >= 20 for s in subs), 10)
    assert created == []
    # Frames arrive byte-identical and in order.
    packets = subs[0].by_publisher("pub", "video").packets
    counters = [frame_counter(d) for _, d in packets]
    assert counters == list(range(counters[0], counters[0] + len(counters)))
    assert packets[0][1][0] & 1 == 0  # starts on a keyframe


async def test_late_subscriber_sees_video_quickly(relay, cleanup):
    """The publisher sends keyframes only on request, like a browser."""
    events = Events()
    await relay.join("room", "pub", events)
    video = EncodedVideoTrack()
    cleanup.append(await publish(relay, "pub", video))
    early = await join_subscriber(relay, events, "room", "early")
    cleanup.append(early)
    await relay.subscribe("early", ["pub"])
    await wait_for(lambda: count(early.by_publisher("pub", "video")) > 0, 10)
    await asyncio.sleep(1.0)  # the last keyframe is long gone
    requests_before = video.keyframe_requests
    late = await join_subscriber(relay, events, "room", "late")
    cleanup.append(late)
    start = time.monotonic()
    await relay.subscribe("late", ["pub"])
    await wait_for(lambda: count(late.by_publisher("pub", "video")) > 0, 5)
    first_time, first = late.by_publisher("pub", "video").packets[0]
    assert first_time - start < 1.0
    assert first[0] & 1 == 0  # a keyframe
    assert video.keyframe_requests > requests_before


async def test_subscriber_pli_reaches_publisher(relay, cleanup):
    events = Events()
    await relay.join("room", "pub", events)
    video = EncodedVideoTrack()
    cleanup.append(await publish(relay, "pub", video))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])
    await wait_for(lambda: count(sub.by_publisher("pub", "video")) > 5, 10)
    await asyncio.sleep(0.4)  # past the merge interval
    before = video.keyframe_requests
    sent_before = {s.participant_id: s for s in await relay.stats()}["pub"].keyframe_requests_sent
    receiver = sub.pc.getTransceivers()[0].receiver
    ssrc = receiver.getSynchronizationSources()[0].source
    await receiver._send_rtcp_pli(ssrc)  # what a browser does on picture loss
    await wait_for(lambda: video.keyframe_requests > before, 2)
    stats = {s.participant_id: s for s in await relay.stats()}
    assert stats["pub"].keyframe_requests_sent == sent_before + 1


async def test_leave_ends_tracks_at_subscribers_others_undisturbed(relay, cleanup):
    events = Events()
    for name in ("a", "b"):
        await relay.join("room", name, events)
    cleanup.append(await publish(relay, "a", EncodedVideoTrack(), EncodedAudioTrack()))
    cleanup.append(await publish(relay, "b", EncodedVideoTrack()))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["a", "b"])
    await wait_for(lambda: count(sub.by_publisher("a", "video")) > 5 and count(sub.by_publisher("b", "video")) > 5, 10)
    a_video = sub.by_publisher("a", "video")
    offers_before = len(sub.offers)
    await relay.leave("a")
    await wait_for(lambda: len(sub.offers) > offers_before and all(t.publisher_id != "a" for t in sub.tracks), 10)
    # a's m-lines are now inactive in the offer; b's is still sendonly.
    sdp = sub.offers[-1][0].sdp
    assert sdp.count("a=inactive") == 2 and sdp.count("a=sendonly") == 1
    await asyncio.sleep(0.3)
    a_count, b_count = count(a_video), count(sub.by_publisher("b", "video"))
    await asyncio.sleep(0.5)
    assert count(a_video) == a_count  # nothing more from a
    assert count(sub.by_publisher("b", "video")) > b_count + 5  # b continues


async def test_inactive_transceivers_are_reused(relay, cleanup):
    events = Events()
    await relay.join("room", "a", events)
    cleanup.append(await publish(relay, "a", EncodedVideoTrack()))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["a", "b"])
    await wait_for(lambda: count(sub.by_publisher("a", "video")) > 0, 10)
    mid_a = sub.tracks[0].mid
    await relay.leave("a")
    await wait_for(lambda: not sub.tracks and sub.pc.signalingState == "stable", 10)
    await asyncio.sleep(0.1)
    await relay.join("room", "b", events)
    cleanup.append(await publish(relay, "b", EncodedVideoTrack()))
    await wait_for(lambda: count(sub.by_publisher("b", "video")) > 5, 10)
    assert sub.tracks[0].mid == mid_a
    assert sub.offers[-1][0].sdp.count("m=video") == 1


async def test_set_forwarding_stops_audio_only(relay, cleanup):
    events = Events()
    await relay.join("room", "pub", events)
    cleanup.append(await publish(relay, "pub", EncodedVideoTrack(), EncodedAudioTrack()))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])
    await wait_for(lambda: count(sub.by_publisher("pub", "audio")) > 10, 10)
    await relay.set_forwarding("pub", "audio", False)
    await asyncio.sleep(0.2)  # packets already on the wire
    audio, video = count(sub.by_publisher("pub", "audio")), count(sub.by_publisher("pub", "video"))
    await asyncio.sleep(0.6)
    assert count(sub.by_publisher("pub", "audio")) == audio
    assert count(sub.by_publisher("pub", "video")) > video + 10
    await relay.set_forwarding("pub", "audio", True)
    await wait_for(lambda: count(sub.by_publisher("pub", "audio")) > audio + 10, 3)


class ToneTrack(AudioStreamTrack):
    """A 440 Hz tone at about -10 dBov (aiortc's sender measures and sends its level)."""

    async def recv(self):
        frame = await super().recv()
        n, start = frame.samples, frame.pts
        samples = array.array(
            "h", (int(0.3 * 32767 * math.sin(2 * math.pi * 440 * (start + i) / 48000)) for i in range(n))
        )
        tone = av.AudioFrame(format="s16", layout="mono", samples=n)
        tone.planes[0].update(samples.tobytes())
        tone.pts, tone.sample_rate, tone.time_base = frame.pts, 48000, fractions.Fraction(1, 48000)
        return tone


async def test_audio_level_is_read_from_publisher_packets(relay, cleanup):
    events = Events()
    await relay.join("room", "pub", events)
    cleanup.append(await publish(relay, "pub", ToneTrack()))
    await wait_for(lambda: relay._participants["pub"].audio_level is not None, 10)
    [stats] = await relay.stats("room")
    assert 0 <= stats.audio_level < 30  # a loud tone, not silence (127)
    assert stats.publishing == {"audio": "audio/opus"}


async def test_one_outstanding_offer_and_changes_folded_into_the_next(cleanup):
    """While the subscriber has not answered, further changes wait, then
    lead to exactly one new offer."""
    relay = Relay()
    offers = []

    class HoldingEvents(Events):
        async def subscriber_offer(self, participant_id, offer, tracks):
            offers.append((offer, tracks))

    events = HoldingEvents()
    try:
        await relay.join("room", "a", events)
        await relay.join("room", "b", events)
        await relay.join("room", "sub", events)
        cleanup.append(await publish(relay, "a", EncodedVideoTrack()))
        await relay.subscribe("sub", ["a", "b"])
        await wait_for(lambda: len(offers) == 1, 10)
        cleanup.append(await publish(relay, "b", EncodedVideoTrack(), EncodedAudioTrack()))
        await wait_for(lambda: relay._participants["b"].publishing_reported == ["audio", "video"], 10)
        await asyncio.sleep(0.2)
        assert len(offers) == 1  # still waiting for the answer
        client = client_pc()
        cleanup.append(client)
        await client.setRemoteDescription(RTCSessionDescription(offers[0][0].sdp, "offer"))
        await client.setLocalDescription(await client.createAnswer())
        await relay.answer("sub", SessionDescription(client.localDescription.sdp, "answer"))
        await wait_for(lambda: len(offers) == 2, 5)
        await asyncio.sleep(0.2)
        assert len(offers) == 2
        assert {(t.publisher_id, t.kind) for t in offers[1][1]} == {("a", "video"), ("b", "video"), ("b", "audio")}
        with pytest.raises(MediaError):  # an answer nobody asked for
            await relay.answer("sub", SessionDescription(client.localDescription.sdp, "answer"))
    finally:
        await relay.close()


async def test_publisher_renegotiation_adds_and_removes_tracks(relay, cleanup):
    events = Events()
    await relay.join("room", "pub", events)
    pc = client_pc()
    cleanup.append(pc)

    async def renegotiate():
        await pc.setLocalDescription(await pc.createOffer())
        answer = await relay.publish("pub", SessionDescription(pc.localDescription.sdp, "offer"))
        await pc.setRemoteDescription(RTCSessionDescription(answer.sdp, answer.type))

    pc.addTransceiver(EncodedAudioTrack(), direction="sendonly")
    await renegotiate()
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])
    await wait_for(lambda: count(sub.by_publisher("pub", "audio")) > 5, 10)
    video_transceiver = pc.addTransceiver(EncodedVideoTrack(), direction="sendonly")
    await renegotiate()
    await wait_for(lambda: count(sub.by_publisher("pub", "video")) > 5, 10)
    assert ("pub", ["audio", "video"]) in events.publishing_calls
    video_transceiver.direction = "inactive"  # the client stops sending video
    await renegotiate()
    await wait_for(lambda: {t.kind for t in sub.tracks} == {"audio"}, 10)
    await wait_for(lambda: events.publishing_calls[-1] == ("pub", ["audio"]), 5)


async def test_publish_connection_closed_without_leave(relay, cleanup):
    """A publisher whose connection goes away (here: closed by the client)
    has its tracks removed at subscribers, without a leave(), and the
    signaling hears of a failed connection (the hub closes connections only
    on leave: one that ends by itself, as when its ICE consent expires, is a
    participant to wait for, 重连中, not a closed that changes nothing)."""
    events = Events()
    await relay.join("room", "pub", events)
    pc = await publish(relay, "pub", EncodedVideoTrack())
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])
    await wait_for(lambda: count(sub.by_publisher("pub", "video")) > 5, 10)
    start = time.monotonic()
    await pc.close()
    await wait_for(lambda: not sub.tracks, 10)
    assert time.monotonic() - start < 10
    await wait_for(lambda: ("pub", "publish", "failed") in events.states, 5)
    assert ("pub", "publish", "closed") not in events.states


async def test_errors_for_unknown_participant(relay):
    with pytest.raises(MediaError):
        await relay.publish("nobody", SessionDescription("v=0", "offer"))
    events = Events()
    await relay.join("room", "p", events)
    with pytest.raises(MediaError):
        await relay.publish("p", SessionDescription("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 97\r\n", "offer"))


async def test_trickled_candidates_are_accepted_before_and_after_the_offer(relay, cleanup):
    from media.interface import IceCandidate

    events = Events()
    await relay.join("room", "pub", events)
    host = "candidate:1 1 udp 2130706431 192.0.2.99 40000 typ host"
    # Before publishOffer: kept, not an error.
    await relay.add_ice_candidate("pub", "publish", IceCandidate(host, "0", 0))
    cleanup.append(await publish(relay, "pub", EncodedVideoTrack()))
    await relay.add_ice_candidate("pub", "publish", IceCandidate(host.replace("40000", "40001"), "0", 0))
    await relay.add_ice_candidate("pub", "publish", IceCandidate(None))
    with pytest.raises(MediaError):
        await relay.add_ice_candidate("pub", "publish", IceCandidate("candidate:nonsense", "0", 0))
    await wait_for(lambda: relay._participants["pub"].publish_state == "connected", 10)


async def test_a_departed_publisher_is_freed(relay):
    """Join/leave cycles must not grow the hub: once a publisher has left and
    its client is gone, none of its connections stays alive."""
    import gc
    import weakref

    events = Events()
    await join_subscriber(relay, events, "room", "watcher")
    await relay.subscribe("watcher", ["pub"])
    gone = []
    for _ in range(2):
        await relay.join("room", "pub", events)
        client = await publish(relay, "pub", EncodedVideoTrack(), EncodedAudioTrack())
        await wait_for(lambda: relay._participants["pub"].publishing_reported == ["audio", "video"], 10)
        gone.append(weakref.ref(relay._participants["pub"].publish_pc))
        await relay.leave("pub")
        await client.close()
        del client
    await asyncio.sleep(0.2)
    gc.collect()
    assert [ref() for ref in gone] == [None, None]


async def test_audio_only_subscription_and_switching_to_full(relay):
    """Beyond the stage and thumbnails a subscriber hears the others but does
    not receive their video; moving one into view adds its video."""
    events = Events()
    sub = await join_subscriber(relay, events, "room", "sub")
    await relay.join("room", "pub", events)
    client = await publish(relay, "pub", EncodedVideoTrack(), EncodedAudioTrack())
    await relay.subscribe("sub", [], audio_from=["pub"])
    await wait_for(lambda: {t.kind for t in sub.tracks} == {"audio"}, 10)
    await wait_for(lambda: sub.by_publisher("pub", "audio") is not None and len(sub.by_publisher("pub", "audio").packets) > 5, 10)
    await relay.subscribe("sub", ["pub"], audio_from=["pub"])
    await wait_for(lambda: {t.kind for t in sub.tracks} == {"audio", "video"}, 10)
    await wait_for(lambda: sub.by_publisher("pub", "video") is not None and len(sub.by_publisher("pub", "video").packets) > 5, 10)
    await sub.close()
    await client.close()


async def test_a_new_subscriber_starts_from_the_cached_keyframe_without_asking(relay, cleanup):
    """Frames since the publisher's last keyframe are kept for half a second:
    a subscriber that opens then starts from that keyframe at once."""
    events = Events()
    await relay.join("room", "pub", events)
    video = EncodedVideoTrack()
    cleanup.append(await publish(relay, "pub", video))
    first = await join_subscriber(relay, events, "room", "first")
    cleanup.append(first)
    await relay.subscribe("first", ["pub"])
    await wait_for(lambda: count(first.by_publisher("pub", "video")) > 3, 10)
    video.request_keyframe()  # a fresh keyframe is in the cache
    await asyncio.sleep(0.1)
    before = video.keyframe_requests
    second = await join_subscriber(relay, events, "room", "second")
    cleanup.append(second)
    await relay.subscribe("second", ["pub"])
    await wait_for(lambda: count(second.by_publisher("pub", "video")) > 3, 10)
    packets = second.by_publisher("pub", "video").packets
    assert packets[0][1][0] & 1 == 0  # starts on a keyframe
    counters = [frame_counter(data) for _, data in packets[:4]]
    assert counters == sorted(counters) and len(set(counters)) == 4  # in order, nothing repeated
    assert video.keyframe_requests == before  # nobody asked the publisher


async def test_swapped_publisher_takes_over_the_transceiver_without_an_offer(relay, cleanup):
    """The floor moves to a station outside this subscriber's pictures while
    another leaves them: the arriving publisher's video takes over the
    leaving one's transceiver, announced by ``subscriber_tracks``; the SDP
    does not change and the new picture starts with a keyframe."""
    events = Events()
    for name in ("a", "b"):
        await relay.join("room", name, events)
    a_video, b_video = EncodedVideoTrack(delta_size=900), EncodedVideoTrack(delta_size=700)
    cleanup.append(await publish(relay, "a", a_video))
    cleanup.append(await publish(relay, "b", b_video))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["a"])
    await wait_for(lambda: count(sub.by_publisher("a", "video")) > 5, 10)
    await wait_for(lambda: relay._participants["b"].publishing_reported == ["video"], 10)
    (mid,) = [t.mid for t in sub.tracks]
    received = sub.received[mid]
    offers_before, before = len(sub.offers), len(received.packets)

    await relay.subscribe("sub", ["b"])
    await wait_for(lambda: sub.track_updates, 5)
    assert [(t.mid, t.publisher_id, t.kind) for t in sub.tracks] == [(mid, "b", "video")]
    await wait_for(lambda: any(len(d) in (700, 4000) for _, d in received.packets[before:]), 5)
    after = received.packets[before:]
    first_b = next(i for i, (_, d) in enumerate(after) if len(d) in (700, 4000))
    assert len(after[first_b][1]) == 4000 and after[first_b][1][0] & 1 == 0  # b starts at a keyframe
    await asyncio.sleep(0.3)
    later = received.packets[before + first_b:]
    assert later and all(len(d) in (700, 4000) for _, d in later)  # nothing more from a
    assert len(sub.offers) == offers_before  # no renegotiation
    stats = {s.participant_id: s for s in await relay.stats()}
    assert stats["sub"].frames_forwarded > 0


async def test_the_new_map_is_sent_before_the_new_senders_first_frame(relay, cleanup):
    """At a floor switch the subscriber hears ``subscriber_tracks`` (the mid
    now carries b) before any frame of b is forwarded on that mid, however
    long the map takes to go out; a's frames stop at once."""
    events = Events()
    for name in ("a", "b"):
        await relay.join("room", name, events)
    a_video = EncodedVideoTrack(keyframe_size=4100, delta_size=900)
    b_video = EncodedVideoTrack(keyframe_size=4200, delta_size=700)
    cleanup.append(await publish(relay, "a", a_video))
    cleanup.append(await publish(relay, "b", b_video))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["a"])
    await wait_for(lambda: count(sub.by_publisher("a", "video")) > 5, 10)
    await wait_for(lambda: relay._participants["b"].publishing_reported == ["video"], 10)
    (mid,) = [t.mid for t in sub.tracks]
    received = sub.received[mid]
    slot = relay._participants["sub"].slots[0]
    seen_at_emit: dict[str, object] = {}

    async def slow_map(participant_id, tracks):
        # What the relay forwards while the map is still on its way.
        seen_at_emit["source"] = slot.track.source
        before_wait = len(received.packets)
        await asyncio.sleep(0.4)  # a slow socket
        seen_at_emit["during"] = [d for _, d in received.packets[before_wait:]]
        sub.handle_tracks(tracks)
        seen_at_emit["mapped_at"] = len(received.packets)

    events.subscriber_tracks = slow_map  # type: ignore[method-assign]
    await relay.subscribe("sub", ["b"])
    await wait_for(lambda: sub.track_updates, 5)
    assert [(t.mid, t.publisher_id) for t in sub.tracks] == [(mid, "b")]
    assert seen_at_emit["source"] is None  # a stopped, b not started (forwarding by packet keeps no queue)
    assert not any(len(d) in (700, 4200) for d in seen_at_emit["during"])  # no frame of b before the map
    await wait_for(lambda: any(len(d) in (700, 4200) for _, d in received.packets[seen_at_emit["mapped_at"]:]), 5)
    after = received.packets[seen_at_emit["mapped_at"]:]
    assert len(after[0][1]) == 4200  # b starts at its keyframe, right after the map


async def test_publish_offers_are_checked_before_aiortc_reads_them(relay):
    """Garbage, an offer without media and one with more media sections than
    allowed are refused (``media_error``), never answered."""
    from media.relay import check_offer

    await relay.join("room", "p", Events())
    for sdp in ("garbage", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"):
        with pytest.raises(MediaError):
            await relay.publish("p", SessionDescription(sdp=sdp, type="offer"))
    pc = client_pc()
    for _ in range(7):
        pc.addTransceiver("video", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    seven = pc.localDescription.sdp
    await pc.close()
    with pytest.raises(MediaError, match="7 media sections"):
        await relay.publish("p", SessionDescription(sdp=seven, type="offer"))
    assert relay._participants["p"].publish_pc is None  # aiortc never saw it
    check_offer(seven, max_media_lines=7)  # a configured higher cap lets it through
    many = "v=0\r\n" + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" * 180
    with pytest.raises(MediaError, match="180 media sections"):
        check_offer(many)


async def test_swap_needs_same_codec_and_extra_pictures_are_offered(relay, cleanup):
    """Only a like-for-like swap skips the offer: adding a picture without
    one leaving (or with no sending transceiver of that kind) renegotiates."""
    events = Events()
    for name in ("a", "b", "c"):
        await relay.join("room", name, events)
    for name in ("a", "b", "c"):
        cleanup.append(await publish(relay, name, EncodedVideoTrack()))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["a"])
    await wait_for(lambda: count(sub.by_publisher("a", "video")) > 5, 10)
    for name in ("b", "c"):
        await wait_for(lambda: relay._participants[name].publishing_reported == ["video"], 10)
    offers_before = len(sub.offers)
    await relay.subscribe("sub", ["b", "c"])  # a leaves, b and c arrive: one swap, one offer
    await wait_for(lambda: len(sub.offers) > offers_before and sub.pc.signalingState == "stable", 10)
    await wait_for(lambda: count(sub.by_publisher("b", "video")) > 5 and count(sub.by_publisher("c", "video")) > 5, 10)
    assert sorted(t.publisher_id for t in sub.tracks) == ["b", "c"]
    assert sub.offers[-1][0].sdp.count("m=video") == 2


async def test_stats_report_the_h264_publishers_resolution(relay, cleanup):
    """A publisher encoding H264 with aiortc's encoder at 640x360 (cropped
    from 640x368 macroblocks): the relay reads the size from the SPS of the
    keyframes it forwards and reports it, as it does for VP8."""
    from aiortc import RTCRtpSender

    class Picture(VideoStreamTrack):
        async def recv(self):
            pts, time_base = await self.next_timestamp()
            frame = av.VideoFrame(640, 360, "yuv420p")
            frame.pts, frame.time_base = pts, time_base
            return frame

    events = Events()
    await relay.join("room", "pub", events)
    pc = RTCPeerConnection()
    cleanup.append(pc)
    transceiver = pc.addTransceiver(Picture(), direction="sendonly")
    transceiver.setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"])
    await pc.setLocalDescription(await pc.createOffer())
    answer = await relay.publish("pub", SessionDescription(sdp=pc.localDescription.sdp, type="offer"))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type=answer.type))

    async def pub_stats():
        return {s.participant_id: s for s in await relay.stats("room")}["pub"]

    deadline = time.monotonic() + 10
    while (stats := await pub_stats()).frame_width is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert stats.publishing == {"video": "video/H264"}
    assert (stats.frame_width, stats.frame_height) == (640, 360)


def rtp_log(client_pc_, kind="video"):
    """Every RTP packet the client receives on its ``kind`` transceivers
    (before jitter buffering, RTX included), as (ssrc, pt, seq, ts, payload)."""
    from media import aiortc_hooks

    log = []
    for transceiver in client_pc_.getTransceivers():
        if transceiver.kind == kind:
            aiortc_hooks.observe_rtp(
                transceiver.receiver,
                lambda p: log.append((p.ssrc, p.payload_type, p.sequence_number, p.timestamp, p.payload)),
            )
    return log


async def test_a_swap_keeps_one_continuous_rtp_stream(relay, cleanup):
    """What the subscriber's browser sees across a floor move: one SSRC,
    sequence numbers without a gap, timestamps moving forward."""
    events = Events()
    for name in ("a", "b"):
        await relay.join("room", name, events)
    cleanup.append(await publish(relay, "a", EncodedVideoTrack()))
    cleanup.append(await publish(relay, "b", EncodedVideoTrack(delta_size=700)))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["a"])
    await wait_for(lambda: count(sub.by_publisher("a", "video")) > 5, 10)
    await wait_for(lambda: relay._participants["b"].publishing_reported == ["video"], 10)
    log = rtp_log(sub.pc)
    await asyncio.sleep(0.3)
    await relay.subscribe("sub", ["b"])
    await wait_for(lambda: sub.track_updates, 5)
    await wait_for(lambda: sum(1 for entry in log if len(entry[4]) > 690 and len(entry[4]) < 720) > 10, 5)
    media = log
    assert len({entry[0] for entry in media}) == 1  # one SSRC throughout
    sequence = [entry[2] for entry in media]
    assert all((y - x) & 0xFFFF == 1 for x, y in zip(sequence, sequence[1:])), sequence
    stamps = [entry[3] for entry in media]
    assert all(0 <= (y - x) & 0xFFFFFFFF < 90000 for x, y in zip(stamps, stamps[1:]))


async def test_a_subscribers_nack_is_answered_by_rtx(relay, cleanup):
    events = Events()
    await relay.join("room", "pub", events)
    cleanup.append(await publish(relay, "pub", EncodedVideoTrack()))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])
    await wait_for(lambda: count(sub.by_publisher("pub", "video")) > 5, 10)
    log = rtp_log(sub.pc)
    await wait_for(lambda: len(log) > 3, 5)
    ssrc, pt, seq, ts, payload = log[-1]
    receiver = sub.pc.getTransceivers()[0].receiver
    await receiver._send_rtcp_nack(ssrc, [seq])
    await wait_for(lambda: any(e[1] != pt and e[4][:2] == seq.to_bytes(2, "big") for e in log), 3)
    rtx = next(e for e in log if e[1] != pt and e[4][:2] == seq.to_bytes(2, "big"))
    assert rtx[0] != ssrc and rtx[4][2:] == payload and rtx[3] == ts
    assert (await relay.metrics())["retransmissions"] >= 1


async def test_a_packet_lost_before_the_relay_is_recovered_from_the_publisher(relay, cleanup, monkeypatch):
    """The relay NACKs the publisher for a packet it missed and forwards the
    retransmission: the subscriber gets every frame."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport

    events = Events()
    await relay.join("room", "pub", events)
    video = EncodedVideoTrack()
    cleanup.append(await publish(relay, "pub", video))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])
    await wait_for(lambda: count(sub.by_publisher("pub", "video")) > 5, 10)
    publish_transport = relay._participants["pub"].publish_pc.getTransceivers()[0].receiver.transport
    original = RTCDtlsTransport._handle_rtp_data
    (track,) = relay._participants["pub"].published.values()
    dropped = []

    async def lossy(self, data, arrival_time_ms):
        if self is publish_transport and not dropped and (data[1] & 0x7F) == track.payload_type and len(data) > 800:
            dropped.append(int.from_bytes(data[2:4], "big"))
            return  # lost on the way to the relay
        await original(self, data, arrival_time_ms)

    monkeypatch.setattr(RTCDtlsTransport, "_handle_rtp_data", lossy)
    await wait_for(lambda: dropped, 5)
    before = count(sub.by_publisher("pub", "video"))
    await wait_for(lambda: count(sub.by_publisher("pub", "video")) > before + 20, 5)
    counters = [frame_counter(d) for _, d in sub.by_publisher("pub", "video").packets]
    assert counters == list(range(counters[0], counters[0] + len(counters)))


async def test_subscribers_get_sender_reports_of_their_stream(relay, cleanup):
    from aiortc.rtp import RtcpSrPacket
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    events = Events()
    await relay.join("room", "pub", events)
    cleanup.append(await publish(relay, "pub", EncodedVideoTrack(), EncodedAudioTrack()))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["pub"])
    await wait_for(lambda: count(sub.by_publisher("pub", "video")) > 5, 10)
    log = rtp_log(sub.pc)
    reports = []
    receivers = {t.receiver for t in sub.pc.getTransceivers()}
    original = RTCRtpReceiver._handle_rtcp_packet

    async def tap(self, packet):
        if self in receivers and isinstance(packet, RtcpSrPacket):
            reports.append(packet)
        await original(self, packet)

    RTCRtpReceiver._handle_rtcp_packet = tap
    try:
        await wait_for(lambda: len(reports) >= 2, 5)
    finally:
        RTCRtpReceiver._handle_rtcp_packet = original
    video_ssrc = log[-1][0]
    report = next(r for r in reports if r.ssrc == video_ssrc) if any(r.ssrc == video_ssrc for r in reports) else reports[0]
    assert report.sender_info.packet_count > 0
    assert abs(report.sender_info.ntp_timestamp / 2**32 - 2208988800 - time.time()) < 5
    # The subscriber's receiver reports now give the relay a round-trip time.
    await wait_for(lambda: relay._participants["sub"].slots and any(
        s.transceiver.sender._RTCRtpSender__rtt is not None for s in relay._participants["sub"].slots), 5)


async def test_set_temporal_layer_limits_one_subscriber_and_one_publisher(relay, cleanup):
    events = Events()
    for name in ("a", "b"):
        await relay.join("room", name, events)
        cleanup.append(await publish(relay, name, EncodedVideoTrack()))
    sub = await join_subscriber(relay, events, "room", "sub")
    cleanup.append(sub)
    await relay.subscribe("sub", ["a", "b"])
    await wait_for(lambda: count(sub.by_publisher("a", "video")) > 3 and count(sub.by_publisher("b", "video")) > 3, 10)
    relay.set_temporal_layer("sub", "a", 0)
    limits = {slot.source.publisher_id: slot.track.max_temporal_layer for slot in relay._participants["sub"].slots}
    assert limits == {"a": 0, "b": None}
    # Frames without temporal layers (a single-layer publisher) still flow.
    before = count(sub.by_publisher("a", "video"))
    await wait_for(lambda: count(sub.by_publisher("a", "video")) > before + 5, 5)
    relay.set_temporal_layer("sub", "a", None)
    assert all(slot.track.max_temporal_layer is None for slot in relay._participants["sub"].slots)
    with pytest.raises(MediaError):
        relay.set_temporal_layer("nobody", "a", 0)


async def test_no_offer_on_a_subscribe_connection_being_closed(relay, cleanup, caplog):
    """A subscription changes while the subscriber's connection is being closed (every
    page of a session closing at once: a publisher's tracks go away as the subscribers'
    connections close too).  aiortc marks a connection closed before its state says so;
    no offer is attempted on it, nothing is logged as a failed media task, and the
    relay goes on serving the others."""
    events = Events()
    await relay.join("room", "pub", events)
    await relay.join("room", "pub2", events)
    cleanup.append(await publish(relay, "pub", EncodedVideoTrack()))
    cleanup.append(await publish(relay, "pub2", EncodedVideoTrack()))
    subs = {}
    for name in ("s1", "s2"):
        subs[name] = await join_subscriber(relay, events, "room", name)
        cleanup.append(subs[name])
        await relay.subscribe(name, ["pub"])
    await wait_for(lambda: all(count(s.by_publisher("pub", "video")) > 5 for s in subs.values()), 10)
    caplog.clear()
    closing = asyncio.ensure_future(relay._participants["s1"].subscribe_pc.close())
    await asyncio.sleep(0)  # close() has begun: the connection is closed, its state not yet
    await asyncio.gather(relay.subscribe("s1", ["pub", "pub2"]), relay.subscribe("s2", ["pub", "pub2"]))
    await closing
    await wait_for(lambda: count(subs["s2"].by_publisher("pub2", "video")) > 5, 10)
    await asyncio.sleep(0.3)
    failed = [r for r in caplog.records if r.levelname == "ERROR"]
    assert not failed, [r.getMessage() for r in failed]


async def test_the_publish_answer_asks_for_opus_dtx(relay, cleanup):
    """A silent station sends a packet every 400 ms instead of 50 a second: the relay's
    answer asks the publisher for Opus DTX (``usedtx=1``, the receiver's preference that
    a browser's encoder follows); the rest of the answer is aiortc's."""
    from media.sdp import ask_for_dtx

    events = Events()
    await relay.join("room", "pub", events)
    pc = client_pc()
    cleanup.append(pc)
    pc.addTransceiver(EncodedAudioTrack(), direction="sendonly")
    pc.addTransceiver(EncodedVideoTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    answer = await relay.publish("pub", SessionDescription(pc.localDescription.sdp, "offer"))
    opus = [line.split()[0][len("a=rtpmap:"):] for line in answer.sdp.splitlines()
            if line.startswith("a=rtpmap:") and "opus/48000" in line.lower()]
    assert opus
    fmtp = [line for line in answer.sdp.splitlines() if line.startswith(f"a=fmtp:{opus[0]} ")]
    assert len(fmtp) == 1 and fmtp[0].endswith("usedtx=1"), fmtp
    assert [line for line in answer.sdp.splitlines() if "usedtx" in line] == fmtp  # audio/opus only
    await pc.setRemoteDescription(RTCSessionDescription(answer.sdp, answer.type))  # still valid SDP

    # Without an fmtp line, one is added; one that says usedtx already is left alone.
    bare = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
    assert ask_for_dtx(bare) == bare.replace("opus/48000/2\r\n", "opus/48000/2\r\na=fmtp:111 usedtx=1\r\n")
    said = "v=0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=rtpmap:111 opus/48000/2\na=fmtp:111 minptime=10;usedtx=0\n"
    assert ask_for_dtx(said) == said
