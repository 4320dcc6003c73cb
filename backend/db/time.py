"""Times in the database are UTC: SQLite keeps no offset, so everything is converted first."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    """An aware time in UTC (a naive one is refused: its zone is unknown)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no zone; pass an aware one")
    return moment.astimezone(UTC)


def aware(moment: datetime) -> datetime:
    """A time read back: SQLite gives naive UTC, PostgreSQL aware times."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
