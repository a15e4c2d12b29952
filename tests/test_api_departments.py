"""REST: the departments' side (承办单位, issue 13; ``store/departments.py``,
``api/departments.py``): department accounts scoped to their department,
their list (overdue first, deadlines in working days), their own steps —
accept, return with a reason, ask for more time, answer with attachments —
through the one workflow, the answer reaching the deputy and the
dispatcher, and the out-of-scope probes of a department's login."""

from __future__ import annotations

import io
import uuid

from test_api_support import PASSWORD, at, cheap_passwords, api_hub, session_body  # noqa: F401


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 12), (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


def _body(**kw):
    body = {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
            "summary": "夜间施工噪声", "residentName": "李先生"}
    body.update(kw)
    return body


async def _department_account(hub, username: str, department: str) -> None:
    await hub.ok("POST", "/accounts", "admin", expect=201, json={
        "username": username, "password": PASSWORD, "role": "department", "department": department})


async def _assigned(hub, department: str, station: str = "xucun", **assign) -> int:
    oid = (await hub.ok("POST", "/opinions", "hn", expect=201, json=_body(station=station)))["id"]
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "accept"})
    await hub.ok("POST", f"/opinions/{oid}/actions", "hn",
                 json={"action": "assign", "level": "town", "department": department, **assign})
    return oid


async def test_department_accounts_need_a_configured_department(hub):
    status, err = await hub.call("POST", "/accounts", "admin", json={
        "username": "d1", "password": PASSWORD, "role": "department"})
    assert status == 400 and err["error"]["reason"] == "role_needs_department"
    status, err = await hub.call("POST", "/accounts", "admin", json={
        "username": "d1", "password": PASSWORD, "role": "department", "department": "nowhere-office"})
    assert status == 400 and err["error"]["reason"] == "department_unknown_account" and "nowhere-office" in err["error"]["message"]
    status, _ = await hub.call("POST", "/accounts", "hn", json={
        "username": "d1", "password": PASSWORD, "role": "department", "department": "xucun-office"})
    assert status == 403
    await _department_account(hub, "d1", "xucun-office")
    me = await hub.ok("GET", "/auth/me", "d1")
    assert me["role"] == "department" and me["department"] == "xucun-office" and me["station"] is None


async def test_list_overdue_first_accept_return_extend_answer(hub):
    await _department_account(hub, "xucun-dept", "xucun-office")
    deputy = hub.deputies["许村代表"]
    later = await _assigned(hub, "xucun-office")  # 5 working days: 2025-03-07
    sooner = await _assigned(hub, "xucun-office", deadline="2025-03-03T23:59:59+08:00")
    raised = (await hub.ok("POST", "/opinions", "hn", expect=201,
                           json=_body(deputyId=deputy, residentName="")))["id"]
    for step in ({"action": "accept"}, {"action": "assign", "level": "town", "department": "xucun-office"}):
        await hub.ok("POST", f"/opinions/{raised}/actions", "hn", json=step)
    elsewhere = await _assigned(hub, "changan-office", station="changan")
    hub.clock.now = at(3, 4, 10)  # Tuesday: `sooner` is one working day overdue
    listed = await hub.ok("GET", "/department/items", "xucun-dept")
    assert listed["department"] == "xucun-office" and listed["departmentName"] == "许村镇党政办公室"
    assert [i["id"] for i in listed["items"]][:1] == [sooner] and elsewhere not in [i["id"] for i in listed["items"]]
    first = listed["items"][0]
    assert first["overdue"] and first["workingDaysLeft"] == -1
    by_id = {i["id"]: i for i in listed["items"]}
    assert by_id[later]["workingDaysLeft"] == 3 and not by_id[later]["overdue"]  # Wed, Thu, Fri

    # accept (start), ask for more time with the reason, answer
    started = await hub.ok("POST", f"/opinions/{raised}/actions", "xucun-dept", json={"action": "start"})
    assert started["status"] == "in_progress" and started["timeline"][-1]["actorRole"] == "department"
    # more time is a request the town's dispatcher approves (tests/test_api_extensions.py)
    status, err = await hub.call("POST", f"/opinions/{raised}/actions", "xucun-dept",
                                 json={"action": "extend", "deadline": "2025-03-14T23:59:59+08:00", "note": "需协调"})
    assert status == 409 and err["error"]["reason"] == "extension_by_request"
    status, err = await hub.call("POST", f"/opinions/{raised}/extension-requests", "xucun-dept",
                                 json={"deadline": "2025-03-14T23:59:59+08:00"})
    assert status == 400 and err["error"]["reason"] == "note_required" and "理由" in err["error"]["message"]
    status, err = await hub.call("POST", f"/opinions/{raised}/extension-requests", "xucun-dept",
                                 json={"deadline": "2025-03-05T23:59:59+08:00", "note": "需协调"})
    assert status == 409 and err["error"]["reason"] == "extension_not_later"
    asked = await hub.ok("POST", f"/opinions/{raised}/extension-requests", "xucun-dept", expect=201,
                         json={"deadline": "2025-03-14T23:59:59+08:00", "note": "需协调供电所"})
    await hub.ok("POST", f"/extension-requests/{asked['id']}/decision", "hn", json={"approve": True})
    extended = await hub.ok("GET", f"/opinions/{raised}", "xucun-dept")
    assert extended["extensions"] == 1 and extended["deadline"].startswith("2025-03-14")
    token = await hub.login("xucun-dept")
    async with hub.http.put(f"{hub.url}/opinions/{raised}/photos/0", data=_png(),
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"}) as r:
        assert r.status == 200, await r.text()
    answered = await hub.ok("POST", f"/opinions/{raised}/actions", "xucun-dept",
                            json={"action": "answer", "grade": "A", "answer": "已协调施工单位夜间停工"})
    assert answered["status"] == "answered" and answered["photos"][0]["position"] == 0
    # the answer reaches the dispatcher and the deputy's timeline
    seen = await hub.ok("GET", f"/opinions/{raised}", "hn")
    assert seen["timeline"][-1]["payload"]["answer"] == "已协调施工单位夜间停工"
    assert seen["timeline"][-1]["actorName"] == "xucun-dept"
    done = await hub.ok("GET", "/department/items", "xucun-dept", params={"done": "true"})
    assert raised in [i["id"] for i in done["items"]]
    held = await hub.ok("GET", "/department/items", "xucun-dept")
    assert raised not in [i["id"] for i in held["items"]]

    # 退回 with the reason: back to the dispatcher, off the department's list
    status, err = await hub.call("POST", f"/opinions/{sooner}/actions", "xucun-dept", json={"action": "return"})
    assert status == 400 and err["error"]["reason"] == "note_required"
    returned = await hub.ok("POST", f"/opinions/{sooner}/actions", "xucun-dept",
                            json={"action": "return", "note": "不属于本单位职责"})
    assert returned["status"] == "returned" and returned["returns"] == 1
    assert sooner not in [i["id"] for i in (await hub.ok("GET", "/department/items", "xucun-dept"))["items"]]
    assert (await hub.ok("GET", f"/opinions/{sooner}", "hn"))["timeline"][-1]["note"] == "不属于本单位职责"


async def test_department_out_of_scope_probes(hub):
    await _department_account(hub, "xucun-dept", "xucun-office")
    mine = await _assigned(hub, "xucun-office")
    other = await _assigned(hub, "changan-office", station="changan")
    unassigned = (await hub.ok("POST", "/opinions", "hn", expect=201, json=_body()))["id"]
    # another department's opinion, or one not assigned: as if it did not exist
    for oid in (other, unassigned):
        status, _ = await hub.call("GET", f"/opinions/{oid}", "xucun-dept")
        assert status == 404
        status, _ = await hub.call("POST", f"/opinions/{oid}/actions", "xucun-dept", json={"action": "start"})
        assert status == 404
    listed = await hub.ok("GET", "/opinions", "xucun-dept")
    assert [o["id"] for o in listed["items"]] == [mine]
    # staff's steps are not the department's
    for step in ({"action": "close"}, {"action": "flag", "flag": "hot"},
                 {"action": "assign", "level": "town", "department": "xucun-office"}):
        status, err = await hub.call("POST", f"/opinions/{mine}/actions", "xucun-dept", json=step)
        assert status == 409 and err["error"]["reason"] == "role_may_not_act", (step, err)
    # nothing of sessions, deputies, accounts, statistics, notices, audit, duty, the deputy's page
    probes = [("POST", "/sessions", session_body()), ("GET", "/deputies", None), ("GET", "/accounts", None),
              ("GET", "/reports/opinion-stats?from=2025-03-01T00:00:00%2B08:00&to=2025-04-01T00:00:00%2B08:00", None), ("GET", "/notices", None), ("GET", "/audit", None),
              ("GET", "/duty/records", None), ("GET", "/me/deputy", None),
              ("POST", "/opinions", _body())]
    for method, path, body in probes:
        status, err = await hub.call(method, path, "xucun-dept", json=body)
        assert status == 403 and err["error"]["code"] == "forbidden", (path, status, err)
    # and nobody else has a department page
    for who in ("hn", "op-xucun", "admin"):
        status, _ = await hub.call("GET", "/department/items", who)
        assert status == 403
    status, _ = await hub.call("GET", "/department/items")
    assert status == 401
