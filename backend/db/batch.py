"""The last writes of a transaction and its commit, in one trip to SQLite's thread.

A conversation turn ends with the same writes (claim the update, save the state, append the
transcript) and a commit. On SQLite each trip to aiosqlite's thread costs about 0.2 ms and, while
the event loop is busy, a wait for the GIL: the writes go in one trip. SQLAlchemy still compiles
each statement (once: it is cached) and processes its parameters with the columns' own types,
exactly as it would have executed them. On PostgreSQL they are executed one after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def parameters(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[name] if process is None else process(row[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )


@dataclass
class _Cache:
    compiled: dict[tuple[int, str, tuple[str, ...]], _Compiled] = field(default_factory=dict)

    def get(self, statement: UpdateBase, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        key = (id(statement), dialect.name, keys)
        found = self.compiled.get(key)
        if found is None:
            compiled = statement.compile(dialect=dialect, column_keys=list(keys))
            assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
            names = tuple(compiled.positiontup)
            processors = tuple(
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                for name in names
            )
            found = self.compiled[key] = _Compiled(compiled.string, names, processors)
        return found


_cache = _Cache()


async def write_and_commit(connection: AsyncConnection, writes: Sequence[Write]) -> int | None:
    """Runs `writes` in order and commits the transaction. Returns None, or the index of the
    first `required` write that changed no row: then the transaction is rolled back."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if isinstance(driver, OneTripConnection):
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
