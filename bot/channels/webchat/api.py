"""The chat API (`/api/v1/conversations`) and the web chat page, as an aiohttp sub-application."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.conversations import (
    ConversationError,
    ConversationNotFound,
    Conversations,
    Inbound,
    Outcome,
)
from bot.engine.turn import Understood
from bot.i18n.catalog import Catalogs

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
CONVERSATIONS = web.AppKey("conversations", Conversations)
MAX_BODY = 64 * 1024

STATUS = {
    "conversation_not_found": 404,
    "invalid_json": 400,
    "invalid_body": 422,
    "unsupported_media_type": 415,
    "body_too_large": 413,
    "method_not_allowed": 405,
    "not_found": 404,
}


class BadRequest(Exception):
    """A request the API refuses before reaching the conversation service."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def error(code: str, message: str, status: int | None = None) -> web.Response:
    """The API's error body: `{"error": {"code", "message"}}`."""
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status or STATUS.get(code, 422)
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Maps every refusal to a JSON error, and anything unexpected to a logged 500."""
    try:
        return await handler(request)
    except BadRequest as exc:
        return error(exc.code, exc.message)
    except ConversationError as exc:
        return error(exc.code, exc.message)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/"):
            raise
        return _http_error(exc)
    except Exception:
        log.exception("chat API failure on %s %s", request.method, request.path)
        return error("internal_error", "Something went wrong on our side. Please retry.", 500)


def _http_error(exc: web.HTTPException) -> web.Response:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return error("body_too_large", f"The body is larger than {MAX_BODY} bytes.")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return error("method_not_allowed", "This method is not allowed here.")
    return error("not_found", "There is nothing at this address.")


async def _json_body(request: web.Request) -> dict[str, object]:
    if request.content_type != "application/json":
        raise BadRequest("unsupported_media_type", "Send the body as application/json.")
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("invalid_json", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("invalid_body", "The body must be a JSON object.")
    return body


def _optional_str(body: dict[str, object], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest("invalid_body", f"'{name}' must be a string.")
    return value


def _outcome(outcome: Outcome, understood: bool = True) -> dict[str, object]:
    body: dict[str, object] = {
        "conversation_id": outcome.conversation_id,
        "messages": [m.as_json() for m in outcome.messages],
        "status": outcome.status,
        "locale": outcome.locale,
    }
    if understood:
        u = outcome.understood
        body["understood"] = None if u is None else understood_json(u)
    return body


def understood_json(understood: Understood) -> dict[str, object]:
    """The chat API's `understood`: the reported intent, its confidence, what was found."""
    return {
        "intent": understood.intent,
        "confidence": round(understood.confidence, 4),
        "entities": [{"kind": e.kind, "value": e.value} for e in understood.entities],
    }


async def create_conversation(request: web.Request) -> web.Response:
    """`POST /api/v1/conversations`: a new conversation and its welcome."""
    body = await _json_body(request)
    locale = _optional_str(body, "locale")
    outcome = await request.app[CONVERSATIONS].start("webchat", locale)
    return web.json_response(_outcome(outcome, understood=False), status=201)


async def post_message(request: web.Request) -> web.Response:
    """`POST /api/v1/conversations/{id}/messages`: a typed text or a button's action."""
    body = await _json_body(request)
    text, action = _optional_str(body, "text"), _optional_str(body, "action")
    if (text is None) == (action is None):
        raise BadRequest("invalid_body", "Send either 'text' or 'action'.")
    inbound = Inbound(text=text, action=action, locale=_optional_str(body, "locale"))
    outcome = await request.app[CONVERSATIONS].handle(request.match_info["id"], inbound)
    return web.json_response(_outcome(outcome))


async def get_conversation(request: web.Request) -> web.Response:
    """`GET /api/v1/conversations/{id}`: the stored transcript, to resume after a reload."""
    snapshot, lines = await request.app[CONVERSATIONS].history(request.match_info["id"])
    return web.json_response(
        {
            "conversation_id": request.match_info["id"],
            "status": snapshot.get("status", "bot"),
            "locale": snapshot.get("locale"),
            "messages": [
                {"from": line["sender"], "text": line["text"], "buttons": line["buttons"]}
                for line in lines
            ],
        }
    )


_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_.]+)\s*\}\}")


def render_page(template: str, catalogs: Catalogs, locale: str) -> str:
    """The page template with `{{lang}}` and `{{webchat.*}}` filled, HTML-escaped."""
    t = catalogs.translator(locale)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return locale if name == "lang" else html.escape(t.gettext(name), quote=True)

    return _PLACEHOLDER.sub(fill, template)


PAGE = web.AppKey("page", str)


async def index(request: web.Request) -> web.Response:
    """`GET /`: the web chat page in the visitor's language."""
    catalogs = request.app[CONVERSATIONS].catalogs
    locale = catalogs.choose(request.query.get("lang"), request.headers.get("Accept-Language"))
    page = render_page(request.app[PAGE], catalogs, locale)
    return web.Response(text=page, content_type="text/html", headers={"Vary": "Accept-Language"})


def add_routes(app: web.Application) -> None:
    """Adds the page, its static files and the chat API to `app`."""
    app[PAGE] = (STATIC / "index.html").read_text(encoding="utf-8")
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC)
    app.router.add_post("/api/v1/conversations", create_conversation)
    app.router.add_post("/api/v1/conversations/{id}/messages", post_message)
    app.router.add_get("/api/v1/conversations/{id}", get_conversation)


__all__ = ["CONVERSATIONS", "ConversationNotFound", "add_routes", "json_errors"]
