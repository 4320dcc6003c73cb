"""`assesseur nlu train` and `assesseur nlu evaluate` on a small set."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.bot.nlu import write_small_set

EASY_TEST = {
    "fr": {
        "greet": ["bonjour à tous"],
        "notice_missing": ["j'ai perdu la notice"],
        "password_forgotten": ["mot de passe oublié"],
    },
    "en": {"greet": ["hello there"], "notice_missing": ["I lost my notice"]},
}


@pytest.fixture
def nlu_dir(tmp_path: Path) -> Path:
    directory = write_small_set(tmp_path / "nlu")
    write_small_set(directory / "test", EASY_TEST)
    return directory


def test_train_prints_time_and_examples_and_saves_the_model(nlu_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "var" / "nlu-model.joblib"
    result = CliRunner().invoke(
        main, ["nlu", "train", "--dir", str(nlu_dir), "--model", str(model)]
    )
    assert result.exit_code == 0, result.output
    assert "trained in " in result.output
    assert "on 59 examples (25 en, 34 fr), 5 intents" in result.output
    assert model.exists()


def test_evaluate_passes_on_an_easy_set_and_reuses_the_model(nlu_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.joblib"
    args = ["nlu", "evaluate", "--dir", str(nlu_dir), "--model", str(model)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "== fr: 3 messages, accuracy 100.0%" in first.output
    assert "== en: 2 messages" in first.output
    assert "OK: accuracy 100.0%" in first.output
    assert "model trained in" in first.output
    second = CliRunner().invoke(main, args)
    assert f"model loaded from {model}" in second.output


def test_evaluate_fails_and_says_why_below_target(nlu_dir: Path, tmp_path: Path) -> None:
    hard = {"fr": {**EASY_TEST["fr"], "password_forgotten": ["bonjour madame"]}}
    write_small_set(nlu_dir / "test", hard)
    (nlu_dir / "test" / "en.yaml").unlink()
    result = CliRunner().invoke(
        main,
        ["nlu", "evaluate", "--show-errors", "--dir", str(nlu_dir), "--model", str(tmp_path / "m")],
    )
    assert result.exit_code == 1
    assert "accuracy 66.7% < 95%" in result.stderr
    assert "password_forgotten F1 0.00 < 0.85" in result.stderr
    assert "[fr] password_forgotten -> greet" in result.stdout


def test_a_malformed_file_is_a_clear_error(nlu_dir: Path, tmp_path: Path) -> None:
    (nlu_dir / "fr.yaml").write_text("language: fr\nintents: {greet: []}\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["nlu", "train", "--dir", str(nlu_dir), "--model", str(tmp_path / "m")]
    )
    assert result.exit_code == 1
    assert "fr.yaml: intent 'greet': expected a non-empty list" in result.output
