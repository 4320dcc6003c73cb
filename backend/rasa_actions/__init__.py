"""Rasa assistants on the backend: custom actions served by a rasa-sdk action server.

This module holds the ports the actions are written against; `actions` holds the actions,
`server` the database side of the ports, the executor (actions registered one by one) and the
Sanic app. `bot/rasa.py` builds the ports from the assistant's services: nothing here imports
`bot/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Status = Literal["sent", "rate_limited"]
"""What a request for a code or a link gives: the same for a registered and an unknown address."""


@dataclass(frozen=True, slots=True)
class Screened:
    """What the guard found in a text: the kinds of secret it holds, and the text masked."""

    kinds: tuple[str, ...]
    masked: str


@dataclass(frozen=True, slots=True)
class Dates:
    """The vote's opening and closing, written for a voter in one language."""

    vote_opens: str
    vote_closes: str


class AssistantPort(Protocol):
    """The assistant's side: languages, texts, the election calendar, the guard, addresses."""

    def locale(self, tag: object) -> str:
        """A language the assistant speaks for a slot's value (French by default)."""
        ...

    def text(self, key: str, locale: str, now: datetime, **params: object) -> str:
        """A catalogue text, its placeholders filled from the calendar at `now` and `params`."""
        ...

    def phase(self, now: datetime) -> str:
        """The election's phase: before_activation, activation_open, vote_open, vote_closed."""
        ...

    def dates(self, locale: str, now: datetime) -> Dates:
        """The vote's opening and closing, formatted in `locale`."""
        ...

    def screen(self, text: str, *, expecting_code: bool) -> Screened:
        """The guard's verdict on a voter's text, before anything else reads it."""
        ...

    def find_address(self, text: str) -> str | None:
        """The first plausible professional address in `text`, normalised, or None."""
        ...


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """A typed code's outcome; the voter's first name only once verified."""

    status: Literal["verified", "wrong", "locked", "expired"]
    attempts_left: int = 0
    first_name: str = ""
    activated: bool = False
    verified_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Proof:
    """A conversation's live proof of identity, as the backend records it (never a slot)."""

    voter_id: int
    activated: bool
    verified_until: datetime


class BackendPort(Protocol):
    """The backend's side: each call is one transaction; mails leave once it has committed."""

    async def start_identity(
        self, conversation_id: str, address: str, locale: str, now: datetime
    ) -> Status:
        """Starts a code challenge for `address`; mails the code only if it is registered."""
        ...

    async def request_activation_link(
        self, conversation_id: str, address: str, locale: str, now: datetime
    ) -> Status:
        """Counts a request for a new activation link; mails it only if `address` is registered."""
        ...

    async def check_code(self, conversation_id: str, code: str, now: datetime) -> CodeCheck:
        """Checks a typed code against the conversation's pending challenge."""
        ...

    async def proof(self, conversation_id: str, now: datetime) -> Proof | None:
        """The voter this conversation proved, while the proof holds; None otherwise."""
        ...

    async def handoff_url(
        self, proof: Proof, purpose: str, conversation_id: str, now: datetime
    ) -> str:
        """A fresh single-use link to the secure step for `purpose`."""
        ...

    async def request_human(self, conversation_id: str, now: datetime) -> None:
        """Records that the voter asks for a person."""
        ...


@dataclass(frozen=True, slots=True)
class Ports:
    """Everything the actions use: the assistant's side, the backend's, and the clock."""

    assistant: AssistantPort
    backend: BackendPort
    clock: Callable[[], datetime]
