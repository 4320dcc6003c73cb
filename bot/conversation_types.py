"""What the conversation service takes and gives: a voter's message, a turn's outcome, and the
requests it refuses (each with a `code` for the chat API and a polite answer in the channels)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.turn import Status, Understood
from bot.i18n.render import RenderedMessage

MAX_TEXT = 4000


class ConversationError(Exception):
    """A request the service refuses; `code` names it for the API, nothing secret in it."""

    code = "bad_request"
    message = "The request cannot be handled."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class ConversationNotFound(ConversationError):
    """No conversation has this id."""

    code = "conversation_not_found"
    message = "No conversation has this id."


class EmptyText(ConversationError):
    """The message has no text."""

    code = "empty_text"
    message = "The message is empty."


class TextTooLong(ConversationError):
    """The message is over the length limit."""

    code = "text_too_long"
    message = f"The message is longer than {MAX_TEXT} characters."


class UnknownActionError(ConversationError):
    """The button action is not one the assistant offers."""

    code = "unknown_action"
    message = "This button action does not exist."


class UnknownLocale(ConversationError):
    """The language is not one the assistant speaks."""

    code = "unknown_locale"
    message = "This language is not available."


@dataclass(frozen=True, slots=True)
class Inbound:
    """A voter's message from any channel: typed text or a button's action."""

    text: str | None = None
    action: str | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a channel shows after a turn."""

    conversation_id: str
    messages: tuple[RenderedMessage, ...]
    understood: Understood | None
    status: Status
    locale: str
    duplicate: bool = False
    """The update was already processed (a redelivery): nothing was stored, nothing to send."""
