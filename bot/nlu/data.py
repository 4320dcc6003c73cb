"""The training and test examples, and the map of finer intents onto reported ones."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

NLU_DIR = Path(__file__).resolve().parents[2] / "dialogs" / "nlu"
"""Where the shipped examples live: `<lang>.yaml`, `test/<lang>.yaml`, `intents.yaml`."""

_LANGUAGE_FILE = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z]{2})?$")


class NluDataError(ValueError):
    """A training, test or intents file that cannot be read, naming the file and the intent."""


@dataclass(frozen=True)
class Examples:
    """Messages with their intent and language, in parallel tuples."""

    texts: tuple[str, ...]
    intents: tuple[str, ...]
    languages: tuple[str, ...]

    def __post_init__(self) -> None:
        if not len(self.texts) == len(self.intents) == len(self.languages):
            raise ValueError("texts, intents and languages must have the same length")

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, str]]) -> Examples:
        """Examples from (text, intent, language) rows."""
        listed = list(rows)
        return cls(
            tuple(r[0] for r in listed), tuple(r[1] for r in listed), tuple(r[2] for r in listed)
        )

    def rows(self) -> list[tuple[str, str, str]]:
        """(text, intent, language) rows."""
        return list(zip(self.texts, self.intents, self.languages, strict=True))

    def in_language(self, language: str) -> Examples:
        """Only the examples of one language."""
        return Examples.of(r for r in self.rows() if r[2] == language)

    def counts(self) -> dict[str, int]:
        """Number of examples per language."""
        counts: dict[str, int] = {}
        for language in self.languages:
            counts[language] = counts.get(language, 0) + 1
        return counts


@dataclass(frozen=True)
class IntentMap:
    """The intents the understanding reports, and the finer ones mapped onto them."""

    reported: frozenset[str]
    finer: Mapping[str, str] = field(default_factory=dict)

    def report(self, intent: str) -> str:
        """The reported intent a finer one stands for; a reported intent stands for itself."""
        return self.finer.get(intent, intent)

    def knows(self, intent: str) -> bool:
        """Whether the intent is reported or finer."""
        return intent in self.reported or intent in self.finer


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise NluDataError(f"{path}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise NluDataError(f"{path}: cannot be read: {exc.strerror}") from None


def read_examples_file(path: Path) -> Examples:
    """One `<lang>.yaml`: `{language: fr, intents: {intent: [example, ...]}}`."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise NluDataError(f"{path}: expected a mapping with 'language' and 'intents'")
    language = data.get("language")
    if not isinstance(language, str) or language != path.stem:
        raise NluDataError(f"{path}: 'language' must be {path.stem!r} (the file's name)")
    intents = data.get("intents")
    if not isinstance(intents, dict) or not intents:
        raise NluDataError(f"{path}: 'intents' must map each intent to a list of examples")
    rows: list[tuple[str, str, str]] = []
    for intent, examples in intents.items():
        if not isinstance(intent, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", intent):
            raise NluDataError(f"{path}: intent {intent!r}: a name in lowercase_with_underscores")
        if not isinstance(examples, list) or not examples:
            raise NluDataError(f"{path}: intent {intent!r}: expected a non-empty list of examples")
        for number, example in enumerate(examples, start=1):
            if not isinstance(example, str | int | float) or isinstance(example, bool):
                raise NluDataError(
                    f"{path}: intent {intent!r}, example {number}: expected text, "
                    f"got {type(example).__name__}"
                )
            if not str(example).strip():
                raise NluDataError(f"{path}: intent {intent!r}, example {number}: empty")
            rows.append((str(example), intent, language))
    return Examples.of(rows)


def _load_directory(directory: Path) -> Examples:
    files = sorted(p for p in directory.glob("*.yaml") if _LANGUAGE_FILE.match(p.stem))
    if not files:
        raise NluDataError(f"{directory}: no examples file (<lang>.yaml, e.g. fr.yaml)")
    rows: list[tuple[str, str, str]] = []
    for path in files:
        rows.extend(read_examples_file(path).rows())
    return Examples.of(rows)


def load_examples(directory: Path = NLU_DIR) -> Examples:
    """The training examples: every `<lang>.yaml` of the directory (fr.yaml, en.yaml...)."""
    return _load_directory(directory)


def load_test_set(directory: Path = NLU_DIR / "test") -> Examples:
    """The held-out examples, never used for training: `test/<lang>.yaml`."""
    return _load_directory(directory)


def load_intent_map(path: Path = NLU_DIR / "intents.yaml") -> IntentMap:
    """`intents.yaml`: `{reported: [intent, ...], finer: {finer_intent: reported_intent}}`."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise NluDataError(f"{path}: expected a mapping with 'reported' and 'finer'")
    reported = data.get("reported")
    if not isinstance(reported, list) or not reported:
        raise NluDataError(f"{path}: 'reported' must list the reported intents")
    if not all(isinstance(i, str) for i in reported):
        raise NluDataError(f"{path}: 'reported' must list intent names")
    finer = data.get("finer") or {}
    if not isinstance(finer, dict):
        raise NluDataError(f"{path}: 'finer' must map each finer intent to a reported one")
    for name, target in finer.items():
        if target not in reported:
            raise NluDataError(
                f"{path}: finer intent {name!r} maps onto {target!r}, which is not reported"
            )
        if name in reported:
            raise NluDataError(f"{path}: intent {name!r} is both reported and finer")
    return IntentMap(frozenset(reported), {str(k): str(v) for k, v in finer.items()})


def check_intents(examples: Examples, intent_map: IntentMap, source: str = "examples") -> None:
    """Raises NluDataError naming each intent of the examples that intents.yaml does not know."""
    unknown = sorted({i for i in examples.intents if not intent_map.knows(i)})
    if unknown:
        raise NluDataError(
            f"{source}: intent(s) {', '.join(unknown)} neither reported nor finer in intents.yaml"
        )
