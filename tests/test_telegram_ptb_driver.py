"""The python-telegram-bot driver's own choices: its requests go through aiohttp
(`bot.channels.ptb_session.AiohttpRequest`), as JSON bodies (a file, multipart), with PTB's
own errors and answers; a reply is sent and a menu edited as rendered (`ReplyBot`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder

from backend.telegram_emulator import TelegramEmulator, start_server
from bot.channels.ptb_session import AiohttpRequest, ReplyBot
from bot.channels.telegram_ptb import _Sender, add_handlers, make_application
from tests.helpers import record_calls, send_then_edit
from tests.smtp_server import free_port

TOKEN = "123456:TEST"
SENT = {"message_id": 1, "date": 1669971600, "chat": {"id": 7, "type": "private"}, "text": "x"}


def ptb_bot(base_url: str, request: AiohttpRequest | None = None) -> Bot:
    return Bot(
        TOKEN,
        base_url=f"{base_url}/bot",
        request=request or AiohttpRequest(),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


async def test_calls_go_as_json_and_keyboards_as_objects() -> None:
    emulator = TelegramEmulator(TOKEN)
    calls = record_calls(emulator)
    served = await start_server(emulator)
    bot = ptb_bot(served.base_url)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Menu", callback_data="menu.start")]])
    try:
        async with bot:
            emulator.user_says(7, "bonjour")
            (update,) = await bot.get_updates(timeout=0)
            sent = await bot.send_message(7, "Bonjour, électeur·rice !", reply_markup=keyboard)
            await bot.send_chat_action(7, "typing")
    finally:
        await served.close()
    assert [(method, form) for method, form, _ in calls] == [
        ("getMe", False),
        ("getUpdates", False),
        ("sendMessage", False),
        ("sendChatAction", False),
    ]
    assert calls[2][2] == keyboard.to_dict()  # an object in the body, not a JSON string
    assert update.message is not None and update.message.text == "bonjour"
    assert (sent.text, sent.reply_markup) == ("Bonjour, électeur·rice !", keyboard)
    assert emulator.violations == []


async def test_a_reply_is_sent_and_edited_as_rendered() -> None:
    emulator = TelegramEmulator(TOKEN)
    served = await start_server(emulator)
    application = make_application(None, TOKEN, served.base_url)  # type: ignore[arg-type]
    bot = application.bot
    assert isinstance(bot, ReplyBot)
    sender = _Sender(bot)
    try:
        async with bot:
            await send_then_edit(emulator, sender)
            read = await bot.send_reply(7, "Et ensuite ?", None)
    finally:
        await served.close()
    (_, last) = emulator.bot_messages(7)
    assert read == last.message_id  # the id, not a Message read into PTB's objects
    assert emulator.violations == []


@pytest.fixture
async def fake_api() -> AsyncIterator[tuple[str, list[str]]]:
    """A Bot API server that knows its bot, never answers `sendChatAction` in time, refuses
    every `editMessageText` (400) and `deleteMessage` (429), and sends the rest; its address
    and the content type of each call it received."""
    seen: list[str] = []

    async def any_method(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        seen.append(request.content_type)
        if method == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "Assesseur", "username": "assesseur_bot"}
            return web.json_response({"ok": True, "result": me})
        if method == "sendChatAction":  # never answers in time
            await asyncio.sleep(5)
        if method == "editMessageText":
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: message not found"},
                status=400,
            )
        if method == "deleteMessage":
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 3",
                    "parameters": {"retry_after": 3},
                },
                status=429,
            )
        return web.json_response({"ok": True, "result": SENT})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", any_method)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), seen
    finally:
        await server.close()


async def test_a_file_goes_multipart_and_the_rest_as_json(
    fake_api: tuple[str, list[str]],
) -> None:
    base_url, seen = fake_api
    async with ptb_bot(base_url) as bot:
        seen.clear()
        await bot.send_document(7, InputFile(b"%PDF-1.4", filename="notice.pdf"), caption="x")
        await bot.send_message(7, "x")
    assert seen == ["multipart/form-data", "application/json"]


async def test_telegrams_refusals_are_ptbs_errors(fake_api: tuple[str, list[str]]) -> None:
    base_url, _ = fake_api
    async with ptb_bot(base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)message not found"):
            await bot.edit_message_text("x", chat_id=7, message_id=99)
        with pytest.raises(RetryAfter) as flood:
            await bot.delete_message(7, 99)
        with pytest.raises(TimedOut):
            await bot.send_chat_action(7, "typing", read_timeout=0.2)
    assert "Retry in 3 seconds" in str(flood.value)


async def test_a_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        me = {"id": 1, "is_bot": True, "first_name": "Assesseur", "username": "assesseur_bot"}
        return web.json_response({"ok": True, "result": me})

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", proxy)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    monkeypatch.setenv("HTTP_PROXY", str(server.make_url("")))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        async with ptb_bot("http://api.telegram.invalid") as bot:
            assert bot.username == "assesseur_bot"
    finally:
        await server.close()
    assert seen == [f"http://api.telegram.invalid/bot{TOKEN}/getMe"]


async def test_a_server_out_of_reach_is_a_network_error() -> None:
    bot = ptb_bot(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(NetworkError, match="aiohttp"):
        await bot.initialize()  # getMe
    await bot.shutdown()


async def test_a_network_error_does_not_carry_the_token() -> None:
    bot = ptb_bot("http://127.0.0.1:notaport")  # aiohttp's refusal quotes the whole URL
    with pytest.raises(NetworkError) as failed:
        await bot.initialize()
    await bot.shutdown()
    assert "aiohttp.InvalidUrlClientError" in str(failed.value)
    assert "/bot…/getMe" in str(failed.value)
    assert TOKEN not in str(failed.value) and failed.value.__cause__ is None


async def test_the_application_uses_aiohttp_and_closes_it() -> None:
    application = make_application(conversations=None, token=TOKEN)  # type: ignore[arg-type]
    request = application.bot.request
    assert isinstance(request, AiohttpRequest)
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:9/bot/getMe")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post("http://127.0.0.1:9/bot/getMe")


def test_the_handlers_need_the_bot_that_sends_replies_as_rendered() -> None:
    plain = ApplicationBuilder().token(TOKEN).updater(None).build()
    with pytest.raises(TypeError, match="ReplyBot"):
        add_handlers(plain, conversations=None)  # type: ignore[arg-type]
