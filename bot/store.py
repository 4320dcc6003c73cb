"""What the conversation service needs from storage (implemented in `backend/`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

Snapshot = Mapping[str, object]
"""A conversation's state as plain JSON-able data."""

Entry = Mapping[str, object]
"""A transcript line: `sender` ("voter", "bot"), `text`, `buttons`, `action`, `intent`..."""


class ConversationTx(Protocol):
    """One transaction on conversations: everything in it commits together or not at all."""

    async def create(
        self, channel: str, snapshot: Snapshot, status: str, locale: str, now: datetime
    ) -> str:
        """Stores a new conversation and returns its id."""
        ...

    async def load(self, conversation_id: str) -> Snapshot | None:
        """The conversation's state, locked until the transaction ends; None if unknown."""
        ...

    async def save(
        self, conversation_id: str, snapshot: Snapshot, status: str, locale: str, now: datetime
    ) -> None:
        """Replaces the conversation's state."""
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
