"""Locale formatting of message parameters: dates, times, countdowns, values to be confirmed."""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Protocol

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.lists import format_list
from babel.numbers import format_decimal

from bot.election import PARIS, Countdown, LocalizedText, Tentative, UnknownAddress
from bot.engine.turn import BallotList

KEYS = frozenset(
    {
        "countdown.days",
        "countdown.hours",
        "countdown.minutes",
        "countdown.less_than_a_minute",
        "format.date",
        "format.datetime",
        "calendar.to_confirm",
        "calendar.portal_unknown",
        "account.ballot_elsewhere",
    }
)
"""The message keys this module reads from the catalogues."""
FORMATTED = 256
"""Dates and moments kept formatted, by pattern and locale: the election's calendar, mostly
(babel takes about 50 µs a date, several of them in many replies)."""


class Translator(Protocol):
    """What `gettext.GNUTranslations` offers and the formatters use."""

    def gettext(self, message: str, /) -> str:
        """The text of a message key."""
        ...

    def ngettext(self, msgid1: str, msgid2: str, n: int, /) -> str:
        """The singular or plural text of a message key, chosen for `n`."""
        ...


def _babel_locale(locale: str) -> str:
    return locale.replace("-", "_")


@functools.lru_cache(maxsize=FORMATTED)
def _babel_date(value: date, pattern: str, locale: str) -> str:
    return str(babel_format_date(value, format=pattern, locale=_babel_locale(locale)))


@functools.lru_cache(maxsize=FORMATTED)
def _babel_datetime(value: datetime, pattern: str, locale: str) -> str:
    return str(
        babel_format_datetime(value, format=pattern, tzinfo=PARIS, locale=_babel_locale(locale))
    )


def format_date(value: date, t: Translator, locale: str) -> str:
    """A day in the catalogue's `format.date` pattern, e.g. "jeudi 13 octobre 2022"."""
    return _babel_date(value, t.gettext("format.date"), locale)


def format_datetime(value: datetime, t: Translator, locale: str) -> str:
    """An aware moment in Paris time, `format.datetime` pattern: "jeudi 1 décembre 2022 à 08h00"."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"cannot format the naive datetime {value.isoformat()}: give a time zone")
    return _babel_datetime(value, t.gettext("format.datetime"), locale)


def format_countdown(value: Countdown, t: Translator, locale: str) -> str:
    """E.g. "10 jours, 22 heures et 38 minutes"; zero units left out; "moins d'une minute"."""
    parts = [
        t.ngettext(key, key, n).format(n=n)
        for key, n in (
            ("countdown.days", value.days),
            ("countdown.hours", value.hours),
            ("countdown.minutes", value.minutes),
        )
        if n
    ]
    if not parts:
        return t.gettext("countdown.less_than_a_minute")
    return str(format_list(parts, locale=_babel_locale(locale)))


def format_ballots(value: BallotList, t: Translator) -> str:
    """One ballot a line; those voted at the ballot box or elsewhere marked so."""
    elsewhere = t.gettext("account.ballot_elsewhere")
    return "\n".join(
        f"• {name} ({elsewhere})" if away else f"• {name}" for name, away in value.items
    )


def format_param(value: object, t: Translator, locale: str) -> str:
    """One message parameter (as `Election.params` gives them) as text in `locale`."""
    if isinstance(value, Tentative):
        return f"{format_param(value.value, t, locale)} {t.gettext('calendar.to_confirm')}"
    if isinstance(value, UnknownAddress):
        return t.gettext("calendar.portal_unknown")
    if isinstance(value, LocalizedText):
        return value.in_locale(locale)
    if isinstance(value, Countdown):
        return format_countdown(value, t, locale)
    if isinstance(value, BallotList):
        return format_ballots(value, t)
    if isinstance(value, datetime):
        return format_datetime(value, t, locale)
    if isinstance(value, date):
        return format_date(value, t, locale)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(format_decimal(value, locale=_babel_locale(locale)))
    raise TypeError(f"no locale format for a {type(value).__name__} parameter: {value!r}")
