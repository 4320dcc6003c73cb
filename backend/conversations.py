"""Conversations and transcripts in the database: the conversation service's store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db.models import Conversation, TranscriptLine


class SqlConversationTx:
    """Conversation operations inside one database transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self, channel: str, snapshot: Mapping[str, object], status: str, locale: str, now: datetime
    ) -> str:
        """Stores a new conversation and returns its id (a random UUID)."""
        conversation_id = str(uuid.uuid4())
        self.session.add(
            Conversation(
                id=conversation_id,
                channel=channel,
                status=status,
                locale=locale,
                snapshot=dict(snapshot),
                created_at=now,
                updated_at=now,
            )
        )
        await self.session.flush()
        return conversation_id

    async def load(self, conversation_id: str) -> Mapping[str, object] | None:
        """The conversation's state, its row locked (on PostgreSQL) until the transaction ends."""
        row = await self.session.scalar(
            select(Conversation).where(Conversation.id == conversation_id).with_for_update()
        )
        return None if row is None else dict(row.snapshot)

    async def save(
        self,
        conversation_id: str,
        snapshot: Mapping[str, object],
        status: str,
        locale: str,
        now: datetime,
    ) -> None:
        """Replaces the conversation's state."""
        row = await self.session.get(Conversation, conversation_id)
        if row is None:
            raise LookupError(conversation_id)
        row.snapshot = dict(snapshot)
        row.status = status
        row.locale = locale
        row.updated_at = now

    async def append(
        self, conversation_id: str, entries: Sequence[Mapping[str, object]], now: datetime
    ) -> None:
        """Adds lines to the transcript, in order."""
        for entry in entries:
            self.session.add(
                TranscriptLine(
                    conversation_id=conversation_id,
                    sender=str(entry["sender"]),
                    text=str(entry.get("text") or ""),
                    action=_opt_str(entry.get("action")),
                    buttons=entry.get("buttons"),
                    intent=_opt_str(entry.get("intent")),
                    confidence=_opt_float(entry.get("confidence")),
                    created_at=now,
                )
            )
        await self.session.flush()

    async def transcript(self, conversation_id: str) -> list[dict[str, object]]:
        """The transcript, oldest first."""
        rows = await self.session.scalars(
            select(TranscriptLine)
            .where(TranscriptLine.conversation_id == conversation_id)
            .order_by(TranscriptLine.id)
        )
        return [
            {
                "sender": r.sender,
                "text": r.text,
                "buttons": r.buttons or [],
                "action": r.action,
                "intent": r.intent,
                "confidence": r.confidence,
                "created_at": r.created_at,
            }
            for r in rows
        ]


class SqlConversationStore:
    """Opens a session and a transaction per turn."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlConversationTx]:
        """Commits when the block ends without error, rolls back otherwise."""
        async with self.sessions.begin() as session:
            yield SqlConversationTx(session)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
