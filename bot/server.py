"""The web server: chat API, web chat page and health check, wired from their parts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot.assistant import load_assistant
from bot.channels.webchat.api import CONVERSATIONS, MAX_BODY, add_routes, json_errors
from bot.clock import Clock
from bot.settings import Settings
from bot.wiring import open_conversations

log = logging.getLogger(__name__)

READY = web.AppKey("ready", asyncio.Event)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers every answer carries: no framing, no sniffing, no referrer leak, a strict CSP."""
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


async def healthz(request: web.Request) -> web.Response:
    """`GET /healthz`: 200 once the database is migrated and the flows are loaded."""
    if not request.app[READY].is_set():
        return web.json_response({"status": "starting"}, status=503)
    return web.json_response({"status": "ok"})


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """The whole web application; the database schema is brought up to date on start."""
    app = web.Application(middlewares=[security_headers, json_errors], client_max_size=MAX_BODY)
    app[READY] = asyncio.Event()
    assistant = load_assistant(settings)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        async with open_conversations(settings, clock, assistant) as conversations:
            app[CONVERSATIONS] = conversations
            app[READY].set()
            yield

    app.cleanup_ctx.append(resources)
    app.router.add_get("/healthz", healthz)
    add_routes(app)
    return app
