"""Carrying out a Telegram turn, the same for both drivers: delete a secret, then edit the menu
in place or send the messages, each send within the flood limits."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.channels.telegram.session import TelegramTurn
from bot.channels.telegram.throttle import Throttle

log = logging.getLogger(__name__)


class Sender(Protocol):
    """The three Bot API calls a turn needs, made with a driver's own library."""

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
