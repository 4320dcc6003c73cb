"""The intent classifier: character and word n-grams, a linear model, calibrated probabilities.

scikit-learn trains the models (a `Pipeline` of a `FeatureUnion` of two `TfidfVectorizer`s and a
`LogisticRegression`). One message at a time, its `predict_proba` spends about 1 ms checking its
input; `_FastScorer` computes the same probabilities from the fitted vectorizers' own analyzers,
vocabularies and idf and the model's coefficients in a few tens of µs. Training checks that both
agree on the training texts, and the tests check it again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import joblib  # type: ignore[import-untyped]
import numpy as np
import sklearn  # type: ignore[import-untyped]
from sklearn.calibration import CalibratedClassifierCV  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import FeatureUnion, Pipeline  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from bot.engine.turn import Understood
from bot.nlu.data import NLU_DIR, Examples, IntentMap, check_intents, load_examples, load_intent_map
from bot.nlu.entities import extract
from bot.nlu.normalise import normalise
from bot.settings import VAR_DIR

log = logging.getLogger(__name__)

ModelKind = Literal["logreg", "svm"]
MODEL_KINDS: tuple[ModelKind, ...] = ("logreg", "svm")
DEFAULT_KIND: ModelKind = "logreg"
"""The model kept after cross-validation on the training set (`bench/nlu_latency.py --compare`)."""
SURE_LANGUAGE = 0.8
"""Below this confidence, `Understood.language` stays None."""
MIN_WORDS, MIN_LETTERS = 2, 8
"""Shorter texts ("ok", "merci") say too little of their language."""
MAX_CHARS = 2000
"""Only the start of a longer message is read: the topic is in it, and 100 KB would take 0.2 s."""
MODEL_PATH = VAR_DIR / "nlu-model.joblib"
"""The trained model's cache (never committed)."""
_FORMAT = 1
_FAITHFUL = 1e-4
"""Largest difference allowed between the fast scorer's probabilities and scikit-learn's."""


def features(word_weight: float = 0.5) -> FeatureUnion:
    """Character n-grams within words (robust to typos) beside word unigrams and bigrams."""
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
    return FeatureUnion(
        [("chars", chars), ("words", words)],
        transformer_weights={"chars": 1.0, "words": word_weight},
    )


def intent_model(kind: ModelKind = DEFAULT_KIND) -> Any:
    """The linear classifier with probabilities: logistic regression, or a calibrated SVM."""
    if kind == "logreg":
        return LogisticRegression(C=20.0, solver="newton-cg", max_iter=1000)
    if kind == "svm":
        return CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=5, ensemble=False)
    raise ValueError(f"unknown model kind {kind!r}")


def intent_pipeline(kind: ModelKind = DEFAULT_KIND) -> Pipeline:
    """The bare scikit-learn pipeline, on normalised text: features, then the classifier."""
    return Pipeline([("features", features()), ("model", intent_model(kind))])


class _FastScorer:
    """`predict_proba` of fitted tf-idf features and logistic regressions, for one message."""

    def __init__(self, union: FeatureUnion, heads: Sequence[LogisticRegression]) -> None:
        weights = union.transformer_weights or {}
        self.blocks: list[tuple[Callable[[str], list[str]], dict[str, int], Any, float, int]] = []
        offset = 0
        for name, vectorizer in union.transformer_list:
            if not (vectorizer.sublinear_tf and vectorizer.norm == "l2" and vectorizer.use_idf):
                raise ValueError(f"{name}: only sublinear, l2-normalised tf-idf is supported")
            vocabulary: dict[str, int] = vectorizer.vocabulary_
            idf = np.asarray(vectorizer.idf_, dtype=np.float64)
            block = (vectorizer.build_analyzer(), vocabulary, idf, weights.get(name, 1.0), offset)
            self.blocks.append(block)
            offset += len(vocabulary)
        self.heads = [
            (np.ascontiguousarray(np.asarray(h.coef_, dtype=np.float64).T), h.intercept_)
            for h in heads
        ]

    def features(self, text: str) -> tuple[Any, Any]:
        """The non-zero columns of the text's feature row and their values."""
        columns: list[Any] = []
        values: list[Any] = []
        for analyze, vocabulary, idf, weight, offset in self.blocks:
            counts: dict[int, int] = {}
            for gram in analyze(text):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            found = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            value = (1.0 + np.log(tf)) * idf[found]
            columns.append(found + offset)
            values.append(value * (weight / np.sqrt(value @ value)))
        if not columns:
            return np.empty(0, dtype=np.intp), np.empty(0)
        return np.concatenate(columns), np.concatenate(values)

    def probabilities(self, row: tuple[Any, Any], head: int) -> Any:
        """One head's class probabilities for a feature row (softmax, or logistic for two)."""
        coef_t, intercept = self.heads[head]
        columns, values = row
        decision = values @ coef_t[columns] + intercept
        if decision.shape[0] == 1:
            positive = 1.0 / (1.0 + np.exp(-decision[0]))
            return np.array([1.0 - positive, positive])
        exp = np.exp(decision - decision.max())
        return exp / exp.sum()


def _top(classes: Sequence[str], probabilities: Any, top: int) -> list[tuple[str, float]]:
    order = np.argsort(-probabilities, kind="stable")[:top]
    return [(str(classes[i]), round(float(probabilities[i]), 4)) for i in order]


class IntentClassifier:
    """Finds a message's intent (finer when there is one), its language and its entities."""

    def __init__(
        self,
        intents: Pipeline,
        languages: LogisticRegression | None,
        intent_map: IntentMap,
        fingerprint: str = "",
        training_seconds: float = 0.0,
    ) -> None:
        self.intents = intents
        """The fitted pipeline: `features`, then `model` (the reference for the fast scorer)."""
        self.languages = languages
        """Language model on the same features; None when trained on one language only."""
        self.intent_map = intent_map
        self.fingerprint = fingerprint
        """What the model was trained on (data, code, library version), to spot a stale cache."""
        self.training_seconds = training_seconds
        model = intents.named_steps["model"]
        self._fast: _FastScorer | None = None
        if isinstance(model, LogisticRegression):
            heads = [model] if languages is None else [model, languages]
            self._fast = _FastScorer(intents.named_steps["features"], heads)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (
                self.intents,
                self.languages,
                self.intent_map,
                self.fingerprint,
                self.training_seconds,
            ),
        )

    @classmethod
    def train(
        cls,
        examples: Examples,
        intent_map: IntentMap,
        kind: ModelKind = DEFAULT_KIND,
        fingerprint: str = "",
    ) -> IntentClassifier:
        """Trains both models on the examples (their intents must be known to the intent map)."""
        check_intents(examples, intent_map)
        if len(set(examples.intents)) < 2:
            raise ValueError("training needs examples of at least two intents")
        started = time.perf_counter()
        texts = [normalise(t) for t in examples.texts]
        # One BLAS thread: on a busy 2-core machine more threads make training 2 to 10 times slower.
        with threadpool_limits(1):
            intents = intent_pipeline(kind).fit(texts, list(examples.intents))
            languages = None
            if len(set(examples.languages)) > 1:
                matrix = intents.named_steps["features"].transform(texts)
                languages = LogisticRegression(C=10.0, max_iter=2000)
                languages.fit(matrix, list(examples.languages))
        classifier = cls(intents, languages, intent_map, fingerprint)
        classifier.check_fast_scorer(texts)
        classifier.training_seconds = time.perf_counter() - started
        return classifier

    def check_fast_scorer(self, normalised: Sequence[str]) -> None:
        """Raises AssertionError unless the fast scorer agrees with scikit-learn on these texts."""
        if self._fast is None or not normalised:
            return
        reference = self.intents.predict_proba(list(normalised))
        fast = np.array([self._fast.probabilities(self._fast.features(t), 0) for t in normalised])
        difference = float(np.abs(reference - fast).max())
        if difference > _FAITHFUL:
            raise AssertionError(f"fast scorer differs from scikit-learn by {difference:.2g}")

    @property
    def classes(self) -> tuple[str, ...]:
        """The (finer) intents the model knows."""
        return tuple(str(c) for c in self.intents.classes_)

    def _intent_probabilities(self, normalised: str, row: tuple[Any, Any] | None) -> Any:
        if self._fast is not None and row is not None:
            return self._fast.probabilities(row, 0)
        return self.intents.predict_proba([normalised])[0]

    def rank(self, text: str, top: int = 3) -> list[tuple[str, float]]:
        """The likeliest (finer) intents with their probabilities, best first."""
        normalised = normalise(text[:MAX_CHARS])
        if not normalised:
            return []
        row = self._fast.features(normalised) if self._fast else None
        return _top(self.intents.classes_, self._intent_probabilities(normalised, row), top)

    def _language(self, normalised: str, row: tuple[Any, Any] | None) -> tuple[str, float] | None:
        letters = sum(c.isalpha() for c in normalised)
        if self.languages is None or len(normalised.split()) < MIN_WORDS or letters < MIN_LETTERS:
            return None
        if self._fast is not None and row is not None:
            probabilities = self._fast.probabilities(row, 1)
        else:
            matrix = self.intents.named_steps["features"].transform([normalised])
            probabilities = self.languages.predict_proba(matrix)[0]
        return _top(self.languages.classes_, probabilities, 1)[0]

    def language(self, text: str) -> tuple[str, float] | None:
        """The message's language and the confidence; None when the text is too short to tell."""
        normalised = normalise(text[:MAX_CHARS])
        row = self._fast.features(normalised) if self._fast else None
        return self._language(normalised, row)

    def understand(self, text: str, locale: str) -> Understood | None:
        """The reported intent, its finer one, the ranking, the language and the entities."""
        text = text[:MAX_CHARS]
        normalised = normalise(text)
        if not normalised:
            return None
        row = self._fast.features(normalised) if self._fast else None
        ranking = _top(self.intents.classes_, self._intent_probabilities(normalised, row), 3)
        best, confidence = ranking[0]
        reported = self.intent_map.report(best)
        found = self._language(normalised, row)
        return Understood(
            intent=reported,
            confidence=confidence,
            detail=best if best != reported else None,
            ranking=tuple(ranking),
            language=found[0] if found and found[1] >= SURE_LANGUAGE else None,
            entities=extract(text),
        )

    def save(self, path: Path) -> None:
        """Writes the model to a file (a cache: retrain rather than commit it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": _FORMAT, "sklearn": sklearn.__version__, "classifier": self}
        joblib.dump(payload, path)

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        """Reads a model written by `save`; ValueError if it is not one, or another version's."""
        try:
            payload = joblib.load(path)
        except OSError:
            raise
        except Exception as exc:  # a truncated or foreign file fails in many ways when unpickled
            raise ValueError(f"{path}: not a readable model ({exc!r}); train again") from exc
        if (
            not isinstance(payload, dict)
            or payload.get("format") != _FORMAT
            or payload.get("sklearn") != sklearn.__version__
            or not isinstance(payload.get("classifier"), cls)
        ):
            raise ValueError(f"{path}: not a model of this version; train again")
        classifier: IntentClassifier = payload["classifier"]
        return classifier


def data_fingerprint(directory: Path = NLU_DIR) -> str:
    """A hash of the training files, the intent map, this code and the library's version."""
    digest = hashlib.sha256(f"{_FORMAT} {sklearn.__version__}".encode())
    code = Path(__file__).parent
    for path in (code / "normalise.py", code / "classifier.py", *sorted(directory.glob("*.yaml"))):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def train_from(directory: Path = NLU_DIR, kind: ModelKind = DEFAULT_KIND) -> IntentClassifier:
    """Trains on the examples of a directory and its intents.yaml."""
    return IntentClassifier.train(
        load_examples(directory),
        load_intent_map(directory / "intents.yaml"),
        kind=kind,
        fingerprint=data_fingerprint(directory),
    )


def load_or_train(
    directory: Path = NLU_DIR, path: Path = MODEL_PATH
) -> tuple[IntentClassifier, bool]:
    """The cached model if trained on these very files, else a new one (saved); True if trained."""
    fingerprint = data_fingerprint(directory)
    if path.exists():
        try:
            cached = IntentClassifier.load(path)
        except (ValueError, OSError) as exc:
            log.info("NLU model cache %s unusable (%s): training again", path, exc)
        else:
            if cached.fingerprint == fingerprint:
                return cached, False
    classifier = train_from(directory)
    classifier.save(path)
    return classifier, True
