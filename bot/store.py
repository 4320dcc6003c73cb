"""What the conversation service needs from storage (implemented in `backend/`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Literal, Protocol

from bot.engine.turn import VoterView

Snapshot = Mapping[str, object]
"""A conversation's state as plain JSON-able data."""

Entry = Mapping[str, object]
"""A transcript line: `sender` ("voter", "bot"), `text`, `buttons`, `action`, `intent`..."""


VoterInfo = VoterView
"""A registered voter as the backend gives it (shown only to its verified owner)."""


class StartedInfo(Protocol):
    """A code challenge started: `code` to mail, None when nothing may be sent."""

    @property
    def status(self) -> Literal["sent", "rate_limited"]: ...
    @property
    def code(self) -> str | None: ...


class CheckedInfo(Protocol):
    """A typed code's verdict."""

    @property
    def status(self) -> Literal["verified", "wrong", "locked", "expired"]: ...
    @property
    def voter_id(self) -> int | None: ...
    @property
    def attempts_left(self) -> int: ...


class LinkInfo(Protocol):
    """A request for a new activation link: `voter` to mail after commit, or None."""

    @property
    def status(self) -> Literal["sent", "rate_limited"]: ...
    @property
    def voter(self) -> VoterInfo | None: ...


class TurnServices(Protocol):
    """Identity, hand-off and platform operations inside the turn's transaction."""

    async def voter(self, voter_id: int) -> VoterInfo | None:
        """A voter by id."""
        ...

    async def start_identity(
        self, conversation_id: str, address: str, channel: str, now: datetime
    ) -> StartedInfo:
        """Starts a code challenge for a normalised address."""
        ...

    async def check_code(
        self, conversation_id: str, code: str, channel: str, now: datetime
    ) -> CheckedInfo:
        """Checks a typed code."""
        ...

    async def request_activation_link(
        self, conversation_id: str, address: str, channel: str, now: datetime
    ) -> LinkInfo:
        """Counts a request for a new activation link."""
        ...

    async def handoff_url(
        self, voter_id: int, purpose: str, conversation_id: str, channel: str, now: datetime
    ) -> str:
        """A fresh single-use link to a secure step."""
        ...


class ConversationTx(Protocol):
    """One transaction on conversations: everything in it commits together or not at all."""

    @property
    def backend(self) -> TurnServices:
        """Identity, hand-off and platform operations in this transaction."""
        ...

    async def create(
        self,
        channel: str,
        snapshot: Snapshot,
        status: str,
        locale: str,
        now: datetime,
        chat_key: str | None = None,
    ) -> str:
        """Stores a new conversation (of a channel's chat, if given) and returns its id."""
        ...

    async def find(self, channel: str, chat_key: str) -> str | None:
        """The conversation of a channel's chat, if there is one."""
        ...

    async def claim_update(
        self, channel: str, update_key: str, conversation_id: str, now: datetime
    ) -> bool:
        """Records an update as processed, in this transaction; False if it already was."""
        ...

    async def load(self, conversation_id: str) -> Snapshot | None:
        """The conversation's state, locked until the transaction ends; None if unknown."""
        ...

    async def load_chat(self, channel: str, chat_key: str) -> tuple[str, Snapshot] | None:
        """The conversation of a channel's chat and its state, locked like `load`'s."""
        ...

    async def finish(
        self,
        conversation_id: str,
        snapshot: Snapshot,
        status: str,
        locale: str,
        now: datetime,
        entries: Sequence[Entry],
        update: tuple[str, str] | None = None,
    ) -> bool:
        """Claims `update` (channel, update key), replaces the state, appends the transcript
        lines and commits; False, everything rolled back, if the update was already claimed."""
        ...

    async def append(self, conversation_id: str, entries: Sequence[Entry], now: datetime) -> None:
        """Adds lines to the transcript, in order."""
        ...

    async def transcript(self, conversation_id: str) -> list[dict[str, object]]:
        """The transcript, oldest first."""
        ...


class ConversationStore(Protocol):
    """Opens transactions on conversations."""

    def transaction(self) -> AbstractAsyncContextManager[ConversationTx]:
        """A transaction that commits when the block ends without error."""
        ...

    async def close(self) -> None:
        """Releases what the store keeps open."""
        ...
