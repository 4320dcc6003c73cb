"""The Telegram channel on python-telegram-bot 22: the same behaviour as the aiogram driver.

Updates in, the conversation's answer out; no dialog here. The `Application` runs without its
`Updater`: polling is our own loop, so an update is acknowledged only once its turn is done.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.ptb_session import AiohttpRequest, ReplyBot
from bot.channels.telegram.delivery import TYPING_AFTER, deliver, typing_while
from bot.channels.telegram.polling import LongPolling
from bot.channels.telegram.session import (
    EDITED,
    PRIVATE_ONLY,
    ChatMessage,
    addressed_to,
    answer,
    command_list,
    polite,
)
from bot.channels.telegram.throttle import Throttle
from bot.channels.telegram_aiogram import WEBHOOK_PATH, webhook_secret
from bot.conversations import Conversations

__all__ = ["WEBHOOK_PATH", "PtbPolling", "PtbWebhook", "make_application", "webhook_secret"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
"""The header Telegram sets on every webhook delivery to the secret given to `setWebhook`."""

TELEGRAM_API = "https://api.telegram.org"
"""Telegram's own Bot API server, when no other is configured."""

PtbApplication = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE
ApiResult = bool | dict[str, Any] | list[dict[str, Any]]


def _seconds(refused: RetryAfter) -> float:
    with warnings.catch_warnings():  # an int until PTB 23, unless PTB_TIMEDELTA is set: either
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = refused.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)


class RetryAfterLimiter(BaseRateLimiter[None]):
    """A request refused by Telegram's flood control (429) is retried once the wait is over,
    a few times, rather than dropped (PTB's own AIORateLimiter would need aiolimiter)."""

    def __init__(self, attempts: int = 3, longest_wait: float = 60.0) -> None:
        self.attempts = attempts
        self.longest_wait = longest_wait

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, ApiResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> ApiResult:
        """Makes the request; on a 429, waits `retry_after` seconds and tries again."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as refused:
                wait = _seconds(refused)
                if attempt == self.attempts or wait > self.longest_wait:
                    raise
                log.warning("flood control on %s: retrying in %s s", endpoint, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")


class _Sender:
    """The Bot API calls of a turn, with python-telegram-bot."""

    def __init__(self, bot: ReplyBot) -> None:
        self.bot = bot

    async def typing(self, chat_id: int) -> None:
        await self.bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def delete(self, chat_id: int, message_id: int) -> None:
        await self.bot.delete_message(chat_id, message_id)

    async def edit(
        self, chat_id: int, message_id: int, text: str, markup: dict[str, object] | None
    ) -> bool:
        try:
            await self.bot.edit_reply(chat_id, message_id, text, markup)
        except BadRequest:
            return False
        return True

    async def send(self, chat_id: int, text: str, markup: dict[str, object] | None) -> None:
        await self.bot.send_reply(chat_id, text, markup)


def _reply_bot(bot: object) -> ReplyBot:
    if not isinstance(bot, ReplyBot):
        raise TypeError("the application's bot must be a ReplyBot (see make_application)")
    return bot


def add_handlers(
    application: PtbApplication,
    conversations: Conversations,
    throttle: Throttle | None = None,
    typing_after: float = TYPING_AFTER,
) -> None:
    """The handlers: private texts, button presses, a polite answer to anything else, silence
    in groups unless the bot is addressed there. "typing…" shows when a reply takes longer than
    `typing_after` seconds."""
    throttle = throttle or Throttle()
    sender = _Sender(_reply_bot(application.bot))

    async def say(update: Update, key: str) -> None:
        message = update.effective_message
        if message is None:
            return
        language = message.from_user.language_code if message.from_user else None
        await throttle.wait(message.chat_id)
        await message.reply_text(await polite(conversations, message.chat_id, language, key))

    async def on_text(update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        language = message.from_user.language_code if message.from_user else None
        async with typing_while(sender, message.chat_id, typing_after):
            turn = await answer(
                conversations,
                ChatMessage(message.chat_id, update.update_id, language, text=message.text),
            )
        await deliver(sender, throttle, message.chat_id, turn, message.message_id)

    async def on_press(update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        if query.message is None or not query.data:
            return
        chat_id = query.message.chat.id
        turn = await answer(
            conversations,
            ChatMessage(
                chat_id, update.update_id, query.from_user.language_code, action=query.data
            ),
        )
        await deliver(sender, throttle, chat_id, turn, None, query.message.message_id)

    async def on_other(update: Update, context: Context) -> None:
        await say(update, "telegram.text_only")

    async def on_edited(update: Update, context: Context) -> None:
        await say(update, EDITED)

    async def in_group(update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        entities = [(e.type, v) for e, v in message.parse_entities().items()]
        if addressed_to(message.text, entities, context.bot.username):
            await say(update, PRIVATE_ONLY)

    private = filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE & filters.TEXT, on_text)
    )
    application.add_handler(CallbackQueryHandler(on_press))
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, on_other))
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, on_edited))
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.TEXT, in_group
        )
    )


async def publish_commands(application: PtbApplication, conversations: Conversations) -> None:
    """`setMyCommands` in every language (French also as the default list)."""
    for locale in conversations.catalogs.locales:
        commands = [BotCommand(c, d) for c, d in command_list(conversations, locale)]
        await application.bot.set_my_commands(commands, language_code=locale)
        if locale == "fr":
            await application.bot.set_my_commands(commands)


def make_application(
    conversations: Conversations,
    token: str,
    api_base: str | None = None,
    typing_after: float = TYPING_AFTER,
) -> PtbApplication:
    """A PTB Application without Updater (talking to `api_base`, a local Bot API server, when
    given) whose bot waits out Telegram's flood control, sends its requests through aiohttp
    and its replies as rendered (`bot.channels.ptb_session`)."""
    base = (api_base or TELEGRAM_API).rstrip("/")
    bot = ReplyBot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
        rate_limiter=RetryAfterLimiter(),
    )
    application: PtbApplication = ApplicationBuilder().bot(bot).updater(None).build()
    add_handlers(application, conversations, typing_after=typing_after)
    return application


class _Turns:
    """Remembers which updates failed: PTB hands a handler's exception to error handlers
    instead of raising it from `process_update`."""

    def __init__(self, application: PtbApplication) -> None:
        self.application = application
        self._failed: set[int] = set()
        application.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: Context) -> None:
        if isinstance(update, Update):
            self._failed.add(update.update_id)
        log.error("Telegram update %s failed", update, exc_info=context.error)

    async def process(self, update: Update) -> bool:
        """Handles one update to the end; whether its turn went through."""
        await self.application.process_update(update)
        if update.update_id in self._failed:
            self._failed.discard(update.update_id)
            return False
        return True


def _chat_of(update: Update) -> int | None:
    return None if update.effective_chat is None else update.effective_chat.id


def _retry_after(failed: Exception) -> float | None:
    return _seconds(failed) if isinstance(failed, RetryAfter) else None


class PtbPolling:
    """The bot by long polling (`bot.channels.telegram.polling`): the chats of a batch at once,
    each chat's updates in order, the batch acknowledged once all its turns are done."""

    def __init__(
        self, conversations: Conversations, application: PtbApplication, timeout: int = 10
    ) -> None:
        self.conversations = conversations
        self.application = application
        self.timeout = timeout
        self.turns = _Turns(application)
        self.polling = LongPolling(
            self._fetch,
            self._handle,
            update_id=lambda update: update.update_id,
            chat_of=_chat_of,
            retry_after=_retry_after,
        )

    async def _fetch(self, offset: int | None) -> tuple[Update, ...]:
        updates: tuple[Update, ...] = await self.application.bot.get_updates(
            offset=offset, timeout=self.timeout
        )
        return updates

    async def _handle(self, update: Update) -> bool:
        return await self.turns.process(update)

    def mount(self, app: web.Application) -> None:
        """Nothing to mount: polling asks Telegram for the updates."""

    async def start(self) -> None:
        """Publishes the commands, then polls in the background."""
        await self.application.initialize()
        await publish_commands(self.application, self.conversations)
        self.polling.start()

    async def stop(self) -> None:
        """Stops polling after the batch in hand, and shuts the application down."""
        await self.polling.stop()
        await self.application.shutdown()


class PtbWebhook:
    """The bot by webhook: Telegram POSTs each update to `WEBHOOK_PATH` with the secret header;
    a wrong or missing secret is refused (401) and nothing is processed; the answer (200) is
    given only once the turn is done, so an update lost on the way is delivered again."""

    def __init__(
        self, conversations: Conversations, application: PtbApplication, url: str, secret: str
    ) -> None:
        self.conversations = conversations
        self.application = application
        self.url = url
        self.secret = secret
        self.turns = _Turns(application)

    async def receive(self, request: web.Request) -> web.Response:
        """`POST WEBHOOK_PATH`: one update, answered once its turn is done."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            raise web.HTTPUnauthorized()
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except (json.JSONDecodeError, TypeError, KeyError) as bad:
            raise web.HTTPBadRequest(text="not a Telegram update") from bad
        if not await self.turns.process(update):
            raise web.HTTPInternalServerError()
        return web.Response()

    def mount(self, app: web.Application) -> None:
        """Adds the webhook route to the web application."""
        app.router.add_post(WEBHOOK_PATH, self.receive)

    async def start(self) -> None:
        """Publishes the commands and registers the webhook with Telegram."""
        await self.application.initialize()
        await publish_commands(self.application, self.conversations)
        await self.application.bot.set_webhook(self.url, secret_token=self.secret)

    async def stop(self) -> None:
        """Shuts the application down (the webhook stays registered for the next start)."""
        await self.application.shutdown()
