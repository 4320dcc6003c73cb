"""`POST /api/v1/handoff/introspect`: the voting platform checks a hand-off token once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bot.server import introspection_bearer
from tests.chat import ChatServers
from tests.identity_helpers import register

URL = "/api/v1/handoff/introspect"


async def a_token(chat_servers: ChatServers, purpose: str = "vote") -> tuple[str, str, str]:
    """A fresh hand-off token for a new voter; returns (token, voter address, bearer)."""
    await chat_servers.driver("2022", "2022-12-02T10:00+01:00")
    services = await chat_servers.services("2022")
    email = await register(services.engine)
    voter = await services.backend.platform.find_voter(email)
    assert voter is not None
    async with services.engine.begin() as connection:
        token = await services.backend.handoff.issue(
            connection,
            voter_id=voter.id,
            purpose=purpose,
            conversation_id=None,
            channel=None,
            now=services.clock.now(),
        )
    url = services.backend.platform.handoff_url(purpose, token)
    assert parse_qs(urlsplit(url).query)["token"] == [token]
    return token, email, introspection_bearer(services.settings)


async def test_active_once_then_inactive(chat_servers: ChatServers) -> None:
    token, email, bearer = await a_token(chat_servers)
    client = (await chat_servers.driver("2022", "2022-12-02T10:00+01:00")).client
    headers = {"Authorization": f"Bearer {bearer}"}
    first = await client.post(URL, data={"token": token, "purpose": "vote"}, headers=headers)
    body = await first.json()
    assert first.status == 200
    assert body["active"] is True
    assert body["username"] == email
    assert body["purpose"] == "vote"
    assert body["exp"] > body["iat"]
    assert first.headers["Cache-Control"] == "no-store"
    second = await client.post(URL, json={"token": token}, headers=headers)
    assert await second.json() == {"active": False}


async def test_wrong_purpose_is_inactive_and_keeps_the_token(chat_servers: ChatServers) -> None:
    token, _, bearer = await a_token(chat_servers, "reassort")
    client = (await chat_servers.driver("2022")).client
    headers = {"Authorization": f"Bearer {bearer}"}
    wrong = await client.post(URL, data={"token": token, "purpose": "vote"}, headers=headers)
    assert await wrong.json() == {"active": False}
    right = await client.post(URL, data={"token": token, "purpose": "reassort"}, headers=headers)
    assert (await right.json())["active"] is True


async def test_refusals(chat_servers: ChatServers) -> None:
    token, _, bearer = await a_token(chat_servers)
    client = (await chat_servers.driver("2022")).client
    good = {"Authorization": f"Bearer {bearer}"}
    cases = [
        ({}, {"token": token}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong"}, {"token": token}, 401, "unauthorized"),
        (good, {}, 400, "invalid_request"),
        (good, {"token": token, "purpose": "everything"}, 400, "invalid_request"),
    ]
    for headers, data, status, code in cases:
        response = await client.post(URL, data=data, headers=headers)
        assert response.status == status, (headers, data)
        assert (await response.json())["error"]["code"] == code
    raw = await client.post(URL, data=b"token=x", headers={**good, "Content-Type": "text/plain"})
    assert raw.status == 415
    broken = await client.post(URL, data=b"{", headers={**good, "Content-Type": "application/json"})
    assert broken.status == 400
    still = await client.post(URL, data={"token": token}, headers=good)
    assert (await still.json())["active"] is True
