"""Writing an electoral list: batches upserted by hash, in transactions, with a report."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import NullType, TypeDecorator, TypeEngine

from backend import audit
from backend.db.models import Voter
from backend.db.time import utc
from backend.registry.rows import (
    BATCH_SIZE,
    BadRow,
    ImportReport,
    VoterRow,
    check_utf8,
    read_rows,
)

_LOOKUP_CHUNK = 10_000
_YIELD_EVERY = 500
_BALLOTS: TypeEngine[Any] = Voter.__table__.c.ballots.type
_UPDATED_AT: TypeEngine[Any] = Voter.__table__.c.updated_at.type


async def import_voters(
    engine: AsyncEngine,
    path: Path,
    *,
    columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    actor: str = "cli",
    channel: str = "cli",
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Imports an electoral list: inserts new voters, updates changed ones, reports bad rows.

    Batches of `batch_size` rows are committed one by one (an interrupted import can simply be
    run again). Parsing is CPU-bound and holds the event loop: run it in a loop of its own, as
    the command does. `progress` receives the bytes read since its previous call.
    """
    check_utf8(path)
    moment = utc(now or datetime.now(UTC))
    async with engine.connect() as connection:
        async with connection.begin():
            empty = (await connection.execute(select(Voter.id).limit(1))).first() is None
        store = BatchStore(connection, moment, lookup=not empty)
        read, bad = await _pump(store, path, columns, delimiter, batch_size, progress)
        report = ImportReport(read, store.inserted, store.updated, store.unchanged, bad)
        async with connection.begin():
            await audit.record(
                connection,
                "registry.import",
                actor=actor[:64],
                at=moment,
                channel=channel,
                subject=path.name[:128],
                detail=report.counts(),
            )
    return report


async def _pump(
    store: BatchStore,
    path: Path,
    columns: Mapping[str, str] | None,
    delimiter: str | None,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, tuple[BadRow, ...]]:
    """Reads the file into batches; each batch is written while the next one is parsed."""
    read = done = 0
    bad: list[BadRow] = []
    batch: list[VoterRow] = []
    writing: asyncio.Task[None] | None = None
    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
            for item in read_rows(text, columns, delimiter):
                read += 1
                if isinstance(item, BadRow):
                    bad.append(item)
                    continue
                batch.append(item)
                if len(batch) >= batch_size:
                    if writing is not None:
                        await writing
                    writing = asyncio.create_task(store.write(batch))
                    batch = []
                    if progress is not None:
                        progress(raw.tell() - done)
                        done = raw.tell()
                elif writing is not None and not read % _YIELD_EVERY:
                    await asyncio.sleep(0)
            if writing is not None:
                await writing
            writing = None
            if batch:
                await store.write(batch)
            if progress is not None:
                progress(os.fstat(raw.fileno()).st_size - done)
    finally:
        if writing is not None:
            await asyncio.gather(writing, return_exceptions=True)
    return read, tuple(bad)


class _AlreadyProcessed(TypeDecorator[Any]):
    """A column type whose values arrive already processed for the dialect (see BatchStore)."""

    impl: Any = NullType
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        """No processing: it was done once per distinct value."""
        return None


class _ProcessedJSON(_AlreadyProcessed):
    """`voters.ballots`, serialised beforehand."""

    impl = JSON
    cache_ok = True


class _ProcessedTime(_AlreadyProcessed):
    """`voters.created_at`/`updated_at`, converted beforehand."""

    impl = DateTime
    cache_ok = True


def _dialect_processor(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else (lambda value: value)


class BatchStore:
    """Writes batches: inserts new addresses, updates rows whose hash changed, counts.

    Most rows share their ballots list and every row shares the time: those values go through
    the dialect's own bind processing (JSON, dates) once, not once per row, which is 40 % of
    the write time; the statements then take them as they are.
    """

    def __init__(self, connection: AsyncConnection, now: datetime, *, lookup: bool) -> None:
        self.connection = connection
        self.lookup = lookup
        self.inserted = self.updated = self.unchanged = 0
        dialect = connection.dialect
        self._json = _dialect_processor(_BALLOTS, dialect)
        self._now = _dialect_processor(_UPDATED_AT, dialect)(now)
        ballots, when = _ProcessedJSON(), _ProcessedTime(timezone=True)
        self._insert = insert(Voter).values(
            ballots=bindparam("p_ballots", type_=ballots),
            created_at=bindparam("p_now", type_=when),
            updated_at=bindparam("p_now", type_=when),
        )
        self._update = (
            update(Voter)
            .where(Voter.email == bindparam("p_email"))
            .values(
                last_name=bindparam("p_last_name"),
                first_name=bindparam("p_first_name"),
                ballots=bindparam("p_ballots", type_=ballots),
                row_hash=bindparam("p_row_hash"),
                updated_at=bindparam("p_now", type_=when),
            )
        )

    async def write(self, batch: Sequence[VoterRow]) -> None:
        """One batch, in a transaction of its own."""
        async with self.connection.begin():
            await self.apply(batch)

    async def apply(self, batch: Sequence[VoterRow]) -> None:
        """One batch, in the caller's transaction."""
        known = await self._hashes(batch) if self.lookup else {}
        new: list[dict[str, object]] = []
        changed: list[dict[str, object]] = []
        serialised: dict[int, object] = {}
        for row in batch:
            old = known.get(row["email"])
            if old == row["row_hash"]:
                continue
            ballots = row["ballots"]
            json = serialised.get(id(ballots))
            if json is None:
                json = serialised[id(ballots)] = self._json(ballots)
            if old is None:
                new.append(
                    {
                        "email": row["email"],
                        "last_name": row["last_name"],
                        "first_name": row["first_name"],
                        "row_hash": row["row_hash"],
                        "p_ballots": json,
                        "p_now": self._now,
                    }
                )
            else:
                changed.append(
                    {
                        "p_email": row["email"],
                        "p_last_name": row["last_name"],
                        "p_first_name": row["first_name"],
                        "p_row_hash": row["row_hash"],
                        "p_ballots": json,
                        "p_now": self._now,
                    }
                )
        if new:
            await self.connection.execute(self._insert, new)
        if changed:
            await self.connection.execute(self._update, changed)
        self.inserted += len(new)
        self.updated += len(changed)
        self.unchanged += len(batch) - len(new) - len(changed)

    async def _hashes(self, batch: Sequence[VoterRow]) -> dict[str, str]:
        emails = [row["email"] for row in batch]
        known: dict[str, str] = {}
        for start in range(0, len(emails), _LOOKUP_CHUNK):
            chunk = emails[start : start + _LOOKUP_CHUNK]
            query = select(Voter.email, Voter.row_hash).where(Voter.email.in_(chunk))
            known.update((email, digest) for email, digest in await self.connection.execute(query))
        return known
