"""Loading examples and the intent map: good files load, bad ones say which file and intent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.data import (
    IntentMap,
    NluDataError,
    check_intents,
    load_examples,
    load_intent_map,
    load_test_set,
)
from tests.bot.nlu import write_small_set


def test_every_language_file_is_loaded_with_its_language(tmp_path: Path) -> None:
    write_small_set(tmp_path)
    (tmp_path / "keywords.yaml").write_text("not: examples\n", encoding="utf-8")
    examples = load_examples(tmp_path)
    assert set(examples.counts()) == {"en", "fr"}
    assert ("j'ai perdu ma notice de vote", "notice_missing", "fr") in examples.rows()
    assert ("hello", "greet", "en") in examples.rows()
    assert len(examples.in_language("en")) == examples.counts()["en"]


def test_the_test_set_is_read_from_its_own_directory(tmp_path: Path) -> None:
    write_small_set(tmp_path / "test", {"fr": {"greet": ["bonjour"], "thanks_bye": ["merci"]}})
    assert load_test_set(tmp_path / "test").texts == ("bonjour", "merci")


def test_the_intent_map_reports_finer_intents_under_theirs(tmp_path: Path) -> None:
    write_small_set(tmp_path)
    intent_map = load_intent_map(tmp_path / "intents.yaml")
    assert intent_map.report("notice_what") == "voting_code_where"
    assert intent_map.report("greet") == "greet"
    assert intent_map.knows("vote_advice") and not intent_map.knows("weather")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[a, b]", "expected a mapping"),
        ("language: en\nintents: {greet: [hi]}", "'language' must be 'fr'"),
        ("language: fr\nintents: []", "'intents' must map"),
        ("language: fr\nintents: {greet: bonjour}", "intent 'greet': expected a non-empty list"),
        ("language: fr\nintents: {greet: []}", "intent 'greet': expected a non-empty list"),
        ("language: fr\nintents: {greet: [bonjour, {a: 1}]}", "intent 'greet', example 2"),
        ("language: fr\nintents: {greet: [bonjour, '  ']}", "intent 'greet', example 2: empty"),
        ("language: fr\nintents: {Greet Me: [bonjour]}", "intent 'Greet Me'"),
        ("language: fr\nintents: {greet: [bonjour\n", "not valid YAML"),
    ],
)
def test_a_malformed_examples_file_names_the_file_and_intent(
    tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path, "fr.yaml", body)
    with pytest.raises(NluDataError, match=r"fr\.yaml") as raised:
        load_examples(tmp_path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_directory_without_examples_says_so(tmp_path: Path) -> None:
    with pytest.raises(NluDataError, match="no examples file"):
        load_examples(tmp_path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("reported: greet", "'reported' must list"),
        ("reported: [greet]\nfiner: {hello: greeting}", "'hello' maps onto 'greeting'"),
        ("reported: [greet]\nfiner: {greet: greet}", "both reported and finer"),
        ("reported: [greet]\nfiner: [hello]", "'finer' must map"),
    ],
)
def test_a_malformed_intent_map_says_what_is_wrong(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(NluDataError, match=r"intents\.yaml") as raised:
        load_intent_map(write(tmp_path, "intents.yaml", body))
    assert message in str(raised.value)


def test_an_intent_unknown_to_the_map_is_named(tmp_path: Path) -> None:
    write(tmp_path, "fr.yaml", "language: fr\nintents: {greet: [salut], weather: [il pleut]}")
    with pytest.raises(NluDataError, match="weather"):
        check_intents(load_examples(tmp_path), IntentMap(frozenset({"greet"})))
