"""The local Bot API server: Telegram's envelopes, the specification's rules, delivery, users."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from click.testing import CliRunner

from backend.telegram_emulator import (
    SECRET_HEADER,
    FloodLimits,
    RunningEmulator,
    TelegramEmulator,
    start_server,
)
from backend.telegram_emulator.spec import BotApiSpec
from bot.cli import main

SPEC = Path(__file__).resolve().parents[1] / "data" / "telegram-bot-api" / "api.json"
TOKEN = "123456:TEST"
CHAT = 4242

Api = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


@pytest.fixture
async def server() -> AsyncIterator[RunningEmulator]:
    """An emulator served on a free loopback port, with a quick webhook backoff."""
    emulator = TelegramEmulator(TOKEN, spec_path=SPEC, webhook_backoff=0.05, webhook_attempts=3)
    running = await start_server(emulator)
    yield running
    await running.close()


@pytest.fixture
def emulator(server: RunningEmulator) -> TelegramEmulator:
    """The served emulator's state."""
    return server.emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(server: RunningEmulator, http: aiohttp.ClientSession) -> Api:
    """Calls a method as a bare HTTP client: (status, body)."""

    async def call(
        method: str, *, token: str = TOKEN, http_method: str = "POST", **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        url = f"{server.base_url}/bot{token}/{method}"
        async with http.request(http_method, url, **kwargs) as response:
            return response.status, await response.json()

    return call


@pytest.fixture
async def aiogram_bot(server: RunningEmulator) -> AsyncIterator[Bot]:
    """A real aiogram Bot pointed at the emulator."""
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    yield bot
    await bot.session.close()


@pytest.fixture
async def ptb_bot(server: RunningEmulator) -> AsyncIterator[telegram.Bot]:
    """A real python-telegram-bot Bot pointed at the emulator."""
    bot = telegram.Bot(TOKEN, base_url=f"{server.base_url}/bot")
    async with bot:
        yield bot


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    """An inline keyboard from rows of button dicts."""
    return {"inline_keyboard": list(rows)}


def button(label: str = "OK", data: str = "ok") -> dict[str, Any]:
    """A callback button."""
    return {"text": label, "callback_data": data}


# --- envelopes and the specification's rules ------------------------------------------------


async def test_get_me_answers_the_bot_in_telegram_envelope(api: Api) -> None:
    status, body = await api("getMe", http_method="GET")
    assert status == 200 and body["ok"] is True
    me = body["result"]
    assert me["is_bot"] is True and me["id"] == 123456 and me["username"]
    assert me["can_join_groups"] is True and "supports_inline_queries" in me


async def test_method_names_are_case_insensitive(api: Api, emulator: TelegramEmulator) -> None:
    status, body = await api("GETME", http_method="GET")
    assert status == 200 and body["result"]["is_bot"] is True
    assert emulator.calls[-1].method == "getMe"


async def test_wrong_token_is_401_and_a_violation(api: Api, emulator: TelegramEmulator) -> None:
    status, body = await api("getMe", token="123456:WRONG")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert len(emulator.violations) == 1 and "wrong token" in emulator.violations[0]


async def test_unknown_method_is_404_and_a_violation(api: Api, emulator: TelegramEmulator) -> None:
    status, body = await api("sendMesage", json={"chat_id": 1, "text": "x"})
    assert (status, body["error_code"], body["description"]) == (404, 404, "Not Found")
    assert emulator.violations == ["sendMesage: unknown method 'sendMesage' (404 Not Found)"]


async def test_a_documented_method_not_emulated_answers_501(
    api: Api, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "bonjour")
    status, body = await api("sendDice", json={"chat_id": CHAT})
    assert status == 501 and body["ok"] is False and "not emulated" in body["description"]
    assert emulator.violations == [] and emulator.errors


async def test_missing_required_parameter_is_a_violation(
    api: Api, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "bonjour")
    status, body = await api("sendMessage", json={"chat_id": CHAT})
    assert status == 400
    assert body["description"] == "Bad Request: parameter 'text' is required by sendMessage"
    assert emulator.violations == ["sendMessage: parameter 'text' is required by sendMessage"]


async def test_unknown_parameter_is_a_violation(api: Api, emulator: TelegramEmulator) -> None:
    emulator.user_says(CHAT, "bonjour")
    status, _ = await api("sendMessage", json={"chat_id": CHAT, "text": "x", "reply_to": 1})
    assert status == 400
    assert emulator.violations == ["sendMessage: unknown parameter 'reply_to' for sendMessage"]


async def test_wrong_types_are_violations(api: Api, emulator: TelegramEmulator) -> None:
    emulator.user_says(CHAT, "bonjour")
    status, body = await api("sendMessage", json={"chat_id": CHAT, "text": 12})
    assert status == 400 and "text must be String, got 12" in body["description"]
    status, body = await api("deleteMessage", data={"chat_id": str(CHAT), "message_id": "un"})
    assert status == 400 and "message_id must be Integer, got 'un'" in body["description"]
    status, body = await api("sendMessage", json={"chat_id": 1.5, "text": "x"})
    assert "chat_id must be Integer or String, got 1.5" in body["description"]
    assert len(emulator.violations) == 3


async def test_text_over_4096_characters_is_refused(api: Api, emulator: TelegramEmulator) -> None:
    emulator.user_says(CHAT, "bonjour")
    status, body = await api("sendMessage", json={"chat_id": CHAT, "text": "é" * 4097})
    assert status == 400
    assert "text must be 1-4096 characters after entities parsing, got 4097" in body["description"]
    status, _ = await api("sendMessage", json={"chat_id": CHAT, "text": "é" * 4096})
    assert status == 200
    html = "<b>" + "a" * 4096 + "</b>"
    status, _ = await api("sendMessage", json={"chat_id": CHAT, "text": html, "parse_mode": "HTML"})
    assert status == 200, "tags do not count: the limit is after entities parsing"
    status, body = await api("sendMessage", json={"chat_id": CHAT, "text": ""})
    assert status == 400 and "text is empty" in body["description"]
    assert len(emulator.violations) == 2


async def test_html_that_telegram_cannot_parse_is_refused(
    api: Api, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "bonjour")
    payload = {"chat_id": CHAT, "text": "code <b>1</i>", "parse_mode": "HTML"}
    status, body = await api("sendMessage", json=payload)
    assert status == 400 and "can't parse entities" in body["description"]
    payload = {"chat_id": CHAT, "text": "Votez avant le 8.12 !", "parse_mode": "MarkdownV2"}
    status, body = await api("sendMessage", json=payload)
    assert status == 400 and "reserved" in body["description"]
    assert len(emulator.violations) == 2


async def test_callback_data_over_64_bytes_is_refused(api: Api, emulator: TelegramEmulator) -> None:
    emulator.user_says(CHAT, "bonjour")
    markup = keyboard([button("Réassort", "é" * 33)])  # 33 characters, 66 bytes
    status, body = await api(
        "sendMessage", json={"chat_id": CHAT, "text": "x", "reply_markup": markup}
    )
    assert status == 400
    assert "callback_data must be 1-64 bytes, got 66" in body["description"]
    assert emulator.violations == [
        "sendMessage: reply_markup.inline_keyboard[0][0].callback_data must be 1-64 bytes, got 66"
    ]


async def test_keyboards_hold_8_buttons_a_row_and_100_in_all(
    api: Api, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "bonjour")
    row_of_nine = keyboard([button(str(i), str(i)) for i in range(9)])
    status, body = await api(
        "sendMessage", json={"chat_id": CHAT, "text": "x", "reply_markup": row_of_nine}
    )
    assert status == 400 and "has 9 buttons; at most 8 a row" in body["description"]
    many = keyboard(*[[button(str(r * 10 + i), "d") for i in range(5)] for r in range(20)])
    many["inline_keyboard"].append([button("101", "d")])
    status, body = await api(
        "sendMessage", json={"chat_id": CHAT, "text": "x", "reply_markup": many}
    )
    assert status == 400 and "has 101 buttons; at most 100 in all" in body["description"]
    assert len(emulator.violations) == 2


async def test_an_inline_button_has_exactly_one_action(
    api: Api, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "bonjour")
    both = keyboard([{"text": "Portail", "url": "https://example.org", "callback_data": "p"}])
    status, body = await api(
        "sendMessage", json={"chat_id": CHAT, "text": "x", "reply_markup": both}
    )
    assert status == 400 and "exactly one of url, callback_data" in body["description"]
    assert "got url, callback_data" in body["description"]
    none = keyboard([{"text": "Rien"}])
    status, body = await api(
        "sendMessage", json={"chat_id": CHAT, "text": "x", "reply_markup": none}
    )
    assert status == 400 and "got none" in body["description"]
    assert len(emulator.violations) == 2


async def test_secret_token_must_be_1_to_256_safe_characters(
    api: Api, emulator: TelegramEmulator
) -> None:
    url = "https://example.org/hook"
    status, body = await api("setWebhook", json={"url": url, "secret_token": "pas secret!"})
    assert status == 400 and "secret_token may contain only" in body["description"]
    status, body = await api("setWebhook", json={"url": url, "secret_token": "a" * 257})
    assert status == 400 and "secret_token must be 1-256 characters, got 257" in body["description"]
    assert len(emulator.violations) == 2 and emulator.webhook.config is None


async def test_other_documented_limits_hold(api: Api, emulator: TelegramEmulator) -> None:
    status, body = await api(
        "setMyCommands", json={"commands": [{"command": "Aide", "description": "Aide"}]}
    )
    assert status == 400 and "lowercase English letters" in body["description"]
    status, body = await api(
        "setMyCommands", json={"commands": [{"command": "aide", "description": "d" * 257}]}
    )
    assert status == 400 and "description must be 1-256 characters" in body["description"]
    status, body = await api(
        "answerCallbackQuery", json={"callback_query_id": "1", "text": "t" * 201}
    )
    assert status == 400 and "text must be 0-200 characters, got 201" in body["description"]
    status, body = await api("setMyCommands", json={"commands": [], "scope": {"type": "everyone"}})
    assert status == 400 and "one of the BotCommandScope kinds" in body["description"]
    assert len(emulator.violations) == 4


async def test_form_posts_carry_json_serialised_objects(
    api: Api, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "bonjour")
    fields = {
        "chat_id": str(CHAT),
        "text": "Choisissez",
        "disable_notification": "true",
        "reply_markup": json.dumps(keyboard([button("Oui", "oui"), button("Non", "non")])),
    }
    status, body = await api("sendMessage", data=fields)
    assert (
        status == 200 and body["result"]["reply_markup"]["inline_keyboard"][0][1]["text"] == "Non"
    )
    form = aiohttp.FormData(fields)
    form.add_field("document", b"%PDF", filename="notice.pdf")  # forces multipart/form-data
    fields["reply_markup"] = "{not json"
    status, body = await api("sendMessage", data=aiohttp.FormData(fields))
    assert status == 400 and "reply_markup must be" in body["description"]
    status, body = await api("sendMessage", data=form)
    assert status == 400 and "unknown parameter 'document'" in body["description"]
    status, body = await api(
        "sendMessage", http_method="GET", params={"chat_id": str(CHAT), "text": "par GET"}
    )
    assert status == 200 and body["result"]["text"] == "par GET"


def test_limits_are_read_from_the_specification() -> None:
    spec = BotApiSpec.load(SPEC)
    text = spec.methods["sendMessage"].fields["text"].length
    assert text is not None and (text.low, text.high, text.unit) == (1, 4096, "characters")
    data = spec.types["InlineKeyboardButton"].fields["callback_data"].length
    assert data is not None and (data.low, data.high, data.unit) == (1, 64, "bytes")
    assert spec.methods["setMyCommands"].fields["commands"].max_items == 100
    assert spec.method("SENDMESSAGE") is spec.methods["sendMessage"]


# --- getUpdates ------------------------------------------------------------------------------


async def test_get_updates_offset_confirms_earlier_updates(
    api: Api, emulator: TelegramEmulator
) -> None:
    first = emulator.user_says(CHAT, "un")
    second = emulator.user_says(CHAT, "deux")
    _, body = await api("getUpdates", json={})
    assert [u["update_id"] for u in body["result"]] == [first, second]
    _, body = await api("getUpdates", json={"offset": second})
    assert [u["update_id"] for u in body["result"]] == [second]
    _, body = await api("getUpdates", json={"offset": second + 1})
    assert body["result"] == [] and emulator.pending_updates == []
    third = emulator.user_says(CHAT, "trois")
    emulator.user_says(CHAT, "quatre")
    _, body = await api("getUpdates", json={"limit": 1})
    assert [u["update_id"] for u in body["result"]] == [third]
    _, body = await api("getUpdates", json={"offset": -1})
    assert [u["update_id"] for u in body["result"]] == [third + 1], "the last one; others forgotten"


async def test_long_polling_returns_as_soon_as_an_update_arrives(
    api: Api, emulator: TelegramEmulator
) -> None:
    async def speak_later() -> None:
        await asyncio.sleep(0.2)
        emulator.user_says(CHAT, "me voilà")

    started = time.monotonic()
    task = asyncio.create_task(speak_later())
    _, body = await api("getUpdates", json={"timeout": 5})
    await task
    assert 0.15 < time.monotonic() - started < 2
    assert body["result"][0]["message"]["text"] == "me voilà"


async def test_long_polling_answers_empty_after_its_timeout(api: Api) -> None:
    started = time.monotonic()
    status, body = await api("getUpdates", data={"timeout": "1"})
    assert status == 200 and body == {"ok": True, "result": []}
    assert 0.9 < time.monotonic() - started < 2


async def test_a_second_poller_terminates_the_first_with_409(
    api: Api, emulator: TelegramEmulator
) -> None:
    first = asyncio.create_task(api("getUpdates", json={"timeout": 5}))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(api("getUpdates", json={"timeout": 5}))
    status, body = await first
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    emulator.user_says(CHAT, "bonjour")
    status, body = await second
    assert status == 200 and len(body["result"]) == 1


async def test_allowed_updates_filters_what_the_bot_receives(
    api: Api, emulator: TelegramEmulator
) -> None:
    await api("getUpdates", json={"allowed_updates": ["callback_query"]})
    emulator.user_says(CHAT, "ignoré")
    assert emulator.pending_updates == []
    await api("getUpdates", json={"allowed_updates": []})
    emulator.user_says(CHAT, "reçu")
    assert len(emulator.pending_updates) == 1


# --- webhook ---------------------------------------------------------------------------------


class Receiver:
    """A bot's webhook endpoint on loopback that records deliveries and answers set statuses."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.statuses: list[int] = []
        self.answer: dict[str, Any] = {}

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response(self.answer if status == 200 else {}, status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    """A webhook receiver and its URL."""
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield hook, f"http://{host}:{port}/hook"
    await runner.cleanup()


async def test_webhook_delivers_each_update_with_the_secret_header(
    api: Api, emulator: TelegramEmulator, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    status, body = await api("setWebhook", json={"url": url, "secret_token": "s3cret-_x"})
    assert (status, body) == (200, {"ok": True, "result": True})
    update_id = emulator.user_says(CHAT, "bonjour")
    await emulator.settled()
    headers, update = hook.requests[0]
    assert headers[SECRET_HEADER] == "s3cret-_x" and update["update_id"] == update_id
    assert update["message"]["text"] == "bonjour"
    _, info = await api("getWebhookInfo")
    assert info["result"]["url"] == url and info["result"]["pending_update_count"] == 0


async def test_webhook_redelivers_after_a_non_2xx_answer(
    api: Api, emulator: TelegramEmulator, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.statuses = [500, 503]
    await api("setWebhook", json={"url": url})
    update_id = emulator.user_says(CHAT, "bonjour")
    await emulator.settled()
    assert [u["update_id"] for _, u in hook.requests] == [update_id] * 3
    assert [d.status for d in emulator.webhook.deliveries] == [500, 503, 200]
    _, info = await api("getWebhookInfo")
    assert "503" in info["result"]["last_error_message"]


async def test_webhook_gives_up_after_its_attempts(
    api: Api, emulator: TelegramEmulator, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.statuses = [500] * 10
    await api("setWebhook", json={"url": url})
    emulator.user_says(CHAT, "bonjour")
    await emulator.settled()
    assert len(hook.requests) == 3 and len(emulator.webhook.undeliverable) == 1


async def test_get_updates_while_a_webhook_is_set_is_409(
    api: Api, emulator: TelegramEmulator, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    await api("setWebhook", json={"url": url})
    status, body = await api("getUpdates", json={})
    assert status == 409 and "webhook is active" in body["description"]
    assert emulator.violations and "webhook is active" in emulator.violations[0]
    await api("deleteWebhook", json={})
    emulator.user_says(CHAT, "bonjour")
    status, body = await api("getUpdates", json={})
    assert status == 200 and len(body["result"]) == 1


async def test_a_method_in_the_webhook_answer_is_run(
    api: Api, emulator: TelegramEmulator, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.answer = {"method": "sendMessage", "chat_id": CHAT, "text": "réponse directe"}
    await api("setWebhook", json={"url": url})
    emulator.user_says(CHAT, "bonjour")
    await emulator.settled()
    assert [m.text for m in emulator.bot_messages(CHAT)] == ["réponse directe"]


# --- users, and what the bot showed them ------------------------------------------------------


async def test_user_updates_parse_in_both_libraries(emulator: TelegramEmulator) -> None:
    emulator.user_says(CHAT, "/start reassort", language_code="en")
    for kind in ("photo", "sticker", "voice", "document"):
        emulator.user_sends(CHAT, kind, caption="ma notice" if kind == "photo" else None)
    emulator.user_edits(CHAT, 1, "/start")
    emulator.user_says(-100777, "@assesseur_test_bot aide", chat_type="supergroup", user_id=99)
    ptb = telegram.Bot(TOKEN)
    updates = emulator.pending_updates
    assert len(updates) == 7
    for raw in updates:
        parsed = Update.model_validate(raw)
        assert parsed.update_id == raw["update_id"]
        assert telegram.Update.de_json(raw, ptb).update_id == raw["update_id"]
    start = Update.model_validate(updates[0]).message
    assert start is not None and start.from_user is not None
    assert start.from_user.language_code == "en" and start.text == "/start reassort"
    assert start.entities is not None and start.entities[0].type == "bot_command"
    assert start.entities[0].length == len("/start")
    assert telegram.Update.de_json(updates[1], ptb).message.photo[-1].file_id  # type: ignore[union-attr]
    assert Update.model_validate(updates[5]).edited_message is not None
    group = telegram.Update.de_json(updates[6], ptb).message
    assert group is not None and group.chat.type == "supergroup" and group.from_user.id == 99  # type: ignore[union-attr]
    assert group.entities[0].type == "mention"


async def test_bot_messages_show_edits_and_deletions(
    aiogram_bot: Bot, emulator: TelegramEmulator
) -> None:
    said = emulator.user_says(CHAT, "mon code est 123456")
    assert said
    menu = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Réassort", callback_data="reassort")]]
    )
    first = await aiogram_bot.send_message(CHAT, "Menu", reply_markup=menu)
    await aiogram_bot.send_message(CHAT, "Attention : ne donnez jamais votre code.")
    await aiogram_bot.edit_message_text("Menu (fermé)", chat_id=CHAT, message_id=first.message_id)
    await aiogram_bot.delete_message(CHAT, 1)  # the user's message
    sent = emulator.bot_messages(CHAT)
    assert [(m.text, m.edits, m.deleted) for m in sent] == [
        ("Menu (fermé)", 1, False),
        ("Attention : ne donnez jamais votre code.", 0, False),
    ]
    assert sent[0].reply_markup is None, "an edit without reply_markup removes the keyboard"
    assert emulator.deleted(CHAT) == [1]
    await aiogram_bot.delete_message(CHAT, first.message_id)
    assert emulator.deleted(CHAT) == [1, first.message_id]
    assert emulator.bot_messages(CHAT)[0].deleted
    assert emulator.violations == []


async def test_state_errors_are_telegrams_but_not_violations(
    aiogram_bot: Bot, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "bonjour")
    message = await aiogram_bot.send_message(CHAT, "Menu")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await aiogram_bot.edit_message_text("Menu", chat_id=CHAT, message_id=message.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await aiogram_bot.delete_message(CHAT, 999)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await aiogram_bot.send_message(777, "personne")
    assert emulator.violations == [] and len(emulator.errors) == 3


async def test_edits_are_checked_like_sends(aiogram_bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.user_says(CHAT, "bonjour")
    message = await aiogram_bot.send_message(CHAT, "Menu")
    with pytest.raises(TelegramBadRequest, match="after entities parsing, got 4097"):
        await aiogram_bot.edit_message_text("x" * 4097, chat_id=CHAT, message_id=message.message_id)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await aiogram_bot.edit_message_text("Autre", chat_id=CHAT, message_id=1)
    assert len(emulator.violations) == 1 and len(emulator.errors) == 2


async def test_pressed_buttons_must_be_answered_once(
    aiogram_bot: Bot, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "/menu")
    menu = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Aide", callback_data="aide")]]
    )
    message = await aiogram_bot.send_message(CHAT, "Menu", reply_markup=menu)
    with pytest.raises(LookupError):
        emulator.user_presses(CHAT, message.message_id, "inconnu")
    emulator.user_presses(CHAT, message.message_id, "inconnu", check_button=False)
    update_id = emulator.user_presses(CHAT, message.message_id, "aide")
    update = next(u for u in emulator.pending_updates if u["update_id"] == update_id)
    query = Update.model_validate(update).callback_query
    assert query is not None and query.data == "aide" and query.message is not None
    assert len(emulator.unanswered_callbacks) == 2
    await aiogram_bot.answer_callback_query(query.id, text="C'est parti")
    assert [q.data for q in emulator.unanswered_callbacks] == ["inconnu"]
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await aiogram_bot.answer_callback_query(query.id)


async def test_a_blocked_user_answers_403(aiogram_bot: Bot, emulator: TelegramEmulator) -> None:
    emulator.user_says(CHAT, "bonjour")
    emulator.user_blocks(CHAT)
    with pytest.raises(Exception, match="blocked by the user"):
        await aiogram_bot.send_message(CHAT, "Menu")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_429_carries_retry_after(
    aiogram_bot: Bot, ptb_bot: telegram.Bot, emulator: TelegramEmulator
) -> None:
    emulator.user_says(CHAT, "bonjour")
    emulator.fail_next("sendmessage", retry_after=3, times=2)
    with pytest.raises(TelegramRetryAfter) as aiogram_error:
        await aiogram_bot.send_message(CHAT, "un")
    assert aiogram_error.value.retry_after == 3
    with pytest.raises(telegram.error.RetryAfter) as ptb_error:
        await ptb_bot.send_message(CHAT, "un")
    assert "Retry in 3 seconds" in str(ptb_error.value)
    await aiogram_bot.send_message(CHAT, "un")
    assert [m.text for m in emulator.bot_messages(CHAT)] == ["un"]
    assert emulator.violations == [] and len(emulator.errors) == 2


async def test_flood_limits_answer_429_when_on() -> None:
    emulator = TelegramEmulator(TOKEN, spec_path=SPEC, flood_limits=FloodLimits(per_chat_burst=1))
    emulator.user_says(CHAT, "bonjour")
    await emulator.call(TOKEN, "sendMessage", {"chat_id": CHAT, "text": "un"}, form=False)
    with pytest.raises(Exception, match="retry after 1") as error:
        await emulator.call(TOKEN, "sendMessage", {"chat_id": CHAT, "text": "deux"}, form=False)
    assert error.value.envelope()["parameters"] == {"retry_after": 1}  # type: ignore[attr-defined]
    emulator.user_says(CHAT + 1, "bonjour")
    await emulator.call(TOKEN, "sendMessage", {"chat_id": CHAT + 1, "text": "un"}, form=False)


# --- the real client libraries ----------------------------------------------------------------


async def test_aiogram_bot_calls_break_no_rule(
    aiogram_bot: Bot, emulator: TelegramEmulator
) -> None:
    me = await aiogram_bot.get_me()
    assert me.is_bot and me.username == "assesseur_test_bot"
    emulator.user_says(CHAT, "/start")
    menu = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Activer mon compte", callback_data="flow:activation")],
            [InlineKeyboardButton(text="Portail", url="https://example.org/portail")],
        ]
    )
    sent = await aiogram_bot.send_message(
        CHAT, "<b>Bonjour</b> &amp; bienvenue", parse_mode="HTML", reply_markup=menu
    )
    assert sent.text == "Bonjour & bienvenue" and sent.entities and sent.entities[0].type == "bold"
    emulator.user_presses(CHAT, sent.message_id, "flow:activation")
    updates = await aiogram_bot.get_updates(timeout=0)
    press = updates[-1].callback_query
    assert press is not None
    assert await aiogram_bot.answer_callback_query(press.id)
    edited = await aiogram_bot.edit_message_text(
        "Activation", chat_id=CHAT, message_id=sent.message_id, reply_markup=menu
    )
    assert isinstance(edited, Message) and edited.edit_date is not None
    assert await aiogram_bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id)
    assert await aiogram_bot.send_chat_action(CHAT, "typing")
    assert await aiogram_bot.delete_message(CHAT, sent.message_id)
    commands = [BotCommand(command="start", description="Commencer")]
    scope = BotCommandScopeAllPrivateChats()
    assert await aiogram_bot.set_my_commands(commands, scope=scope, language_code="fr")
    listed = await aiogram_bot.get_my_commands(scope=scope, language_code="fr")
    assert [(c.command, c.description) for c in listed] == [("start", "Commencer")]
    assert emulator.commands("fr", "all_private_chats")[0]["command"] == "start"
    assert await aiogram_bot.delete_my_commands(scope=scope, language_code="fr")
    assert emulator.chat_actions(CHAT) == ["typing"]
    assert emulator.violations == [] and emulator.errors == []


async def test_ptb_bot_calls_break_no_rule(
    ptb_bot: telegram.Bot, emulator: TelegramEmulator
) -> None:
    assert ptb_bot.bot.is_bot and ptb_bot.bot.username == "assesseur_test_bot"
    emulator.user_says(CHAT, "/start")
    menu = telegram.InlineKeyboardMarkup(
        [
            [telegram.InlineKeyboardButton("Réassort", callback_data="flow:reassort")],
            [telegram.InlineKeyboardButton("Portail", url="https://example.org/portail")],
        ]
    )
    sent = await ptb_bot.send_message(CHAT, "*Bonjour*", parse_mode="MarkdownV2", reply_markup=menu)
    assert sent.text == "Bonjour" and sent.reply_markup == menu
    emulator.user_presses(CHAT, sent.message_id, "flow:reassort")
    updates = await ptb_bot.get_updates(timeout=0)
    press = updates[-1].callback_query
    assert press is not None and press.data == "flow:reassort"
    assert await press.answer("C'est noté", show_alert=True)
    assert emulator.callback_queries(CHAT)[0].answer == {"text": "C'est noté", "show_alert": True}
    edited = await ptb_bot.edit_message_text("Réassort", CHAT, sent.message_id, reply_markup=menu)
    assert isinstance(edited, telegram.Message) and edited.text == "Réassort"
    assert await ptb_bot.send_chat_action(CHAT, telegram.constants.ChatAction.TYPING)
    assert await ptb_bot.delete_message(CHAT, sent.message_id)
    assert await ptb_bot.set_my_commands([("aide", "Get help")], language_code="en")
    assert [c.command for c in await ptb_bot.get_my_commands(language_code="en")] == ["aide"]
    assert emulator.commands("en") == [{"command": "aide", "description": "Get help"}]
    assert emulator.violations == [] and emulator.errors == []


async def test_an_aiogram_dispatcher_polls_and_answers(
    aiogram_bot: Bot, emulator: TelegramEmulator
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(
            f"écho : {message.text}",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Encore", callback_data="again")]]
            ),
        )

    @dispatcher.callback_query()
    async def again(query: CallbackQuery) -> None:
        await query.answer()

    polling = asyncio.create_task(
        dispatcher.start_polling(aiogram_bot, polling_timeout=1, handle_signals=False)
    )
    try:
        emulator.user_says(CHAT, "bonjour")
        emulator.user_says(CHAT + 1, "salut")
        await emulator.settled(timeout=10)
        assert [m.text for m in emulator.bot_messages(CHAT)] == ["écho : bonjour"]
        emulator.user_presses(CHAT, emulator.bot_messages(CHAT)[0].message_id, "again")
        await emulator.wait_until(lambda: not emulator.unanswered_callbacks)
        await emulator.settled()
    finally:
        await dispatcher.stop_polling()
        await polling
    assert [m.text for m in emulator.bot_messages(CHAT + 1)] == ["écho : salut"]
    assert emulator.violations == []


async def test_a_ptb_application_polls_and_answers(
    server: RunningEmulator, emulator: TelegramEmulator
) -> None:
    from telegram.ext import Application, MessageHandler, filters

    async def echo(update: telegram.Update, context: Any) -> None:
        assert update.message is not None
        await update.message.reply_text(f"écho : {update.message.text}")

    application = Application.builder().token(TOKEN).base_url(f"{server.base_url}/bot").build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        emulator.user_says(CHAT, "bonjour")
        await emulator.wait_until(lambda: bool(emulator.bot_messages(CHAT)), timeout=10)
        await emulator.settled()
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    assert [m.text for m in emulator.bot_messages(CHAT)] == ["écho : bonjour"]
    assert emulator.violations == []


async def test_an_aiogram_webhook_with_secret_and_answer_in_the_response(
    aiogram_bot: Bot, emulator: TelegramEmulator
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"écho : {message.text}")

    app = web.Application()
    SimpleRequestHandler(
        dispatcher, aiogram_bot, handle_in_background=False, secret_token="abc_DEF-1"
    ).register(app, path="/tg")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        await aiogram_bot.set_webhook(f"http://{host}:{port}/tg", secret_token="abc_DEF-1")
        emulator.user_says(CHAT, "bonjour")
        await emulator.settled(timeout=10)
        await aiogram_bot.set_webhook(f"http://{host}:{port}/tg", secret_token="autre")
        emulator.user_says(CHAT, "refusé")
        await emulator.settled(timeout=10)
    finally:
        await runner.cleanup()
    assert [m.text for m in emulator.bot_messages(CHAT)] == ["écho : bonjour"]
    assert [d.status for d in emulator.webhook.deliveries][:1] == [200]
    assert {d.status for d in emulator.webhook.deliveries[1:]} == {401}
    assert emulator.violations == []


# --- control routes and command line ----------------------------------------------------------


async def test_control_routes_act_as_a_user(
    server: RunningEmulator, http: aiohttp.ClientSession, aiogram_bot: Bot
) -> None:
    base = f"{server.base_url}/emulator"
    async with http.post(f"{base}/chats/{CHAT}/messages", json={"text": "bonjour"}) as response:
        assert response.status == 201 and (await response.json())["update_id"] == 1
    menu = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]
    )
    sent = await aiogram_bot.send_message(CHAT, "Menu", reply_markup=menu)
    press = {"message_id": sent.message_id, "callback_data": "a"}
    async with http.post(f"{base}/chats/{CHAT}/presses", json=press) as response:
        assert response.status == 201
    async with http.post(
        f"{base}/chats/{CHAT}/presses", json={**press, "callback_data": "z"}
    ) as response:
        assert response.status == 404 and "error" in await response.json()
    async with http.post(f"{base}/chats/{CHAT}/media", json={"kind": "voice"}) as response:
        assert response.status == 201
    async with http.get(f"{base}/chats/{CHAT}") as response:
        chat = await response.json()
    assert [m["kind"] for m in chat["messages"]] == ["text", "text", "voice"]
    assert chat["messages"][1]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    async with http.post(f"{base}/faults", json={"method": "getMe", "error_code": 502}) as response:
        assert response.status == 201
    with pytest.raises(Exception, match="Bad Gateway"):
        await aiogram_bot.get_me()
    async with http.get(f"{base}/state") as response:
        state = await response.json()
    assert state["pending_updates"] == 3 and state["violations"] == []
    async with http.get(f"{base}/") as response:
        assert response.status == 200 and "Telegram emulator" in await response.text()
    async with http.get(f"{base}/settled", params={"timeout": "0.2"}) as response:
        assert response.status == 504, "nobody confirms the pending updates"


def test_the_command_is_registered() -> None:
    result = CliRunner().invoke(main, ["telegram-emulator", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "8081" in result.output
