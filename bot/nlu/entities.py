"""What a message names: an e-mail address, a date, a ballot."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date

from bot.engine.turn import Entity
from bot.nlu.normalise import EMAIL

MONTHS: Mapping[str, int] = {
    **{
        name: number
        for number, names in enumerate(
            (
                ("janvier", "janv", "january", "jan"),
                ("fevrier", "fevr", "fev", "february", "feb"),
                ("mars", "march", "mar"),
                ("avril", "avr", "april", "apr"),
                ("mai", "may"),
                ("juin", "june", "jun"),
                ("juillet", "juil", "july", "jul"),
                ("aout", "august", "aug"),
                ("septembre", "sept", "september", "sep"),
                ("octobre", "oct", "october"),
                ("novembre", "nov", "november"),
                ("decembre", "dec", "december"),
            ),
            start=1,
        )
        for name in names
    }
}
"""Month names and their usual abbreviations, French and English, without accents."""

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DIGIT = re.compile(r"\d")
_DAY = r"(?P<day>3[01]|[12]\d|0?[1-9])(?:er|st|nd|rd|th|e)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATES = (
    # 2022-12-01
    re.compile(r"(?<![\d/.-])(?P<year>(?:19|20)\d\d)-(?P<month>\d\d?)-(?P<day>\d\d?)(?![\d-])"),
    # 01/12/2022, 1.12.22, 01-12-2022
    re.compile(
        r"(?<![\d/.:,-])(?P<day>\d\d?)(?P<sep>[/.-])(?P<month>\d\d?)"
        r"(?P=sep)(?P<year>\d{4}|\d\d)(?![\d/.:,-]|\.\d)"
    ),
    # 01/12 (a slash only: "1.5" is a number)
    re.compile(r"(?<![\d/.:,-])(?P<day>\d\d?)/(?P<month>\d\d?)(?P<year>)(?![\d/.:,-]|\.\d)"),
    # 1er décembre 2022, 8 dec, 8th of December, 8 December 2022
    re.compile(rf"(?<![\w/.,:-]){_DAY}(?:\s+of)?\s+(?P<month>{_MONTH})\.?(?:\s+{_YEAR})?(?![\w-])"),
    # December 8, December 8th, 2022
    re.compile(rf"(?<![\w-])(?P<month>{_MONTH})\.?\s+{_DAY}(?:,?\s+{_YEAR})?(?![\w:/.-]|\.\d)"),
)

_BALLOT_NAMES: Mapping[str, str] = {
    "comite social d administration": "CSA",
    "comite technique": "CT",
    "commission administrative paritaire": "CAP",
    "commission consultative paritaire": "CCP",
    "commission paritaire d etablissement": "CPE",
}
_BALLOT = re.compile(
    r"\b(?P<name>ccp(?:\s*[-/]?\s*ant)?|csa|capa|capn|capd|cap|cpe|chsct|ct"
    r"|" + "|".join(_BALLOT_NAMES) + r")"
    r"(?:\s+(?P<scope>(?:de\s+l\s+|d\s?)?etablissement|ministerielle?|academique|speciale?"
    r"|de\s+proximite))?\b",
)
_UPPERCASE_ONLY = frozenset({"cap", "ct", "cpe"})
"""Short names that are ordinary words in lowercase ("garder le cap", SMS "ct")."""
_BALLOT_CONTEXT = re.compile(
    r"(?:scrutins?|votes?|elections?|commissions?|comites?|bulletins?|ballots?)\s+"
    r"(?:(?:la|le|du|de la|for|the)\s+)?$"
)
_JOB_CONTEXT = re.compile(
    r"(?:suis|etre|comme|tant que|poste de|metier de|job as|i am an?|i m an?)\s+$"
)
_SCOPES: Mapping[str, str] = {
    "etablissement": "d'établissement",
    "ministeriel": "ministériel",
    "academique": "académique",
    "special": "spécial",
    "proximite": "de proximité",
}


def _scope(raw: str) -> str:
    """A ballot's scope in its usual spelling ("d etablissement" -> "d'établissement")."""
    for stem, spelling in _SCOPES.items():
        if stem in raw:
            return spelling
    raise ValueError(raw)  # pragma: no cover - the pattern only matches the scopes above


def _fold(text: str) -> str:
    """Lowercase without accents, apostrophes and hyphens as spaces, one character for one."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = re.sub(r"['’‘`ʼ]", " ", bare.lower())
    return folded if len(folded) == len(text) else text.lower()


def emails(text: str) -> Iterator[Entity]:
    """E-mail addresses, lowercased."""
    for match in EMAIL.finditer(text):
        yield Entity("email", match.group(0).lower())


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    year = int(raw)
    return year + 2000 if year < 100 else year


def _date_value(day: int, month: int, year: int | None) -> str | None:
    """ISO date, or --MM-DD without a year; None for an impossible date."""
    try:
        checked = date(year or 2000, month, day)  # 2000 is a leap year: 29/02 stands
    except ValueError:
        return None
    return checked.isoformat() if year else f"--{month:02d}-{day:02d}"


def dates(text: str) -> Iterator[Entity]:
    """Dates: numeric (01/12/2022, 2022-12-01) or with a month's name (1er décembre, Dec 8)."""
    if _DIGIT.search(text) is None:
        return  # every date has its day in figures
    folded = EMAIL.sub(lambda m: " " * len(m.group(0)), _fold(text))
    found: list[tuple[int, str]] = []
    taken: list[range] = []
    for pattern in _DATES:
        for match in pattern.finditer(folded):
            span = range(*match.span())
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                continue
            raw_month = match.group("month")
            month = MONTHS[raw_month] if raw_month in MONTHS else int(raw_month)
            value = _date_value(int(match.group("day")), month, _year(match.group("year")))
            if value is not None:
                taken.append(span)
                found.append((span.start, value))
    for _, value in sorted(found):
        yield Entity("date", value)


def ballots(text: str) -> Iterator[Entity]:
    """Ballots' names (CSA, CAP, CCP ANT, CSA d'établissement...), in their usual spelling."""
    folded = _fold(EMAIL.sub(lambda m: " " * len(m.group(0)), text))
    shouting = text.isupper()  # all in capitals: "CT" may be the SMS "c'était"
    for match in _BALLOT.finditer(folded):
        name = match.group("name")
        start = match.start("name")
        before = folded[max(0, start - 24) : start]
        if name in _UPPERCASE_ONLY:
            typed = text[start : match.end("name")]
            acronym = typed.isupper() and not shouting
            if not acronym and not _BALLOT_CONTEXT.search(before):
                continue
            if name == "cpe" and _JOB_CONTEXT.search(before):
                continue  # "je suis CPE": the job (conseiller principal d'éducation)
        value = _BALLOT_NAMES.get(name) or re.sub(r"\s*[-/]?\s*ant$", " ANT", name).upper()
        scope = match.group("scope")
        if scope:
            value += " " + _scope(scope)
        yield Entity("ballot", value)


def extract(text: str) -> tuple[Entity, ...]:
    """Every e-mail address, date and ballot of a message, each once, in that order."""
    seen: dict[Entity, None] = {}
    for entity in (*emails(text), *dates(text), *ballots(text)):
        seen.setdefault(entity, None)
    return tuple(seen)
