"""The one fan-out of opinion news (opinions/bus.py): every listener of the
process hears each news once, in order, and one that fails does not keep
the news from the others; the summary shape is the one pydantic model."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


from opinions.bus import OpinionBus
from opinions.news import LiveOpinionOut, OpinionNews


def news(version: int = 1) -> OpinionNews:
    return OpinionNews(
        kind="captured" if version == 1 else "updated", action="submit" if version == 1 else "accept", town="xucun",
        opinion=LiveOpinionOut(
            id=7, status="submitted" if version == 1 else "accepted", station="xucun", station_name="许村",
            station_name_en="Xucun", raised_by="resident", raiser_name="张三", deputy_id=None, category="roads",
            category_name="道路", category_name_en="Roads", request_type="suggestion", summary="路灯坏了",
            session_id=4, session_offset=12,
            captured_at=datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=8))), level=None,
            department=None, department_name=None, department_name_en=None, version=version,
            reference="MQ2026-000007",
        ),
    )


class Recorder:
    def __init__(self) -> None:
        self.heard: list[int] = []

    async def opinion_changed(self, news: OpinionNews) -> None:
        self.heard.append(news.version)


class Broken:
    async def opinion_changed(self, news: OpinionNews) -> None:
        raise RuntimeError("a listener's bug")


async def test_every_listener_hears_each_news_once_in_order_despite_a_broken_one():
    bus, first, second = OpinionBus(), Recorder(), Recorder()
    bus.listen(first)
    bus.listen(Broken())
    bus.listen(second)
    bus.listen(first)  # listening twice is listening once
    for version in (1, 2, 3):
        await bus.opinion_changed(news(version))
    assert first.heard == second.heard == [1, 2, 3]
    assert bus.delivered == 3


def test_the_socket_payload_is_the_rest_model_dumped_by_alias():
    public = news().public()
    assert LiveOpinionOut.model_validate(public) == news().opinion
    assert public["capturedAt"] == "2026-03-01T10:00:00+08:00"
    assert public["sessionId"] == 4 and public["stationNameEn"] == "Xucun" and public["version"] == 1
    assert set(public) == {f.alias for f in LiveOpinionOut.model_fields.values()}
