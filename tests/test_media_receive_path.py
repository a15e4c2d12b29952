"""The forwarding receiver's cheaper parts (media/aiortc_hooks/, hooks 6 and 10):
running aiortc coroutines at once, the rate window, and REMB fed per frame."""

import asyncio
import random

from aiortc.rate import RateCounter, RemoteBitrateEstimator

from media import aiortc_hooks
from media.aiortc_hooks import remb


def test_window_rate_gives_aiortcs_rate_counter_results():
    rng = random.Random(7)
    ours, theirs = remb.WindowRate(1000, 8000), RateCounter(1000, 8000)
    now = 1_000_000
    assert ours.rate(now) is None and theirs.rate(now) is None
    for _ in range(3000):
        now += rng.choice((0, 1, 3, 10, 33, 200, 1500))
        size = rng.randrange(0, 1400)
        ours.add(size, now)
        theirs.add(size, now)
        assert ours.rate(now) == theirs.rate(now)
        if rng.random() < 0.01:
            ours.reset()
            theirs.reset()


def stream(estimator_add, frames, congested_from=None, fps=30, packets=4, size=1100):
    """Feed ``frames`` video frames of ``packets`` packets each (~850 kbit/s
    at the defaults) sent 1 ms apart; from ``congested_from`` on, each frame
    arrives 3 ms later than the one before (a queue building up).  Returns
    every REMB value sent."""
    rembs = []
    delay = 20.0
    for frame in range(frames):
        send_ms = frame * 1000 / fps
        if congested_from is not None and frame >= congested_from:
            delay += 3
        for i in range(packets):
            sent = send_ms + i
            abs_send_time = int(sent / 1000 * (1 << 18)) & 0xFFFFFF
            result = estimator_add(int(sent + delay), abs_send_time, size, 1234, i == packets - 1)
            if result is not None:
                rembs.append(result[0])
    return rembs


def per_packet(estimator):
    return lambda arrival, abs_send_time, size, ssrc, marker: estimator.add(
        arrival_time_ms=arrival, abs_send_time=abs_send_time, payload_size=size, ssrc=ssrc)


def test_remb_per_frame_follows_aiortcs_estimate_on_a_clean_link():
    theirs = stream(per_packet(RemoteBitrateEstimator()), 600)
    ours = stream(remb.FrameRembEstimator(RemoteBitrateEstimator()).add, 600)
    assert len(ours) >= 15  # about one a second, as aiortc's
    # The incoming rate is ~1.06 Mbit/s with headers: both allow more than it.
    assert 0.8 <= ours[-1] / theirs[-1] <= 1.25, (ours[-5:], theirs[-5:])
    assert ours[-1] > 1_000_000


def test_remb_per_frame_falls_when_delay_builds_up():
    ours = stream(remb.FrameRembEstimator(RemoteBitrateEstimator()).add, 600, congested_from=300)
    clean = stream(remb.FrameRembEstimator(RemoteBitrateEstimator()).add, 300)
    assert ours[-1] < 0.9 * clean[-1], (ours[-5:], clean[-5:])


async def test_run_now_finishes_at_once_or_in_a_task():
    steps = []

    async def quick():
        steps.append("quick")

    async def waits(future):
        steps.append("before")
        value = await future
        await asyncio.sleep(0)
        steps.append(("after", value))

    aiortc_hooks.run_now(quick())
    assert steps == ["quick"]
    future = asyncio.get_running_loop().create_future()
    aiortc_hooks.run_now(waits(future))
    assert steps == ["quick", "before"]
    future.set_result(42)
    for _ in range(5):
        await asyncio.sleep(0)
    assert steps == ["quick", "before", ("after", 42)]

    failed = asyncio.get_running_loop().create_future()
    caught = []

    async def fails():
        try:
            await failed
        except ValueError as exc:
            caught.append(str(exc))

    aiortc_hooks.run_now(fails())
    failed.set_exception(ValueError("no"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert caught == ["no"]
