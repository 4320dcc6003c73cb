"""Turns the engine's replies (message keys and values) into text in the voter's language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.engine.turn import Reply, Text
from bot.i18n.catalog import Catalogs
from bot.i18n.formats import Translator, format_param


@dataclass(frozen=True, slots=True)
class RenderedButton:
    """A button as a channel shows it."""

    label: str
    action: str | None = None
    url: str | None = None

    def as_json(self) -> dict[str, str]:
        """The chat API's form: `{"label", "action"}` or `{"label", "url"}`."""
        if self.url is not None:
            return {"label": self.label, "url": self.url}
        return {"label": self.label, "action": self.action or ""}


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A message as a channel shows it: plain text, paragraphs separated by a blank line."""

    text: str
    buttons: tuple[RenderedButton, ...] = ()

    def as_json(self) -> dict[str, object]:
        """The chat API's `Message`."""
        return {"text": self.text, "buttons": [b.as_json() for b in self.buttons]}


class _Values(dict[str, str]):
    """Formats a placeholder's value only when a text uses it."""

    def __init__(self, params: Mapping[str, object], t: Translator, locale: str) -> None:
        super().__init__()
        self._params, self._t, self._locale = params, t, locale

    def __missing__(self, name: str) -> str:
        value = format_param(self._params[name], self._t, self._locale)
        self[name] = value
        return value


def render_text(text: Text, catalogs: Catalogs, locale: str) -> str:
    """One message key in `locale`, its placeholders filled."""
    t = catalogs.translator(locale)
    template = t.gettext(text.key)
    if not text.params or "{" not in template:
        return template
    return template.format_map(_Values(text.params, t, locale))


def render(reply: Reply, catalogs: Catalogs, locale: str) -> RenderedMessage:
    """A reply in `locale`."""
    return RenderedMessage(
        text="\n\n".join(render_text(p, catalogs, locale) for p in reply.paragraphs),
        buttons=tuple(
            RenderedButton(render_text(b.label, catalogs, locale), b.action, b.url)
            for b in reply.buttons
        ),
    )
