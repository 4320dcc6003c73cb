"""The bots of the Telegram benchmark: the assistant (either driver, either transport) and a
bare aiogram echo bot, started against a Bot API server; and the switches that take parts of the
assistant out of the measure (its flood-limit throttle, its turn)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import socket
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.channels.telegram_aiogram import WEBHOOK_PATH
from bot.clock import FrozenClock, parse_instant
from bot.server import create_app
from bot.settings import Settings

TOKEN = "123456:TEST"
NOW = "2022-12-02T10:00+01:00"
"""During the 2022 vote, so the assistant answers as it would on the day."""


def lift_throttle() -> list[str]:
    """Lifts the assistant's own flood-limit throttle (1 msg/s per chat after a burst of 3,
    30 msg/s in all) in this process: its buckets still run, with rates so high it never waits.
    Returns the modules patched."""
    try:
        from bot.channels.telegram.throttle import Throttle
    except ImportError:
        return []
    lifted = functools.partial(Throttle, per_chat_burst=1e12, per_chat_rate=1e12, overall_rate=1e12)
    patched = []
    for name in ("bot.channels.telegram_aiogram", "bot.channels.telegram_ptb"):
        module = importlib.import_module(name)
        if getattr(module, "Throttle", None) is Throttle:
            module.Throttle = lifted  # type: ignore[attr-defined]
            patched.append(name)
    return patched


CANNED_TEXT = (
    "Notice pas reçue, ou perdue ? Le réassort vous donne un nouveau code de vote sur votre "
    "espace électeur, pendant le scrutin. Connectez-vous, ouvrez la page de vote, puis suivez "
    "le lien « Réassort ». Le nouveau code arrive sur votre adresse professionnelle.\n\n"
    "Voulez-vous que je vous guide pas à pas ?"
)
CANNED_KEYBOARD = tuple(
    ({"text": label, "callback_data": f"bench.{n}"},)
    for n, label in enumerate(
        ("Oui, guidez-moi", "Je n'ai pas d'accès", "Le code n'arrive pas", "Menu", "Une personne")
    )
)
"""A reply shaped like the assistant's (a few sentences, a five-button keyboard)."""


def canned_turns() -> list[str]:
    """Replaces the assistant's turn (database, understanding, dialogs) by a canned answer
    shaped like its own (text and keyboard), in both drivers: what is left is the driver, its
    library and the Bot API calls of a real reply. Returns the modules patched."""
    from bot.channels.telegram.render import TelegramMessage
    from bot.channels.telegram.session import ChatMessage, TelegramTurn

    async def canned(conversations: object, message: ChatMessage) -> TelegramTurn:
        return TelegramTurn((TelegramMessage(CANNED_TEXT, CANNED_KEYBOARD),))

    patched = []
    for name in ("bot.channels.telegram_aiogram", "bot.channels.telegram_ptb"):
        module = importlib.import_module(name)
        module.answer = canned  # type: ignore[attr-defined]
        patched.append(name)
    return patched


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class Side:
    bot: str  # "assistant" or "bare"
    driver: str  # "aiogram" or "ptb"
    transport: str  # "polling" or "webhook"

    @property
    def name(self) -> str:
        who = "assistant" if self.bot == "assistant" else "bare echo"
        return f"{who} {self.driver} {self.transport}"


class Running:
    """A started bot (the assistant's server, or the bare echo bot) and how to stop it."""

    def __init__(self) -> None:
        self.runner: web.AppRunner | None = None
        self.bare_bot: Bot | None = None
        self.bare_dispatcher: Dispatcher | None = None
        self.polling: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        if self.polling is not None and self.bare_dispatcher is not None:
            with contextlib.suppress(RuntimeError, TimeoutError):
                await asyncio.wait_for(self.bare_dispatcher.stop_polling(), timeout=5)
            self.polling.cancel()
            await asyncio.gather(self.polling, return_exceptions=True)
        if self.runner is not None:
            await self.runner.cleanup()
        if self.bare_bot is not None:
            await self.bare_bot.session.close()


async def serve(app: web.Application, port: int | None) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    if port is not None:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def start_assistant(side: Side, api_base: str, folder: Path) -> Running:
    port = free_port() if side.transport == "webhook" else None
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{folder}/telegram.db",
        election="2022",
        secret_key="bench",
        telegram_token=TOKEN,
        telegram_api_base=api_base,
        telegram_driver=side.driver,
        telegram_webhook_url=(
            f"http://127.0.0.1:{port}{WEBHOOK_PATH}" if port is not None else None
        ),
        telegram_polling_timeout=1,
    )
    app = create_app(settings, clock=FrozenClock(parse_instant(NOW)))
    running = Running()
    running.runner = await serve(app, port)
    return running


async def start_bare(side: Side, api_base: str, sequential: bool) -> Running:
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        if message.text:
            await message.answer(message.text)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    bot = Bot(TOKEN, session=session)
    running = Running()
    running.bare_bot = bot
    running.bare_dispatcher = dispatcher
    if side.transport == "polling":
        running.polling = asyncio.get_running_loop().create_task(
            dispatcher.start_polling(
                bot,
                polling_timeout=1,
                handle_as_tasks=not sequential,
                handle_signals=False,
                close_bot_session=False,
            )
        )
        return running
    port = free_port()
    secret = "bench-secret"
    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, handle_in_background=not sequential, secret_token=secret
    ).register(app, path=WEBHOOK_PATH)
    running.runner = await serve(app, port)
    await bot.set_webhook(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", secret_token=secret)
    return running
