"""The assistant in Telegram (aiogram driver, long polling), against the local Bot API server
that checks every request against the specification: no violation allowed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend.telegram_emulator import TelegramEmulator, start_server
from bot.channels.telegram_aiogram import WEBHOOK_PATH
from bot.clock import FrozenClock, parse_instant
from bot.server import create_app
from bot.settings import Settings
from tests.smtp_server import free_port

TOKEN = "123456:TEST"


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(TOKEN)
    running = await start_server(emulator)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/telegram.db",
        election="2022",
        secret_key="telegram-test",
        telegram_token=TOKEN,
        telegram_api_base=running.base_url,
        telegram_polling_timeout=1,
    )
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings, clock=FrozenClock(parse_instant("2022-12-02T10:00+01:00"))))
    )
    await client.start_server()
    yield emulator
    await client.close()
    await running.close()
    assert emulator.violations == []


async def replies(emulator: TelegramEmulator, chat_id: int, count: int) -> list[Any]:
    await emulator.wait_until(lambda: len(emulator.bot_messages(chat_id)) >= count, timeout=10)
    return emulator.bot_messages(chat_id)


async def test_a_voter_talks_to_the_assistant_in_telegram(telegram: TelegramEmulator) -> None:
    await telegram.wait_until(lambda: bool(telegram.commands(language_code="en")), timeout=10)
    assert {c["command"] for c in telegram.commands(language_code="fr")} >= {"menu", "aide"}
    assert {c["command"] for c in telegram.commands(language_code="en")} >= {"menu", "langue"}

    telegram.user_says(501, "/start")
    welcome = (await replies(telegram, 501, 1))[0]
    assert "Assesseur" in (welcome.text or "")
    assert welcome.reply_markup is not None
    assert telegram.chat_actions(501)

    telegram.user_says(501, "j'ai perdu ma notice de vote")
    answer = (await replies(telegram, 501, 2))[-1]
    assert "réassort" in (answer.text or "")

    telegram.user_presses(501, answer.message_id, "menu.start")
    menu = (await replies(telegram, 501, 3))[-1]
    assert menu.reply_markup is not None
    await telegram.wait_until(lambda: not telegram.unanswered_callbacks, timeout=10)


async def test_a_secret_is_deleted_from_the_chat(telegram: TelegramEmulator) -> None:
    telegram.user_says(502, "/start")
    await replies(telegram, 502, 1)
    secret = telegram.user_says(502, "voici mon mot de passe Tournesol#2022bleu")
    assert secret
    warning = (await replies(telegram, 502, 2))[-1]
    assert "masqué" in (warning.text or "")
    await telegram.wait_until(lambda: len(telegram.deleted(502)) == 1, timeout=10)


async def test_deep_link_english_and_other_content(telegram: TelegramEmulator) -> None:
    telegram.user_says(503, "/start reassort", language_code="en")
    first = (await replies(telegram, 503, 1))[0]
    assert "réassort" in (first.text or "")
    assert "voting code" in (first.text or "")
    telegram.user_sends(503, kind="sticker")
    polite = (await replies(telegram, 503, 2))[-1]
    assert "written messages" in (polite.text or "")


async def test_flood_control_is_waited_out_not_dropped(telegram: TelegramEmulator) -> None:
    telegram.user_says(504, "/start")
    await replies(telegram, 504, 1)
    telegram.fail_next("sendMessage", error_code=429, retry_after=1)
    telegram.user_says(504, "comment voter ?")
    answer = (await replies(telegram, 504, 2))[-1]
    assert "JE VOTE" in (answer.text or "") or "vote" in (answer.text or "").lower()
    assert any("429" in str(e) or "retry" in str(e).lower() for e in telegram.errors)


@pytest.fixture
async def by_webhook(
    tmp_path: Path,
) -> AsyncIterator[tuple[TelegramEmulator, TestClient[Any, Any]]]:
    emulator = TelegramEmulator(TOKEN)
    running = await start_server(emulator)
    port = free_port()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/webhook.db",
        election="2022",
        secret_key="telegram-webhook-test",
        telegram_token=TOKEN,
        telegram_api_base=running.base_url,
        telegram_webhook_url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
    )
    app = create_app(settings, clock=FrozenClock(parse_instant("2022-12-02T10:00+01:00")))
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1", port=port))
    await client.start_server()
    yield emulator, client
    await client.close()
    await running.close()
    assert emulator.violations == []


async def test_updates_by_webhook_with_the_secret_header(
    by_webhook: tuple[TelegramEmulator, TestClient[Any, Any]],
) -> None:
    telegram, client = by_webhook
    telegram.user_says(601, "/start")
    telegram.user_says(601, "j'ai perdu ma notice de vote")
    answers = await replies(telegram, 601, 2)
    assert "réassort" in (answers[-1].text or "")
    await telegram.wait_until(lambda: len(telegram.webhook.deliveries) >= 2, timeout=10)
    deliveries = telegram.webhook.deliveries
    assert all(d.status == 200 for d in deliveries)
    assert all(d.headers.get("X-Telegram-Bot-Api-Secret-Token") for d in deliveries)

    forged = {
        "update_id": 99,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "comment voter ?",
            "chat": {"id": 601, "type": "private"},
            "from": {"id": 601, "is_bot": False, "first_name": "Eve"},
        },
    }
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        refused = await client.post(WEBHOOK_PATH, json=forged, headers=headers)
        assert refused.status == 401
    await asyncio.sleep(0.2)
    assert len(telegram.bot_messages(601)) == len(answers)
