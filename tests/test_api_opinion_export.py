"""REST: the 民情 list's export (``GET /api/opinions.xlsx``, issue 14): the
list's filters and scope, every row, Chinese words instead of codes, and what
people typed as string cells (no formula)."""

from __future__ import annotations

import io
import uuid

import openpyxl
from test_api_support import at, cheap_passwords, api_hub  # noqa: F401


def body(**kw):
    out = {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
           "summary": "夜间工地噪声", "details": "22点后仍在施工", "residentName": "李先生", "residentContact": "139"}
    out.update(kw)
    return out


async def test_the_filtered_list_exports_in_chinese_words(hub):
    first = await hub.ok("POST", "/opinions", "hn", expect=201, json=body())
    await hub.ok("POST", "/opinions", "hn", expect=201, json=body(summary='=HYPERLINK("http://x","点我")'))
    await hub.ok("POST", "/opinions", "hn", expect=201, json=body(station="changan", summary="长安路灯不亮"))
    oid = first["id"]
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "accept"})
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn",
                 json={"action": "assign", "level": "town", "department": "xucun-office", "note": "请处理"})
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "flag", "flag": "hot"})

    status, data = await hub.call("GET", "/opinions.xlsx", "hn", params={"station": "xucun"})
    assert status == 200
    ws = openpyxl.load_workbook(io.BytesIO(data))["民情"]
    assert ws["A1"].value == "民情清单（许村镇人大代表联络站）" and "共 2 件" in ws["A2"].value
    header = [c.value for c in ws[3]]
    assert header[:3] == ["民情编号", "收到时间", "联络站"] and "承办单位" in header and "状态" in header
    rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=4, values_only=True)}
    assigned = rows[first["reference"]]
    # words, not codes: 已交办 not assigned, 镇级 not town, the office's name not xucun-office
    assert assigned["状态"] == "已交办" and assigned["层级"] == "镇级"
    assert assigned["承办单位"] == "许村镇党政办公室" and assigned["标记"] == "热点"
    assert assigned["联络站"] == "许村镇人大代表联络站" and assigned["提出人"] == "群众" and assigned["姓名"] == "李先生"
    assert assigned["办理时限"] == "2025-03-07"
    # a formula typed as a summary stays text
    formula = next(r for r in ws.iter_rows(min_row=4) if str(r[7].value).startswith("=HYPERLINK"))
    assert formula[7].data_type == "s"
    assert ws.freeze_panes == "B4"

    # the list's filters: status; the caller's scope: an operator exports its station only
    status, data = await hub.call("GET", "/opinions.xlsx", "hn", params={"status": "submitted"})
    ws = openpyxl.load_workbook(io.BytesIO(data))["民情"]
    assert sorted(r[0] for r in ws.iter_rows(min_row=4, values_only=True)) == sorted(
        o["reference"] for o in (await hub.ok("GET", "/opinions", "hn", params={"status": "submitted"}))["items"])
    assert ws.max_row - 3 == 2
    status, data = await hub.call("GET", "/opinions.xlsx", "op-xucun")
    ws = openpyxl.load_workbook(io.BytesIO(data))["民情"]
    assert {r[2] for r in ws.iter_rows(min_row=4, values_only=True)} == {"许村镇人大代表联络站"}
    status, _ = await hub.call("GET", "/opinions.xlsx", "op-xucun", params={"station": "changan"})
    assert status == 403


async def test_the_period_town_by_town(hub):
    from test_api_support import iso

    for station in ("xucun", "xucun", "changan"):
        await hub.ok("POST", "/opinions", "hn", expect=201, json=body(station=station))
    period = {"from": iso(at(3, 1, 0)), "to": iso(at(4, 1, 0))}
    towns = await hub.ok("GET", "/reports/opinion-towns", "hn", params=period)
    assert towns["scope"] == "haining" and len(towns["items"]) == 12
    received = {t["station"]: t["stats"]["received"] for t in towns["items"]}
    assert received["xucun"] == 2 and received["changan"] == 1 and sum(received.values()) == 3
    assert next(t for t in towns["items"] if t["station"] == "xucun")["name"] == "许村镇人大代表联络站"
    mine = await hub.ok("GET", "/reports/opinion-towns", "op-xucun", params=period)
    assert [t["station"] for t in mine["items"]] == ["xucun"]
