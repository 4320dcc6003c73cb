"""Reading an electoral list: headers, delimiters, UTF-8, normalised rows, bad rows."""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, TypedDict

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

_BALLOT_CACHE_SIZE = 10_000
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
