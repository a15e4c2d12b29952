"""Keyframe request merging (media/keyframes.py)."""

import asyncio

from media.keyframes import KeyframeRequester, KeyframeRequestMerger


def test_burst_of_requests_costs_one_now_and_one_trailing():
    merger = KeyframeRequestMerger(interval=0.3)
    assert merger.request(10.0) is True  # first goes out at once
    # A burst of joins within the interval: merged, none sent immediately.
    assert [merger.request(t) for t in (10.01, 10.05, 10.1, 10.29)] == [False] * 4
    assert merger.deadline == 10.3
    assert merger.due(10.2) is False
    assert merger.due(10.3) is True  # one trailing request for the whole burst
    assert merger.due(10.31) is False  # and only one
    assert merger.deadline is None


def test_requests_spaced_by_interval_all_go_out():
    merger = KeyframeRequestMerger(interval=0.3)
    sent = [merger.request(t) for t in (0.0, 0.3, 0.7, 1.5)]
    assert sent == [True, True, True, True]
    assert not merger.pending


def test_rate_is_bounded_under_constant_requests():
    merger = KeyframeRequestMerger(interval=0.3)
    sent = 0
    t = 0.0
    while t < 3.0:  # a request every 10 ms for 3 s
        if merger.request(t):
            sent += 1
        if merger.due(t):
            sent += 1
        t = round(t + 0.01, 3)
    assert 9 <= sent <= 11  # about one per 300 ms, never one per request


async def test_requester_sends_merged_requests():
    now = [100.0]
    calls = []

    async def send():
        calls.append(now[0])
        return True

    requester = KeyframeRequester(send, interval=0.05, clock=lambda: now[0])
    for _ in range(5):
        requester.request()
    await asyncio.sleep(0.01)
    assert calls == [100.0]
    now[0] = 100.06  # past the interval: the pending request fires on the timer
    await asyncio.sleep(0.08)
    assert len(calls) == 2
    assert requester.sent == 2
    requester.close()
    requester.request()
    await asyncio.sleep(0.01)
    assert len(calls) == 2
