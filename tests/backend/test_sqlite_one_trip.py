"""The SQLite engine's aiosqlite connection: one call per statement, run on the
event loop (a locked database waited for in its thread), and the
same results, errors and transactions as SQLAlchemy's own aiosqlite adapter."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db import sqlite
from backend.db.engine import create_engine

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), unique=True, nullable=False),
)


class TripCounter:
    """Counts the calls sent to aiosqlite connections' threads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.trips = 0
        original = sqlite.OneTripConnection._execute

        async def counted(connection: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
            self.trips += 1
            return await original(connection, function, *args, **kwargs)

        monkeypatch.setattr(sqlite.OneTripConnection, "_execute", counted)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/one-trip.db")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_each_statement_is_one_trip_and_commit_another(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as warm:  # the pool opens its connection outside the count
        await warm.execute(text("SELECT 1"))
    counter = TripCounter(monkeypatch)
    async with engine.begin() as connection:
        await connection.execute(insert(items), {"name": "a"})
        names = (await connection.execute(select(items.c.name))).scalars().all()
        await connection.execute(insert(items), [{"name": "b"}, {"name": "c"}])
    assert names == ["a"]
    assert counter.trips == 4  # insert, select, insert many, commit; no cursor opened or closed


async def test_a_read_only_connection_costs_no_commit_or_rollback_trip(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.connect() as warm:
        await warm.execute(text("SELECT 1"))
    counter = TripCounter(monkeypatch)
    async with engine.connect() as connection:
        assert (await connection.scalar(select(items.c.id))) is None
    assert counter.trips == 1  # the select; the pool's rollback on return stays on the loop


async def test_rows_rowcount_and_lastrowid_are_those_of_the_statement(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as connection:
        first = await connection.execute(insert(items), {"name": "first"})
        await connection.execute(insert(items), [{"name": f"n{i}"} for i in range(5)])
        changed = await connection.execute(
            update(items).where(items.c.name.like("n%")).values(name=items.c.name + "!")
        )
        result = await connection.execute(select(items.c.id, items.c.name).order_by(items.c.id))
        assert result.keys() == ["id", "name"]
        rows = result.all()
    assert first.inserted_primary_key == (1,)
    assert changed.rowcount == 5
    assert [name for _, name in rows] == ["first", "n0!", "n1!", "n2!", "n3!", "n4!"]


async def test_partial_fetches_serve_the_rows_in_order(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items), [{"name": f"r{i}"} for i in range(7)])
        result = await connection.execute(select(items.c.name).order_by(items.c.id))
        assert result.fetchone() == ("r0",)
        assert result.fetchmany(2) == [("r1",), ("r2",)]
        assert result.fetchall() == [("r3",), ("r4",), ("r5",), ("r6",)]
        assert result.fetchone() is None


async def test_an_error_rolls_the_transaction_back(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(items), {"name": "kept"})

    async def insert_twice() -> None:
        async with engine.begin() as connection:
            await connection.execute(insert(items), {"name": "lost"})
            await connection.execute(insert(items), {"name": "kept"})  # unique: refused

    with pytest.raises(IntegrityError):
        await insert_twice()
    async with engine.connect() as connection:
        names = (await connection.execute(select(items.c.name))).scalars().all()
    assert names == ["kept"]


async def test_concurrent_transactions_each_commit_whole(engine: AsyncEngine) -> None:
    async def write(n: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(insert(items), {"name": f"t{n}-a"})
            await asyncio.sleep(0)
            await connection.execute(insert(items), {"name": f"t{n}-b"})

    await asyncio.gather(*(write(n) for n in range(8)))
    async with engine.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM items"))
    assert count == 16


async def test_statements_run_on_the_event_loop_thread(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, sqlite.OneTripConnection)
        driver._conn.create_function("thread_ident", 0, threading.get_ident)
        ident = await connection.scalar(text("SELECT thread_ident()"))
    assert ident == threading.get_ident()


class Ticker:
    """Counts the event loop's turns while it runs: proof that the loop was not blocked."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self.ticks += 1

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def items_database(path: Path) -> Path:
    """A database file with the items table, in WAL mode, made without the project's code."""
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
        setup.execute("PRAGMA journal_mode=WAL")
    return path


def lock_database(path: Path) -> sqlite3.Connection:
    """Another writer (as another process would be) holding the database's write lock."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO items (name) VALUES ('other')")
    return other


async def test_a_locked_database_is_waited_for_in_the_thread_not_on_the_loop(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    async with engine.connect() as warm:
        await warm.execute(text("SELECT 1"))
    other = lock_database(tmp_path / "one-trip.db")
    asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
    ticker = Ticker()
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(insert(items), {"name": "mine"})
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
    waited = time.perf_counter() - started
    await ticker.stop()
    other.close()
    assert isinstance(driver, sqlite.OneTripConnection)
    assert driver.waits == 1
    assert waited >= 0.25
    assert ticker.ticks >= 10  # the loop went on while the insert waited for the lock
    async with engine.connect() as connection:
        names = (await connection.execute(select(items.c.name).order_by(items.c.id))).all()
    assert names == [("other",), ("mine",)]


async def test_a_batch_refused_by_the_lock_is_written_whole_once_the_lock_is_gone(
    tmp_path: Path,
) -> None:
    path = items_database(tmp_path / "batch.db")
    connection = await sqlite.connect(str(path))
    try:
        other = lock_database(path)
        asyncio.get_running_loop().call_later(0.2, other.execute, "COMMIT")
        insert_sql = "INSERT INTO items (name) VALUES (?)"
        refused = await connection.write_and_commit(
            [(insert_sql, [("a",), ("b",)], True), (insert_sql, [("c",)], True)]
        )
        other.close()
        assert refused is None
        assert connection.waits == 1
        rows = await connection.run(sqlite._execute, "SELECT name FROM items ORDER BY id", ())
        assert [name for (name,) in rows[1]] == ["other", "a", "b", "c"]
    finally:
        await connection.close()


async def test_a_lock_held_past_the_busy_timeout_is_a_clear_error_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = items_database(tmp_path / "held.db")
    connection = await sqlite.connect(str(path), busy_timeout=0.2)
    other = lock_database(path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await connection.write_and_commit(
                [("INSERT INTO items (name) VALUES (?)", [("x",)], True)]
            )
        other.execute("ROLLBACK")
        rows = await connection.run(sqlite._execute, "SELECT count(*) FROM items", ())
        assert rows[1] == [(0,)]
        assert not connection._conn.in_transaction
    finally:
        other.close()
        await connection.close()


async def test_checkpoints_run_in_the_thread_once_enough_rows_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "CHECKPOINT_CHANGES", 10)
    done: list[tuple[int, tuple[int, int, int] | None]] = []
    original = sqlite._checkpoint

    def recorded(database: str) -> tuple[int, int, int] | None:
        answer = original(database)
        done.append((threading.get_ident(), answer))
        return answer

    monkeypatch.setattr(sqlite, "_checkpoint", recorded)
    path = items_database(tmp_path / "checkpoints.db")
    connection = await sqlite.connect(str(path))
    try:
        autocheckpoint = await connection.run(sqlite._execute, "PRAGMA wal_autocheckpoint", ())
        assert autocheckpoint[1] == [(sqlite.AUTO_CHECKPOINT_PAGES,)]
        insert_sql = "INSERT INTO items (name) VALUES (?)"
        for batch in range(5):  # 25 rows in 5 transactions: past 10, then past 20
            rows = [(f"r{batch}-{n}",) for n in range(5)]
            assert await connection.write_and_commit([(insert_sql, rows, True)]) is None
        assert connection.checkpoints == 2
        await connection._in_thread(lambda: None)  # the thread has done what was queued
        assert len(done) == 2
        assert all(thread != threading.get_ident() for thread, _ in done)  # never on the loop
        for _, answer in done:
            assert answer is not None
            busy, frames, copied = answer
            assert busy == 0 and frames > 0 and copied == frames
    finally:
        await connection.close()
