"""Clocks: the real one, a frozen one for tests, and a shifted one for demos (`ASSESSEUR_NOW`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the time; the engine never reads a clock itself."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


@dataclass(slots=True)
class FrozenClock:
    """A clock that stays where it is set: for tests."""

    instant: datetime

    def now(self) -> datetime:
        """The instant it was set to."""
        return self.instant

    def set(self, instant: datetime) -> None:
        """Moves the clock to `instant`."""
        self.instant = instant


@dataclass(slots=True)
class ShiftedClock:
    """Starts at a simulated instant and runs at the real pace: for demos."""

    start: datetime
    _offset: timedelta = field(init=False)

    def __post_init__(self) -> None:
        self._offset = self.start - datetime.now(UTC)

    def now(self) -> datetime:
        """The simulated instant."""
        return datetime.now(UTC) + self._offset


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant that must carry its offset (`2022-12-01T08:00+01:00`)."""
    instant = datetime.fromisoformat(value.strip())
    if instant.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset (write e.g. 2022-12-01T08:00+01:00)")
    return instant
