"""The chat API's contract, and its refusals: each a 4xx JSON error that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chat import ChatDriver, ChatServers


@pytest.fixture
async def chat(chat_servers: ChatServers) -> ChatDriver:
    driver = await chat_servers.driver("2022", "2022-11-20T10:00+01:00")
    await driver.start("fr")
    return driver


async def transcript(chat: ChatDriver) -> dict[str, Any]:
    response = await chat.client.get(f"/api/v1/conversations/{chat.conversation_id}")
    assert response.status == 200
    return dict(await response.json())


async def test_create_returns_the_welcome(chat_servers: ChatServers) -> None:
    chat = await chat_servers.driver("2022", "2022-11-20T10:00+01:00")
    reply = await chat.start()
    assert reply.status == 201
    assert set(reply.body) == {"conversation_id", "messages", "status", "locale"}
    assert reply.body["status"] == "bot"
    assert reply.messages
    assert all(set(m) == {"text", "buttons"} for m in reply.messages)
    assert all(set(b) in ({"label", "action"}, {"label", "url"}) for b in reply.buttons)


async def test_message_reply_has_the_contract_fields(chat: ChatDriver) -> None:
    reply = await chat.say("bonjour")
    assert reply.status == 200
    assert {"conversation_id", "messages", "understood", "status"} <= set(reply.body)
    assert reply.body["conversation_id"] == chat.conversation_id


async def test_create_with_english(chat_servers: ChatServers) -> None:
    chat = await chat_servers.driver("2022", "2022-11-20T10:00+01:00")
    reply = await chat.start("en-GB")
    assert reply.body["locale"] == "en"
    assert "Talk to a person" in reply.labels


REFUSALS = [
    ({"text": ""}, 422, "empty_text"),
    ({"text": "   \n\t "}, 422, "empty_text"),
    ({"text": "x" * 4001}, 422, "text_too_long"),
    ({"action": "nowhere.at_all"}, 422, "unknown_action"),
    ({"action": "lang:de"}, 422, "unknown_action"),
    ({"text": "bonjour", "action": "menu.start"}, 422, "invalid_body"),
    ({}, 422, "invalid_body"),
    ({"text": 12}, 422, "invalid_body"),
    ({"text": "bonjour", "locale": "xx"}, 422, "unknown_locale"),
]


@pytest.mark.parametrize(("body", "status", "code"), REFUSALS)
async def test_refused_bodies_leave_the_conversation_unchanged(
    chat: ChatDriver, body: dict[str, Any], status: int, code: str
) -> None:
    before = await transcript(chat)
    response = await chat.client.post(
        f"/api/v1/conversations/{chat.conversation_id}/messages", json=body
    )
    assert response.status == status
    error = (await response.json())["error"]
    assert error["code"] == code
    assert error["message"]
    assert await transcript(chat) == before


RAW_REFUSALS = [
    (b'{"text": "bonjour"', "application/json", 400, "invalid_json"),
    (b"\xff\xfe\x00binary\x00", "application/json", 400, "invalid_json"),
    (b"[1, 2]", "application/json", 422, "invalid_body"),
    (b'{"text": "bonjour"}', "text/plain", 415, "unsupported_media_type"),
    (b"text=bonjour", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b'{"text": "' + b"x" * 100_000 + b'"}', "application/json", 413, "body_too_large"),
]


@pytest.mark.parametrize(("raw", "content_type", "status", "code"), RAW_REFUSALS)
async def test_malformed_requests_get_json_errors(
    chat: ChatDriver, raw: bytes, content_type: str, status: int, code: str
) -> None:
    before = await transcript(chat)
    response = await chat.client.post(
        f"/api/v1/conversations/{chat.conversation_id}/messages",
        data=raw,
        headers={"Content-Type": content_type},
    )
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    assert await transcript(chat) == before


async def test_unknown_conversation(chat: ChatDriver) -> None:
    for path in ("/api/v1/conversations/no-such-id/messages",):
        response = await chat.client.post(path, json={"text": "bonjour"})
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "conversation_not_found"
    response = await chat.client.get("/api/v1/conversations/no-such-id")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "conversation_not_found"


async def test_wrong_method_and_unknown_route_are_json(chat: ChatDriver) -> None:
    response = await chat.client.delete(f"/api/v1/conversations/{chat.conversation_id}")
    assert response.status == 405
    assert (await response.json())["error"]["code"] == "method_not_allowed"
    response = await chat.client.get("/api/v1/nothing")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_transcript_keeps_voter_and_bot_lines(chat: ChatDriver) -> None:
    await chat.say("bonjour")
    await chat.action("menu.start")
    lines = (await transcript(chat))["messages"]
    voter = [line["text"] for line in lines if line["from"] == "voter"]
    assert voter[0] == "bonjour"
    assert voter[1] == "Retour au menu"
    assert [line["from"] for line in lines[-4:]] == ["voter", "bot", "voter", "bot"]


async def test_health_and_page(chat: ChatDriver) -> None:
    response = await chat.client.get("/healthz")
    assert response.status == 200
    page = await chat.client.get("/", headers={"Accept-Language": "en-US,en;q=0.9,fr;q=0.5"})
    html = await page.text()
    assert page.status == 200
    assert '<html lang="en"' in html
    assert "{{" not in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


async def test_understood_reports_the_entities_found(chat: ChatDriver) -> None:
    reply = await chat.say(
        "le CSA d'établissement n'apparaît pas, j'écris de prenom.nom@ac-lyon.fr"
    )
    found = {(e["kind"], e["value"]) for e in reply.body["understood"]["entities"]}
    assert ("email", "prenom.nom@ac-lyon.fr") in found
    assert any(kind == "ballot" for kind, _ in found)
