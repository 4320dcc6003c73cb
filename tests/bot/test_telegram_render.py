"""Replies as Telegram messages: split under 4,096 characters, keyboards within the Bot API's bounds."""

from __future__ import annotations

from bot.channels.telegram.render import MAX_TEXT, split_text, telegram_messages
from bot.i18n.render import RenderedButton, RenderedMessage


def test_a_short_text_stays_whole() -> None:
    assert split_text("Bonjour.\n\nSuite.") == ["Bonjour.\n\nSuite."]


def test_a_long_text_is_cut_between_paragraphs() -> None:
    paragraphs = [f"Paragraphe {n} " + "x" * 1500 for n in range(6)]
    parts = split_text("\n\n".join(paragraphs))
    assert all(len(p) <= MAX_TEXT for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)
    assert all(p.startswith("Paragraphe") for p in parts)


def test_a_paragraph_longer_than_the_limit_is_cut_between_words() -> None:
    words = " ".join(["mot"] * 3000)
    parts = split_text(words)
    assert len(parts) == 3
    assert all(len(p) <= MAX_TEXT for p in parts)
    assert " ".join(parts) == words


def test_keyboard_goes_with_the_last_part_one_button_a_row() -> None:
    message = RenderedMessage(
        "a" * 3000 + "\n\n" + "b" * 3000,
        (
            RenderedButton("Menu", action="menu.start"),
            RenderedButton("Portail", url="https://example.org/"),
            RenderedButton("Trop long", action="x" * 65),
        ),
    )
    first, last = telegram_messages([message])
    assert first.reply_markup() is None
    assert last.reply_markup() == {
        "inline_keyboard": [
            [{"text": "Menu", "callback_data": "menu.start"}],
            [{"text": "Portail", "url": "https://example.org/"}],
        ]
    }
