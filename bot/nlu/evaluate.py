"""The classifier measured on held-out messages: accuracy, per-intent scores, confusions, errors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.nlu.classifier import IntentClassifier
from bot.nlu.data import Examples

ACCURACY_TARGET = 0.95
"""The accuracy the held-out set must reach, overall and per language."""
F1_TARGET = 0.85
"""The F1 no reported intent may fall below."""


@dataclass(frozen=True, slots=True)
class IntentScore:
    """Precision, recall and F1 of one reported intent, and how many messages it has."""

    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Miss:
    """A misclassified message: what it is, what the classifier said, how sure it was."""

    text: str
    language: str
    expected: str
    predicted: str
    confidence: float
    detail: str


@dataclass(frozen=True, slots=True)
class Confusion:
    """How often one intent was taken for another, with one of those messages."""

    expected: str
    predicted: str
    count: int
    example: str


@dataclass(frozen=True, slots=True)
class Scores:
    """The figures of one slice of the test set (a language, or all of it)."""

    name: str
    total: int
    accuracy: float
    intents: tuple[IntentScore, ...]
    confusions: tuple[Confusion, ...]
    misses: tuple[Miss, ...]
    confidence_right: float
    """Mean confidence of the right answers."""
    confidence_wrong: float
    """Mean confidence of the wrong ones (0 when none)."""
    language_accuracy: float
    """Among the messages whose language the classifier was sure of, the share it got right."""
    language_unsure: int
    """Messages too short or too mixed to be sure of their language."""

    def below_target(self) -> list[str]:
        """What misses the targets, in words; empty when all is well."""
        problems = []
        if self.total and self.accuracy < ACCURACY_TARGET:
            problems.append(f"{self.name}: accuracy {self.accuracy:.1%} < {ACCURACY_TARGET:.0%}")
        problems += [
            f"{self.name}: {s.intent} F1 {s.f1:.2f} < {F1_TARGET:.2f}"
            for s in self.intents
            if s.f1 < F1_TARGET and (s.support or s.precision < 1)
        ]
        return problems


@dataclass(frozen=True, slots=True)
class Report:
    """The evaluation, overall and per language."""

    overall: Scores
    languages: Mapping[str, Scores]

    def slices(self) -> list[Scores]:
        """Each language's figures, then the overall ones."""
        return [*self.languages.values(), self.overall]

    def below_target(self) -> list[str]:
        """Every target missed, overall and per language."""
        return [p for s in self.slices() for p in s.below_target()]

    def text(self, show_errors: bool = False, confusions: int = 8) -> str:
        """A readable table per language and overall; with the misclassified messages if asked."""
        return "\n\n".join(_table(s, show_errors, confusions) for s in self.slices())


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """One test message and what the classifier made of it."""

    text: str
    language: str
    expected: str
    predicted: str
    confidence: float
    detail: str
    detected: str | None
    """The language the classifier was sure of, or None."""


def _scores(name: str, outcomes: Sequence[Outcome], intents: Sequence[str]) -> Scores:
    pairs = Counter((o.expected, o.predicted) for o in outcomes)
    scores = []
    for intent in intents:
        true_positive = pairs[(intent, intent)]
        predicted = sum(n for (_, p), n in pairs.items() if p == intent)
        support = sum(n for (e, _), n in pairs.items() if e == intent)
        if not predicted and not support:
            continue
        precision = _ratio(true_positive, predicted)
        recall = _ratio(true_positive, support)
        f1 = _ratio(2 * precision * recall, precision + recall)
        scores.append(IntentScore(intent, precision, recall, f1, support))
    misses = tuple(
        Miss(o.text, o.language, o.expected, o.predicted, o.confidence, o.detail)
        for o in outcomes
        if o.expected != o.predicted
    )
    first_example: dict[tuple[str, str], str] = {}
    for miss in misses:
        first_example.setdefault((miss.expected, miss.predicted), miss.text)
    confusions = tuple(
        Confusion(e, p, n, first_example[(e, p)])
        for (e, p), n in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
        if e != p
    )
    right = [o.confidence for o in outcomes if o.expected == o.predicted]
    wrong = [o.confidence for o in outcomes if o.expected != o.predicted]
    detected = [o for o in outcomes if o.detected is not None]
    return Scores(
        name=name,
        total=len(outcomes),
        accuracy=_ratio(len(right), len(outcomes)),
        intents=tuple(scores),
        confusions=confusions,
        misses=misses,
        confidence_right=_ratio(sum(right), len(right)),
        confidence_wrong=_ratio(sum(wrong), len(wrong)),
        language_accuracy=_ratio(sum(o.detected == o.language for o in detected), len(detected)),
        language_unsure=len(outcomes) - len(detected),
    )


def classify(classifier: IntentClassifier, test: Examples) -> list[Outcome]:
    """What the classifier makes of each test message, in reported intents."""
    report = classifier.intent_map.report
    outcomes = []
    for text, intent, language in test.rows():
        understood = classifier.understand(text, language)
        if understood is None:
            outcomes.append(Outcome(text, language, report(intent), "(none)", 0.0, "", None))
            continue
        outcomes.append(
            Outcome(
                text,
                language,
                report(intent),
                understood.intent,
                understood.confidence,
                understood.detail or "",
                understood.language,
            )
        )
    return outcomes


def evaluate(classifier: IntentClassifier, test: Examples) -> Report:
    """Classifies every test message; scores reported intents (finer ones under theirs)."""
    outcomes = classify(classifier, test)
    intents = sorted({o.expected for o in outcomes} | {o.predicted for o in outcomes})
    per_language = {
        language: _scores(language, [o for o in outcomes if o.language == language], intents)
        for language in sorted(set(test.languages))
    }
    return Report(_scores("all", outcomes, intents), per_language)


def _table(scores: Scores, show_errors: bool, confusions: int) -> str:
    lines = [
        f"== {scores.name}: {scores.total} messages, accuracy {scores.accuracy:.1%} "
        f"(mean confidence {scores.confidence_right:.2f} when right, "
        f"{scores.confidence_wrong:.2f} when wrong)",
    ]
    lines.append(
        f"   language right when sure: {scores.language_accuracy:.1%} "
        f"({scores.language_unsure} messages too short or too mixed to be sure)"
    )
    lines.append(f"   {'intent':<26}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}")
    for s in scores.intents:
        flag = "  <" if s.f1 < F1_TARGET and (s.support or s.precision < 1) else ""
        lines.append(
            f"   {s.intent:<26}{s.precision:>10.2f}{s.recall:>8.2f}{s.f1:>7.2f}{s.support:>9}{flag}"
        )
    if scores.confusions:
        lines.append("   most frequent confusions (expected -> predicted):")
        for c in scores.confusions[:confusions]:
            lines.append(f"   {c.count:>4}  {c.expected} -> {c.predicted}   e.g. {c.example!r}")
    if show_errors and scores.misses:
        lines.append("   misclassified:")
        for m in scores.misses:
            detail = f" ({m.detail})" if m.detail else ""
            lines.append(
                f"   [{m.language}] {m.expected} -> {m.predicted}{detail} "
                f"{m.confidence:.2f}: {m.text!r}"
            )
    return "\n".join(lines)
