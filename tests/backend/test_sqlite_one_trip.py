"""The SQLite engine's aiosqlite connection: one trip to its thread per statement, and the
same results, errors and transactions as SQLAlchemy's own aiosqlite adapter."""

from __future__ import annotations

import asyncio
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
