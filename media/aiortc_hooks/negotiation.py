"""What a transceiver negotiated, read and restricted through aiortc's private ``_codecs``."""

from __future__ import annotations

from typing import Any, Optional

from aiortc.rtcrtpparameters import RTCRtpCodecParameters


def negotiated_codec(transceiver: Any) -> Optional[RTCRtpCodecParameters]:
    """The first non-RTX codec negotiated on ``transceiver``."""
    for codec in transceiver._codecs:
        if codec.name.lower() != "rtx":
            return codec
    return None


def answer_with_single_codec(transceiver: Any) -> None:
    """Restrict a transceiver created by a remote offer to one codec (and its RTX).

    Called between ``setRemoteDescription(offer)`` and ``createAnswer()``: the
    answer then lists a single media codec, so the publisher must send exactly
    that one and the relay knows, at negotiation time, which codec to pin on
    subscribers.  ``setCodecPreferences`` cannot do this: the transceiver only
    exists once the offer has been applied, and its codecs are already chosen.
    """
    codec = negotiated_codec(transceiver)
    if codec is None:
        return
    keep = [codec]
    for other in transceiver._codecs:
        if other.name.lower() == "rtx" and other.parameters.get("apt") == codec.payloadType:
            keep.append(other)
    transceiver._codecs = keep
