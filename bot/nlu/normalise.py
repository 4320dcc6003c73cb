"""The text the classifier reads: French as voters type it, folded into one spelling."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

EMAIL = re.compile(
    r"(?<![\w.+-])[a-z0-9][a-z0-9_%+-]*(?:\.[a-z0-9_%+-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?![\w-])",
    re.IGNORECASE,
)
"""An e-mail address as voters type it (ASCII local part, dotted domain, letters at the end)."""

EMOJI_WORDS: Mapping[str, str] = {
    "🙏": "merci",
    "👋": "bonjour",
    "👍": "ok",
    "👌": "ok",
    "🆘": "au secours",
    "❓": "",
    "❔": "",
}
"""Emoji that carry a word; every other symbol is dropped."""

SMS_WORDS: Mapping[str, str] = {
    # French
    "g": "j ai",
    "jai": "j ai",
    "jsuis": "je suis",
    "chui": "je suis",
    "chuis": "je suis",
    "jveux": "je veux",
    "jpeux": "je peux",
    "jsp": "je ne sais pas",
    "jcomprends": "je comprends",
    "pr": "pour",
    "ds": "dans",
    "c": "c est",
    "ct": "c etait",
    "mdp": "mot de passe",
    "stp": "s il vous plait",
    "svp": "s il vous plait",
    "bjr": "bonjour",
    "bsr": "bonsoir",
    "slt": "salut",
    "mci": "merci",
    "mrc": "merci",
    "pb": "probleme",
    "pbm": "probleme",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "pcq": "parce que",
    "pck": "parce que",
    "psk": "parce que",
    "qd": "quand",
    "kan": "quand",
    "tt": "tout",
    "tjs": "toujours",
    "tjrs": "toujours",
    "ya": "il y a",
    "msg": "message",
    "dc": "donc",
    "vs": "vous",
    "ns": "nous",
    "bcp": "beaucoup",
    "cmt": "comment",
    "cmnt": "comment",
    "koi": "quoi",
    "ki": "qui",
    "ke": "que",
    "kel": "quel",
    "kelle": "quelle",
    "pa": "pas",
    "nn": "non",
    "mm": "meme",
    "dsl": "desole",
    "auj": "aujourd hui",
    "ajd": "aujourd hui",
    "rdv": "rendez vous",
    "tkt": "t inquiete pas",
    "qqn": "quelqu un",
    "qqch": "quelque chose",
    "tel": "telephone",
    # English
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "idk": "i dont know",
    "pwd": "password",
    "pw": "password",
    "passwd": "password",
    "ty": "thanks",
    "im": "i m",
    "cannot": "cant",
}
"""SMS spellings, whole words, to what they stand for ("ac", the academies' prefix, stays)."""

_APOSTROPHES = str.maketrans({c: "'" for c in "’‘`´ʼʹ′‛"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})
_REPEATED = re.compile(r"([^\W\d_])\1{2,}")
_DIGITS = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^\w']+|_+")
_NEGATION = re.compile(r"(?<=[a-z])n't\b")
_E_MAIL = re.compile(r"\be mails?\b")


def _fold(text: str) -> str:
    """Lowercase, accents and ligatures folded, apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_LIGATURES)


def _words(chunk: str) -> list[str]:
    """One chunk between spaces: elisions split ("j'ai" -> j ai), SMS spellings expanded."""
    parts = chunk.split("'")
    words: list[str] = []
    for i, part in enumerate(parts):
        if not part:
            continue
        elided = i < len(parts) - 1  # "c" in "c'est" is an elision, not the SMS "c"
        words.append(part if elided else SMS_WORDS.get(part, part))
    return words


def normalise(text: str) -> str:
    """The text folded into one spelling: case, accents, elisions, SMS, emoji, addresses, digits."""
    for emoji, word in EMOJI_WORDS.items():
        if emoji in text:
            text = text.replace(emoji, f" {word} ")
    text = EMAIL.sub(" email ", _fold(text))
    text = _NEGATION.sub("nt", text)  # English "don't" and "dont" read the same
    text = _REPEATED.sub(r"\1\1", text)
    text = _DIGITS.sub(" num ", text)
    words: list[str] = []
    for chunk in _NOT_WORD.sub(" ", text).split():
        words.extend(_words(chunk))
    return _E_MAIL.sub("email", " ".join(words))
