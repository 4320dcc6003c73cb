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
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
_SUBLINEAR = [0.0, *(1.0 + math.log(tf) for tf in range(1, MAX_CHARS + 1))]
"""Sublinear term frequencies, 1 + log(tf): an n-gram occurs at most once a character."""
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


@dataclass
class _Block:
    """One vectorizer of the union: its analyzer, its n-grams' columns in the union's row."""

    analyze: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    weight: float
    by_word: bool
    """Character n-grams within words: a text's are its words' (split on white space)."""
    words: dict[str, list[int]] = field(default_factory=dict)

    def columns(self, text: str) -> list[int]:
        """The columns of the text's n-grams in the vocabulary, one per occurrence."""
        vocabulary = self.vocabulary
        return [c for c in map(vocabulary.get, self.analyze(text)) if c is not None]

    def found(self, text: str) -> list[int]:
        """The text's columns, one per occurrence: by word when the n-grams are within words."""
        if not self.by_word:
            return self.columns(text)
        found: list[int] = []
        words = self.words
        for word in text.split():
            known = words.get(word)
            found += self.columns(word) if known is None else known
        return found


class _FastScorer:
    """`predict_proba` of fitted tf-idf features and logistic regressions, for one message.

    A message's character n-grams are those of its words, one word at a time: each word the
    word vectorizer knows (learnt from the training examples, nothing a voter typed) has its
    character n-grams' columns listed once, at load; another word's are looked up each time.
    A message then costs a dictionary lookup per word rather than one per n-gram (about eight
    times as many) in a vocabulary of ten thousand."""

    def __init__(self, union: FeatureUnion, heads: Sequence[LogisticRegression]) -> None:
        weights = union.transformer_weights or {}
        self.blocks: list[_Block] = []
        offset = 0
        for name, vectorizer in union.transformer_list:
            if not (vectorizer.sublinear_tf and vectorizer.norm == "l2" and vectorizer.use_idf):
                raise ValueError(f"{name}: only sublinear, l2-normalised tf-idf is supported")
            vocabulary = {
                gram: offset + int(column) for gram, column in vectorizer.vocabulary_.items()
            }
            self.blocks.append(
                _Block(
                    vectorizer.build_analyzer(),
                    vocabulary,
                    weights.get(name, 1.0),
                    vectorizer.analyzer == "char_wb",
                )
            )
            offset += len(vocabulary)
        self.idf = [float(value) for _, v in union.transformer_list for value in v.idf_]
        known = {
            w
            for block in self.blocks
            if not block.by_word
            for w in block.vocabulary
            if " " not in w
        }
        for block in self.blocks:
            if block.by_word:
                block.words.update((word, block.columns(word)) for word in known)
        coefficients = [np.asarray(h.coef_, dtype=np.float64).T for h in heads]
        self.coef_t = np.ascontiguousarray(np.hstack(coefficients))
        """Every head's coefficients side by side: a row's columns are gathered once for all."""
        self.intercept = np.concatenate([np.asarray(h.intercept_, dtype=np.float64) for h in heads])
        ends = np.cumsum([c.shape[1] for c in coefficients]).tolist()
        self.slices = [slice(start, end) for start, end in zip([0, *ends], ends, strict=False)]

    def features(self, text: str) -> tuple[Any, Any]:
        """The non-zero columns of the text's feature row and their values."""
        columns: list[int] = []
        values = []
        idf = self.idf
        for block in self.blocks:
            counts = Counter(block.found(text))
            if not counts:
                continue
            try:
                weighted = [_SUBLINEAR[tf] * idf[column] for column, tf in counts.items()]
            except IndexError:  # a text longer than MAX_CHARS, read whole
                weighted = [(1.0 + math.log(tf)) * idf[column] for column, tf in counts.items()]
            columns += counts
            values.append(np.array(weighted) * (block.weight / math.hypot(*weighted)))
        if not columns:
            return np.empty(0, dtype=np.intp), np.empty(0)
        return np.array(columns, dtype=np.intp), np.concatenate(values)

    def probabilities(self, row: tuple[Any, Any]) -> list[Any]:
        """Each head's class probabilities for a feature row (softmax, or logistic for two)."""
        columns, values = row
        decisions = values @ self.coef_t[columns] + self.intercept
        heads = []
        for part in self.slices:
            decision = decisions[part]
            if decision.shape[0] == 1:
                positive = 1.0 / (1.0 + math.exp(-float(decision[0])))
                heads.append(np.array([1.0 - positive, positive]))
            else:
                exp = np.exp(decision - decision.max())
                heads.append(exp / exp.sum())
        return heads


def _top(classes: Sequence[str], probabilities: Any, top: int) -> list[tuple[str, float]]:
    order = np.argsort(-probabilities, kind="stable")[:top].tolist()
    values = probabilities.tolist()
    return [(classes[i], round(values[i], 4)) for i in order]


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
        self._classes = tuple(str(c) for c in intents.classes_)
        self._languages = () if languages is None else tuple(str(c) for c in languages.classes_)
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
        texts = list(normalised)
        fast = [self._fast.probabilities(self._fast.features(t)) for t in texts]
        references = [self.intents.predict_proba(texts)]
        if self.languages is not None:
            matrix = self.intents.named_steps["features"].transform(texts)
            references.append(self.languages.predict_proba(matrix))
        for head, reference in enumerate(references):
            scored = np.array([heads[head] for heads in fast])
            difference = float(np.abs(reference - scored).max())
            if difference > _FAITHFUL:
                raise AssertionError(f"fast scorer differs from scikit-learn by {difference:.2g}")

    @property
    def classes(self) -> tuple[str, ...]:
        """The (finer) intents the model knows."""
        return self._classes

    def _scores(self, normalised: str) -> list[Any] | None:
        """Every head's probabilities by the fast scorer; None without one."""
        if self._fast is None:
            return None
        return self._fast.probabilities(self._fast.features(normalised))

    def _intent_probabilities(self, normalised: str, scores: list[Any] | None) -> Any:
        if scores is not None:
            return scores[0]
        return self.intents.predict_proba([normalised])[0]

    def rank(self, text: str, top: int = 3) -> list[tuple[str, float]]:
        """The likeliest (finer) intents with their probabilities, best first."""
        normalised = normalise(text[:MAX_CHARS])
        if not normalised:
            return []
        scores = self._scores(normalised)
        return _top(self._classes, self._intent_probabilities(normalised, scores), top)

    def _language(self, normalised: str, scores: list[Any] | None) -> tuple[str, float] | None:
        if self.languages is None or len(normalised.split()) < MIN_WORDS:
            return None
        if sum(map(str.isalpha, normalised)) < MIN_LETTERS:
            return None
        if scores is not None:
            probabilities = scores[1]
        else:
            matrix = self.intents.named_steps["features"].transform([normalised])
            probabilities = self.languages.predict_proba(matrix)[0]
        return _top(self._languages, probabilities, 1)[0]

    def language(self, text: str) -> tuple[str, float] | None:
        """The message's language and the confidence; None when the text is too short to tell."""
        normalised = normalise(text[:MAX_CHARS])
        return self._language(normalised, self._scores(normalised))

    def understand(self, text: str, locale: str) -> Understood | None:
        """The reported intent, its finer one, the ranking, the language and the entities."""
        text = text[:MAX_CHARS]
        normalised = normalise(text)
        if not normalised:
            return None
        scores = self._scores(normalised)
        ranking = _top(self._classes, self._intent_probabilities(normalised, scores), 3)
        best, confidence = ranking[0]
        reported = self.intent_map.report(best)
        found = self._language(normalised, scores)
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
