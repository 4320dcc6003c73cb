"""Conversations and transcripts in the database: the conversation service's store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.db.models import Conversation, ProcessedUpdate, TranscriptLine
from backend.db.time import utc
from backend.turn import Backend, TurnBackend


class SqlConversationTx:
    """Conversation operations inside one database transaction."""

    def __init__(self, connection: AsyncConnection, backend: Backend) -> None:
        self.connection = connection
        self.backend = TurnBackend(backend, connection)

    async def create(
        self,
        channel: str,
        snapshot: Mapping[str, object],
        status: str,
        locale: str,
        now: datetime,
        chat_key: str | None = None,
    ) -> str:
        """Stores a new conversation and returns its id (a random UUID)."""
        conversation_id = str(uuid.uuid4())
        now = utc(now)
        await self.connection.execute(
            insert(Conversation).values(
                id=conversation_id,
                channel=channel,
                chat_key=chat_key,
                status=status,
                locale=locale,
                snapshot=dict(snapshot),
                created_at=now,
                updated_at=now,
            )
        )
        return conversation_id

    async def find(self, channel: str, chat_key: str) -> str | None:
        """The conversation of a channel's chat, if there is one."""
        return await self.connection.scalar(
            select(Conversation.id).where(
                Conversation.channel == channel, Conversation.chat_key == chat_key
            )
        )

    async def claim_update(
        self, channel: str, update_key: str, conversation_id: str, now: datetime
    ) -> bool:
        """Records an update as processed; False if it already was (a redelivery)."""
        values = {
            "channel": channel,
            "update_key": update_key,
            "conversation_id": conversation_id,
            "processed_at": utc(now),
        }
        dialect = self.connection.dialect.name
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        result = await self.connection.execute(
            insert_(ProcessedUpdate).values(**values).on_conflict_do_nothing()
        )
        return result.rowcount == 1

    async def load(self, conversation_id: str) -> Mapping[str, object] | None:
        """The conversation's state, its row locked (on PostgreSQL) until the transaction ends."""
        snapshot = await self.connection.scalar(
            select(Conversation.snapshot)
            .where(Conversation.id == conversation_id)
            .with_for_update()
        )
        return None if snapshot is None else dict(snapshot)

    async def save(
        self,
        conversation_id: str,
        snapshot: Mapping[str, object],
        status: str,
        locale: str,
        now: datetime,
    ) -> None:
        """Replaces the conversation's state."""
        now = utc(now)
        result = await self.connection.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(snapshot=dict(snapshot), status=status, locale=locale, updated_at=now)
        )
        if result.rowcount != 1:
            raise LookupError(conversation_id)

    async def append(
        self, conversation_id: str, entries: Sequence[Mapping[str, object]], now: datetime
    ) -> None:
        """Adds lines to the transcript, in order."""
        if not entries:
            return
        now = utc(now)
        await self.connection.execute(
            insert(TranscriptLine),
            [
                {
                    "conversation_id": conversation_id,
                    "sender": str(entry["sender"]),
                    "text": str(entry.get("text") or ""),
                    "action": _opt_str(entry.get("action")),
                    "buttons": entry.get("buttons"),
                    "intent": _opt_str(entry.get("intent")),
                    "confidence": _opt_float(entry.get("confidence")),
                    "created_at": now,
                }
                for entry in entries
            ],
        )

    async def transcript(self, conversation_id: str) -> list[dict[str, object]]:
        """The transcript, oldest first."""
        rows = await self.connection.execute(
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
    """Opens a connection and a transaction per turn (SQLAlchemy Core: no ORM overhead)."""

    def __init__(self, engine: AsyncEngine, backend: Backend) -> None:
        self.engine = engine
        self.backend = backend

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlConversationTx]:
        """Commits when the block ends without error, rolls back otherwise."""
        async with self.engine.begin() as connection:
            yield SqlConversationTx(connection, self.backend)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
