"""The flow checker refuses each kind of broken flow, naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.assistant import check
from bot.cli import main
from bot.engine.loader import Problem
from bot.settings import Settings
from tests.helpers import copy_flows, fixture_catalogs


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    return copy_flows(tmp_path / "flows")


@pytest.fixture
def settings(tmp_path: Path, flows_dir: Path) -> Settings:
    return Settings(
        flows_dir=flows_dir, locales_dir=fixture_catalogs(tmp_path / "locales"), election="2022"
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def only(problems: list[Problem], words: str) -> Problem:
    found = [p for p in problems if words in p.message]
    assert len(found) == 1, problems
    return found[0]


def test_fixture_flows_pass(settings: Settings) -> None:
    assert check(settings) == []


def test_unknown_target_state(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "topic.yaml", "goto: next}", "goto: nowhere}")
    problem = only(check(settings), "unknown target state 'topic.nowhere'")
    assert problem.file.endswith("topic.yaml") and problem.line == 8


def test_unreachable_state(settings: Settings, flows_dir: Path) -> None:
    with (flows_dir / "topic.yaml").open("a") as fh:
        fh.write("  orphan:\n    say: [topic.next]\n")
    problem = only(check(settings), "topic.orphan cannot be reached")
    assert problem.file.endswith("topic.yaml") and problem.line == 16


def test_state_with_no_way_out(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "topic.yaml", "    say: [topic.next]", "    say: [topic.next]\n    nav: false")
    problem = only(check(settings), "no way out")
    assert "topic.next" in problem.message and problem.line == 12


def test_state_with_no_way_out_in_one_phase(settings: Settings, flows_dir: Path) -> None:
    edit(
        flows_dir / "topic.yaml",
        "    say: [topic.next]",
        "    say: [topic.next]\n    nav: false\n    buttons:\n"
        "      - {label: btn.next, goto: start, if: {phase: [vote_open]}}",
    )
    problem = only(check(settings), "no way out")
    assert "phase 'activation_open'" in problem.message


def test_explicit_end_needs_no_way_out(settings: Settings, flows_dir: Path) -> None:
    edit(
        flows_dir / "topic.yaml",
        "    say: [topic.next]",
        "    say: [topic.next]\n    nav: false\n    end: true",
    )
    assert check(settings) == []


def test_message_key_missing_in_one_language(tmp_path: Path, settings: Settings) -> None:
    en = tmp_path / "locales" / "en" / "LC_MESSAGES" / "assesseur.po"
    edit(en, 'msgid "topic.next"', 'msgid "topic.next.other"')
    problem = only(check(settings), "'topic.next' is missing in locale 'en'")
    assert problem.file.endswith("topic.yaml") and problem.line == 15


def test_unknown_placeholder_in_a_text(tmp_path: Path, flows_dir: Path) -> None:
    locales = fixture_catalogs(tmp_path / "locales", **{"topic.next": "Le {vote_open} !"})
    settings = Settings(flows_dir=flows_dir, locales_dir=locales, election="2022")
    found = sorted(p.message for p in check(settings) if "placeholder" in p.message)
    assert found == [
        "message 'topic.next' (en): unknown placeholder(s) vote_open",
        "message 'topic.next' (fr): unknown placeholder(s) vote_open",
    ]


def test_button_action_over_64_bytes(settings: Settings, flows_dir: Path) -> None:
    long_name = "etape_" + "tres_longue_" * 5
    edit(flows_dir / "topic.yaml", "goto: next}", f"goto: {long_name}}}")
    edit(flows_dir / "topic.yaml", "  next:", f"  {long_name}:")
    problem = only(check(settings), "bytes, over 64")
    assert problem.line == 8


def test_condition_on_unknown_phase(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "topic.yaml", "phase: [vote_open]", "phase: [vote_opened]")
    problem = only(check(settings), "unknown phase 'vote_opened'")
    assert problem.line == 11


def test_unknown_backend_action(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "agent.yaml", "do: [queue_for_agent]", "do: [queue_for_robot]")
    problem = only(check(settings), "unknown backend action 'queue_for_robot'")
    assert problem.file.endswith("agent.yaml") and problem.line == 5


def test_unknown_link(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "topic.yaml", "url: portal", "url: portail")
    assert only(check(settings), "unknown link 'portail'").line == 10


def test_intent_claimed_twice(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "topic.yaml", "intents: [other_intent]", "intents: [topic_intent]")
    assert only(check(settings), "intent 'topic_intent' already opens topic.start").line == 13


def test_missing_required_state(settings: Settings, flows_dir: Path) -> None:
    (flows_dir / "help.yaml").unlink()
    assert "help.start" in only(check(settings), "required state").message


def test_malformed_yaml_names_the_line(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "topic.yaml", "    say: [topic.next]", "    say: [topic.next\n")
    problem = only(check(settings), "not valid YAML")
    assert problem.file.endswith("topic.yaml") and problem.line >= 15


def test_unknown_field_names_the_line(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "topic.yaml", "    say: [topic.next]", "    say: [topic.next]\n    sai: [x]")
    problem = only(check(settings), "Extra inputs are not permitted")
    assert problem.line == 16


def test_flow_named_unlike_its_file(settings: Settings, flows_dir: Path) -> None:
    edit(flows_dir / "topic.yaml", "flow: topic", "flow: sujet")
    assert only(check(settings), "must be named like its file").line == 1


def test_cli_prints_file_and_line_and_fails(
    settings: Settings, flows_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(flows_dir / "topic.yaml", "goto: next}", "goto: nowhere}")
    monkeypatch.setenv("ASSESSEUR_LOCALES_DIR", str(settings.locales_dir))
    monkeypatch.setenv("ASSESSEUR_ELECTION", "2022")
    result = CliRunner().invoke(main, ["flows", "check", "--dir", str(flows_dir)])
    assert result.exit_code == 1
    assert "topic.yaml:8: unknown target state 'topic.nowhere'" in result.output


def test_cli_passes_on_shipped_flows() -> None:
    result = CliRunner().invoke(main, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert "flows OK" in result.output
