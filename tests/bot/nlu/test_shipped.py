"""The shipped examples: well formed, apart from the held-out set, and the measured targets met."""

from __future__ import annotations

import pytest

from bot.nlu.classifier import IntentClassifier
from bot.nlu.data import NLU_DIR, Examples, load_examples, load_intent_map, load_test_set
from bot.nlu.evaluate import ACCURACY_TARGET, F1_TARGET, Report, evaluate

pytestmark = pytest.mark.skipif(
    not (NLU_DIR / "fr.yaml").exists() or not (NLU_DIR / "test" / "fr.yaml").exists(),
    reason="the shipped examples are not written yet",
)


@pytest.fixture(scope="module")
def training() -> Examples:
    return load_examples()


@pytest.fixture(scope="module")
def test_set() -> Examples:
    return load_test_set()


@pytest.fixture(scope="module")
def classifier(training: Examples) -> IntentClassifier:
    return IntentClassifier.train(training, load_intent_map())


@pytest.fixture(scope="module")
def report(classifier: IntentClassifier, test_set: Examples) -> Report:
    return evaluate(classifier, test_set)


def test_every_reported_intent_is_trained_and_tested_in_both_languages(
    training: Examples, test_set: Examples
) -> None:
    intent_map = load_intent_map()
    trained = {intent_map.report(i) for i in training.intents}
    for language in ("fr", "en"):
        tested = {intent_map.report(i) for i in test_set.in_language(language).intents}
        assert intent_map.reported - {"secret_shared"} <= tested, language
    assert intent_map.reported - {"secret_shared"} <= trained


def test_the_held_out_set_shares_no_message_with_training(
    training: Examples, test_set: Examples
) -> None:
    def fold(text: str) -> str:  # case and spacing only: SMS rules may make two lines alike
        return " ".join(text.casefold().split())

    trained = {fold(t) for t in training.texts}
    assert [t for t in test_set.texts if fold(t) in trained] == []


def test_held_out_accuracy_meets_the_target(report: Report) -> None:
    assert report.overall.accuracy >= ACCURACY_TARGET, report.text(show_errors=True)


def test_no_intent_falls_below_the_f1_target(report: Report) -> None:
    low = [(s.intent, round(s.f1, 3)) for s in report.overall.intents if s.f1 < F1_TARGET]
    assert low == [], report.text()


@pytest.mark.parametrize(
    ("typed", "intent"),
    [
        ("g rien recu ds ma boite acad", "activation_mail_missing"),
        ("jsp ou est mon code de vote", "voting_code_where"),
        ("je tourne en boucle entre le portail et ma messagerie", "cache_loop"),
        ("I lost my voting notice", "notice_missing"),
        ("pour qui je dois voter ???", "out_of_scope"),
    ],
)
def test_voters_typical_messages(classifier: IntentClassifier, typed: str, intent: str) -> None:
    understood = classifier.understand(typed, "fr")
    assert understood is not None and understood.intent == intent
