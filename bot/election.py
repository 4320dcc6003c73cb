"""The election calendar (`dialogs/election/*.yaml`): phases, countdown, message parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
"""The elections' time zone: every date and hour of a calendar is Paris time."""

LINK_NAMES = ("portal", "directory", "webmail")
"""The addresses a calendar gives: the elections portal, the agents' directory, the webmail."""


class Phase(StrEnum):
    """Where the election stands at a given moment."""

    BEFORE_ACTIVATION = "before_activation"
    ACTIVATION_OPEN = "activation_open"
    VOTE_OPEN = "vote_open"
    VOTE_CLOSED = "vote_closed"


PHASES: frozenset[str] = frozenset(phase.value for phase in Phase)
"""The four phase names, as flows write them in conditions."""


@dataclass(frozen=True, slots=True)
class Countdown:
    """Time left before the vote opens, in Paris wall-clock days, hours and whole minutes."""

    days: int
    hours: int
    minutes: int


@dataclass(frozen=True, slots=True)
class Tentative:
    """A value the calendar file marks as to be confirmed; rendered with "(à confirmer)"."""

    value: object


@dataclass(frozen=True, slots=True)
class UnknownAddress:
    """An address not known yet (e.g. the 2026 portal); rendered as the catalogue's sentence."""


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """A text in several languages, such as an election's name; French is the fallback."""

    texts: Mapping[str, str]

    def in_locale(self, locale: str) -> str:
        """The text for `locale` ("en", "en_GB", "fr-FR"...), else the French one, else any."""
        normalized = locale.replace("-", "_")
        for candidate in (normalized, normalized.split("_")[0], "fr"):
            if candidate in self.texts:
                return self.texts[candidate]
        return next(iter(self.texts.values()), "")


def _instant(now: datetime) -> datetime:
    """`now` in UTC, so that comparisons are between instants, even in the repeated autumn hour."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"'now' must be an aware datetime, got the naive {now.isoformat()}")
    return now.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Election:
    """One election's calendar and addresses; its methods are pure (no I/O, no clock)."""

    id: str
    name: LocalizedText
    activation_opens: datetime
    vote_opens: datetime
    vote_closes: datetime
    links: Mapping[str, str | None]
    unconfirmed: frozenset[str] = frozenset()
    timezone: ZoneInfo = field(default=PARIS)

    def __post_init__(self) -> None:
        for label, moment in (
            ("activation_opens", self.activation_opens),
            ("vote_opens", self.vote_opens),
            ("vote_closes", self.vote_closes),
        ):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"Election.{label} must be an aware datetime")
        if not self.activation_opens <= self.vote_opens < self.vote_closes:
            raise ValueError("Election needs activation_opens <= vote_opens < vote_closes")

    def phase(self, now: datetime) -> Phase:
        """The phase at `now` (aware): each boundary belongs to the phase it opens."""
        instant = _instant(now)
        if instant >= self.vote_closes:
            return Phase.VOTE_CLOSED
        if instant >= self.vote_opens:
            return Phase.VOTE_OPEN
        if instant >= self.activation_opens:
            return Phase.ACTIVATION_OPEN
        return Phase.BEFORE_ACTIVATION

    def countdown(self, now: datetime) -> Countdown | None:
        """Time left before the vote opens, or None once it is open.

        Counted in Paris wall-clock time, as a voter reads a calendar and a clock: both moments are
        converted to Paris and their naive wall-clock values subtracted, so that a day is always 24
        hours, even across a daylight-saving change (at 08:00 on 29 October 2022, a vote opening at
        08:00 on 1 December 2022 is 33 days, 0 hours, 0 minutes away, although 33 days and one hour
        pass). Seconds are dropped: minutes are rounded down, and the last minute reads 0, 0, 0.
        """
        instant = _instant(now)
        if instant >= self.vote_opens:
            return None
        opens = self.vote_opens.astimezone(self.timezone).replace(tzinfo=None)
        left = max(opens - instant.astimezone(self.timezone).replace(tzinfo=None), timedelta(0))
        return Countdown(
            days=left.days, hours=left.seconds // 3600, minutes=left.seconds % 3600 // 60
        )

    def params(self, now: datetime) -> dict[str, object]:
        """Message parameters at `now`, each rendered by `bot.i18n.formats.format_param`.

        Keys: `election` (LocalizedText), `portal_url`, `directory_url`, `webmail_url` (str, or
        UnknownAddress when not known yet), `activation_opens` (a date), `vote_opens`,
        `vote_closes` (aware datetimes) and `countdown` (Countdown, None once the vote is open).
        A value listed as unconfirmed comes wrapped in Tentative; so does the countdown when the
        opening is; an unknown address is not (it already says it is not known).
        """
        countdown = self.countdown(now)
        values: dict[str, object] = {"election": self.name}
        for name, url in self.links.items():
            values[f"{name}_url"] = (
                UnknownAddress() if url is None else self._marked(f"links.{name}", url)
            )
        values["activation_opens"] = self._marked(
            "activation_opens", self.activation_opens.astimezone(self.timezone).date()
        )
        values["vote_opens"] = self._marked("vote_opens", self.vote_opens)
        values["vote_closes"] = self._marked("vote_closes", self.vote_closes)
        values["countdown"] = None if countdown is None else self._marked("vote_opens", countdown)
        return values

    def _marked(self, name: str, value: object) -> object:
        return Tentative(value) if name in self.unconfirmed else value
