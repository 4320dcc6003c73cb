"""The /emulator routes: act as Telegram users and read what the bot did, over JSON (and a page)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from backend.telegram_emulator.app import EMULATOR
from backend.telegram_emulator.state import MEDIA_KINDS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ControlError(Exception):
    """A bad control request: answered 400 (or 404) with the project's error shape."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _error(code: str, message: str, status: int) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _guarded(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as error:
            return _error(error.code, error.message, error.status)
        except LookupError as error:
            return _error("not_found", str(error.args[0] if error.args else error), 404)
        except ValueError as error:
            return _error("bad_request", str(error), 400)

    return guarded


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ControlError("bad_json", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError("bad_json", "the body must be a JSON object")
    return body


def _chat_id(request: web.Request) -> int:
    try:
        return int(request.match_info["chat_id"])
    except ValueError:
        raise ControlError("bad_chat_id", "the chat id must be an integer") from None


_TYPES: dict[str, type | tuple[type, ...]] = {
    "user_id": int,
    "language_code": (str, type(None)),
    "first_name": str,
    "chat_type": str,
    "reply_to": int,
    "caption": str,
    "check_button": bool,
    "error_code": int,
    "retry_after": int,
    "times": int,
    "description": str,
}


def _pick(body: dict[str, Any], *names: str) -> dict[str, Any]:
    picked = {name: body[name] for name in names if name in body}
    for name, value in picked.items():
        if not isinstance(value, _TYPES[name]) or (value is True and _TYPES[name] is int):
            raise ControlError("bad_field", f"{name} has the wrong type")
    return picked


_SPEAKER = ("user_id", "language_code", "first_name", "chat_type")


async def page(request: web.Request) -> web.Response:
    """A minimal page to chat with the bot as a Telegram user."""
    html = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    return web.Response(text=html, content_type="text/html")


async def overview(request: web.Request) -> web.Response:
    """The bot, its webhook, the chats, pending updates, violations and errors."""
    emulator = request.app[EMULATOR]
    webhook = emulator.webhook.config
    return web.json_response(
        {
            "bot": emulator.bot.to_dict(),
            "spec_version": emulator.spec.version,
            "webhook": webhook.url if webhook else None,
            "chats": sorted(emulator.chats),
            "pending_updates": len(emulator.queue.pending),
            "unanswered_callbacks": [q.id for q in emulator.unanswered_callbacks],
            "violations": emulator.violations,
            "errors": emulator.errors,
        }
    )


async def chat(request: web.Request) -> web.Response:
    """One chat: every message as it is now, the chat actions, the deleted ids."""
    emulator = request.app[EMULATOR]
    chat_id = _chat_id(request)
    return web.json_response(
        {
            "chat_id": chat_id,
            "messages": [m.to_dict() for m in emulator.transcript(chat_id)],
            "chat_actions": emulator.chat_actions(chat_id),
            "deleted": emulator.deleted(chat_id),
        }
    )


async def says(request: web.Request) -> web.Response:
    """A user sends a text: {"text", "user_id"?, "language_code"?, "first_name"?, "chat_type"?}."""
    body = await _body(request)
    if not isinstance(body.get("text"), str):
        raise ControlError("missing_text", "give the message's text")
    update_id = request.app[EMULATOR].user_says(
        _chat_id(request), body["text"], **_pick(body, *_SPEAKER, "reply_to")
    )
    return web.json_response({"update_id": update_id}, status=201)


async def sends(request: web.Request) -> web.Response:
    """A user sends media: {"kind": "photo"|"sticker"|"voice"|"document", "caption"?}."""
    body = await _body(request)
    if body.get("kind") not in MEDIA_KINDS:
        raise ControlError("bad_kind", f"kind must be one of {', '.join(MEDIA_KINDS)}")
    update_id = request.app[EMULATOR].user_sends(
        _chat_id(request), body["kind"], **_pick(body, *_SPEAKER, "caption")
    )
    return web.json_response({"update_id": update_id}, status=201)


async def edits(request: web.Request) -> web.Response:
    """A user edits a message: {"message_id", "text"}."""
    body = await _body(request)
    if not isinstance(body.get("message_id"), int) or not isinstance(body.get("text"), str):
        raise ControlError("bad_edit", "give message_id (an integer) and text")
    update_id = request.app[EMULATOR].user_edits(
        _chat_id(request), body["message_id"], body["text"]
    )
    return web.json_response({"update_id": update_id}, status=201)


async def presses(request: web.Request) -> web.Response:
    """A user presses a button: {"message_id", "callback_data", "check_button"?: true}."""
    body = await _body(request)
    if not isinstance(body.get("message_id"), int) or not isinstance(
        body.get("callback_data"), str
    ):
        raise ControlError("bad_press", "give message_id (an integer) and callback_data")
    update_id = request.app[EMULATOR].user_presses(
        _chat_id(request),
        body["message_id"],
        body["callback_data"],
        **_pick(body, "user_id", "check_button"),
    )
    return web.json_response({"update_id": update_id}, status=201)


async def commands(request: web.Request) -> web.Response:
    """The command lists the bot set, per scope and language."""
    emulator = request.app[EMULATOR]
    return web.json_response(
        [
            {"scope": scope, "language_code": language, "commands": listed}
            for (scope, language), listed in sorted(emulator.my_commands.items())
        ]
    )


async def faults(request: web.Request) -> web.Response:
    """Queues failures: {"method", "error_code"?: 429, "retry_after"?: 1, "times"?: 1}."""
    body = await _body(request)
    if not isinstance(body.get("method"), str):
        raise ControlError("missing_method", "give the method to fail")
    options = _pick(body, "error_code", "retry_after", "times", "description")
    request.app[EMULATOR].fail_next(body["method"], **options)
    return web.json_response({"queued": body["method"]}, status=201)


async def settled(request: web.Request) -> web.Response:
    """Waits until the bot is done (?quiet=0.05&timeout=5): 200, or 504 with the reason."""
    try:
        quiet = float(request.query.get("quiet", "0.05"))
        timeout = min(float(request.query.get("timeout", "5")), 60.0)
    except ValueError:
        raise ControlError("bad_query", "quiet and timeout are seconds") from None
    try:
        await request.app[EMULATOR].settled(quiet, timeout)
    except TimeoutError as error:
        return _error("not_settled", str(error), 504)
    return web.json_response({"settled": True})


async def reset(request: web.Request) -> web.Response:
    """Forgets chats, updates, records and queued failures."""
    request.app[EMULATOR].reset()
    return web.json_response({"reset": True})


def add_control_routes(app: web.Application) -> None:
    """Adds the /emulator routes to the application."""
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/emulator", page),
        ("GET", "/emulator/", page),
        ("GET", "/emulator/state", overview),
        ("GET", "/emulator/chats/{chat_id}", chat),
        ("POST", "/emulator/chats/{chat_id}/messages", says),
        ("POST", "/emulator/chats/{chat_id}/media", sends),
        ("POST", "/emulator/chats/{chat_id}/edits", edits),
        ("POST", "/emulator/chats/{chat_id}/presses", presses),
        ("GET", "/emulator/commands", commands),
        ("POST", "/emulator/faults", faults),
        ("GET", "/emulator/settled", settled),
        ("POST", "/emulator/reset", reset),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _guarded(handler))
