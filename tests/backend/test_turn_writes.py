"""The end of a turn (claim the update, save the state, append the transcript, commit), on SQLite
in one trip to aiosqlite's thread and on PostgreSQL statement by statement: the same rows."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import engine as async_engine

from backend.conversations import SqlConversationStore, SqlConversationTx
from backend.db import sqlite
from backend.db.models import Conversation, ProcessedUpdate, TranscriptLine
from backend.db.time import aware
from backend.turn import Backend
from tests.backend.conftest import NOW

LATER = NOW.replace(hour=11)
RUN = uuid.uuid4().hex[:8]
"""Update keys are the database's for the whole session: this file's are its own."""
SNAPSHOT = {"state": "menu.start", "locale": "fr", "misses": 0, "channel": "telegram"}
ENTRIES: list[dict[str, object]] = [
    {"sender": "voter", "text": "j'ai perdu ma notice", "intent": "reassort", "confidence": 0.93},
    {"sender": "bot", "text": "Voici…", "buttons": [{"label": "Menu", "action": "menu.start"}]},
    {"sender": "voter", "text": "Menu", "action": "menu.start"},
]


async def _open(engine: AsyncEngine, chat_key: str) -> str:
    async with engine.begin() as connection:
        tx = SqlConversationTx(connection, cast(Backend, None))  # no backend call here
        return await tx.create("telegram", SNAPSHOT, "bot", "fr", NOW, chat_key)


async def _finish(
    engine: AsyncEngine, conversation_id: str, update: str | None, before: bool = True
) -> bool:
    """Ends a turn that wrote a line before its end (as a turn asking for a code writes)."""
    async with engine.begin() as connection:
        tx = SqlConversationTx(connection, cast(Backend, None))
        if before:
            await tx.append(conversation_id, [{"sender": "bot", "text": "written before"}], LATER)
        return await tx.finish(
            conversation_id,
            {**SNAPSHOT, "state": "reassort.start", "misses": 1},
            "waiting_agent",
            "en",
            LATER,
            ENTRIES,
            update=None if update is None else ("telegram", update),
        )


async def _rows(engine: AsyncEngine, conversation_id: str) -> dict[str, Any]:
    async with engine.connect() as connection:
        conversation = (
            await connection.execute(select(Conversation).where(Conversation.id == conversation_id))
        ).one()
        lines = (
            await connection.execute(
                select(TranscriptLine)
                .where(TranscriptLine.conversation_id == conversation_id)
                .order_by(TranscriptLine.id)
            )
        ).all()
        claims = (
            await connection.execute(
                select(ProcessedUpdate.update_key).where(
                    ProcessedUpdate.conversation_id == conversation_id
                )
            )
        ).all()
    return {"conversation": conversation, "lines": lines, "claims": [c[0] for c in claims]}


async def test_a_turn_ends_with_its_update_claimed_state_saved_and_lines_added(
    engine: AsyncEngine,
) -> None:
    conversation_id = await _open(engine, "chat-finish-1")
    assert await _finish(engine, conversation_id, f"1001-{RUN}")
    rows = await _rows(engine, conversation_id)
    conversation = rows["conversation"]
    assert conversation.snapshot["state"] == "reassort.start"
    assert conversation.snapshot["misses"] == 1
    assert (conversation.status, conversation.locale) == ("waiting_agent", "en")
    assert aware(conversation.updated_at) == LATER
    assert rows["claims"] == [f"1001-{RUN}"]
    lines = rows["lines"]
    assert [line.text for line in lines] == [
        "written before",
        "j'ai perdu ma notice",
        "Voici…",
        "Menu",
    ]
    assert lines[1].intent == "reassort"
    assert lines[1].confidence == pytest.approx(0.93)
    assert lines[2].buttons == [{"label": "Menu", "action": "menu.start"}]
    assert lines[3].action == "menu.start"
    assert lines[1].buttons is None and lines[3].intent is None
    assert all(aware(line.created_at) == LATER for line in lines)


async def test_a_redelivered_update_rolls_the_whole_turn_back(engine: AsyncEngine) -> None:
    conversation_id = await _open(engine, "chat-finish-2")
    assert await _finish(engine, conversation_id, f"2002-{RUN}")
    before = await _rows(engine, conversation_id)
    assert not await _finish(engine, conversation_id, f"2002-{RUN}")
    after = await _rows(engine, conversation_id)
    assert after["lines"] == before["lines"]  # not even the line written before the end
    assert after["conversation"] == before["conversation"]
    assert after["claims"] == [f"2002-{RUN}"]


async def test_a_turn_without_update_key_is_not_claimed(engine: AsyncEngine) -> None:
    conversation_id = await _open(engine, "chat-finish-3")
    assert await _finish(engine, conversation_id, None)
    assert await _finish(engine, conversation_id, None)
    rows = await _rows(engine, conversation_id)
    assert rows["claims"] == []
    assert len(rows["lines"]) == 2 * (1 + len(ENTRIES))


async def test_a_vanished_conversation_is_an_error_and_nothing_is_kept(
    engine: AsyncEngine,
) -> None:
    with pytest.raises(LookupError):
        await _finish(engine, "00000000-0000-0000-0000-000000000000", f"3003-{RUN}", before=False)
    async with engine.connect() as connection:
        claimed = await connection.scalar(
            select(ProcessedUpdate.update_key).where(ProcessedUpdate.update_key == f"3003-{RUN}")
        )
    assert claimed is None


async def test_on_sqlite_the_end_of_a_turn_is_one_trip(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL runs the statements one by one: nothing to count here
    conversation_id = await _open(engine, "chat-finish-4")
    trips: list[str] = []
    original = sqlite.OneTripConnection._execute

    async def counted(connection: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(function, "__name__", repr(function)))
        return await original(connection, function, *args, **kwargs)

    monkeypatch.setattr(sqlite.OneTripConnection, "_execute", counted)
    assert await _finish(engine, conversation_id, f"4004-{RUN}")
    assert trips == ["_execute", "_write_all"]  # the append before the end, then the end


async def test_the_stores_transaction_commits_at_its_end_and_rolls_back_on_error(
    engine: AsyncEngine,
) -> None:
    store = SqlConversationStore(engine, cast(Backend, None))
    conversation_id = await _open(engine, "chat-finish-5")

    async def failing_turn() -> None:
        async with store.transaction() as tx:
            await tx.append(conversation_id, [{"sender": "bot", "text": "lost"}], LATER)
            raise RuntimeError("the turn failed")

    try:
        async with store.transaction() as tx:
            await tx.append(conversation_id, [{"sender": "bot", "text": "kept"}], LATER)
        with pytest.raises(RuntimeError):
            await failing_turn()
        async with store.transaction() as tx:  # the connection goes on serving turns
            assert await tx.finish(conversation_id, SNAPSHOT, "bot", "fr", LATER, ENTRIES)
    finally:
        await store.close()
    texts = [line.text for line in (await _rows(engine, conversation_id))["lines"]]
    assert texts == ["kept", *(str(entry["text"]) for entry in ENTRIES)]


async def test_on_sqlite_a_turn_skips_sqlalchemys_async_bridge(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        return  # asyncpg is reached through the bridge, as SQLAlchemy means it to be
    store = SqlConversationStore(engine, cast(Backend, None))
    conversation_id = await _open(engine, "chat-finish-6")
    async with store.transaction():  # the kept connection opened outside the count
        pass
    spawned: list[str] = []
    original = async_engine.greenlet_spawn

    async def counted(function: Any, *args: Any, **kwargs: Any) -> Any:
        spawned.append(getattr(function, "__name__", repr(function)))
        return await original(function, *args, **kwargs)

    monkeypatch.setattr(async_engine, "greenlet_spawn", counted)
    try:
        async with store.transaction() as tx:
            found = await tx.load_chat("telegram", "chat-finish-6")
            assert found is not None and found[0] == conversation_id
            assert await tx.finish(conversation_id, SNAPSHOT, "bot", "fr", LATER, ENTRIES)
        assert spawned == []
    finally:
        await store.close()
