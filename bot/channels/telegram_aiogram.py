"""The Telegram channel on aiogram 3: updates in, the conversation's answer out. No dialog here."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.enums import ChatAction, ChatType
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    DeleteWebhook,
    EditMessageText,
    GetMe,
    GetUpdates,
    Response,
    SendChatAction,
    SendMessage,
    SetMyCommands,
    SetWebhook,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import BotCommand, CallbackQuery, Message, Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.channels.aiogram_session import EditReply, JsonSession, SendReply
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
from bot.conversations import Conversations

log = logging.getLogger(__name__)

_ANSWER_MODELS = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        GetMe,
        GetUpdates,
        SendMessage,
        SendReply,
        EditMessageText,
        EditReply,
        AnswerCallbackQuery,
        DeleteMessage,
        SendChatAction,
        SetMyCommands,
        SetWebhook,
        DeleteWebhook,
    )
)
"""aiogram reads each answer of the Bot API into `Response[<result type>]`, a generic pydantic
model that pydantic caches only weakly: unless something holds it, it is built again (10-15 ms)
after each garbage collection. Held here, each is built once."""


class _Sender:
    """The Bot API calls of a turn, with aiogram."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def typing(self, chat_id: int) -> None:
        await self.bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def delete(self, chat_id: int, message_id: int) -> None:
        await self.bot.delete_message(chat_id, message_id)

    async def edit(
        self, chat_id: int, message_id: int, text: str, markup: dict[str, object] | None
    ) -> bool:
        try:
            await self.bot(
                EditReply(chat_id=chat_id, message_id=message_id, text=text, reply_markup=markup)
            )
        except TelegramBadRequest:
            return False
        return True

    async def send(self, chat_id: int, text: str, markup: dict[str, object] | None) -> None:
        await self.bot(SendReply(chat_id=chat_id, text=text, reply_markup=markup))


async def _private(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


async def _private_text(message: Message) -> bool:
    return message.text is not None and await _private(message)


async def _in_group(message: Message) -> bool:
    return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def _pressed_on_message(query: CallbackQuery) -> bool:
    return bool(query.data) and query.message is not None


def build_router(
    conversations: Conversations,
    throttle: Throttle | None = None,
    typing_after: float = TYPING_AFTER,
) -> Router:
    """The handlers: private texts, button presses, a polite answer to anything else, silence
    in groups unless the bot is addressed there. "typing…" shows when a reply takes longer than
    `typing_after` seconds.

    The filters are coroutines: aiogram runs a plain function, a magic filter (`F.text`)
    included, in a thread of the default executor, a hop there and back for each filter of
    each update."""
    router = Router(name="assesseur")
    throttle = throttle or Throttle()

    async def say(message: Message, key: str) -> None:
        language = message.from_user.language_code if message.from_user else None
        await throttle.wait(message.chat.id)
        await message.answer(await polite(conversations, message.chat.id, language, key))

    @router.message(_private_text)
    async def on_text(message: Message, bot: Bot, event_update: Update) -> None:
        sender = _Sender(bot)
        language = message.from_user.language_code if message.from_user else None
        async with typing_while(sender, message.chat.id, typing_after):
            turn = await answer(
                conversations,
                ChatMessage(message.chat.id, event_update.update_id, language, text=message.text),
            )
        await deliver(sender, throttle, message.chat.id, turn, message.message_id)

    @router.callback_query(_pressed_on_message)
    async def on_press(query: CallbackQuery, bot: Bot, event_update: Update) -> None:
        await query.answer()
        if query.message is None:
            return
        chat_id = query.message.chat.id
        turn = await answer(
            conversations,
            ChatMessage(
                chat_id, event_update.update_id, query.from_user.language_code, action=query.data
            ),
        )
        await deliver(_Sender(bot), throttle, chat_id, turn, None, query.message.message_id)

    @router.message(_private)
    async def on_other(message: Message) -> None:
        await say(message, "telegram.text_only")

    @router.edited_message(_private)
    async def on_edited(message: Message) -> None:
        await say(message, EDITED)

    @router.message(_in_group)
    async def in_group(message: Message, bot: Bot) -> None:
        me = await bot.me()
        entities = [(e.type, e.extract_from(message.text or "")) for e in message.entities or ()]
        if addressed_to(message.text, entities, me.username):
            await say(message, PRIVATE_ONLY)

    return router


async def publish_commands(bot: Bot, conversations: Conversations) -> None:
    """`setMyCommands` in every language (French also as the default list)."""
    for locale in conversations.catalogs.locales:
        commands = [
            BotCommand(command=c, description=d) for c, d in command_list(conversations, locale)
        ]
        await bot.set_my_commands(commands, language_code=locale)
        if locale == "fr":
            await bot.set_my_commands(commands)


def build_dispatcher(
    conversations: Conversations, typing_after: float = TYPING_AFTER, **data: Any
) -> Dispatcher:
    """A dispatcher with the assistant's router; without aiogram's FSM, whose state storage
    the assistant does not use (a conversation's state is in the database)."""
    dispatcher = Dispatcher(disable_fsm=True, **data)
    dispatcher.include_router(build_router(conversations, typing_after=typing_after))
    return dispatcher


class RetryAfter(BaseRequestMiddleware):
    """A request refused by Telegram's flood control (429) is retried once the wait is over,
    a few times, rather than dropped."""

    def __init__(self, attempts: int = 3, longest_wait: float = 60.0) -> None:
        self.attempts = attempts
        self.longest_wait = longest_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        """Makes the request; on a 429, waits `retry_after` seconds and tries again."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as refused:
                if attempt == self.attempts or refused.retry_after > self.longest_wait:
                    raise
                log.warning(
                    "flood control on %s: retrying in %s s",
                    type(method).__name__,
                    refused.retry_after,
                )
                await asyncio.sleep(refused.retry_after)
        raise AssertionError("unreachable")


def make_bot(token: str, api_base: str | None = None) -> Bot:
    """An aiogram Bot (talking to `api_base`, a local Bot API server, when given) that waits out
    Telegram's flood control."""
    if api_base is None:
        session = JsonSession()
    else:
        from aiogram.client.telegram import TelegramAPIServer

        session = JsonSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
    bot = Bot(token, session=session)
    bot.session.middleware(RetryAfter())
    return bot


def _chat_of(update: Update) -> int | None:
    chat = UserContextMiddleware.resolve_event_context(update).chat
    return None if chat is None else chat.id


def _retry_after(failed: Exception) -> float | None:
    return float(failed.retry_after) if isinstance(failed, TelegramRetryAfter) else None


class Polling:
    """The bot by long polling (`bot.channels.telegram.polling`): the chats of a batch at once,
    each chat's updates in order, the batch acknowledged once all its turns are committed."""

    def __init__(
        self,
        conversations: Conversations,
        bot: Bot,
        timeout: int = 10,
        typing_after: float = TYPING_AFTER,
    ) -> None:
        self.conversations = conversations
        self.bot = bot
        self.timeout = timeout
        self.dispatcher = build_dispatcher(conversations, typing_after)
        self.polling = LongPolling(
            self._fetch,
            self._handle,
            update_id=lambda update: update.update_id,
            chat_of=_chat_of,
            retry_after=_retry_after,
        )

    async def _fetch(self, offset: int | None) -> list[Update]:
        return await self.bot.get_updates(
            offset=offset,
            timeout=self.timeout,
            request_timeout=int(self.bot.session.timeout + self.timeout),
        )

    async def _handle(self, update: Update) -> bool:
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception:
            log.exception("Telegram update %s failed", update.update_id)
            return False
        return True

    def mount(self, app: web.Application) -> None:
        """Nothing to mount: polling asks Telegram for the updates."""

    async def start(self) -> None:
        """Publishes the commands, then polls in the background."""
        await publish_commands(self.bot, self.conversations)
        self.polling.start()

    async def stop(self) -> None:
        """Stops polling after the batch in hand, and closes the bot's session."""
        await self.polling.stop()
        await self.bot.session.close()


WEBHOOK_PATH = "/telegram/webhook"


class Webhook:
    """The bot by webhook: Telegram POSTs each update to `WEBHOOK_PATH` with the secret header;
    a wrong or missing secret is refused (401) and nothing is processed; the answer (200) is
    given only once the turn is committed, so an update lost on the way is delivered again."""

    def __init__(
        self,
        conversations: Conversations,
        bot: Bot,
        url: str,
        secret: str,
        typing_after: float = TYPING_AFTER,
    ) -> None:
        self.conversations = conversations
        self.bot = bot
        self.url = url
        self.secret = secret
        self.dispatcher = build_dispatcher(conversations, typing_after)

    def mount(self, app: web.Application) -> None:
        """Adds the webhook route to the web application."""
        handler = SimpleRequestHandler(
            self.dispatcher, self.bot, handle_in_background=False, secret_token=self.secret
        )
        handler.register(app, path=WEBHOOK_PATH)

    async def start(self) -> None:
        """Publishes the commands and registers the webhook with Telegram."""
        await publish_commands(self.bot, self.conversations)
        await self.bot.set_webhook(self.url, secret_token=self.secret)

    async def stop(self) -> None:
        """Closes the bot's session (the webhook stays registered for the next start)."""
        await self.bot.session.close()


def webhook_secret(secret_key: str) -> str:
    """The webhook's secret token, derived from the secret key (1-256 of A-Za-z0-9_-)."""
    return hashlib.sha256(b"assesseur-telegram-webhook:" + secret_key.encode()).hexdigest()
