"""The intent classifier on a small set: ranking, finer intents, language, cache, fast scorer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu.classifier import IntentClassifier, load_or_train, train_from
from bot.nlu.data import NluDataError, load_examples, load_intent_map
from bot.nlu.normalise import normalise
from bot.nlu.understander import Understander
from tests.bot.nlu import SMALL, write_small_set


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_set(tmp_path_factory.mktemp("nlu"))


@pytest.fixture(scope="module")
def classifier(small_dir: Path) -> IntentClassifier:
    return train_from(small_dir)


def test_it_is_an_understander(classifier: IntentClassifier) -> None:
    understander: Understander = classifier
    assert understander.understand("bonjour", "fr") is not None


def test_rank_gives_the_likeliest_intents_best_first(classifier: IntentClassifier) -> None:
    ranking = classifier.rank("g perdu ma notice 😭")
    assert len(ranking) == 3
    assert ranking[0][0] == "notice_missing"
    confidences = [p for _, p in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert 0 < sum(confidences) <= 1.0001
    assert len(classifier.rank("bonjour", top=5)) == 5


def test_a_reported_intent_comes_without_detail(classifier: IntentClassifier) -> None:
    understood = classifier.understand("J'AI OUBLIÉ MON MDP", "fr")
    assert understood is not None
    assert understood.intent == "password_forgotten"
    assert understood.detail is None
    assert understood.route == "password_forgotten"
    assert understood.confidence == understood.ranking[0][1]


def test_a_finer_intent_is_reported_under_its_own(classifier: IntentClassifier) -> None:
    understood = classifier.understand("pour qui je dois voter ?", "fr")
    assert understood is not None
    assert (understood.intent, understood.detail) == ("out_of_scope", "vote_advice")
    assert understood.route == "vote_advice"
    assert understood.ranking[0][0] == "vote_advice"


def test_nothing_to_read_is_not_understood(classifier: IntentClassifier) -> None:
    assert classifier.understand("", "fr") is None
    assert classifier.understand(" ?! 🙂 ", "fr") is None
    assert classifier.rank("...") == []


def test_language_is_detected_in_french_and_english(classifier: IntentClassifier) -> None:
    french = classifier.language("je n'ai jamais reçu ma notice de vote")
    english = classifier.language("I never received my voting notice")
    assert french is not None and french[0] == "fr" and french[1] > 0.5
    assert english is not None and english[0] == "en" and english[1] > 0.5


@pytest.mark.parametrize("text", ["ok", "merci", "hi you", "ok ok ok"])
def test_too_little_text_has_no_language(classifier: IntentClassifier, text: str) -> None:
    assert classifier.language(text) is None
    understood = classifier.understand(text, "fr")
    assert understood is not None and understood.language is None


def test_understood_carries_the_sure_language_and_the_entities(
    classifier: IntentClassifier,
) -> None:
    understood = classifier.understand(
        "I lost my voting notice, my address is Ann.Lee@ac-nice.fr", "fr"
    )
    assert understood is not None
    assert understood.intent == "notice_missing"
    found = classifier.language("I lost my voting notice, my address is Ann.Lee@ac-nice.fr")
    assert found is not None
    assert understood.language == (found[0] if found[1] >= 0.8 else None)
    assert [(e.kind, e.value) for e in understood.entities] == [("email", "ann.lee@ac-nice.fr")]


@pytest.mark.parametrize(
    "text",
    [
        "bonjour",
        "zzzz qqqq",
        "who should I vote for",
        "ma notice de vote 2022 ?",
        "mot de passe",
        "vote vote voter votez",  # a word twice, n-grams shared between words
        "notiiice de vottte",  # words the vectorizer never saw, sharing n-grams with known ones
        "je je ne ne sais sais pas pas",
    ],
)
def test_the_fast_scorer_gives_scikit_learns_probabilities(
    classifier: IntentClassifier, text: str
) -> None:
    normalised = normalise(text)
    expected = classifier.intents.predict_proba([normalised])[0]
    ranking = classifier.rank(text, top=len(classifier.classes))
    got = dict(ranking)
    for intent, probability in zip(classifier.intents.classes_, expected, strict=True):
        assert got[str(intent)] == pytest.approx(probability, abs=1e-4)
    classifier.check_fast_scorer([normalised])


@pytest.mark.parametrize(
    "text", ["I lost my voting notice", "j'ai perdu ma notice de vote", "where do I vote today"]
)
def test_the_fast_scorer_gives_scikit_learns_languages(
    classifier: IntentClassifier, text: str
) -> None:
    assert classifier.languages is not None
    matrix = classifier.intents.named_steps["features"].transform([normalise(text)])
    expected = classifier.languages.predict_proba(matrix)[0]
    best = int(expected.argmax())
    language = str(classifier.languages.classes_[best])
    assert classifier.language(text) == (language, pytest.approx(expected[best], abs=1e-4))


def test_a_text_longer_than_read_is_scored_like_scikit_learn(classifier: IntentClassifier) -> None:
    classifier.check_fast_scorer([normalise("vote " * 2100)])  # more n-grams than the table


def test_save_and_load_give_the_same_answers(classifier: IntentClassifier, tmp_path: Path) -> None:
    path = tmp_path / "var" / "model.joblib"
    classifier.save(path)
    loaded = IntentClassifier.load(path)
    for text in ("j'ai perdu ma notice", "hello there my friend", "quel syndicat"):
        assert loaded.understand(text, "fr") == classifier.understand(text, "fr")
    assert loaded.fingerprint == classifier.fingerprint


def test_loading_something_else_fails_clearly(tmp_path: Path) -> None:
    import joblib  # type: ignore[import-untyped]

    path = tmp_path / "other.joblib"
    joblib.dump({"format": 0}, path)
    with pytest.raises(ValueError, match="train again"):
        IntentClassifier.load(path)


def test_the_cache_is_used_until_the_examples_change(tmp_path: Path) -> None:
    directory = write_small_set(tmp_path / "nlu")
    model = tmp_path / "var" / "nlu-model.joblib"
    first, trained = load_or_train(directory, model)
    assert trained and model.exists()
    again, trained = load_or_train(directory, model)
    assert not trained and again.fingerprint == first.fingerprint
    more = {**SMALL, "fr": {**SMALL["fr"], "greet": [*SMALL["fr"]["greet"], "yo"]}}
    write_small_set(directory, more)
    changed, trained = load_or_train(directory, model)
    assert trained and changed.fingerprint != first.fingerprint
    model.write_bytes(b"not a model")
    _, trained = load_or_train(directory, model)
    assert trained


def test_training_refuses_intents_unknown_to_the_map(small_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "fr.yaml").write_text(
        "language: fr\nintents: {greet: [salut], weather: [il pleut]}\n", encoding="utf-8"
    )
    with pytest.raises(NluDataError, match="weather"):
        IntentClassifier.train(load_examples(tmp_path), load_intent_map(small_dir / "intents.yaml"))


def test_the_calibrated_svm_candidate_trains_and_ranks(small_dir: Path) -> None:
    svm = train_from(small_dir, kind="svm")
    ranking = svm.rank("j'ai perdu ma notice de vote")
    assert ranking[0][0] == "notice_missing"
    assert np.isclose(sum(p for _, p in svm.rank("bonjour", top=10)), 1.0, atol=1e-3)


def test_a_huge_message_is_read_by_its_start_only(classifier: IntentClassifier) -> None:
    huge = "j'ai perdu ma notice de vote " + "blabla " * 20_000 + " a.b@ac-nice.fr"
    understood = classifier.understand(huge, "fr")
    assert understood is not None and understood.intent == "notice_missing"
    assert understood.entities == ()


def test_binary_garbage_is_understood_as_little_or_nothing(classifier: IntentClassifier) -> None:
    assert classifier.understand("\x00\x01\ufffd" * 1000, "fr") is None
    garbage = bytes(range(256)).decode("latin-1") * 50
    understood = classifier.understand(garbage, "fr")
    assert understood is None or understood.language is None
