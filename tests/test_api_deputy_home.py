"""REST: the deputy's phone between sessions (issue 13, ``api/deputy_home.py``,
``store/deputy_home.py``): the account set up once from the invitation
link, the login by phone number, capture at any time within the deputy's
town, 我的民情 with the answer and the rating (不满意 reopens), 我的履职,
the invited sessions and their join links — and the out-of-scope probes of
a deputy's login."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from store.models import Deputy
from test_api_support import PASSWORD, at, cheap_passwords, api_hub, session_body  # noqa: F401

PHONE = "13812345678"


async def _invitation_token(hub, deputy: str, session_id: int = 0) -> tuple[int, str]:
    if not session_id:
        session_id = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]
    link = await hub.ok("POST", f"/sessions/{session_id}/invitations", "hn", expect=201,
                        json={"deputyId": hub.deputies[deputy]})
    return session_id, link["url"].split("#token=", 1)[1]


async def _setup(hub, token: str, phone: str, password: str = PASSWORD, lang: str = "zh-CN"):
    async with hub.http.post(f"{hub.url}/deputy/setup", json={"phone": phone, "password": password},
                             headers={"Authorization": f"Bearer {token}", "Accept-Language": lang}) as r:
        return r.status, await r.json()


def _capture(hub, **kw):
    body = {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
            "summary": "路灯不亮", "details": "村口两盏", "deputyId": hub.deputies["许村代表"]}
    body.update(kw)
    return body


async def test_setup_once_from_the_link_then_login_by_phone(hub):
    session_id, token = await _invitation_token(hub, "许村代表")
    status, err = await _setup(hub, token, "12345")
    assert status == 400 and err["error"]["reason"] == "phone_invalid" and "手机号码" in err["error"]["message"], err
    status, err = await _setup(hub, token, PHONE, "short", lang="en")
    assert status == 400 and err["error"]["reason"] == "password_too_short" and "at least" in err["error"]["message"]
    status, made = await _setup(hub, token, "+86 138-1234-5678")
    assert status == 201, made
    assert made["account"]["username"] == PHONE and made["account"]["role"] == "deputy"
    assert made["account"]["deputyId"] == hub.deputies["许村代表"] and made["account"]["station"] == "xucun"
    # once only: an old link cannot take the account over
    status, err = await _setup(hub, token, "13900000000")
    assert status == 403 and err["error"]["reason"] == "deputy_account_exists"
    # a login, not a link, is refused here; and the phone number logs in
    status, err = await hub.call("POST", "/deputy/setup", "hn", json={"phone": PHONE, "password": PASSWORD})
    assert status == 403 and err["error"]["reason"] == "deputy_setup_needs_link"
    me = await hub.ok("GET", "/auth/me", PHONE)
    assert me["role"] == "deputy" and me["displayName"] == "许村代表"
    # the audit names the deputy's account, the number masked
    audit = await hub.ok("GET", "/audit", "admin")
    entry = next(e for e in audit["items"] if e["action"] == "account.create" and e["targetId"] == str(me["id"]))
    assert "1381234" not in str(entry)


async def test_roster_number_and_numbers_of_others(hub):
    with Session(hub.engine) as db:
        deputy = db.get(Deputy, hub.deputies["长安代表"])
        deputy.phone = "13700000001"
        db.add(deputy)
        db.commit()
    session_id, token = await _invitation_token(hub, "长安代表")
    status, err = await _setup(hub, token, PHONE)
    assert status == 403 and err["error"]["reason"] == "phone_not_on_roster"
    _, xucun_token = await _invitation_token(hub, "许村代表", session_id)
    status, err = await _setup(hub, xucun_token, "13700000001")
    assert status == 409 and err["error"]["reason"] == "phone_taken" and "137****0001" in err["error"]["message"]
    status, _ = await _setup(hub, token, "13700000001")
    assert status == 201


async def test_capture_at_any_time_follow_rate_and_reopen(hub):
    _, token = await _invitation_token(hub, "许村代表")
    assert (await _setup(hub, token, PHONE))[0] == 201
    me = hub.deputies["许村代表"]
    # no session open: captured all the same, naming the resident; at a room of its town too
    made = await hub.ok("POST", "/opinions", PHONE, expect=201,
                        json=_capture(hub, residentName="王阿姨", residentContact="13900001111"))
    assert made["raisedBy"] == "deputy" and made["deputyId"] == me and made["residentName"] == "王阿姨"
    room = await hub.ok("POST", "/opinions", PHONE, expect=201, json=_capture(hub, station="xucun-rongxing"))
    assert room["town"] == "xucun"
    # out of scope: another town, another deputy's credit
    status, err = await hub.call("POST", "/opinions", PHONE, json=_capture(hub, station="changan"))
    assert status == 403 and err["error"]["reason"] == "deputy_captures_at_own_station"
    status, err = await hub.call("POST", "/opinions", PHONE, json=_capture(hub, deputyId=hub.deputies["长安代表"]))
    assert status == 403 and err["error"]["reason"] == "deputy_captures_own"
    # staff still credit a deputy or a resident, not both
    status, err = await hub.call("POST", "/opinions", "hn", json=_capture(hub, residentName="王阿姨"))
    assert status == 400 and err["error"]["reason"] == "raiser_both"
    others = await hub.ok("POST", "/opinions", "op-xucun", expect=201,
                          json=_capture(hub, deputyId=None, residentName="李先生"))
    mine = await hub.ok("GET", "/opinions", PHONE)
    assert sorted(o["id"] for o in mine["items"]) == sorted([made["id"], room["id"]])
    status, _ = await hub.call("GET", f"/opinions/{others['id']}", PHONE)
    assert status == 404  # not even its existence
    oid = made["id"]
    for step in ({"action": "accept"}, {"action": "assign", "level": "town", "department": "xucun-office"},
                 {"action": "start"}, {"action": "answer", "grade": "B", "answer": "已报修，三日内修复"}):
        await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json=step)
    status, err = await hub.call("POST", f"/opinions/{oid}/actions", PHONE, json={"action": "rate", "rating": "basic"})
    assert status == 409  # not fed back yet
    fed = await hub.ok("POST", f"/opinions/{oid}/actions", "hn", json={"action": "feed_back"})
    assert fed["status"] == "fed_back"
    home = await hub.ok("GET", "/me/deputy", PHONE)
    assert home["awaitingRating"] == 1 and home["openItems"] == 2 and home["opinions"] == {"fed_back": 1, "submitted": 1}
    assert home["levels"] == ["haining"]
    await hub.ok("PATCH", f"/deputies/{me}", "admin", json={"levels": ["town", "haining"]})  # the roster (issue 13)
    assert (await hub.ok("GET", "/me/deputy", PHONE))["levels"] == ["haining", "town"]
    detail = await hub.ok("GET", f"/opinions/{oid}", PHONE)
    assert detail["allowedActions"] == ["rate"]
    answer = next(e for e in detail["timeline"] if e["action"] == "answer")
    assert answer["payload"]["answer"] == "已报修，三日内修复"
    status, err = await hub.call("POST", f"/opinions/{oid}/actions", PHONE, json={"action": "close"})
    assert status == 409 and err["error"]["reason"] == "role_may_not_act"
    reopened = await hub.ok("POST", f"/opinions/{oid}/actions", PHONE, json={"action": "rate", "rating": "unsatisfied"})
    assert reopened["status"] == "reopened" and reopened["reopenings"] == 1 and reopened["rating"] == "unsatisfied"
    assert reopened["timeline"][-1]["actorRole"] == "deputy"
    # 我的履职: the records of its captures and its points
    records = await hub.ok("GET", "/duty/records", PHONE)
    assert [r["kind"] for r in records["items"]] == ["opinion_raised", "opinion_raised"]
    assert all(r["deputyId"] == me for r in records["items"])
    home = await hub.ok("GET", "/me/deputy", PHONE)
    assert home["pointsTotal"] == sum(r["points"] for r in records["items"] if r["status"] == "approved")
    status, _ = await hub.call("GET", "/duty/records", PHONE, params={"deputyId": hub.deputies["长安代表"]})
    assert status == 200 and _["total"] == 0


async def test_invited_sessions_and_their_join_links(hub):
    session_id, token = await _invitation_token(hub, "许村代表")
    other = await hub.ok("POST", "/sessions", "hn", expect=201,
                         json=session_body(title="另一场", start="2025-03-08T14:00:00+08:00",
                                           end="2025-03-08T16:00:00+08:00"))
    assert other["id"] != session_id
    assert (await _setup(hub, token, PHONE))[0] == 201
    upcoming = await hub.ok("GET", "/me/sessions", PHONE, params={"days": 14})
    assert [x["id"] for x in upcoming["items"] if not x["standing"]] == [session_id]
    status, err = await hub.call("GET", f"/me/sessions/{session_id}/deputy-link", PHONE)
    assert status == 409 and err["error"]["code"] == "session_closed"
    hub.clock.now = at(3, 7, 13, 50)  # the lobby
    link = await hub.ok("GET", f"/me/sessions/{session_id}/deputy-link", PHONE)
    assert "#token=" in link["url"]
    from core import tokens

    grant = tokens.verify(hub.services.secret, link["url"].split("#token=", 1)[1], now=hub.clock().timestamp())
    assert grant.subject == f"deputy:{hub.deputies['许村代表']}"
    # out of scope: a session it is not invited to; staff have no deputy page
    status, _ = await hub.call("GET", f"/me/sessions/{other['id']}/deputy-link", PHONE)
    assert status == 404
    status, err = await hub.call("GET", "/me/deputy", "op-xucun")
    assert status == 403 and err["error"]["reason"] == "deputy_only"
    status, err = await hub.call("GET", f"/me/sessions/{session_id}/deputy-link", "hn")
    assert status == 403
