"""A turn's reads and writes in as few calls to SQLite as can be.

A conversation turn reads its conversation, then ends with the same writes (claim the update,
save the state, append the transcript) and a commit. On SQLite the read is one call to the
connection (`backend.db.sqlite`), the writes and the commit another, without SQLAlchemy's
asynchronous bridge (a greenlet switched to and back, for each statement and for the commit).
SQLAlchemy still compiles each statement (once: it is cached) and converts parameters and
results with the columns' own types, exactly as it would when executing them. On PostgreSQL,
statements are executed the usual way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

from backend.db.sqlite import OneTripConnection


@dataclass(frozen=True)
class Write:
    """A statement and its rows of parameters; `required`: it must change at least one row,
    or the whole transaction is rolled back."""

    statement: UpdateBase
    rows: Sequence[Mapping[str, Any]]
    required: bool = False


@dataclass(frozen=True)
class _Compiled:
    statement: object
    """Held, so that no other statement can take its id while it is cached."""
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[Callable[[Any], Any] | None, ...] = ()

    def row(self, values: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for value, process in zip(values, self.results, strict=True)
        )

    def parameters(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[name] if process is None else process(row[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )


@dataclass
class _Cache:
    compiled: dict[tuple[int, str, tuple[str, ...]], _Compiled] = field(default_factory=dict)

    def get(
        self, statement: UpdateBase | Select[Any], dialect: Dialect, keys: tuple[str, ...]
    ) -> _Compiled:
        key = (id(statement), dialect.name, keys)
        found = self.compiled.get(key)
        if found is None or found.statement is not statement:
            compiled = statement.compile(dialect=dialect, column_keys=list(keys))
            assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
            names = tuple(compiled.positiontup)
            processors = tuple(
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                for name in names
            )
            results: tuple[Callable[[Any], Any] | None, ...] = ()
            if isinstance(statement, Select):
                results = tuple(
                    column.type.dialect_impl(dialect).result_processor(dialect, None)
                    for column in statement.selected_columns
                )
            found = _Compiled(statement, compiled.string, names, processors, results)
            self.compiled[key] = found
        return found


_cache = _Cache()


async def one_trip(connection: AsyncConnection) -> OneTripConnection | None:
    """The SQLite connection under `connection`, or None on another database."""
    sync = connection.sync_connection
    if sync is not None and not sync.invalidated and not sync.closed:
        driver = sync.connection.driver_connection  # a connection in use: no I/O here
    else:
        driver = (await connection.get_raw_connection()).driver_connection
    return driver if isinstance(driver, OneTripConnection) else None


async def fetch_first(
    connection: AsyncConnection, statement: Select[Any], parameters: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of `statement`, or None: on SQLite in one trip, without a cursor kept."""
    driver = await one_trip(connection)
    if driver is not None:
        compiled = _cache.get(statement, connection.dialect, tuple(parameters))
        row = await driver.first_row(compiled.sql, compiled.parameters(parameters))
        return None if row is None else compiled.row(row)
    found = (await connection.execute(statement, dict(parameters))).first()
    return None if found is None else tuple(found)


async def write_and_commit(connection: AsyncConnection, writes: Sequence[Write]) -> int | None:
    """Runs `writes` in order and commits the transaction. Returns None, or the index of the
    first `required` write that changed no row: then the transaction is rolled back."""
    driver = await one_trip(connection)
    if driver is not None:
        batch = []
        for write in writes:
            compiled = _cache.get(write.statement, connection.dialect, tuple(write.rows[0]))
            rows = [compiled.parameters(row) for row in write.rows]
            batch.append((compiled.sql, rows, write.required))
        return await driver.write_and_commit(batch)
    for index, write in enumerate(writes):
        parameters = write.rows[0] if len(write.rows) == 1 else list(write.rows)
        result = await connection.execute(write.statement, parameters)
        if write.required and result.rowcount < 1:
            await connection.rollback()
            return index
    await connection.commit()
    return None
