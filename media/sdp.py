"""What the relay reads in a publisher's SDP offer before and besides aiortc.

* :func:`check_offer`: refuse an offer that is not worth parsing;
* :func:`content_mids`: the media sections marked ``a=content:slides``
  (RFC 4796): a shared screen or document (双流);
* :func:`alt_mids`: the media sections marked ``a=content:alt``: the
  publisher's small stream (大小流), the same camera at about 320x180, which
  the relay forwards in place of the big one to subscribers that show it as a
  thumbnail, never as a track of its own;
* :func:`ask_for_dtx`: the relay's answer asks the publisher for Opus DTX.
"""

from __future__ import annotations

from aiortc.sdp import SessionDescription as ParsedSdp

from .interface import MediaError

#: Media sections a publish offer may hold unless the relay is told otherwise:
#: audio, the camera's big and small streams, a shared screen (and its audio), one spare.
DEFAULT_MAX_MEDIA_LINES = 6


def check_offer(sdp: str, max_media_lines: int = DEFAULT_MAX_MEDIA_LINES) -> None:
    """Refuse a publish offer that is not an SDP offer with 1 to
    ``max_media_lines`` audio/video sections, before aiortc spends time on it
    (each section becomes a transceiver and, once live, a forwarded track for
    every subscriber).  The m= lines are counted before anything is parsed."""
    lines = sdp.splitlines()
    if not lines or lines[0].strip() != "v=0":
        raise MediaError("the offer is not an SDP session description (v=0 first)")
    sections = [line for line in lines if line.startswith("m=")]
    if not sections:
        raise MediaError("the offer has no media section")
    if len(sections) > max_media_lines:
        raise MediaError(f"the offer has {len(sections)} media sections; at most {max_media_lines} are accepted")
    try:
        parsed = ParsedSdp.parse(sdp)
    except Exception:
        raise MediaError("the offer is not valid SDP") from None
    for media in parsed.media:
        if media.kind not in ("audio", "video"):
            raise MediaError(f"media section of kind {media.kind!r}: only audio and video are published")


def content_mids(sdp: str) -> set[str]:
    """The mids of the media sections marked ``a=content:slides`` (RFC 4796):
    a publisher's shared screen or document, forwarded like any video."""
    return _marked_mids(sdp, "a=content:slides")


def _marked_mids(sdp: str, marker: str) -> set[str]:
    mids: set[str] = set()
    for section in sdp.replace("\r\n", "\n").split("\nm=")[1:]:
        lines = section.split("\n")
        mid = next((line[6:].strip() for line in lines if line.startswith("a=mid:")), None)
        if mid is not None and any(line.strip() == marker for line in lines):
            mids.add(mid)
    return mids


def alt_mids(sdp: str) -> set[str]:
    """The mids of the media sections marked ``a=content:alt`` (RFC 4796): a
    publisher's small stream of its camera."""
    return _marked_mids(sdp, "a=content:alt")


def ask_for_dtx(answer_sdp: str) -> str:
    """The relay's answer to a publisher, asking for Opus with discontinuous
    transmission (``usedtx=1``, RFC 7587: the receiver's preference, which a
    browser's encoder follows): a station that is silent sends a packet every
    400 ms instead of 50 a second.  Twelve stations with open microphones are
    otherwise ~600 packets a second of silence at every subscriber (about
    250 kbit/s with their headers, most of a thin phone link)."""
    eol = "\r\n" if "\r\n" in answer_sdp else "\n"
    lines = answer_sdp.split(eol)
    opus = {_payload_type(line, "a=rtpmap:") for line in lines
            if line.startswith("a=rtpmap:") and " opus/" in line.lower()}
    with_fmtp = {_payload_type(line, "a=fmtp:") for line in lines if line.startswith("a=fmtp:")}
    out: list[str] = []
    for line in lines:
        if line.startswith("a=fmtp:") and _payload_type(line, "a=fmtp:") in opus:
            pt, _, params = line[len("a=fmtp:"):].partition(" ")
            if "usedtx" not in {p.split("=", 1)[0].strip().lower() for p in params.split(";")}:
                line = f"a=fmtp:{pt} {params + ';' if params else ''}usedtx=1"
        out.append(line)
        if line.startswith("a=rtpmap:") and (pt := _payload_type(line, "a=rtpmap:")) in opus - with_fmtp:
            out.append(f"a=fmtp:{pt} usedtx=1")  # no fmtp line of its own: one is added
    return eol.join(out)


def _payload_type(line: str, prefix: str) -> str:
    """The payload type an ``a=rtpmap:`` or ``a=fmtp:`` line is about."""
    return line[len(prefix):].split(" ", 1)[0]
