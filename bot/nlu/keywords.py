"""A simple understander: phrases per intent and language, matched on whole words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine.turn import Understood

DEFAULT_KEYWORDS = Path(__file__).resolve().parents[2] / "dialogs" / "nlu" / "keywords.yaml"


def normalise(text: str) -> str:
    """Lowercase, no accents, apostrophes and punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w@.]+|(?<!\w)\.|\.(?!\w)", " ", bare).split())


@dataclass(frozen=True, slots=True)
class KeywordUnderstander:
    """Scores each intent by its best matching phrase, words weighted by how specific they are.

    A word found in the phrases of many intents ("vote", "de") weighs little; one found in few
    ("perdu", "boucle") weighs much. The confidence compares the best intent with the runner-up:
    a tie gives 0.5, an unopposed match 1.0.
    """

    phrases: Mapping[str, tuple[str, ...]]
    """Intent to normalised phrases (all languages)."""
    weak: frozenset[str] = frozenset()
    """Intents that win only when no other intent matches (greetings, thanks)."""
    weights: Mapping[str, float] = field(default_factory=dict)
    """Word to weight: 1 / the number of intents whose phrases hold the word."""

    def __post_init__(self) -> None:
        if not self.weights:
            spread: dict[str, set[str]] = {}
            for intent, phrases in self.phrases.items():
                for word in {w for p in phrases for w in p.split()}:
                    spread.setdefault(word, set()).add(intent)
            object.__setattr__(self, "weights", {w: 1 / len(i) for w, i in spread.items()})

    def _score(self, phrase: str) -> float:
        return sum(self.weights.get(word, 1.0) for word in phrase.split())

    @classmethod
    def load(cls, path: Path = DEFAULT_KEYWORDS) -> KeywordUnderstander:
        """Reads `dialogs/nlu/keywords.yaml`."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intents = data.get("intents") or {}
        if not isinstance(intents, dict):
            raise ValueError(f"{path}: 'intents' must map an intent to its phrases per language")
        phrases: dict[str, tuple[str, ...]] = {}
        for intent, by_lang in intents.items():
            found = [
                normalise(str(p))
                for lang_phrases in (by_lang or {}).values()
                for p in lang_phrases or ()
            ]
            phrases[str(intent)] = tuple(p for p in found if p)
        return cls(phrases, frozenset(str(w) for w in data.get("weak") or ()))

    def understand(self, text: str, locale: str) -> Understood | None:
        """The intent whose phrases match best, or None."""
        padded = f" {normalise(text)} "
        scores: list[tuple[float, str]] = []
        for intent, phrases in self.phrases.items():
            best = max((self._score(p) for p in phrases if f" {p} " in padded), default=0.0)
            if best:
                scores.append((best, intent))
        strong = [s for s in scores if s[1] not in self.weak]
        scores = strong or scores
        if not scores:
            return None
        scores.sort(key=lambda s: -s[0])
        best, intent = scores[0]
        second = scores[1][0] if len(scores) > 1 else 0.0
        return Understood(intent, round(best**2 / (best**2 + second**2), 3))
