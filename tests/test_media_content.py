"""双流: a publisher's second video source (a shared screen or document) is the
media section it offers with ``a=content:slides`` (RFC 4796); the relay names it
in the subscribers' mid maps and forwards it like any video."""

from __future__ import annotations

from media.interface import TrackInfo
from media.relay import content_mids

OFFER = "\r\n".join([
    "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1 2",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", "a=sendonly",
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:1", "a=sendonly",
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:2", "a=sendonly", "a=content:slides",
    "",
])


def test_the_content_section_is_found_by_its_mid():
    assert content_mids(OFFER) == {"2"}
    assert content_mids(OFFER.replace("a=content:slides", "a=content:main")) == set()
    assert content_mids(OFFER.replace("\r\n", "\n")) == {"2"}


def test_a_track_is_camera_unless_marked_content():
    assert TrackInfo(mid="1", publisher_id="p", kind="video").content is False
    assert TrackInfo(mid="2", publisher_id="p", kind="video", content=True).content is True
