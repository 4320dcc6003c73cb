"""What goes into a turn and what comes out: state, events, context, replies and effects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

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
    expecting: str | None = None
    """What the conversation waits for: `email_for_code`, `email_for_link` or `code`."""
    voter_id: int | None = None
    """The voter who proved their address in this conversation."""
    verified_until: str | None = None
    """Until when that proof holds (ISO 8601, UTC)."""
    after_verify: str | None = None
    """The state the voter asked for before being asked to prove their address."""
    offered_address: str | None = None
    """An address the voter wrote in passing, offered for the proof of address."""


class BallotView(Protocol):
    """A ballot as the engine shows it."""

    @property
    def name(self) -> str: ...
    @property
    def elsewhere(self) -> bool: ...


class VoterView(Protocol):
    """What the engine may show a voter who proved their address."""

    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...
    @property
    def first_name(self) -> str: ...
    @property
    def activated(self) -> bool: ...
    @property
    def ballots(self) -> Sequence[BallotView]: ...


@dataclass(frozen=True, slots=True)
class BallotList:
    """A voter's ballots, as a placeholder's value: (name, voted elsewhere) pairs."""

    items: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class Entity:
    """Something found in a typed text: an e-mail address, a date, a ballot's name."""

    kind: Literal["email", "date", "ballot"]
    value: str


@dataclass(frozen=True, slots=True)
class Understood:
    """What the understander made of a typed text.

    `intent` is the reported intent; `detail` a finer intent that maps onto it (the flows may
    route by either); `ranking` the likeliest (finer) intents with their confidence, best first;
    `language` the language the text is written in, when sure enough."""

    intent: str
    confidence: float
    detail: str | None = None
    ranking: tuple[tuple[str, float], ...] = ()
    language: str | None = None
    entities: tuple[Entity, ...] = ()

    @property
    def route(self) -> str:
        """The intent the flows are looked up with: the finer one when there is one."""
        return self.detail or self.intent


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


@dataclass(frozen=True, slots=True)
class SecretShared:
    """The guard found a secret in the voter's message (masked before anything else saw it)."""

    kinds: tuple[str, ...]
    client_locale: str | None = None


@dataclass(frozen=True, slots=True)
class IdentityStarted:
    """The backend's answer to an address typed at the prompt (same for any address)."""

    status: Literal["sent", "rate_limited"]
    client_locale: str | None = None


@dataclass(frozen=True, slots=True)
class CodeChecked:
    """The backend's verdict on a typed one-time code."""

    status: Literal["verified", "wrong", "locked", "expired"]
    attempts_left: int = 0
    client_locale: str | None = None


@dataclass(frozen=True, slots=True)
class LinkRequested:
    """The backend's answer to a request for a new activation link (same for any address)."""

    status: Literal["sent", "rate_limited"]
    client_locale: str | None = None


Event = (
    Start | Command | Click | Typed | SecretShared | IdentityStarted | CodeChecked | LinkRequested
)


@dataclass(frozen=True, slots=True)
class TurnContext:
    """What a turn may know of the world: the time, the calendar, the texts' labels."""

    now: datetime
    election: Election
    labels: Mapping[str, Mapping[str, object]]
    """Per locale, message key to text: to recognise a typed button label."""
    threshold: float = 0.5
    """From this confidence on, a typed question opens its topic."""
    clarify_threshold: float = 0.25
    """From this confidence on (and below `threshold`), the likeliest topics are offered."""
    prompt_threshold: float = 0.8
    """At a prompt (an address, a code), a typed question leaves it only from this confidence."""
    voter: VoterView | None = None
    """The voter whose proof holds now, loaded by the shell; None if none."""
    binding_ttl: timedelta = timedelta(minutes=30)


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
    handoff: str | None = None
    """A secure step's purpose: the shell puts a fresh single-use link in `url`."""


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


@dataclass(frozen=True, slots=True)
class SendActivationLink:
    """Mail a new activation link to the verified voter's professional address."""

    voter_id: int


Effect = QueueForAgent | LeaveAgentQueue | SendActivationLink


@dataclass(frozen=True, slots=True)
class TurnResult:
    """The outcome of one turn: the new state, what to answer, what the backend must do."""

    state: ConversationState
    replies: tuple[Reply, ...]
    effects: tuple[Effect, ...] = ()
    understood: Understood | None = None


class UnknownAction(ValueError):
    """A button action that no flow defines."""
