"""One contract for the Telegram channel, run unchanged against both drivers (aiogram,
python-telegram-bot), by long polling and by webhook, through the real server and the local
Bot API server that checks every request against the specification: no violation allowed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend.telegram_emulator import SECRET_HEADER, FloodLimits, TelegramEmulator, start_server
from bot.channels.telegram_aiogram import WEBHOOK_PATH, webhook_secret
from bot.clock import FrozenClock, parse_instant
from bot.server import create_app
from bot.settings import Settings
from tests.smtp_server import free_port

TOKEN = "123456:TEST"
SECRET_KEY = "telegram-contract-test"
DRIVERS = ("aiogram", "ptb")

EVERY_WAY = [
    pytest.param((driver, transport), id=f"{driver}-{transport}")
    for driver in DRIVERS
    for transport in ("polling", "webhook")
]
"""Each driver, by long polling and by webhook."""
WEBHOOK_ONLY = [pytest.param((driver, "webhook"), id=f"{driver}-webhook") for driver in DRIVERS]
"""Each driver by webhook: by long polling there is no webhook to post to, no secret to check."""


@dataclass
class Telegram:
    """The emulated Telegram, and the assistant's server it talks to."""

    emulator: TelegramEmulator
    server: TestClient[Any, Any]
    transport: str

    async def replies(self, chat_id: int, count: int) -> list[Any]:
        """The bot's messages in the chat, once there are at least `count`."""
        await self.emulator.wait_until(
            lambda: len(self.emulator.bot_messages(chat_id)) >= count, timeout=10
        )
        return self.emulator.bot_messages(chat_id)

    async def post_update(self, update: dict[str, Any], secret: str | None) -> int:
        """POSTs an update to the assistant's webhook as Telegram would; the answer's status."""
        headers = {} if secret is None else {SECRET_HEADER: secret}
        response = await self.server.post(WEBHOOK_PATH, json=update, headers=headers)
        return response.status


@pytest.fixture(params=EVERY_WAY)
async def telegram(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Telegram]:
    driver, transport = request.param
    emulator = TelegramEmulator(TOKEN, flood_limits=FloodLimits())
    running = await start_server(emulator)
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}" if transport == "webhook" else None
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/telegram.db",
        election="2022",
        secret_key=SECRET_KEY,
        telegram_token=TOKEN,
        telegram_api_base=running.base_url,
        telegram_driver=driver,
        telegram_webhook_url=webhook_url,
        telegram_polling_timeout=1,
        telegram_typing_after=0,  # "typing…" at once, so that every reply shows it
    )
    app = create_app(settings, clock=FrozenClock(parse_instant("2022-12-02T10:00+01:00")))
    server: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1", port=port))
    await server.start_server()
    yield Telegram(emulator, server, transport)
    await server.close()
    await running.close()
    assert emulator.violations == []


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """A private text message as Telegram delivers it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 900 + update_id % 100,
            "date": 1669971600,
            "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": "Camille"},
            "from": {
                "id": chat_id,
                "is_bot": False,
                "first_name": "Camille",
                "language_code": "fr",
            },
        },
    }


async def test_the_commands_are_published_in_french_and_english(telegram: Telegram) -> None:
    emulator = telegram.emulator
    await emulator.wait_until(lambda: bool(emulator.commands(language_code="en")), timeout=10)
    assert {c["command"] for c in emulator.commands(language_code="fr")} >= {"start", "aide"}
    assert {c["command"] for c in emulator.commands(language_code="en")} >= {"menu", "langue"}
    assert emulator.commands() == emulator.commands(language_code="fr")


async def test_welcome_question_and_button(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(501, "/start")
    welcome = (await telegram.replies(501, 1))[0]
    assert "Assesseur" in (welcome.text or "")
    assert welcome.reply_markup is not None
    assert "typing" in emulator.chat_actions(501)

    emulator.user_says(501, "j'ai perdu ma notice de vote")
    answer = (await telegram.replies(501, 2))[-1]
    assert "réassort" in (answer.text or "")

    emulator.user_presses(501, answer.message_id, "menu.start")
    await emulator.wait_until(lambda: emulator.bot_messages(501)[-1].edits >= 1, timeout=10)
    menu = emulator.bot_messages(501)[-1]
    assert len(emulator.bot_messages(501)) == 2  # the menu replaced the answer in place
    assert menu.message_id == answer.message_id
    assert menu.reply_markup is not None
    topic = next(d for d in menu.callback_data if not d.startswith("menu."))
    emulator.user_presses(501, menu.message_id, topic)
    await telegram.replies(501, 3)  # a topic comes as a new message
    await emulator.wait_until(lambda: not emulator.unanswered_callbacks, timeout=10)


async def test_a_secret_is_deleted_from_the_chat_and_the_voter_warned(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(502, "/start")
    await telegram.replies(502, 1)
    emulator.user_says(502, "voici mon mot de passe Tournesol#2022bleu")
    warning = (await telegram.replies(502, 2))[-1]
    assert "masqué" in (warning.text or "")
    await emulator.wait_until(lambda: len(emulator.deleted(502)) == 1, timeout=10)


async def test_a_deep_link_opens_its_topic_in_the_clients_language(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(503, "/start reassort", language_code="en")
    first = (await telegram.replies(503, 1))[0]
    assert "réassort" in (first.text or "")
    assert "voting code" in (first.text or "")
    emulator.user_sends(503, kind="sticker", language_code="en")
    polite = (await telegram.replies(503, 2))[-1]
    assert "written messages" in (polite.text or "")


async def test_flood_control_is_waited_out_not_dropped(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(504, "/start")
    await telegram.replies(504, 1)
    emulator.fail_next("sendMessage", 429, retry_after=1)
    emulator.user_says(504, "comment voter ?")
    answer = (await telegram.replies(504, 2))[-1]
    assert "vote" in (answer.text or "").lower()
    assert any(e.startswith("sendMessage: 429") for e in emulator.errors)


@pytest.mark.parametrize("telegram", WEBHOOK_ONLY, indirect=True)
async def test_a_redelivered_update_is_not_answered_twice(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(601, "/start")
    welcome = await telegram.replies(601, 1)
    secret = webhook_secret(SECRET_KEY)
    update = text_update(5000, 601, "comment voter ?")
    assert await telegram.post_update(update, secret) == 200
    answered = await telegram.replies(601, len(welcome) + 1)
    assert await telegram.post_update(update, secret) == 200
    await emulator.settled()
    assert len(emulator.bot_messages(601)) == len(answered)


@pytest.mark.parametrize("telegram", WEBHOOK_ONLY, indirect=True)
async def test_a_wrong_webhook_secret_is_refused(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(602, "/start")
    welcome = await telegram.replies(602, 1)
    await emulator.wait_until(lambda: bool(emulator.webhook.deliveries), timeout=10)
    delivered = emulator.webhook.deliveries
    assert all(d.status == 200 and d.headers.get(SECRET_HEADER) for d in delivered)

    for secret in (None, "wrong"):
        assert await telegram.post_update(text_update(5001, 602, "comment voter ?"), secret) == 401
    await emulator.settled()
    assert len(emulator.bot_messages(602)) == len(welcome)


async def test_an_edited_message_gets_a_polite_answer(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(710, "/start")
    await telegram.replies(710, 1)
    said = emulator.user_says(710, "comment voter")
    assert said
    await telegram.replies(710, 2)
    voter = [m for m in emulator.transcript(710) if not m.from_bot][-1]
    emulator.user_edits(710, voter.message_id, "comment voter ?")
    polite = (await telegram.replies(710, 3))[-1]
    assert "nouveau message" in (polite.text or "")


async def test_groups_are_left_alone_unless_the_bot_is_addressed(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(-720, "quelqu'un sait comment voter ?", chat_type="group")
    emulator.user_says(-720, "@assesseur_test_bot comment voter ?", chat_type="group")
    answer = (await telegram.replies(-720, 1))[-1]
    assert "message privé" in (answer.text or "")
    await asyncio.sleep(0.3)
    assert len(emulator.bot_messages(-720)) == 1


async def test_a_burst_of_questions_stays_within_the_flood_limits(telegram: Telegram) -> None:
    emulator = telegram.emulator
    emulator.user_says(730, "/start")
    await telegram.replies(730, 1)
    for question in ("comment voter ?", "j'ai perdu ma notice", "c'est quand le vote ?", "/menu"):
        emulator.user_says(730, question)
    await emulator.wait_until(lambda: len(emulator.bot_messages(730)) >= 5, timeout=15)
    assert [e for e in emulator.errors if " 429 " in e] == []
