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
import string
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType


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


# Accents and curly apostrophes folded one character for one, so positions stay the same.
_FOLD = str.maketrans(
    "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸŒÆ’‘ʼ",
    "aaaaaaceeeeiiiinooooouuuuyyoaAAAAAACEEEEIIIINOOOOOUUUUYYOA'''",
)
_SP = r"[^\S\n]"  # a space that does not end the line
_SECRET_LOOKING = re.compile(r"\S*\d|\w\S*[^\w\s]\S*\w")
_UPPER = string.ascii_uppercase + "ÀÂÄÉÈÊËÎÏÔÖÙÛÜÇ"
_SPECIALS = frozenset(string.punctuation + "€£§°µ¤")
_UNUSUAL = frozenset("#@!$%&*?+=~^|<>{}[]\\`")
_LEAD = "([{«\"'“‘<"
_TRAIL = ".,;:!?…)]}»\"'”’>"
_CLOSERS = {"(": ")", "[": "]", "{": "}", "<": ">", "«": "»", "“": "”", "‘": "’"}
_QUOTES = {"«": "»", "“": "”", '"': '"', "'": "'", "‘": "’"}

_URL = r"(?:https?://|www\.)\S+"
_EMAIL = r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
_URL_OR_EMAIL = re.compile(f"{_URL}|{_EMAIL}", re.I)
_SAFE_TOKEN = re.compile(
    f"{_URL}|{_EMAIL}"
    r"|[\w-]+(?:\.[\w-]+)*\.(?:fr|com|org|net|eu|info|io|be|ch)(?:/\S*)?"  # bare domains
    r"|\S+\.(?:pdf|png|jpe?g|gif|heic|webp|docx?|odt|xlsx?|ods|pptx?|txt|csv|zip|html?)"
    r"|\d{4}-\d\d-\d\d[T ]\d\d?[:h]\d\d(?::\d\d)?(?:Z|[+-]\d\d:?\d\d)?",  # ISO date-times
    re.I,
)
_DATE_TIME = re.compile(
    r"\d{1,4}([/.-])\d{1,2}(?:\1\d{1,4})?|\d{1,2}[h:]\d{0,2}(?:mn|min)?(?:-\d{1,2}[h:]\d{0,2})?"
)
_NUMBER_WITH_UNIT = re.compile(
    r"\d{1,3}(?:er|ere|eme|e|nd|nde|rd|th|st|min|mn|s|ans?|jours?|mois|caracteres?|chiffres?"
    r"|lettres?|minutes?|secondes?|heures?|fois|euros?|€|%|characters?|digits?)"
)
_UAI = re.compile(r"\d{7}[A-Za-z]")
_NUMEN = re.compile(r"(?<![A-Za-z0-9])\d\d ?[A-Za-z] ?\d{7} ?[A-Za-z]{3}(?![A-Za-z0-9])")
_OTP = re.compile(r"(?<![\w.,/@+=&?-])\d{6}(?![^\s.,;:!?)\]}»\"'’…]|[.,/:-]\d)")
_OTP_SPACED = re.compile(
    r"(?<![\w.,/@+#°=&?-])(?<!\d[ .-])(?:\d{3}[ .-]\d{3}|\d{2}[ .-]\d{2}[ .-]\d{2})(?![ .-]?\d)"
)
_CODE_WORD_BEFORE = re.compile(r"\b(?:code|sms|otp)\b[^.!?\n]{0,25}$", re.I)
_GROUPED_VALUE = re.compile(r"(?:[A-Za-z\d]{3,6}[ -]){1,5}[A-Za-z\d]{3,6}(?![\w-])")
_SPACED_DATE = re.compile(r"(?:0[1-9]|[12]\d|3[01]) (?:0[1-9]|1[0-2]) \d\d")
_GROUPED_CODE = re.compile(  # A7B3 C9D2 E4F1: 3 to 6 groups, each mixing letters and digits
    r"(?<![\w-])(?:(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z\d]{4,6}[ -]){2,5}"
    r"(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z\d]{4,6}(?![\w-])"
)
_OTP_UNIT_AFTER = re.compile(
    r"\s*(?:€|%|k€|euros?\b|eur\b|[ée]lecteurs|votants|inscrits|agents|personnes|personnels"
    r"|habitants|enseignants|coll[èe]gues|[ée]l[èe]ves|voters|people|staff|teachers|km\b)",
    re.I,
)
_OTP_REFERENCE_BEFORE = re.compile(
    r"(?:ticket|dossier|demande|incident|requ[êe]te|r[ée]f[ée]rence|r[ée]f\.?|case|request)"
    r"\s*(?:n[°o]\.?|num[ée]ro|number|#|:)?\s*$|(?:n°|#)\s*$",
    re.I,
)
_SEPARATOR_IN_TOKEN = re.compile(r"[-_./,:;'()]")
_ORDINARY_ALNUM = re.compile(
    r"\d{7}[A-Za-z]"  # a school's UAI code
    r"|[A-Z]{2,12}(?:19|20)\d\d"  # an acronym and a year: CAPES2022
    r"|[A-Z]{4}\d{7}[A-Z]"  # an official text's NOR: MENH2212345A
    r"|(?:\d{1,2}[hms])+\d{0,2}"  # a time: 16h59m59s
    r"|(?=(?:[A-Z\d]*[a-z]){3})(?:[A-Za-z]+\d{1,4}[A-Za-z]*|\d{1,4}[A-Za-z]+)"  # iPhone15Pro
)
_HEX = re.compile(r"[0-9a-f]+")
_MIXED = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z\d]+")
_LONG_TOKEN = re.compile(r"\S{7,}")
_TOKEN = re.compile(r"\S+")

_CUE_WORDS = (
    r"(?P<secret_answer>\b(?:r[ée]ponse[- ](?:secr[eè]te|d[ée]fi|(?:(?:a|de) )?(?:(?:ma|la|mon) )?"
    r"question (?:d[ée]fi|secr[eè]te))|(?:secret|security|challenge) answer"
    r"|answer to (?:my|the) (?:secret|security|challenge) question)\b)"
    r"|(?P<reply>\b(?:reponse|answer)\b)"
    r"|(?P<password>\b(?:mots?[ -]de[ -]passe|mot ?2 ?passe|mdp|password|passwd|pwd)\b)"
    r"|(?P<numen>\bnumen\b)"
    r"|(?P<voting_code>(?<!error )(?<!erreur )\bcode\b"
    r"(?! (?:d'?)?(?:erreur|error|postal|promo|qr|insee|uai|rne|naf|ape)\b))"
)
_STATED = re.compile(
    f"(?:{_CUE_WORDS})"
    rf"(?:{_SP}+(?!(?:est|c'est|cest|is)\b)[\w'-]+){{0,4}}?"
    rf"(?P<sep>{_SP}*(?P<strong>[:=]|->|=>){_SP}*"
    rf"|{_SP}*,?{_SP}+(?:c'est|c est|cest|c|est|is|was|etait|sera)(?:{_SP}*:)?{_SP}+)",
    re.I,
)
_BARE_CUE = re.compile(  # a cue followed by its value after a mere space
    r"(?:(?P<password>\b(?:mots?[ -]de[ -]passe|mdp|password))|(?P<numen>\bnumen)"
    r"|(?P<said>\bj'ai (?:mis|repondu|tape|ecrit|saisi|entre)|\bi (?:typed|put|wrote|answered)))"
    rf"{_SP}+(?=[^\s:=])",
    re.I,
)
_KIND_GROUPS = ("secret_answer", "password", "numen", "voting_code")
_CHALLENGE_CONTEXT = re.compile(
    r"\bquestion[- ](?:d[ée]fi|secr[eè]te)|\b(?:security|challenge|secret) question", re.I
)
_FILLER = re.compile(
    rf"(?:bien|normalement|simplement|juste|exactement|toujours|just|simply|actually){_SP}+",
    re.I,
)
_CLAUSE_END = re.compile(
    rf"{_SP}*(?:$|[.,;!?\n)…]|(?:mais|et|merci|svp|stp|but|and|thanks|please)\b)", re.I
)
_ANSWER_VALUE = re.compile(
    r"(?P<v>[^.!?;,\n]{1,80}?)"
    rf"(?={_SP}*(?:[.!?;,\n]|$)|{_SP}+(?:mais|et|but|and|donc|car|pourtant|alors|puis|sauf"
    r"|merci|thanks|svp|stp|please)\b)",
    re.I,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ARTICLES = _words("le la les l un une des du de d mon ma mes ton ta tes son sa ses notre votre")
_ARTICLES |= _words("the a an my")
_NOT_SECRET = _ARTICLES | _words(
    """oublie oubliee oublies perdu perdue bloque bloquee expire expiree faux fausse incorrect
    incorrecte invalide errone erronee refuse refusee mauvais mauvaise bon bonne correct correcte
    juste ok okay oui non aucun aucune rien inconnu inconnue vide nul nulle long longue court courte
    trop pas plus toujours jamais quoi ou quel quelle lequel laquelle sur dans sous chez avec sans
    en a au aux pour par je j il elle on nous vous ils ne n que qu qui ca cela ceci celui celle
    comment pourquoi combien quand toute tout tres assez facultatif facultative i it he she we they
    you how why when impossible possible inutile interdit identifiant identifiants login username
    email mail adresse là où
    simple facile difficile complique compliquee change changee modifie nouveau nouvelle ancien
    ancienne provisoire temporaire different differente identique pareil meme valide valable
    illisible introuvable obligatoire sensible necessaire demande demandee casse cassee desactive
    ras ko censee sensee peut-etre surement forcement vraiment encore deja
    not wrong lost forgotten forgot expired blocked locked invalid incorrect rejected refused right
    fine good bad missing none nothing same too case what which where sensitive required needed
    empty unknown new old temporary still already weak strong secure easy hard complex
    complicated short faible fort forte personnel personnelle confidentiel confidentielle secret
    secrete securise robuste solide parfait parfaite normal normale bizarre etrange accepte
    enregistre note ecrit ici partout similaire pourri nul naze top super genial numen iprof
    webmail nom prenom naissance entree enter valider envoyer retour"""
)
_ANSWER_STOP = _NOT_SECRET - _ARTICLES
_ANSWER_STOP_PAIRS = frozenset(
    pair.replace("_", " ")
    for pair in _words("""la_meme le_meme la_bonne la_mauvaise le_nom le_prenom un_nom un_prenom
    un_mot une_ville une_date un_lieu un_chiffre un_nombre une_phrase un_animal the_same the_name
    a_name a_word a_place la_reponse ma_reponse the_answer my_answer""")
)
_WORD_SUFFIXES = ("able", "ible", "ment", "if", "ive", "eux", "euse", "ing", "ed", "ique", "oire")


def inspect(text: str, *, expecting_code: bool = False) -> Verdict:
    """Finds the secrets in a voter's message and returns their kinds and the masked message.

    With `expecting_code` the voter is at the prompt of the assistant's identity code: a 6-digit
    code is reported and masked as anywhere else, and so is one written "123 456" or "12 34 56"
    (elsewhere only after "code" or "SMS") or after "ticket n°" or before "euros" (elsewhere a
    reference or an amount).
    """
    spans: list[tuple[int, int, int, SecretKind]] = []  # priority, start, end, kind
    folded = text.translate(_FOLD)
    _stated(text, folded, spans)
    for m in _NUMEN.finditer(text):
        spans.append((1, m.start(), m.end(), SecretKind.NUMEN))
    _one_time_codes(text, expecting_code, spans)
    _shapes(text, spans)
    if not spans:
        return Verdict((), text)
    safe = [m.span() for m in _URL_OR_EMAIL.finditer(text)]
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
    about_challenge = _CHALLENGE_CONTEXT.search(folded) is not None
    for m in _STATED.finditer(folded):
        group = next(g for g in (*_KIND_GROUPS, "reply") if m.group(g))
        if group == "reply" and not about_challenge:
            continue
        cue = SecretKind(group) if group != "reply" else SecretKind.SECRET_ANSWER
        position = m.end()
        for _ in range(2):
            filler = _FILLER.match(folded, position)
            if filler:
                position = filler.end()
        found = _stated_value(text, folded, position, cue, m.group("strong") is not None)
        if found:
            spans.append((0, *found))
    for m in _BARE_CUE.finditer(folded):
        group = next(g for g in ("password", "numen", "said") if m.group(g))
        position = m.end()
        if group == "said":  # "j'ai mis Bretagne", about the challenge question only
            if not (about_challenge and text[position] in '«"“' + _UPPER):
                continue
        elif not _SECRET_LOOKING.match((_TOKEN.match(text, position) or m).group()):
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
    closing = _QUOTES.get(text[position])
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
        m = _ANSWER_VALUE.match(folded, position)
        line_end = text.find("\n", position)
        end = m.end("v") if m else min(len(text) if line_end < 0 else line_end, position + 80)
        value = text[position:end].rstrip()
        if len(value) < 2 or _describes_answer(value):
            return None
        return position, position + len(value), cue
    grouped = _GROUPED_VALUE.match(text, position) if cue is SecretKind.VOTING_CODE else None
    if grouped and _looks_like_code(re.sub("[ -]", "", grouped.group())):  # A7B3 C9D2 E4F1
        return position, grouped.end(), cue
    token = _TOKEN.match(text, position)
    if token is None:
        return None
    value = token.group().rstrip(_TRAIL)
    clause_end = _CLAUSE_END.match(text, position + len(value)) is not None
    kind = _value_kind(cue, value, strong=strong, clause_end=clause_end) if value else None
    return (position, token.end(), kind) if kind else None


def _describes_answer(value: str) -> bool:
    """Whether the words after "ma réponse secrète est" describe it rather than give it."""
    words = value.translate(_FOLD).lower().split()
    if not words or not any(c.isalnum() for c in value):
        return True
    first = value.split()[0].lower().split("'")[0]
    if first in _ANSWER_STOP or words[0].split("'")[0] in _ANSWER_STOP:
        return True
    if " ".join(words[:2]) in _ANSWER_STOP_PAIRS:
        return True
    return len(words) == 1 and value[0].islower() and _ordinary_word(words[0], value)


def _value_kind(
    cue: SecretKind, value: str, *, strong: bool, clause_end: bool
) -> SecretKind | None:
    """The kind of secret a value after a cue is, or None when it is an ordinary word."""
    if _NUMEN.fullmatch(value):
        return SecretKind.NUMEN
    if cue is not SecretKind.PASSWORD and len(value) == 6 and value.isdigit():
        return SecretKind.ONE_TIME_CODE
    plain = value.translate(_FOLD).lower()
    if plain.split("'")[0] in _NOT_SECRET or _SAFE_TOKEN.fullmatch(value):
        return None
    if _DATE_TIME.fullmatch(plain) or _NUMBER_WITH_UNIT.fullmatch(plain) or _UAI.fullmatch(value):
        return None
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    if not letters:
        return cue if digits >= 6 else None
    if cue is SecretKind.NUMEN:
        return cue if digits >= 2 and len(value) >= 6 else None
    if digits or any(c in _SPECIALS and c not in "'-_." for c in value):
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
        plain in _NOT_SECRET
        or plain.endswith(_WORD_SUFFIXES)
        or value.lower().endswith(("é", "ée", "és", "ées"))
    )


def _one_time_codes(
    text: str, expecting_code: bool, spans: list[tuple[int, int, int, SecretKind]]
) -> None:
    """Standalone 6-digit codes; "123 456" or "12 34 56" at the prompt or after "code", "SMS"."""
    for m in _OTP.finditer(text):
        if not expecting_code and (
            _OTP_UNIT_AFTER.match(text, m.end())
            or _OTP_REFERENCE_BEFORE.search(text, max(0, m.start() - 40), m.start())
        ):
            continue
        spans.append((2, m.start(), m.end(), SecretKind.ONE_TIME_CODE))
    for m in _OTP_SPACED.finditer(text):  # outside the prompt: "le code reçu est 594 203"
        if expecting_code or (
            _CODE_WORD_BEFORE.search(text, max(0, m.start() - 40), m.start())
            and not _SPACED_DATE.fullmatch(m.group())
        ):
            spans.append((2, m.start(), m.end(), SecretKind.ONE_TIME_CODE))


def _shapes(text: str, spans: list[tuple[int, int, int, SecretKind]]) -> None:
    """Tokens shaped like a password of the portal's policy or like a voting code."""
    for m in _GROUPED_CODE.finditer(text):  # not a receipt 3F2A 88C1, nor rooms B204 B205 B206
        groups = re.split("[ -]", m.group())
        if not _HEX.fullmatch("".join(groups).lower()) and any(
            sum(c.isalpha() for c in group) >= 2 for group in groups
        ):
            spans.append((3, m.start(), m.end(), SecretKind.VOTING_CODE))
    for m in _LONG_TOKEN.finditer(text):
        token = m.group()
        lead = len(token) - len(token.lstrip(_LEAD))
        core_end = len(token.rstrip(_TRAIL))
        core, tail = token[lead:core_end], token[core_end:]
        if len(token) - lead < 7 or any(_SAFE_TOKEN.fullmatch(t) for t in (core, token[lead:])):
            continue
        # The trailing punctuation may belong to the secret: it is masked too, but not the
        # bracket or quote that closes the one opening the token.
        start, end = m.start() + lead, m.end()
        closer = _CLOSERS.get(token[lead - 1]) if lead else None
        if closer and tail.endswith(closer):
            end -= 1
        if _fits_policy(core) or _fits_policy(token[lead:]):
            spans.append((3, start, end, SecretKind.PASSWORD))
        elif _fits_policy(token):
            spans.append((3, m.start(), m.end(), SecretKind.PASSWORD))
        elif (len(core) >= 8 and _looks_like_code(core)) or (
            any(c in _UNUSUAL for c in tail)
            and len(token) - lead >= 8
            and (_random_alnum(core, 6) or (_UNUSUAL & set(core) and _looks_like_code(core)))
        ):
            spans.append((3, start, end, SecretKind.VOTING_CODE))


def _fits_policy(token: str) -> bool:
    """12 characters or more with an upper-case, a lower-case letter, a digit and a special."""
    tests = (str.isupper, str.islower, str.isdigit, _SPECIALS.__contains__)
    return len(token) >= 12 and all(any(map(test, token)) for test in tests)


def _looks_like_code(token: str) -> bool:
    """8+ ASCII characters mixing letters and digits, with an unusual character or no pattern."""
    if not (token.isascii() and any(map(str.isalpha, token)) and any(map(str.isdigit, token))):
        return False
    if _UNUSUAL & set(token):
        return True
    parts = _SEPARATOR_IN_TOKEN.split(token)
    if any(_random_alnum(part, 8) for part in parts):
        return True
    grouped = [p for p in parts if len(p) >= 4 and _MIXED.fullmatch(p) and not p.islower()]
    # 7KQ2-M9XP-4TZ8, but not a receipt's hexadecimal 3F2A-88C1
    return len(grouped) >= 2 and not all(_HEX.fullmatch(p.lower()) for p in grouped)


def _random_alnum(part: str, min_length: int) -> bool:
    """Letters and digits not shaped like a word and a number, an acronym and a year, a UAI.

    Without an upper-case letter, a code must alternate letters and digits at least 3 times
    with 3 of each ("k7xq2m9p"), which "jdupont75" or "mot2passe" do not.
    """
    if len(part) < min_length or not part.isascii() or not part.isalnum():
        return False
    if not any(c.isdigit() for c in part) or _ORDINARY_ALNUM.fullmatch(part):
        return False
    if any(c.isupper() for c in part):
        return True
    if _HEX.fullmatch(part):  # an error reference or a session id copied from a page
        return False
    digits = sum(c.isdigit() for c in part)
    switches = sum(a.isdigit() != b.isdigit() for a, b in pairwise(part))
    return switches >= 3 and 3 <= digits <= len(part) - 3
