"""The terminal chat: the same conversation service, read from and written to a terminal."""

from __future__ import annotations

from typing import TextIO

from bot.conversations import ConversationError, Inbound, Outcome
from bot.i18n.render import RenderedButton
from bot.settings import Settings
from bot.wiring import open_conversations


def _show(outcome: Outcome, out: TextIO) -> list[RenderedButton]:
    buttons: list[RenderedButton] = []
    for message in outcome.messages:
        out.write(f"\n{message.text}\n")
        for button in message.buttons:
            buttons.append(button)
            target = f"  ({button.url})" if button.url else ""
            out.write(f"  [{len(buttons)}] {button.label}{target}\n")
    out.flush()
    return buttons


async def run_chat(settings: Settings, locale: str | None, inp: TextIO, out: TextIO) -> int:
    """Chats until end of input or `/quit`; a number presses that button."""
    async with open_conversations(settings) as conversations:
        outcome = await conversations.start("cli", locale)
        buttons = _show(outcome, out)
        while True:
            out.write("\n> ")
            out.flush()
            line = inp.readline()
            if not line or line.strip() in ("/quit", "/exit"):
                out.write("\n")
                return 0
            text = line.strip()
            inbound = Inbound(text=text)
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                chosen = buttons[int(text) - 1]
                if chosen.url:
                    out.write(f"(open {chosen.url} in your browser)\n")
                    continue
                inbound = Inbound(action=chosen.action)
            try:
                outcome = await conversations.handle(outcome.conversation_id, inbound)
            except ConversationError as exc:
                out.write(f"({exc.message})\n")
                continue
            buttons = _show(outcome, out)
