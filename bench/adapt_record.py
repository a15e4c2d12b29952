"""Record a phone's RTCP feedback on emulated links (issue 9): the sequences of
``tests/fixtures/rtcp/`` that ``tests/test_media_adapt_sequences.py`` replays.

A Pixel-7 Chromium page in a network namespace, in a session of publishing
stations (``tests/phone_network.py``), goes through phases of downlink
shaping (rate in kbit/s or unlimited, random loss); the hub traces every
subscriber's RTCP feedback and adaptation steps (``media.adapt_trace``) and
the page's own figures are printed per phase.  Needs root::

    .venv/bin/python -m bench.adapt_record --out bench/out/rtcp.jsonl \\
        --phase none:0:30 --phase 1500:3:40 --phase 300:3:40 --phase none:0:30

A phase is ``RATE:LOSS:SECONDS`` (``RATE`` ``none``: no limit).  Each phase's
start is written to the trace as ``{"phase": …}``.

``--extract TRACE --sub PARTICIPANT`` writes one subscriber's records of a
trace (any ``media.adapt_trace``, e.g. of a Chromium test on loopback) to
``--out``, times from its first record, other subscribers and idle steps left
out: a fixture for ``tests/fixtures/rtcp/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional


def parse_phase(text: str) -> tuple[Optional[int], float, float]:
    try:
        rate, loss, seconds = text.split(":")
        return (None if rate == "none" else int(rate)), float(loss), float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a phase is RATE:LOSS:SECONDS (RATE none: no limit), not {text!r}")


async def record(out: Path, phases: list[tuple[Optional[int], float, float]], stations: int, adapt: bool) -> None:
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("")
    os.environ["LIAISON_HUB_MEDIA__ADAPT_TRACE"] = str(out)
    os.environ["LIAISON_HUB_MEDIA__ADAPT"] = "true" if adapt else "false"
    from tests.phone_network import PhoneSession

    with tempfile.TemporaryDirectory(prefix="adapt-record-") as tmp:
        async with PhoneSession(Path(tmp), stations=stations) as s:
            rate, loss, _ = phases[0]
            s.shape(rate, loss_percent=loss)
            await s.open_phone(timeout=180)
            for rate, loss, seconds in phases:
                s.shape(rate, loss_percent=loss)
                with open(out, "a") as f:
                    f.write(json.dumps({"phase": [rate, loss, seconds], "wall": time.time()}) + "\n")
                print(f"phase {rate} kbit/s, {loss} % loss, {seconds} s", flush=True)
                left = seconds
                while left > 0:
                    window = min(10.0, left)
                    figures = await s.measure(window)
                    left -= window
                    print(json.dumps({k: figures[k] for k in ("stage_fps", "stage_width", "speech_concealed", "audio_concealed",
                                                             "video_kbps", "placeholders")}
                                     | {"thumbs": {p[:6]: [t["fps"], t["width"]] for p, t in
                                                   figures["thumbnails"].items()}}), flush=True)


def extract(trace: Path, sub: str, out: Path) -> int:
    """One subscriber's records of ``trace`` into ``out``; returns how many."""
    records, start, phase = [], None, None
    for line in trace.read_text().splitlines():
        record = json.loads(line)
        if "phase" in record:
            phase = record["phase"]
            continue
        if record.get("sub") != sub or ("step" in record and not record["step"]["videos"]):
            continue
        start = record["t"] if start is None else start
        if phase is not None:
            records.append({"phase": phase})
            phase = None
        record = {k: v for k, v in record.items() if k != "sub"}
        record["t"] = round(record["t"] - start, 3)
        records.append(record)
    out.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))
    return len(records)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--phase", type=parse_phase, action="append")
    parser.add_argument("--extract", type=Path, metavar="TRACE", help="write one subscriber's records of TRACE")
    parser.add_argument("--sub", help="the subscriber (participant id) to --extract")
    parser.add_argument("--stations", type=int, default=8)
    parser.add_argument("--no-adapt", action="store_true", help="record with media.adapt off (all sent)")
    args = parser.parse_args(argv)
    if args.extract:
        if not args.sub:
            parser.error("--extract needs --sub")
        print(f"{extract(args.extract, args.sub, args.out)} records")
        return 0
    if not args.phase:
        parser.error("at least one --phase (or --extract)")
    asyncio.run(record(args.out, args.phase, args.stations, not args.no_adapt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
