"""aiosqlite connections that go to their thread once per statement.

aiosqlite runs each sqlite3 call in the connection's own thread, and SQLAlchemy's adapter makes
four such calls for one statement (open a cursor, execute, fetch, close). On the 2-core machines
this project runs on, one trip to the thread and back costs about 0.2 ms of wall and CPU time,
far more than a statement on an indexed table (0.01-0.3 ms): a conversation turn made 19 trips.

`OneTripConnection` is an aiosqlite `Connection` whose cursor executes, fetches every row and
closes the sqlite3 cursor in one trip; `commit` and `rollback` stay on the event loop when no
transaction is open (SQLAlchemy rolls back each connection it takes back into the pool);
`first_row` and `write_and_commit` let `backend.db.batch` read a row, or write and commit, in one
trip. The connection, its thread and its queue are aiosqlite's own. Plug it into SQLAlchemy with
`create_async_engine(url, async_creator=...)` (see `backend.db.engine`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any, Self

import aiosqlite

Rows = list[Any]
Description = tuple[tuple[Any, ...], ...] | None


def _execute(
    connection: sqlite3.Connection, sql: str, parameters: Any
) -> tuple[Description, Rows, int, int | None]:
    """In the connection's thread: run one statement, read all its rows, close the cursor."""
    cursor = connection.execute(sql, parameters)
    try:
        description = cursor.description
        rows = cursor.fetchall() if description is not None else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _first_row(connection: sqlite3.Connection, sql: str, parameters: Any) -> Any:
    cursor = connection.execute(sql, parameters)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def _executemany(
    connection: sqlite3.Connection, sql: str, parameters: Iterable[Any]
) -> tuple[Description, Rows, int, int | None]:
    cursor = connection.executemany(sql, parameters)
    try:
        return None, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """The cursor SQLAlchemy's aiosqlite adapter asks for: results are read in the same trip
    as the statement, then served from memory."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: Rows = []
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> Self:
        """Runs `sql` and keeps its rows."""
        result = await self._connection.run(_execute, sql, parameters)
        self.description, self._rows, self.rowcount, self.lastrowid = result
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Self:
        """Runs `sql` once per parameter set."""
        result = await self._connection.run(_executemany, sql, list(parameters))
        self.description, self._rows, self.rowcount, self.lastrowid = result
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = self.arraysize if size is None else size
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> Sequence[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []


Write = tuple[str, list[tuple[Any, ...]], bool]
"""One statement of a batch: its SQL, its rows of parameters, whether it must change a row."""


def _write_all(connection: sqlite3.Connection, writes: Sequence[Write]) -> int | None:
    """In the connection's thread: every statement, then commit; the first statement that must
    change a row and changed none rolls everything back (its index is returned)."""
    try:
        for index, (sql, rows, required) in enumerate(writes):
            cursor = (
                connection.execute(sql, rows[0])
                if len(rows) == 1
                else connection.executemany(sql, rows)
            )
            changed = cursor.rowcount
            cursor.close()
            if required and changed < 1:
                connection.rollback()
                return index
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return None


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection with one-trip cursors (see the module's text)."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """A cursor; opening it costs nothing (the sqlite3 cursor lives within one trip)."""
        return OneTripCursor(self)

    async def run(self, function: Any, *args: Any) -> Any:
        """Calls `function(sqlite3_connection, *args)` in the connection's thread."""
        return await self._execute(function, self._conn, *args)  # type: ignore[no-untyped-call]

    async def first_row(self, sql: str, parameters: Sequence[Any]) -> Any:
        """The first row of a query (or None), in one trip."""
        return await self.run(_first_row, sql, tuple(parameters))

    async def write_and_commit(self, writes: Sequence[Write]) -> int | None:
        """Runs `writes` and commits, all in one trip; None, or the index of the first write
        that had to change a row and did not (everything rolled back)."""
        result: int | None = await self.run(_write_all, list(writes))
        return result

    async def commit(self) -> None:
        """Commits, if a transaction is open."""
        if self._conn.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        """Rolls back, if a transaction is open."""
        if self._conn.in_transaction:
            await super().rollback()


async def connect(database: str, *, busy_timeout: float = 30.0) -> OneTripConnection:
    """Opens `database` (a file path, or ":memory:") in its own daemon thread.

    `check_same_thread=False` lets the event loop read `in_transaction` (a field); every
    statement still runs in the connection's thread, one at a time."""
    connector = partial(sqlite3.connect, database, timeout=busy_timeout, check_same_thread=False)
    connection = OneTripConnection(connector, iter_chunk_size=64)
    connection._thread.daemon = True
    await connection
    return connection
