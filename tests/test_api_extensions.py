"""REST: departments' extension requests 延期申请 (issue 13;
``api/extensions.py``, ``store/extensions.py``): the department asks, the
town's dispatcher is reminded and refuses (with the reason: the deadline
stays) or approves (the deadline moves, by the dispatcher's extend step in
the timeline); the department hears of the outcome; scope probes (an
operator, a deputy, another department, a dispatcher of another town,
anonymous)."""

from __future__ import annotations

import uuid

from test_api_support import PASSWORD, at, cheap_passwords, api_hub  # noqa: F401


async def _held(hub) -> int:
    oid = (await hub.ok("POST", "/opinions", "hn", expect=201, json={
        "clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
        "summary": "夜间施工噪声", "residentName": "李先生"}))["id"]
    for step in ({"action": "accept"}, {"action": "assign", "level": "town", "department": "xucun-office"}):
        await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json=step)
    await hub.ok("POST", f"/opinions/{oid}/actions", "xucun-dept", json={"action": "start"})
    return oid


async def _kinds(hub, who: str) -> list[tuple[str, int]]:
    return [(n["kind"], n["opinionId"]) for n in (await hub.ok("GET", "/me/notifications", who))["items"]
            if n["kind"].startswith("extension")]


async def test_request_refuse_then_approve(hub):
    for username, body in (("xucun-dept", {"role": "department", "department": "xucun-office"}),
                           ("changan-dept", {"role": "department", "department": "changan-office"}),
                           ("ca-disp", {"role": "dispatcher", "station": "changan"})):
        await hub.ok("POST", "/accounts", "admin", expect=201, json={"username": username, "password": PASSWORD, **body})
    oid = await _held(hub)
    before = (await hub.ok("GET", f"/opinions/{oid}", "hn"))["deadline"]
    asked = await hub.ok("POST", f"/opinions/{oid}/extension-requests", "xucun-dept", expect=201,
                         json={"deadline": "2025-03-21T23:59:59+08:00", "note": "需协调供电所停电施工"})
    assert asked["status"] == "pending" and asked["reason"] == "需协调供电所停电施工"
    assert asked["departmentName"] == "许村镇党政办公室" and asked["currentDeadline"] == before
    # the deadline does not move yet; one pending request at a time
    assert (await hub.ok("GET", f"/opinions/{oid}", "hn"))["deadline"] == before
    status, err = await hub.call("POST", f"/opinions/{oid}/extension-requests", "xucun-dept",
                                 json={"deadline": "2025-03-28T23:59:59+08:00", "note": "再延"})
    assert status == 409 and err["error"]["reason"] == "extension_pending"
    # the town's dispatcher (and the one above) are reminded; others are not
    assert await _kinds(hub, "hn") == [("extension_requested", oid)]
    assert await _kinds(hub, "jx") == [("extension_requested", oid)]
    assert await _kinds(hub, "ca-disp") == []
    # scope probes
    for who in ("op-xucun", "changan-dept", "ca-disp"):
        status, _ = await hub.call("POST", f"/extension-requests/{asked['id']}/decision", who, json={"approve": True})
        assert status == 403, who
    status, _ = await hub.call("POST", f"/opinions/{oid}/extension-requests", "changan-dept",
                               json={"deadline": "2025-03-21T23:59:59+08:00", "note": "x"})
    assert status == 404  # not even its existence
    status, err = await hub.call("POST", f"/opinions/{oid}/extension-requests", "hn",
                                 json={"deadline": "2025-03-21T23:59:59+08:00", "note": "x"})
    assert status == 403 and err["error"]["reason"] == "extension_department_only"
    assert (await hub.call("GET", "/extension-requests"))[0] == 401
    assert (await hub.call("GET", "/extension-requests", "op-xucun"))[0] == 403
    assert (await hub.ok("GET", "/extension-requests", "changan-dept"))["items"] == []
    assert [r["id"] for r in (await hub.ok("GET", "/extension-requests", "ca-disp", params={"status": "pending"}))["items"]] == []
    assert [r["id"] for r in (await hub.ok("GET", "/extension-requests", "hn", params={"status": "pending"}))["items"]] == [asked["id"]]
    # refuse: needs a reason; the deadline stays; the department hears of it
    status, err = await hub.call("POST", f"/extension-requests/{asked['id']}/decision", "hn",
                                 json={"approve": False}, lang="en")
    assert status == 400 and err["error"]["reason"] == "refusal_needs_reason" and "reason" in err["error"]["message"]
    refused = await hub.ok("POST", f"/extension-requests/{asked['id']}/decision", "hn",
                           json={"approve": False, "reason": "请按期办结"})
    assert refused["status"] == "refused" and refused["decisionReason"] == "请按期办结"
    assert (await hub.ok("GET", f"/opinions/{oid}", "hn"))["deadline"] == before
    assert await _kinds(hub, "xucun-dept") == [("extension_refused", oid)]
    assert await _kinds(hub, "hn") == []
    status, err = await hub.call("POST", f"/extension-requests/{asked['id']}/decision", "hn", json={"approve": True})
    assert status == 409 and err["error"]["reason"] == "extension_decided"
    # ask again; approve: the deadline moves, by the dispatcher's step with the department's reason
    again = await hub.ok("POST", f"/opinions/{oid}/extension-requests", "xucun-dept", expect=201,
                         json={"deadline": "2025-03-14T23:59:59+08:00", "note": "供电所排期在下周"})
    approved = await hub.ok("POST", f"/extension-requests/{again['id']}/decision", "hn", json={"approve": True})
    assert approved["status"] == "approved"
    detail = await hub.ok("GET", f"/opinions/{oid}", "xucun-dept")
    assert detail["deadline"].startswith("2025-03-14") and detail["extensions"] == 1
    step = detail["timeline"][-1]
    assert step["action"] == "extend" and step["actorName"] == "hn" and "供电所排期在下周" in step["note"]
    assert sorted(await _kinds(hub, "xucun-dept")) == sorted([("extension_refused", oid), ("extension_approved", oid)])
    mine = await hub.ok("GET", "/extension-requests", "xucun-dept", params={"opinionId": oid})
    assert [r["status"] for r in mine["items"]] == ["approved", "refused"]
    # a decision is news for three days
    hub.clock.now = at(3, 5, 9)
    assert await _kinds(hub, "xucun-dept") == []
    audit = await hub.ok("GET", "/audit", "admin", params={"targetType": "opinion", "targetId": str(oid)})
    actions = [e["action"] for e in audit["items"]]
    assert {"opinion.extension_request", "opinion.extension_refused", "opinion.extension_approved",
            "opinion.extend"} <= set(actions)
