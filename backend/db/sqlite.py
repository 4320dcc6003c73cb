"""aiosqlite connections whose statements run on the event loop, one call each.

A statement on an indexed table takes 0.01-0.3 ms in SQLite; sending it to aiosqlite's thread
and back cost about 0.2 ms of CPU on the 2-core machines this project runs on (a queue, a wake-up,
a call back into the loop), more than the statement, and SQLAlchemy's adapter made four such trips
per statement (open a cursor, execute, fetch, close).

`OneTripConnection` is an aiosqlite `Connection` whose cursor executes, fetches every row and
closes the sqlite3 cursor in one call, and whose calls run directly on the event loop. The
database is a local file in WAL mode: readers never wait, and a writer waits only for another
writer. When another process holds the write lock (SQLite answers "database is locked" at once:
the connection's busy timeout is 0 on the loop), the call is run again in the connection's
thread, where SQLite's busy handler waits up to `busy_timeout` seconds: the loop never sleeps.

SQLite copies the WAL back into the database file (a checkpoint, which syncs the file: 10-13 ms
on these machines) when a commit finds it over `wal_autocheckpoint` pages: on the loop, that
would stall every voter. So each connection raises that threshold to `AUTO_CHECKPOINT_PAGES` (a
safety net, which bulk imports reach) and, once `CHECKPOINT_CHANGES` rows were changed since its
last one, queues a passive checkpoint to its thread, through a connection of its own, and goes on
(every 200-250 conversation turns): nobody waits for it.

`commit` and `rollback` cost nothing when no transaction is open (SQLAlchemy rolls back each
connection it takes back into the pool); `first_row` and `write_and_commit` let
`backend.db.batch` read a row, or write and commit, in one call. The connection, its thread and
its queue are aiosqlite's own. Plug it into SQLAlchemy with
`create_async_engine(url, async_creator=...)` (see `backend.db.engine`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, Self

import aiosqlite

CHECKPOINT_CHANGES = 1000
"""Rows changed through a connection between two of its checkpoints (run in its thread)."""
AUTO_CHECKPOINT_PAGES = 10_000
"""SQLite's own checkpoint threshold (40 MB of WAL), left as a safety net."""

log = logging.getLogger(__name__)

Rows = list[Any]
Description = tuple[tuple[Any, ...], ...] | None


def _execute(
    connection: sqlite3.Connection, sql: str, parameters: Any
) -> tuple[Description, Rows, int, int | None]:
    """Runs one statement, reads all its rows, closes the cursor."""
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
    """Every statement, then commit; the first statement that must change a row and changed
    none rolls everything back (its index is returned), and so does an error."""
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


def _checkpoint(database: str) -> tuple[int, int, int] | None:
    """In the connection's thread, through a connection of its own: copy what the WAL holds
    into the database file, without waiting for any reader or writer (SQLite's passive mode).
    SQLite's answer: (1 if it could not start, frames in the WAL, frames copied)."""
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=0)) as own:
            busy, frames, copied = own.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return busy, frames, copied
    except sqlite3.Error as error:  # SQLite's own threshold remains
        log.warning("checkpoint of %s not done: %s", database, error)
        return None


def is_busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds a lock (SQLITE_BUSY, and its
    extended codes)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def _patiently(connection: sqlite3.Connection, busy_ms: int, call: Callable[[], Any]) -> Any:
    """In the connection's thread: `call` with SQLite's busy handler waiting up to `busy_ms`."""
    connection.execute(f"PRAGMA busy_timeout = {busy_ms}").close()
    try:
        return call()
    finally:
        connection.execute("PRAGMA busy_timeout = 0").close()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection with one-call cursors, run on the event loop (see the module's
    text)."""

    def __init__(
        self,
        connector: Callable[[], sqlite3.Connection],
        busy_timeout: float = 30.0,
        database: str | None = None,
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self.database = database
        """The database file, for checkpoints (None: no checkpoint from here, ":memory:")."""
        self.busy_ms = int(busy_timeout * 1000)
        self.waits = 0
        """How many calls found the database locked by another connection and waited in the
        thread."""
        self.checkpoints = 0
        """How many checkpoints this connection queued to its thread."""
        self._at_checkpoint = 0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Calls `fn` on the event loop; if the database is locked, again in the thread."""
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
        self.waits += 1
        call = partial(fn, *args, **kwargs)
        return await self._in_thread(_patiently, self._conn, self.busy_ms, call)

    def _committed(self) -> None:
        """After a commit: a checkpoint queued to the thread if enough rows changed since the
        last (nobody waits for it)."""
        changes = self._conn.total_changes
        if self.database is not None and changes - self._at_checkpoint >= CHECKPOINT_CHANGES:
            self._at_checkpoint = changes
            self.checkpoints += 1
            self._tx.put_nowait((None, partial(_checkpoint, self.database)))

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        """Calls `function(*args)` in the connection's thread (aiosqlite's own way)."""
        return await super()._execute(function, *args)  # type: ignore[no-untyped-call]

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        """A cursor; opening it costs nothing (the sqlite3 cursor lives within one trip)."""
        return OneTripCursor(self)

    async def run(self, function: Any, *args: Any) -> Any:
        """Calls `function(sqlite3_connection, *args)`."""
        return await self._execute(function, self._conn, *args)

    async def first_row(self, sql: str, parameters: Sequence[Any]) -> Any:
        """The first row of a query (or None), in one trip."""
        return await self.run(_first_row, sql, tuple(parameters))

    async def write_and_commit(self, writes: Sequence[Write]) -> int | None:
        """Runs `writes` and commits, all in one trip; None, or the index of the first write
        that had to change a row and did not (everything rolled back)."""
        result: int | None = await self.run(_write_all, list(writes))
        self._committed()
        return result

    async def commit(self) -> None:
        """Commits, if a transaction is open."""
        if self._conn.in_transaction:
            await super().commit()
            self._committed()

    async def rollback(self) -> None:
        """Rolls back, if a transaction is open."""
        if self._conn.in_transaction:
            await super().rollback()


async def connect(database: str, *, busy_timeout: float = 30.0) -> OneTripConnection:
    """Opens `database` (a file path, or ":memory:"), with its daemon thread for the waits.

    `check_same_thread=False`: the connection is opened in its thread and used from the loop;
    its calls never overlap (each runs to its end before the next is made, on the loop or in
    the thread). A busy timeout of 0: a locked database is reported at once, and waited for in
    the thread (`busy_timeout` seconds at most)."""
    connector = partial(sqlite3.connect, database, timeout=0, check_same_thread=False)
    file = None if database == ":memory:" or database.startswith("file:") else database
    connection = OneTripConnection(connector, busy_timeout, file)
    connection._thread.daemon = True
    await connection
    connection._conn.execute(f"PRAGMA wal_autocheckpoint = {AUTO_CHECKPOINT_PAGES}").close()
    return connection
