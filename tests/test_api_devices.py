"""REST: a deputy's phone bound instead of a password (issue 13;
``store/devices.py``, ``api/devices.py``): set up from the invitation link
with bindDevice (no password), the device token logs in; a second phone
bound later; the deputy revokes one (its logins end, the token stops
working); an administrator revokes another's; scope probes."""

from __future__ import annotations

from test_api_support import PASSWORD, cheap_passwords, api_hub, session_body  # noqa: F401

PHONE = "13812345670"


async def _device_login(hub, token: str):
    async with hub.http.post(f"{hub.url}/auth/device", json={"token": token}) as r:
        return r.status, await r.json()


async def test_bind_log_in_and_revoke(hub):
    session_id = (await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body()))["id"]
    link = await hub.ok("POST", f"/sessions/{session_id}/invitations", "hn", expect=201,
                        json={"deputyId": hub.deputies["许村代表"]})
    join = link["url"].split("#token=", 1)[1]
    headers = {"Authorization": f"Bearer {join}"}
    async with hub.http.post(f"{hub.url}/deputy/setup", json={"phone": PHONE}, headers=headers) as r:
        err = await r.json()
        assert r.status == 400 and err["error"]["reason"] == "password_or_device"
    async with hub.http.post(f"{hub.url}/deputy/setup", json={"phone": PHONE, "bindDevice": True,
                                                               "deviceLabel": "华为手机"}, headers=headers) as r:
        made = await r.json()
        assert r.status == 201, made
    device = made["deviceToken"]
    assert device.startswith("dv_") and made["account"]["role"] == "deputy"
    # no password was set: the phone number and a guess do not log in; the device token does
    async with hub.http.post(f"{hub.url}/auth/login", json={"username": PHONE, "password": PASSWORD}) as r:
        assert r.status == 401
    status, out = await _device_login(hub, device)
    assert status == 200 and out["account"]["username"] == PHONE
    hub.tokens[PHONE] = out["token"]
    # a second phone, bound from a logged-in one
    second = await hub.ok("POST", "/devices", PHONE, expect=201, json={"label": "旧手机"})
    # a phone ends its own binding with its logout (holding the token is the authority)
    third = await hub.ok("POST", "/devices", PHONE, expect=201, json={"label": "借用手机"})
    async with hub.http.post(f"{hub.url}/auth/device/forget", json={"token": third["token"]}) as r:
        assert r.status == 204
    assert (await _device_login(hub, third["token"]))[0] == 401
    mine = await hub.ok("GET", "/devices", PHONE)
    assert sorted(d["label"] for d in mine["items"] if not d["revokedAt"]) == ["华为手机", "旧手机"]
    # scope: staff do not bind; an operator does not list or revoke; anonymous neither
    status, err = await hub.call("POST", "/devices", "hn", json={"label": "x"})
    assert status == 403 and err["error"]["reason"] == "device_deputies_only"
    assert (await hub.call("GET", "/devices", "op-xucun"))[0] == 403
    assert (await hub.call("POST", f"/devices/{second['device']['id']}/revoke", "op-xucun"))[0] == 403
    assert (await hub.call("GET", "/devices"))[0] == 401
    everyone = await hub.ok("GET", "/devices", "admin")
    assert len(everyone["items"]) == 3
    # the deputy revokes the old phone: its token stops, the open logins end
    first_id = next(d["id"] for d in mine["items"] if d["label"] == "华为手机")
    revoked = await hub.ok("POST", f"/devices/{second['device']['id']}/revoke", PHONE)
    assert revoked["revokedAt"] is not None
    status, err = await _device_login(hub, second["token"])
    assert status == 401 and err["error"]["reason"] == "device_not_bound"
    assert (await hub.call("GET", "/me/deputy", PHONE))[0] == 401  # logged out everywhere
    # the other phone still logs in; an administrator revokes it
    status, out = await _device_login(hub, device)
    assert status == 200
    await hub.ok("POST", f"/devices/{first_id}/revoke", "admin")
    assert (await _device_login(hub, device))[0] == 401
    status, err = await _device_login(hub, "not-a-device-token")
    assert status == 401
    audit = await hub.ok("GET", "/audit", "admin", params={"action": "device.revoke"})
    assert len(audit["items"]) == 3
