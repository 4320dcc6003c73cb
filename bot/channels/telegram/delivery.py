"""Carrying out a Telegram turn, the same for both drivers: "typing…" if the reply is slow to
come, delete a secret, then edit the menu in place or send the messages, each send within the
flood limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

from bot.channels.telegram.session import TelegramTurn
from bot.channels.telegram.throttle import Throttle

log = logging.getLogger(__name__)


TYPING_AFTER = 0.5
"""Seconds a reply may take before the voter sees "typing…" (`ASSESSEUR_TELEGRAM_TYPING_AFTER`)."""
TYPING_RENEWAL = 4.5
"""Telegram shows "typing…" for 5 seconds, or until the bot's next message."""


class Sender(Protocol):
    """The Bot API calls a turn needs, made with a driver's own library."""

    async def typing(self, chat_id: int) -> None:
        """`sendChatAction` with `typing`."""
        ...

    async def delete(self, chat_id: int, message_id: int) -> None:
        """`deleteMessage`."""
        ...

    async def edit(
        self, chat_id: int, message_id: int, text: str, markup: dict[str, object] | None
    ) -> bool:
        """`editMessageText`; False when Telegram refuses (unchanged, gone)."""
        ...

    async def send(self, chat_id: int, text: str, markup: dict[str, object] | None) -> None:
        """`sendMessage`."""
        ...


async def deliver(
    sender: Sender,
    throttle: Throttle,
    chat_id: int,
    turn: TelegramTurn,
    voter_message: int | None,
    pressed: int | None = None,
) -> None:
    """Deletes the voter's message if it held a secret, then edits the pressed message (a menu)
    or sends the turn's messages."""
    if turn.delete_voter_message and voter_message is not None:
        try:
            await sender.delete(chat_id, voter_message)
        except Exception:
            log.warning("could not delete a message that looked like a secret", exc_info=True)
    if turn.edit_in_place and pressed is not None:
        (message,) = turn.messages
        await throttle.wait(chat_id)
        if await sender.edit(chat_id, pressed, message.text, message.reply_markup()):
            return
        log.info("menu not edited in place (unchanged or gone): sent instead")
    for message in turn.messages:
        await throttle.wait(chat_id)
        await sender.send(chat_id, message.text, message.reply_markup())


async def _show_typing(sender: Sender, chat_id: int) -> None:
    try:
        await sender.typing(chat_id)
    except Exception:
        log.info("could not show the typing action", exc_info=True)


@contextlib.asynccontextmanager
async def typing_while(sender: Sender, chat_id: int, after: float) -> AsyncIterator[None]:
    """Shows "typing…" in the chat while the block runs, once it has run `after` seconds, and
    renews it until the block ends. The Bot API recommends the action only when a reply takes
    a noticeable time: a reply ready sooner comes without it (`after` = 0: always shown)."""
    loop = asyncio.get_running_loop()
    renewing: list[asyncio.Task[None]] = []

    async def renew() -> None:
        while True:
            await _show_typing(sender, chat_id)
            await asyncio.sleep(TYPING_RENEWAL)

    def begin() -> None:
        renewing.append(loop.create_task(renew()))

    if after <= 0:
        await _show_typing(sender, chat_id)  # before the reply is prepared
        after = TYPING_RENEWAL
    timer = loop.call_later(after, begin)  # a timer, not a task: most replies come sooner
    try:
        yield
    finally:
        timer.cancel()
        for task in renewing:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
