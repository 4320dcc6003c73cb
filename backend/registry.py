"""The voter registry: reads an electoral list (CSV), normalises it and upserts it in batches.

The import adds and updates voters; it never deletes one that the file does not list. Running the
same file twice changes nothing: each row carries a hash of its normalised fields, and only rows
whose hash differs are written (`activated_at` is never touched).
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypedDict

from sqlalchemy import JSON, DateTime, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import NullType, TypeDecorator, TypeEngine

from backend import audit
from backend.db.models import Voter
from backend.db.time import utc

FIELDS = ("email", "last_name", "first_name", "ballots", "elsewhere")
"""The fields a row may carry; `elsewhere` (ballots voted at the ballot box) is optional."""

HEADERS: Mapping[str, tuple[str, ...]] = {
    "email": ("email", "courriel"),
    "last_name": ("last_name", "nom"),
    "first_name": ("first_name", "prenom"),
    "ballots": ("ballots", "scrutins"),
    "elsewhere": ("elsewhere", "hors_ligne"),
}
"""The header names recognised by default for each field (case, accents and spaces ignored)."""

BATCH_SIZE = 20_000
"""Rows written per transaction."""

MAX_EMAIL = 320
"""The longest address accepted (RFC 5321's path limit, as the column allows)."""

MAX_NAME = 200
"""The longest last or first name accepted (the columns' size)."""

_LOOKUP_CHUNK = 10_000
_YIELD_EVERY = 500
_BALLOT_CACHE_SIZE = 10_000
_BALLOTS: TypeEngine[Any] = Voter.__table__.c.ballots.type
_UPDATED_AT: TypeEngine[Any] = Voter.__table__.c.updated_at.type
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_ATOM = r'[^@\s<>()\[\],;:"\\\x00-\x1f\x7f'
_EMAIL_SHAPE = re.compile(rf"{_ATOM}]+@(?:{_ATOM}.]+\.)+{_ATOM}.]+")


class RegistryError(Exception):
    """The file cannot be imported at all (not UTF-8, no header, a column missing)."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row left out of the import: its line in the file (header = 1) and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did; voters absent from the file are left in place, never deleted."""

    read: int
    inserted: int
    updated: int
    unchanged: int
    bad: tuple[BadRow, ...]

    def counts(self) -> dict[str, int]:
        """The counts alone (what the audit log keeps)."""
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "bad": len(self.bad),
        }


class BallotEntry(TypedDict):
    """One ballot of a voter, as stored in `voters.ballots`."""

    name: str
    elsewhere: bool


class VoterRow(TypedDict):
    """A normalised row, ready to be written."""

    email: str
    last_name: str
    first_name: str
    ballots: tuple[BallotEntry, ...]
    """Shared between rows with the same ballots: never mutate it."""
    row_hash: str


def normalise_email(raw: str) -> str:
    """NFKC, every whitespace and zero-width character removed, lowercase."""
    if not raw.isascii():
        raw = unicodedata.normalize("NFKC", raw).translate(_ZERO_WIDTH)
    return "".join(raw.split()).lower()


def email_problem(email: str) -> str | None:
    """Why a normalised address is not acceptable, or None when it has a plain shape."""
    if len(email) <= MAX_EMAIL and email.isascii() and _EMAIL_SHAPE.fullmatch(email):
        return None
    if not email:
        return "missing address"
    shown = repr(email if len(email) <= 80 else email[:80] + "…")
    if len(email) > MAX_EMAIL:
        return f"malformed address {shown}: longer than {MAX_EMAIL} characters"
    if not email.isascii():
        return f"malformed address {shown}: not ASCII"
    if email.count("@") != 1:
        return f"malformed address {shown}: expected one @"
    local, _, domain = email.partition("@")
    if not local:
        return f"malformed address {shown}: nothing before the @"
    if "." not in domain:
        return f"malformed address {shown}: the domain has no dot"
    if not all(domain.split(".")):
        return f"malformed address {shown}: empty part in the domain"
    return f"malformed address {shown}: forbidden character"


def normalise_name(raw: str) -> str:
    """NFC, stripped, inner spaces collapsed, invisible and control characters removed."""
    if not raw.isascii():
        raw = unicodedata.normalize("NFC", raw)
    name = " ".join(raw.split())
    if not name.isprintable():
        name = " ".join("".join(c for c in name if c.isprintable() or c == " ").split())
    return name


def normalise_ballots(ballots: str, elsewhere: str = "") -> tuple[BallotEntry, ...]:
    """`;`-separated names, de-duplicated in order; those in `elsewhere` are marked (and added)."""
    names = _ballot_names(ballots)
    away = _ballot_names(elsewhere) if elsewhere else []
    names.extend(name for name in away if name not in names)
    return tuple({"name": name, "elsewhere": name in away} for name in names)


def _ballot_names(raw: str) -> list[str]:
    names: list[str] = []
    for part in raw.split(";"):
        name = normalise_name(part)
        if name and name not in names:
            names.append(name)
    return names


def _ballots_key(ballots: Sequence[BallotEntry]) -> str:
    return "\x1e".join(b["name"] + ("\x1d" if b["elsewhere"] else "") for b in ballots)


def row_hash(email: str, last_name: str, first_name: str, ballots: Sequence[BallotEntry]) -> str:
    """32 hex digits over the normalised fields: equal hashes mean nothing to update."""
    return _hash(email, last_name, first_name, _ballots_key(ballots))


def _hash(email: str, last_name: str, first_name: str, ballots_key: str) -> str:
    key = "\x1f".join((email, last_name, first_name, ballots_key))
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


BallotCache = dict[tuple[str, str], tuple[tuple[BallotEntry, ...], str]]
"""Normalised ballots by raw (ballots, elsewhere) fields: a list repeats the same few hundred."""


def make_row(
    email: str,
    last_name: str,
    first_name: str,
    ballots: str,
    elsewhere: str = "",
    cache: BallotCache | None = None,
) -> VoterRow | str:
    """A normalised row from raw fields, or the reason it is refused."""
    email = normalise_email(email)
    problem = email_problem(email)
    if problem is not None:
        return problem
    last = normalise_name(last_name)
    if not last:
        return "empty last name"
    first = normalise_name(first_name)
    if len(last) > MAX_NAME:
        return f"last name longer than {MAX_NAME} characters"
    if len(first) > MAX_NAME:
        return f"first name longer than {MAX_NAME} characters"
    cached = cache.get((ballots, elsewhere)) if cache is not None else None
    if cached is None:
        entries = normalise_ballots(ballots, elsewhere)
        cached = entries, _ballots_key(entries)
        if cache is not None and len(cache) < _BALLOT_CACHE_SIZE:
            cache[ballots, elsewhere] = cached
    return {
        "email": email,
        "last_name": last,
        "first_name": first,
        "ballots": cached[0],
        "row_hash": _hash(email, last, first, cached[1]),
    }


def header_key(name: str) -> str:
    """A header compared without case, accents or surrounding spaces."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def resolve_columns(header: Sequence[str], columns: Mapping[str, str] | None = None) -> list[int]:
    """The position of each field of `FIELDS` in `header` (-1: the optional one is absent)."""
    columns = columns or {}
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise RegistryError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
    keys = [header_key(cell) for cell in header]
    positions: list[int] = []
    for field in FIELDS:
        wanted = (columns[field],) if field in columns else HEADERS[field]
        found = [i for i, key in enumerate(keys) if key in {header_key(w) for w in wanted}]
        if len(found) > 1:
            names = ", ".join(repr(header[i].strip()) for i in found)
            raise RegistryError(f"several columns for {field} ({names}): choose with --column")
        if not found and field != "elsewhere":
            raise RegistryError(
                f"no column for {field} (looked for {', '.join(wanted)}; "
                f"use --column {field}=NAME); the header has: "
                + ", ".join(repr(cell.strip()) for cell in header)
            )
        positions.append(found[0] if found else -1)
    return positions


def detect_delimiter(header_line: str) -> str:
    """`;`, tab or `,`, whichever the header line uses most (`,` when none)."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_utf8(path: Path) -> None:
    """Raises RegistryError naming the first line that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line = lines + chunk.count(b"\n", 0, max(exc.start, 0))
                raise RegistryError(
                    f"line {line} is not UTF-8: save the file as CSV in UTF-8 "
                    "(with or without BOM) and import it again"
                ) from None
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise RegistryError(
                f"line {lines} is not UTF-8 (the file ends mid-character)"
            ) from None


def read_rows(
    text: TextIO, columns: Mapping[str, str] | None = None, delimiter: str | None = None
) -> Iterator[VoterRow | BadRow]:
    """Each data row of a CSV stream, normalised, or a BadRow with its line and reason."""
    header_line = text.readline()
    if not header_line.strip():
        raise RegistryError("line 1: the header is missing (the file is empty)")
    delimiter = delimiter or detect_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    i_email, i_last, i_first, i_ballots, i_away = resolve_columns(header, columns)
    width = len(header)
    reader = csv.reader(text, delimiter=delimiter)
    seen: dict[str, int] = {}
    cache: BallotCache = {}
    previous = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadRow(previous + 1, f"unreadable row: {exc}")
            previous = reader.line_num + 1
            continue
        line, previous = previous + 1, reader.line_num + 1
        if not record:
            continue
        if len(record) != width:
            if len(record) == 1 and not record[0].strip():
                continue
            yield BadRow(line, f"wrong number of fields: {len(record)} instead of {width}")
            continue
        row = make_row(
            record[i_email],
            record[i_last],
            record[i_first],
            record[i_ballots],
            record[i_away] if i_away >= 0 else "",
            cache,
        )
        if isinstance(row, str):
            yield BadRow(line, row)
            continue
        first_line = seen.setdefault(row["email"], line)
        if first_line != line:
            yield BadRow(line, f"duplicate of line {first_line}")
            continue
        yield row


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
        store = _BatchStore(connection, moment, lookup=not empty)
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
    store: _BatchStore,
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
    """A column type whose values arrive already processed for the dialect (see _BatchStore)."""

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


class _BatchStore:
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


@dataclass(frozen=True, slots=True)
class DemoVoter:
    """A demo elector: raw fields as a file would give them, and whether the account is active."""

    email: str
    last_name: str
    first_name: str
    ballots: str
    elsewhere: str = ""
    activated: bool = False


def _pair(corps: str, local: str = "CAPA") -> str:
    """The national and the local joint committee of a corps: `CAPN des …;CAPA des …`."""
    return f"CAPN des {corps};{local} des {corps}"


def demo_voters() -> list[DemoVoter]:
    """A dozen realistic voters of the Education ministry, for the demo and the tests."""
    csa = "CSA ministériel;CSA académique"
    certified = f"{csa};{_pair('professeurs certifiés')}"
    aggregated = f"{csa};{_pair('professeurs agrégés')}"
    schools = f"{csa};CSA spécial départemental;{_pair('professeurs des écoles', 'CAPD')}"
    vocational = f"{csa};{_pair('professeurs de lycée professionnel')}"
    education = f"{csa};" + _pair("conseillers principaux d'éducation")
    school = "CSA d'établissement"
    return [
        DemoVoter("camille.martin@ac-versailles.fr", "Martin", "Camille", certified, school, True),
        DemoVoter("lucas.bernard@ac-lyon.fr", "Bernard", "Lucas", schools),
        DemoVoter("ines.dubois@ac-lille.fr", "Dubois", "Inès", f"{csa};CCP des AESH"),
        DemoVoter("hugo.moreau@ac-toulouse.fr", "Moreau", "Hugo", aggregated, school, True),
        DemoVoter(
            "chloe.laurent@ac-bordeaux.fr",
            "Laurent",
            "Chloé",
            f"{csa};CCP des contractuels enseignants",
        ),
        DemoVoter(
            "anne-sophie.lefevre-durand@ac-normandie.fr",
            "Lefèvre-Durand",
            "Anne-Sophie",
            f"{csa};CAPN des personnels de direction",
            activated=True,
        ),
        DemoVoter("karim.haddad@ac-aix-marseille.fr", "Haddad", "Karim", vocational),
        DemoVoter(
            "sophie.garnier@ac-nantes.fr", "Garnier", "Sophie", certified, f"{school};CPE", True
        ),
        DemoVoter(
            "julien.roux@ac-grenoble.fr",
            "Roux",
            "Julien",
            f"{certified};CSA spécial départemental",
            f"{school};CPE",
        ),
        DemoVoter("manon.petit@ac-rennes.fr", "Petit", "Manon", "CSA ministériel"),
        DemoVoter("thomas.fournier@ac-paris.fr", "Fournier", "Thomas", education, activated=True),
        DemoVoter(
            "lea.girard@ac-montpellier.fr", "Girard", "Léa", "CSA ministériel", f"{school};CCP ANT"
        ),
    ]


async def create_demo_voters(engine: AsyncEngine, now: datetime) -> ImportReport:
    """Creates the demo voters (idempotent: a second run changes nothing)."""
    moment = utc(now)
    rows: list[VoterRow] = []
    for voter in demo_voters():
        row = make_row(
            voter.email, voter.last_name, voter.first_name, voter.ballots, voter.elsewhere
        )
        if isinstance(row, str):
            raise ValueError(f"demo voter {voter.email}: {row}")
        rows.append(row)
    activated = [v.email for v in demo_voters() if v.activated]
    async with engine.begin() as connection:
        store = _BatchStore(connection, moment, lookup=True)
        await store.apply(rows)
        await connection.execute(
            update(Voter)
            .where(Voter.email.in_(activated), Voter.activated_at.is_(None))
            .values(activated_at=moment)
        )
        report = ImportReport(len(rows), store.inserted, store.updated, store.unchanged, ())
        if store.inserted or store.updated:
            await audit.record(
                connection,
                "registry.import",
                actor="demo",
                at=moment,
                channel="demo",
                subject="demo voters",
                detail=report.counts(),
            )
    return report
