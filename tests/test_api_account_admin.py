"""The accounts page's REST (issue 13): each account's last login, and an
administrator resetting a password (the account's open logins end; audited;
nobody else may)."""

from __future__ import annotations

from test_api_support import PASSWORD, at, cheap_passwords, api_hub  # noqa: F401


async def test_last_login_and_password_reset(hub):
    def of(items, name):
        return next(a for a in items if a["username"] == name)

    listed = (await hub.ok("GET", "/accounts", "admin"))["items"]
    assert of(listed, "op-xucun")["lastLoginAt"] is None  # never signed in
    hub.clock.now = at(3, 2, 9)
    old = await hub.login("op-xucun")
    listed = (await hub.ok("GET", "/accounts", "admin"))["items"]
    assert of(listed, "op-xucun")["lastLoginAt"].startswith("2025-03-02T09:00")

    oid = hub.ids["op-xucun"]
    assert (await hub.call("POST", f"/accounts/{oid}/password", "hn", json={"password": "New-password-2"}))[0] == 403
    status, body = await hub.call("POST", f"/accounts/{oid}/password", "admin", json={"password": "short"})
    assert status == 400
    assert (await hub.call("POST", "/accounts/999999/password", "admin", json={"password": "New-password-2"}))[0] == 404
    await hub.ok("POST", f"/accounts/{oid}/password", "admin", json={"password": "New-password-2"})

    async with hub.http.get(f"{hub.url}/auth/me", headers={"Authorization": f"Bearer {old}"}) as r:
        assert r.status == 401  # the open login ended
    async with hub.http.post(f"{hub.url}/auth/login", json={"username": "op-xucun", "password": PASSWORD}) as r:
        assert r.status == 401
    async with hub.http.post(f"{hub.url}/auth/login", json={"username": "op-xucun", "password": "New-password-2"}) as r:
        assert r.status == 200
    audit = (await hub.ok("GET", "/audit", "admin", params={"action": "account.password_reset"}))["items"]
    assert [(e["actorName"], e["targetId"]) for e in audit] == [("admin", str(oid))]
    assert "hash" not in str(audit[0]["after"]).lower()


async def test_an_administrator_changes_a_role_and_scope(hub):
    oid = hub.ids["op-xucun"]
    token = await hub.login("op-xucun")
    changed = await hub.ok("POST", f"/accounts/{oid}/role", "admin", json={"role": "dispatcher", "station": "haining"})
    assert (changed["role"], changed["station"]) == ("dispatcher", "haining")
    async with hub.http.get(f"{hub.url}/auth/me", headers={"Authorization": f"Bearer {token}"}) as r:
        assert (await r.json())["role"] == "dispatcher"  # the next request already acts with the new role
    # the scope is checked as at creation
    status, body = await hub.call("POST", f"/accounts/{oid}/role", "admin", json={"role": "operator"})
    assert status == 400
    status, body = await hub.call("POST", f"/accounts/{oid}/role", "admin", json={"role": "department", "department": "nowhere"})
    assert status == 400
    assert (await hub.call("POST", f"/accounts/{oid}/role", "admin", json={"role": "operator", "station": "atlantis"}))[0] == 404
    # not one's own, not by a dispatcher, not to or from a deputy
    status, body = await hub.call("POST", f"/accounts/{hub.ids['admin']}/role", "admin", json={"role": "dispatcher", "station": "haining"})
    assert status == 403 and "自己的角色" in body["error"]["message"] or "own role" in body["error"]["message"], body
    assert (await hub.call("POST", f"/accounts/{oid}/role", "hn", json={"role": "operator", "station": "xucun"}))[0] == 403
    status, body = await hub.call("POST", f"/accounts/{oid}/role", "admin", json={"role": "deputy"})
    assert status == 403 and "role cannot change" in body["error"]["message"] or "不能更改角色" in body["error"]["message"], body
    audit = (await hub.ok("GET", "/audit", "admin", params={"action": "account.role"}))["items"]
    assert [(e["before"]["role"], e["after"]["role"]) for e in audit] == [("operator", "dispatcher")]
