"""The evaluation report, on a crafted test set whose errors are known in advance."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.classifier import IntentClassifier, train_from
from bot.nlu.data import Examples
from bot.nlu.evaluate import Report, evaluate
from tests.bot.nlu import write_small_set

CRAFTED = Examples.of(
    [
        ("bonjour", "greet", "fr"),
        ("j'ai perdu ma notice de vote", "notice_missing", "fr"),
        ("c'est quoi la notice de vote", "notice_what", "fr"),  # finer: voting_code_where
        ("bonjour madame", "password_forgotten", "fr"),  # mislabelled on purpose
        ("I forgot my password", "password_forgotten", "en"),
        ("hello everyone", "password_forgotten", "en"),  # mislabelled on purpose
    ]
)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> IntentClassifier:
    return train_from(write_small_set(tmp_path_factory.mktemp("nlu")))


@pytest.fixture(scope="module")
def report(classifier: IntentClassifier) -> Report:
    return evaluate(classifier, CRAFTED)


def test_accuracy_overall_and_per_language(report: Report) -> None:
    assert report.overall.total == 6
    assert report.overall.accuracy == pytest.approx(4 / 6)
    assert report.languages["fr"].accuracy == pytest.approx(3 / 4)
    assert report.languages["en"].accuracy == pytest.approx(1 / 2)


def test_finer_intents_are_scored_under_their_reported_intent(report: Report) -> None:
    scores = {s.intent: s for s in report.overall.intents}
    assert "notice_what" not in scores
    assert scores["voting_code_where"].support == 1
    assert scores["voting_code_where"].f1 == 1.0


def test_per_intent_precision_recall_f1(report: Report) -> None:
    scores = {s.intent: s for s in report.overall.intents}
    greet, forgotten = scores["greet"], scores["password_forgotten"]
    assert greet.precision == pytest.approx(1 / 3)
    assert (greet.recall, greet.support) == (1.0, 1)
    assert greet.f1 == pytest.approx(0.5)
    assert forgotten.precision == 1.0
    assert forgotten.recall == pytest.approx(1 / 3)
    assert forgotten.support == 3


def test_the_confusion_pair_is_counted_with_an_example(report: Report) -> None:
    [confusion] = report.overall.confusions
    assert (confusion.expected, confusion.predicted, confusion.count) == (
        "password_forgotten",
        "greet",
        2,
    )
    assert confusion.example in {"bonjour madame", "hello everyone"}
    assert {m.text for m in report.overall.misses} == {"bonjour madame", "hello everyone"}


def test_the_targets_missed_are_named(report: Report) -> None:
    missed = report.overall.below_target()
    assert "all: accuracy 66.7% < 95%" in missed
    assert any(m.startswith("all: greet F1 0.50") for m in missed)
    assert not any("voting_code_where" in m for m in missed)


def test_the_text_shows_tables_confusions_and_errors_on_demand(report: Report) -> None:
    text = report.text()
    assert "== fr: 4 messages, accuracy 75.0%" in text
    assert "== en: 2 messages, accuracy 50.0%" in text
    assert "== all: 6 messages, accuracy 66.7%" in text
    assert "password_forgotten -> greet" in text
    assert "misclassified" not in text
    detailed = report.text(show_errors=True)
    assert "[en] password_forgotten -> greet" in detailed and "'hello everyone'" in detailed


def test_a_perfect_set_meets_the_targets(classifier: IntentClassifier, tmp_path: Path) -> None:
    right = Examples.of(
        r for r in CRAFTED.rows() if r[0] not in {"bonjour madame", "hello everyone"}
    )
    assert evaluate(classifier, right).below_target() == []
