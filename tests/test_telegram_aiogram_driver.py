"""The aiogram driver's own choices: its session sends JSON bodies (a file, multipart), and no
update it handles takes a hop through a thread (aiogram runs plain-function filters, magic
filters included, in the default executor)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.types import BufferedInputFile
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backend.telegram_emulator import TelegramEmulator, start_server
from bot.channels.aiogram_session import SendReply, Sent
from bot.channels.telegram_aiogram import _Sender, make_bot
from bot.clock import FrozenClock, parse_instant
from bot.server import create_app
from bot.settings import Settings
from tests.helpers import record_calls, send_then_edit

TOKEN = "123456:TEST"
SENT = {"message_id": 1, "date": 1669971600, "chat": {"id": 7, "type": "private"}, "text": "x"}


async def test_calls_go_as_json_and_keyboards_as_objects() -> None:
    emulator = TelegramEmulator(TOKEN)
    calls = record_calls(emulator)
    served = await start_server(emulator)
    bot = make_bot(TOKEN, served.base_url)
    try:
        emulator.user_says(7, "bonjour")
        await bot.get_updates()
        keyboard = {"inline_keyboard": [[{"text": "Menu", "callback_data": "menu.start"}]]}
        sent = await bot.send_message(7, "Bonjour, électeur·rice !", reply_markup=keyboard)
        await bot.send_chat_action(7, "typing")
    finally:
        await bot.session.close()
        await served.close()
    assert [(method, form) for method, form, _ in calls] == [
        ("getUpdates", False),
        ("sendMessage", False),
        ("sendChatAction", False),
    ]
    assert calls[1][2] == keyboard  # an object in the body, not a JSON string in a form
    assert sent.text == "Bonjour, électeur·rice !"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "menu.start"
    assert emulator.violations == []


async def test_a_reply_is_sent_and_edited_as_rendered() -> None:
    emulator = TelegramEmulator(TOKEN)
    served = await start_server(emulator)
    bot = make_bot(TOKEN, served.base_url)
    sender = _Sender(bot)
    try:
        await send_then_edit(emulator, sender)
        read = await bot(SendReply(chat_id=7, text="Et ensuite ?", reply_markup=None))
    finally:
        await bot.session.close()
        await served.close()
    (_, last) = emulator.bot_messages(7)
    assert type(read) is Sent and read.message_id == last.message_id  # the id, not a Message
    assert emulator.violations == []


async def test_a_file_goes_as_aiogram_sends_it() -> None:
    received: list[str] = []

    async def any_method(request: web.Request) -> web.Response:
        received.append(request.content_type)
        return web.json_response({"ok": True, "result": SENT})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", any_method)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    bot = make_bot(TOKEN, str(server.make_url("")).rstrip("/"))
    try:
        await bot.send_document(7, BufferedInputFile(b"%PDF-1.4", filename="notice.pdf"))
        await bot.send_message(7, "x")
    finally:
        await bot.session.close()
        await server.close()
    assert received == ["multipart/form-data", "application/json"]


async def test_a_network_error_does_not_carry_the_token() -> None:
    bot = make_bot(TOKEN, "http://127.0.0.1:notaport")  # aiohttp's refusal quotes the whole URL
    try:
        with pytest.raises(TelegramNetworkError) as failed:
            await bot.send_message(7, "x")
    finally:
        await bot.session.close()
    assert "/bot…/sendMessage" in str(failed.value)
    assert TOKEN not in str(failed.value) and failed.value.__cause__ is None


@pytest.fixture
async def telegram(tmp_path: Path) -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(TOKEN)
    running = await start_server(emulator)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/telegram.db",
        election="2022",
        secret_key="aiogram-driver-test",
        telegram_token=TOKEN,
        telegram_api_base=running.base_url,
        telegram_driver="aiogram",
        telegram_polling_timeout=1,
    )
    app = create_app(settings, clock=FrozenClock(parse_instant("2022-12-02T10:00+01:00")))
    server: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await server.start_server()
    yield emulator
    await server.close()
    await running.close()
    assert emulator.violations == []


async def test_no_update_is_handled_in_a_thread(
    telegram: TelegramEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = telegram
    hops: list[str] = []
    to_thread = asyncio.to_thread

    async def counted(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        hops.append(repr(getattr(func, "func", func)))
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    emulator.user_says(801, "/start")
    await emulator.wait_until(lambda: len(emulator.bot_messages(801)) >= 1, timeout=10)
    emulator.user_says(801, "j'ai perdu ma notice de vote")
    await emulator.wait_until(lambda: len(emulator.bot_messages(801)) >= 2, timeout=10)
    answer = emulator.bot_messages(801)[-1]
    emulator.user_presses(801, answer.message_id, "menu.start")
    await emulator.wait_until(lambda: emulator.bot_messages(801)[-1].edits >= 1, timeout=10)
    emulator.user_sends(801, kind="sticker")
    await emulator.wait_until(lambda: len(emulator.bot_messages(801)) >= 3, timeout=10)
    await emulator.settled()
    assert hops == []  # with magic filters (F.text, F.chat.type == ...): two per message
