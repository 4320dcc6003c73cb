"""Conversations and transcripts in the database: the conversation service's store."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.db.batch import Write, fetch_first, write_and_commit
from backend.db.models import Conversation, ProcessedUpdate, TranscriptLine
from backend.db.time import utc
from backend.turn import Backend, TurnBackend

_conversations = cast(Table, Conversation.__table__)
_processed = cast(Table, ProcessedUpdate.__table__)
_lines = cast(Table, TranscriptLine.__table__)

# Statements built once, on the tables (not the ORM classes): SQLAlchemy keeps their compiled
# form and cache key, so a turn pays only for its parameters.
_FIND = select(_conversations.c.id).where(
    _conversations.c.channel == bindparam("p_channel"),
    _conversations.c.chat_key == bindparam("p_chat_key"),
)
_LOAD = (
    select(_conversations.c.snapshot)
    .where(_conversations.c.id == bindparam("p_id"))
    .with_for_update()
)
_LOAD_CHAT = (
    select(_conversations.c.id, _conversations.c.snapshot)
    .where(
        _conversations.c.channel == bindparam("p_channel"),
        _conversations.c.chat_key == bindparam("p_chat_key"),
    )
    .with_for_update()
)
_SAVE = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("p_id"))
    .values(
        snapshot=bindparam("p_snapshot"),
        status=bindparam("p_status"),
        locale=bindparam("p_locale"),
        updated_at=bindparam("p_now"),
    )
)
_CREATE = insert(_conversations)
_APPEND = insert(_lines)
_CLAIM = {
    "postgresql": postgresql.insert(_processed).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_processed).on_conflict_do_nothing(),
}


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
            _CREATE,
            {
                "id": conversation_id,
                "channel": channel,
                "chat_key": chat_key,
                "status": status,
                "locale": locale,
                "snapshot": dict(snapshot),
                "created_at": now,
                "updated_at": now,
            },
        )
        return conversation_id

    async def find(self, channel: str, chat_key: str) -> str | None:
        """The conversation of a channel's chat, if there is one."""
        return await self.connection.scalar(_FIND, {"p_channel": channel, "p_chat_key": chat_key})

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
        result = await self.connection.execute(_CLAIM[self.connection.dialect.name], values)
        return result.rowcount == 1

    async def load(self, conversation_id: str) -> Mapping[str, object] | None:
        """The conversation's state, its row locked (on PostgreSQL) until the transaction ends."""
        row = await fetch_first(self.connection, _LOAD, {"p_id": conversation_id})
        return None if row is None else dict(row[0])

    async def load_chat(
        self, channel: str, chat_key: str
    ) -> tuple[str, Mapping[str, object]] | None:
        """The conversation of a channel's chat and its state, locked like `load`'s."""
        parameters = {"p_channel": channel, "p_chat_key": chat_key}
        row = await fetch_first(self.connection, _LOAD_CHAT, parameters)
        return None if row is None else (row[0], dict(row[1]))

    async def finish(
        self,
        conversation_id: str,
        snapshot: Mapping[str, object],
        status: str,
        locale: str,
        now: datetime,
        entries: Sequence[Mapping[str, object]],
        update: tuple[str, str] | None = None,
    ) -> bool:
        """Ends the turn: claims `update` (channel, update key) if given, replaces the state,
        appends the transcript lines, commits. False, with everything rolled back, if the update
        was already claimed (a redelivery); the writes and the commit go in one trip to SQLite."""
        now = utc(now)
        writes = []
        if update is not None:
            channel, update_key = update
            claim = {
                "channel": channel,
                "update_key": update_key,
                "conversation_id": conversation_id,
                "processed_at": now,
            }
            writes.append(Write(_CLAIM[self.connection.dialect.name], [claim], required=True))
        state = {
            "p_id": conversation_id,
            "p_snapshot": dict(snapshot),
            "p_status": status,
            "p_locale": locale,
            "p_now": now,
        }
        writes.append(Write(_SAVE, [state], required=True))
        if entries:
            writes.append(Write(_APPEND, _lines_of(conversation_id, entries, now)))
        refused = await write_and_commit(self.connection, writes)
        if refused is None:
            return True
        if update is not None and refused == 0:
            return False
        raise LookupError(conversation_id)

    async def append(
        self, conversation_id: str, entries: Sequence[Mapping[str, object]], now: datetime
    ) -> None:
        """Adds lines to the transcript, in order."""
        if entries:
            await self.connection.execute(_APPEND, _lines_of(conversation_id, entries, utc(now)))

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
    """Opens a transaction per turn (SQLAlchemy Core: no ORM overhead).

    On PostgreSQL each turn takes a pooled connection and locks its conversation's row. SQLite
    lets one writer in at a time: the process's turns take their transaction one after the other
    (an asyncio lock, cheaper than SQLite's busy handler, which sleeps 1 to 100 ms before trying
    again) on one connection kept open for them (taking one from the pool and giving it back
    costs more than the turn's own statements)."""

    def __init__(self, engine: AsyncEngine, backend: Backend) -> None:
        self.engine = engine
        self.backend = backend
        self._writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._kept: AsyncConnection | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlConversationTx]:
        """Commits when the block ends without error, rolls back otherwise."""
        if self._writer is None:
            async with self.engine.begin() as connection:
                yield SqlConversationTx(connection, self.backend)
            return
        async with self._writer:
            if self._kept is None:
                self._kept = await self.engine.connect()
            kept = self._kept
            try:
                yield SqlConversationTx(kept, self.backend)
            except BaseException:
                if kept.in_transaction():
                    await kept.rollback()
                raise
            else:
                # The turn's own reads and writes went to SQLite directly (`backend.db.batch`),
                # which commits them; what went through SQLAlchemy opened its transaction.
                if kept.in_transaction():
                    await kept.commit()
            finally:
                if kept.invalidated:  # lost (a database error): a fresh one next time
                    await self._release()

    async def _release(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            with contextlib.suppress(Exception):
                await kept.close()

    async def close(self) -> None:
        """Gives the kept connection back (at shutdown, before the engine is disposed)."""
        if self._writer is None:
            return
        async with self._writer:
            await self._release()


def _lines_of(
    conversation_id: str, entries: Sequence[Mapping[str, object]], now: datetime
) -> list[dict[str, object]]:
    return [
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
    ]


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
