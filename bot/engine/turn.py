"""What goes into a turn and what comes out: state, events, context, replies and effects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.election import Election

Status = Literal["bot", "waiting_agent", "agent"]


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Where a conversation stands between two turns."""

    state: str
    locale: str
    locale_chosen: bool = False
    flows_version: str | None = None
    misses: int = 0
    status: Status = "bot"


@dataclass(frozen=True, slots=True)
class Understood:
    """What the understander made of a typed text."""

    intent: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Start:
    """A new conversation (or `/start`): the welcome."""

    client_locale: str | None = None
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """A typed command such as `/menu` or `/langue en`."""

    name: str
    arg: str = ""
    client_locale: str | None = None


@dataclass(frozen=True, slots=True)
class Click:
    """A button's action sent back."""

    action: str
    client_locale: str | None = None


@dataclass(frozen=True, slots=True)
class Typed:
    """Free text, with what the understander made of it (None when not asked)."""

    text: str
    understood: Understood | None = None
    client_locale: str | None = None


Event = Start | Command | Click | Typed


@dataclass(frozen=True, slots=True)
class TurnContext:
    """What a turn may know of the world: the time, the calendar, the texts' labels."""

    now: datetime
    election: Election
    labels: Mapping[str, Mapping[str, object]]
    """Per locale, message key to text: to recognise a typed button label."""
    threshold: float = 0.5


@dataclass(frozen=True, slots=True)
class Text:
    """A message key and the values of its placeholders."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReplyButton:
    """A button of a reply: an action to send back, or an address to open."""

    label: Text
    action: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message of the assistant: paragraphs and the next steps."""

    paragraphs: tuple[Text, ...]
    buttons: tuple[ReplyButton, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueForAgent:
    """Hand the conversation to a helpdesk agent."""

    reason: str


@dataclass(frozen=True, slots=True)
class LeaveAgentQueue:
    """The voter went back to the assistant before an agent took the conversation."""


Effect = QueueForAgent | LeaveAgentQueue


@dataclass(frozen=True, slots=True)
class TurnResult:
    """The outcome of one turn: the new state, what to answer, what the backend must do."""

    state: ConversationState
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    understood: Understood | None = None


class UnknownAction(ValueError):
    """A button action that no flow defines."""
