"""Replies as Telegram messages: texts split under the size limit, inline keyboards in bounds."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n.render import RenderedButton, RenderedMessage

log = logging.getLogger(__name__)

MAX_TEXT = 4096
"""Characters of one Telegram message."""
MAX_CALLBACK_DATA = 64
"""Bytes of a button's callback data."""
MAX_BUTTONS = 100
"""Buttons of one inline keyboard."""


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    """One message to send: its text and its inline keyboard (Bot API shape), if any."""

    text: str
    keyboard: tuple[tuple[dict[str, str], ...], ...] = ()

    def reply_markup(self) -> dict[str, object] | None:
        """The `reply_markup` parameter: `{"inline_keyboard": [[button, ...], ...]}` or None."""
        if not self.keyboard:
            return None
        return {"inline_keyboard": [list(row) for row in self.keyboard]}


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of at most `limit` characters, cut between paragraphs, else lines, else words."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    for separator in ("\n\n", "\n", " "):
        parts: list[str] = []
        current = ""
        for piece in text.split(separator):
            candidate = f"{current}{separator}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                parts.append(current)
            current = piece
        if current:
            parts.append(current)
        if all(len(p) <= limit for p in parts):
            return [p.strip() for p in parts if p.strip()]
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def button(rendered: RenderedButton) -> dict[str, str] | None:
    """A Bot API InlineKeyboardButton, or None for an action too long to send back."""
    label = rendered.label[:64]
    if rendered.url is not None:
        return {"text": label, "url": rendered.url}
    action = rendered.action or ""
    if not action or len(action.encode("utf-8")) > MAX_CALLBACK_DATA:
        log.warning("button action of %d bytes left out", len(action.encode("utf-8")))
        return None
    return {"text": label, "callback_data": action}


def telegram_messages(messages: Sequence[RenderedMessage]) -> list[TelegramMessage]:
    """The replies of a turn as Telegram messages; a reply's keyboard goes with its last part."""
    out: list[TelegramMessage] = []
    for message in messages:
        parts = split_text(message.text) or ["…"]
        buttons = [b for b in (button(r) for r in message.buttons) if b is not None]
        keyboard = tuple((b,) for b in buttons[:MAX_BUTTONS])
        out += [TelegramMessage(p) for p in parts[:-1]]
        out.append(TelegramMessage(parts[-1], keyboard))
    return out
