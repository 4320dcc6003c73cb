"""The guard: recognises secrets in a voter's message and masks them before anything keeps it.

Pure: no I/O. Three families of rules, all on the standard library's `re`, compiled at import:

- stated secrets: a cue ("mon mot de passe est", "mdp :", "code de vote :", "mon numen :",
  "ma réponse secrète c'est", "my password is", "mdp Soleil13", "question défi… j'ai mis
  Brest"…) followed by a value that looks like one, ordinary words excepted;
- shapes: a NUMEN (2 digits, 1 letter, 7 digits, 3 letters), a standalone 6-digit code, a token
  that fits the portal's password policy (12+ characters, upper, lower, digit, special), a token
  that looks like a voting code (8+ characters mixing letters and digits: with an unusual
  character; or with upper-case letters and not shaped like a word and a number, an acronym and
  a year, a UAI; or in groups, 7KQ2-M9XP-4TZ8; or lower-case, alternating letters and digits);
- exceptions: e-mail addresses, URLs, file names, dates, times, school codes (UAI), ordinary
  words after a cue ("mon mot de passe est oublié"), numbers with a unit, ticket numbers.

Overlapping findings are masked as one span, and the punctuation glued after a secret is masked
with it: no part of a secret found is left in `Verdict.masked`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType

from bot import guard_lexicon as lexicon


class SecretKind(StrEnum):
    """What kind of secret a message holds."""

    PASSWORD = "password"
    VOTING_CODE = "voting_code"
    NUMEN = "numen"
    ONE_TIME_CODE = "one_time_code"
    SECRET_ANSWER = "secret_answer"


MASKS: Mapping[SecretKind, str] = MappingProxyType(
    {
        SecretKind.PASSWORD: "[mot de passe masqué]",
        SecretKind.VOTING_CODE: "[code masqué]",
        SecretKind.NUMEN: "[NUMEN masqué]",
        SecretKind.ONE_TIME_CODE: "[code masqué]",
        SecretKind.SECRET_ANSWER: "[réponse masquée]",
    }
)
"""The text that replaces each kind of secret in the stored, logged and classified message."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the guard found in a message, and the message with every secret masked."""

    kinds: tuple[SecretKind, ...]
    """The kinds found, in order of first appearance, each once."""
    masked: str
    """The message with every secret replaced by its mask; the message itself when none."""

    @property
    def found(self) -> bool:
        """Whether the message held at least one secret."""
        return bool(self.kinds)


def inspect(text: str, *, expecting_code: bool = False) -> Verdict:
    """Finds the secrets in a voter's message and returns their kinds and the masked message.

    With `expecting_code` the voter is at the prompt of the assistant's identity code: a 6-digit
    code is reported and masked as anywhere else, and so is one written "123 456" or "12 34 56"
    (elsewhere only after "code" or "SMS") or after "ticket n°" or before "euros" (elsewhere a
    reference or an amount).
    """
    spans: list[tuple[int, int, int, SecretKind]] = []  # priority, start, end, kind
    folded = text.translate(lexicon.FOLD)
    _stated(text, folded, spans)
    for m in lexicon.NUMEN.finditer(text):
        spans.append((1, m.start(), m.end(), SecretKind.NUMEN))
    _one_time_codes(text, expecting_code, spans)
    _shapes(text, spans)
    if not spans:
        return Verdict((), text)
    safe = [m.span() for m in lexicon.URL_OR_EMAIL.finditer(text)]
    # Overlapping secrets are masked as one, so nothing leaks between them; the group takes the
    # kind of its most telling rule (a cue, then NUMEN, one-time code, shape).
    groups: list[tuple[int, int, int, SecretKind]] = []  # start, end, priority, kind
    next_safe = 0  # both lists in order of start: one walk, not a search per span
    for priority, start, end, kind in sorted(spans, key=lambda span: span[1]):
        while next_safe < len(safe) and safe[next_safe][1] <= start:
            next_safe += 1
        if next_safe < len(safe) and safe[next_safe][0] <= start and end <= safe[next_safe][1]:
            continue
        if groups and start < groups[-1][1]:
            g_start, g_end, g_priority, g_kind = groups[-1]
            if priority < g_priority:
                g_priority, g_kind = priority, kind
            groups[-1] = (g_start, max(g_end, end), g_priority, g_kind)
        else:
            groups.append((start, end, priority, kind))
    parts: list[str] = []
    position = 0
    for start, end, _, kind in groups:
        parts += [text[position:start], MASKS[kind]]
        position = end
    parts.append(text[position:])
    kinds = tuple(dict.fromkeys(kind for *_, kind in groups))
    return Verdict(kinds, "".join(parts)) if kinds else Verdict((), text)


def _stated(text: str, folded: str, spans: list[tuple[int, int, int, SecretKind]]) -> None:
    """Secrets announced by a cue: the value after "mon mot de passe est", "code :"…"""
    about_challenge = lexicon.CHALLENGE_CONTEXT.search(folded) is not None
    for m in lexicon.STATED.finditer(folded):
        group = next(g for g in (*lexicon.KIND_GROUPS, "reply") if m.group(g))
        if group == "reply" and not about_challenge:
            continue
        cue = SecretKind(group) if group != "reply" else SecretKind.SECRET_ANSWER
        position = m.end()
        for _ in range(2):
            filler = lexicon.FILLER.match(folded, position)
            if filler:
                position = filler.end()
        found = _stated_value(text, folded, position, cue, m.group("strong") is not None)
        if found:
            spans.append((0, *found))
    for m in lexicon.BARE_CUE.finditer(folded):
        group = next(g for g in ("password", "numen", "said") if m.group(g))
        position = m.end()
        if group == "said":  # "j'ai mis Bretagne", about the challenge question only
            if not (about_challenge and text[position] in '«"“' + lexicon.UPPER):
                continue
        elif not lexicon.SECRET_LOOKING.match((lexicon.TOKEN.match(text, position) or m).group()):
            continue  # "mdp oublié", "mdp #oublié": only a value with a digit or a special inside
        cue = SecretKind(group) if group != "said" else SecretKind.SECRET_ANSWER
        found = _stated_value(text, folded, position, cue, False)
        if found:
            spans.append((0, *found))


def _stated_value(
    text: str, folded: str, position: int, cue: SecretKind, strong: bool
) -> tuple[int, int, SecretKind] | None:
    """The span and kind of the value after a cue, if it looks like a secret."""
    if position >= len(text):
        return None
    closing = lexicon.QUOTES.get(text[position])
    if closing:
        end = text.find(closing, position + 1, position + 82)
        inner = text[position + 1 : end] if end > 0 else ""
        value = inner.strip()
        if not value or "\n" in value:
            return None
        start = position + 1 + inner.index(value)
        if cue is SecretKind.SECRET_ANSWER:
            kind: SecretKind | None = None if _describes_answer(value) else cue
        else:
            kind = _value_kind(cue, value, strong=True, clause_end=True)
        return (start, start + len(value), kind) if kind else None
    if cue is SecretKind.SECRET_ANSWER:
        m = lexicon.ANSWER_VALUE.match(folded, position)
        line_end = text.find("\n", position)
        end = m.end("v") if m else min(len(text) if line_end < 0 else line_end, position + 80)
        value = text[position:end].rstrip()
        if len(value) < 2 or _describes_answer(value):
            return None
        return position, position + len(value), cue
    grouped = lexicon.GROUPED_VALUE.match(text, position) if cue is SecretKind.VOTING_CODE else None
    if grouped and _looks_like_code(re.sub("[ -]", "", grouped.group())):  # A7B3 C9D2 E4F1
        return position, grouped.end(), cue
    token = lexicon.TOKEN.match(text, position)
    if token is None:
        return None
    value = token.group().rstrip(lexicon.TRAIL)
    clause_end = lexicon.CLAUSE_END.match(text, position + len(value)) is not None
    kind = _value_kind(cue, value, strong=strong, clause_end=clause_end) if value else None
    return (position, token.end(), kind) if kind else None


def _describes_answer(value: str) -> bool:
    """Whether the words after "ma réponse secrète est" describe it rather than give it."""
    words = value.translate(lexicon.FOLD).lower().split()
    if not words or not any(c.isalnum() for c in value):
        return True
    first = value.split()[0].lower().split("'")[0]
    if first in lexicon.ANSWER_STOP or words[0].split("'")[0] in lexicon.ANSWER_STOP:
        return True
    if " ".join(words[:2]) in lexicon.ANSWER_STOP_PAIRS:
        return True
    return len(words) == 1 and value[0].islower() and _ordinary_word(words[0], value)


def _value_kind(
    cue: SecretKind, value: str, *, strong: bool, clause_end: bool
) -> SecretKind | None:
    """The kind of secret a value after a cue is, or None when it is an ordinary word."""
    if lexicon.NUMEN.fullmatch(value):
        return SecretKind.NUMEN
    if cue is not SecretKind.PASSWORD and len(value) == 6 and value.isdigit():
        return SecretKind.ONE_TIME_CODE
    plain = value.translate(lexicon.FOLD).lower()
    if plain.split("'")[0] in lexicon.NOT_SECRET or lexicon.SAFE_TOKEN.fullmatch(value):
        return None
    if (
        lexicon.DATE_TIME.fullmatch(plain)
        or lexicon.NUMBER_WITH_UNIT.fullmatch(plain)
        or lexicon.UAI.fullmatch(value)
    ):
        return None
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    if not letters:
        return cue if digits >= 6 else None
    if cue is SecretKind.NUMEN:
        return cue if digits >= 2 and len(value) >= 6 else None
    if digits or any(c in lexicon.SPECIALS and c not in "'-_." for c in value):
        return cue if len(value) >= 5 else None
    if len(value) < 4 or _ordinary_word(plain, value):
        return None
    irregular = any(c.isupper() for c in value[1:]) and (
        any(c.islower() for c in value) or len(value) >= 6
    )
    if cue is SecretKind.VOTING_CODE:
        return cue if irregular else None
    return cue if clause_end else None  # "mon mot de passe est soleil"


def _ordinary_word(plain: str, value: str) -> bool:
    """A French or English word that says something about a secret rather than being one."""
    return (
        plain in lexicon.NOT_SECRET
        or plain.endswith(lexicon.WORD_SUFFIXES)
        or value.lower().endswith(("é", "ée", "és", "ées"))
    )


def _one_time_codes(
    text: str, expecting_code: bool, spans: list[tuple[int, int, int, SecretKind]]
) -> None:
    """Standalone 6-digit codes; "123 456" or "12 34 56" at the prompt or after "code", "SMS"."""
    for m in lexicon.OTP.finditer(text):
        if not expecting_code and (
            lexicon.OTP_UNIT_AFTER.match(text, m.end())
            or lexicon.OTP_REFERENCE_BEFORE.search(text, max(0, m.start() - 40), m.start())
        ):
            continue
        spans.append((2, m.start(), m.end(), SecretKind.ONE_TIME_CODE))
    for m in lexicon.OTP_SPACED.finditer(text):  # outside the prompt: "le code reçu est 594 203"
        if expecting_code or (
            lexicon.CODE_WORD_BEFORE.search(text, max(0, m.start() - 40), m.start())
            and not lexicon.SPACED_DATE.fullmatch(m.group())
        ):
            spans.append((2, m.start(), m.end(), SecretKind.ONE_TIME_CODE))


def _shapes(text: str, spans: list[tuple[int, int, int, SecretKind]]) -> None:
    """Tokens shaped like a password of the portal's policy or like a voting code."""
    for m in lexicon.GROUPED_CODE.finditer(
        text
    ):  # not a receipt 3F2A 88C1, nor rooms B204 B205 B206
        groups = re.split("[ -]", m.group())
        if not lexicon.HEX.fullmatch("".join(groups).lower()) and any(
            sum(c.isalpha() for c in group) >= 2 for group in groups
        ):
            spans.append((3, m.start(), m.end(), SecretKind.VOTING_CODE))
    for m in lexicon.LONG_TOKEN.finditer(text):
        token = m.group()
        lead = len(token) - len(token.lstrip(lexicon.LEAD))
        core_end = len(token.rstrip(lexicon.TRAIL))
        core, tail = token[lead:core_end], token[core_end:]
        if len(token) - lead < 7 or any(
            lexicon.SAFE_TOKEN.fullmatch(t) for t in (core, token[lead:])
        ):
            continue
        # The trailing punctuation may belong to the secret: it is masked too, but not the
        # bracket or quote that closes the one opening the token.
        start, end = m.start() + lead, m.end()
        closer = lexicon.CLOSERS.get(token[lead - 1]) if lead else None
        if closer and tail.endswith(closer):
            end -= 1
        if _fits_policy(core) or _fits_policy(token[lead:]):
            spans.append((3, start, end, SecretKind.PASSWORD))
        elif _fits_policy(token):
            spans.append((3, m.start(), m.end(), SecretKind.PASSWORD))
        elif (len(core) >= 8 and _looks_like_code(core)) or (
            any(c in lexicon.UNUSUAL for c in tail)
            and len(token) - lead >= 8
            and (_random_alnum(core, 6) or (lexicon.UNUSUAL & set(core) and _looks_like_code(core)))
        ):
            spans.append((3, start, end, SecretKind.VOTING_CODE))


def _fits_policy(token: str) -> bool:
    """12 characters or more with an upper-case, a lower-case letter, a digit and a special."""
    tests = (str.isupper, str.islower, str.isdigit, lexicon.SPECIALS.__contains__)
    return len(token) >= 12 and all(any(map(test, token)) for test in tests)


def _looks_like_code(token: str) -> bool:
    """8+ ASCII characters mixing letters and digits, with an unusual character or no pattern."""
    if not (token.isascii() and any(map(str.isalpha, token)) and any(map(str.isdigit, token))):
        return False
    if lexicon.UNUSUAL & set(token):
        return True
    parts = lexicon.SEPARATOR_IN_TOKEN.split(token)
    if any(_random_alnum(part, 8) for part in parts):
        return True
    grouped = [p for p in parts if len(p) >= 4 and lexicon.MIXED.fullmatch(p) and not p.islower()]
    # 7KQ2-M9XP-4TZ8, but not a receipt's hexadecimal 3F2A-88C1
    return len(grouped) >= 2 and not all(lexicon.HEX.fullmatch(p.lower()) for p in grouped)


def _random_alnum(part: str, min_length: int) -> bool:
    """Letters and digits not shaped like a word and a number, an acronym and a year, a UAI.

    Without an upper-case letter, a code must alternate letters and digits at least 3 times
    with 3 of each ("k7xq2m9p"), which "jdupont75" or "mot2passe" do not.
    """
    if len(part) < min_length or not part.isascii() or not part.isalnum():
        return False
    if not any(c.isdigit() for c in part) or lexicon.ORDINARY_ALNUM.fullmatch(part):
        return False
    if any(c.isupper() for c in part):
        return True
    if lexicon.HEX.fullmatch(part):  # an error reference or a session id copied from a page
        return False
    digits = sum(c.isdigit() for c in part)
    switches = sum(a.isdigit() != b.isdigit() for a, b in pairwise(part))
    return switches >= 3 and 3 <= digits <= len(part) - 3
