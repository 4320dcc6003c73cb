"""The web server: chat API, web chat page, hand-off introspection, the reference portal and,
in demo mode, the outbox; wired from their parts."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from backend.web.handoff import add_introspection_route
from backend.web.outbox import add_outbox_routes
from backend.web.portal import add_portal_routes
from bot.channels.webchat.api import CONVERSATIONS, MAX_BODY, add_routes, json_errors
from bot.clock import Clock
from bot.i18n.catalog import Catalogs
from bot.settings import Settings
from bot.wiring import Services, build_services, close, start

if TYPE_CHECKING:
    from bot.channels.telegram_aiogram import Polling, Webhook
    from bot.channels.telegram_ptb import PtbPolling, PtbWebhook

log = logging.getLogger(__name__)

READY = web.AppKey("ready", asyncio.Event)
SERVICES = web.AppKey("services", Services)

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


def introspection_bearer(settings: Settings) -> str:
    """The platform's bearer token: configured, or derived from the secret key."""
    if settings.introspection_token:
        return settings.introspection_token
    key = (settings.secret_key or "").encode()
    return hashlib.sha256(b"assesseur-introspection:" + key).hexdigest()[:40]


def _translator(catalogs: Catalogs) -> Callable[[str, str], str]:
    return lambda locale, key: catalogs.translator(locale).gettext(key)


def telegram_channel(
    settings: Settings, services: Services
) -> Polling | Webhook | PtbPolling | PtbWebhook | None:
    """The Telegram bot, by webhook when a URL is set, else by long polling; None without token."""
    if not settings.telegram_token:
        return None
    from bot.channels.telegram_aiogram import webhook_secret

    secret = webhook_secret(settings.secret_key or "")
    if settings.telegram_driver == "ptb":
        from bot.channels import telegram_ptb

        application = telegram_ptb.make_application(
            services.conversations,
            settings.telegram_token,
            settings.telegram_api_base,
            settings.telegram_typing_after,
        )
        if settings.telegram_webhook_url:
            return telegram_ptb.PtbWebhook(
                services.conversations, application, settings.telegram_webhook_url, secret
            )
        return telegram_ptb.PtbPolling(
            services.conversations, application, settings.telegram_polling_timeout
        )
    from bot.channels.telegram_aiogram import Polling, Webhook, make_bot

    bot = make_bot(settings.telegram_token, settings.telegram_api_base)
    if settings.telegram_webhook_url:
        return Webhook(
            services.conversations,
            bot,
            settings.telegram_webhook_url,
            secret,
            settings.telegram_typing_after,
        )
    return Polling(
        services.conversations,
        bot,
        settings.telegram_polling_timeout,
        settings.telegram_typing_after,
    )


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    """The whole web application; the database schema is brought up to date on start."""
    app = web.Application(middlewares=[security_headers, json_errors], client_max_size=MAX_BODY)
    app[READY] = asyncio.Event()
    services = build_services(settings, clock)
    app[SERVICES] = services
    app[CONVERSATIONS] = services.conversations
    catalogs = services.assistant.catalogs
    translate = _translator(catalogs)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        await start(services)
        if telegram is not None:
            await telegram.start()
        app[READY].set()
        yield
        if telegram is not None:
            await telegram.stop()
        await close(services)

    def negotiate(request: web.Request) -> str:
        return catalogs.choose(request.query.get("lang"), request.headers.get("Accept-Language"))

    telegram = telegram_channel(settings, services)
    if telegram is not None:
        telegram.mount(app)
    app.cleanup_ctx.append(resources)
    app.router.add_get("/healthz", healthz)
    add_routes(app)
    engine, handoff = services.engine, services.backend.handoff
    now = services.clock.now
    add_introspection_route(app, engine, handoff, introspection_bearer(settings), now)
    add_portal_routes(app, engine, handoff, translate, negotiate, now)
    if settings.demo:
        add_outbox_routes(app, engine, translate, negotiate, catalogs.locales)
    return app
