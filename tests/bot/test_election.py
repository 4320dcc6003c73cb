"""The election calendar: files, phases and their edges, countdown across clock changes, errors."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from bot.election import (
    PARIS,
    PHASES,
    Countdown,
    Election,
    LocalizedText,
    Phase,
    Tentative,
    UnknownAddress,
)
from bot.election_file import ElectionError, available_elections, load_election


def at(text: str) -> datetime:
    """An aware moment from ISO 8601 with its offset ("Z" for UTC)."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return moment


# --- The calendar files ---------------------------------------------------------------------------


def test_both_calendars_are_available() -> None:
    assert {"2022", "2026"} <= set(available_elections())


def test_available_elections_lists_the_yaml_stems(tmp_path: Path) -> None:
    (tmp_path / "2030.yaml").write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "2028.yaml").write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a calendar\n", encoding="utf-8")
    assert available_elections(tmp_path) == ["2028", "2030"]


def test_2022_calendar_is_the_published_one(e2022: Election) -> None:
    assert e2022.id == "2022"
    assert e2022.timezone == PARIS
    assert e2022.activation_opens == datetime(2022, 10, 13, 0, 0, tzinfo=PARIS)
    assert e2022.vote_opens == at("2022-12-01T08:00+01:00")
    assert e2022.vote_closes == at("2022-12-08T17:00+01:00")
    assert e2022.vote_opens.weekday() == e2022.vote_closes.weekday() == 3  # Thursdays
    assert dict(e2022.links) == {
        "portal": "https://www.education-jeunesse-recherche-sports.gouv.fr/electionspro2022",
        "directory": "https://aaa.phm.education.gouv.fr/aaa/",
        "webmail": "https://www.education.gouv.fr/la-messagerie-professionnelle-3446",
    }
    assert e2022.unconfirmed == frozenset()
    assert e2022.name.in_locale("fr") == "Élections professionnelles 2022"
    assert e2022.name.in_locale("en") == "2022 professional elections"


def test_2026_calendar_marks_what_is_not_known(e2026: Election) -> None:
    assert e2026.vote_opens == at("2026-12-03T08:00+01:00")
    assert e2026.vote_closes == at("2026-12-10T17:00+01:00")
    assert e2026.vote_opens.weekday() == e2026.vote_closes.weekday() == 3  # Thursdays
    assert e2026.activation_opens == datetime(2026, 10, 15, 0, 0, tzinfo=PARIS)
    assert e2026.links["portal"] is None
    assert e2026.links["directory"] == "https://aaa.phm.education.gouv.fr/aaa/"
    assert e2026.unconfirmed == {"activation_opens", "vote_opens", "vote_closes", "links.portal"}


# --- Phases ------------------------------------------------------------------------------------


def test_phases_are_the_four_names() -> None:
    assert set(PHASES) == {"before_activation", "activation_open", "vote_open", "vote_closed"}


@pytest.mark.parametrize(
    ("election_id", "now", "expected"),
    [
        ("2022", "2022-09-01T12:00+02:00", Phase.BEFORE_ACTIVATION),
        ("2022", "2022-10-20T12:00+02:00", Phase.ACTIVATION_OPEN),
        ("2022", "2022-12-05T12:00+01:00", Phase.VOTE_OPEN),
        ("2022", "2022-12-09T12:00+01:00", Phase.VOTE_CLOSED),
        ("2026", "2026-06-01T12:00Z", Phase.BEFORE_ACTIVATION),
        ("2026", "2026-11-20T12:00Z", Phase.ACTIVATION_OPEN),
        ("2026", "2026-12-05T10:00+01:00", Phase.VOTE_OPEN),
        ("2026", "2027-01-04T09:00+01:00", Phase.VOTE_CLOSED),
    ],
)
def test_each_phase(election_id: str, now: str, expected: Phase) -> None:
    assert load_election(election_id).phase(at(now)) is expected


# Each boundary one second before, at, and one second after, written in Paris time and in UTC.
# October dates are summer time (UTC+2), December dates winter time (UTC+1).
EDGES_2022 = [
    ("2022-10-12T23:59:59+02:00", "2022-10-12T21:59:59Z", Phase.BEFORE_ACTIVATION),
    ("2022-10-13T00:00:00+02:00", "2022-10-12T22:00:00Z", Phase.ACTIVATION_OPEN),
    ("2022-10-13T00:00:01+02:00", "2022-10-12T22:00:01Z", Phase.ACTIVATION_OPEN),
    ("2022-12-01T07:59:59+01:00", "2022-12-01T06:59:59Z", Phase.ACTIVATION_OPEN),
    ("2022-12-01T08:00:00+01:00", "2022-12-01T07:00:00Z", Phase.VOTE_OPEN),
    ("2022-12-01T08:00:01+01:00", "2022-12-01T07:00:01Z", Phase.VOTE_OPEN),
    ("2022-12-08T16:59:59+01:00", "2022-12-08T15:59:59Z", Phase.VOTE_OPEN),
    ("2022-12-08T17:00:00+01:00", "2022-12-08T16:00:00Z", Phase.VOTE_CLOSED),
    ("2022-12-08T17:00:01+01:00", "2022-12-08T16:00:01Z", Phase.VOTE_CLOSED),
]
EDGES_2026 = [
    ("2026-10-14T23:59:59+02:00", "2026-10-14T21:59:59Z", Phase.BEFORE_ACTIVATION),
    ("2026-10-15T00:00:00+02:00", "2026-10-14T22:00:00Z", Phase.ACTIVATION_OPEN),
    ("2026-10-15T00:00:01+02:00", "2026-10-14T22:00:01Z", Phase.ACTIVATION_OPEN),
    ("2026-12-03T07:59:59+01:00", "2026-12-03T06:59:59Z", Phase.ACTIVATION_OPEN),
    ("2026-12-03T08:00:00+01:00", "2026-12-03T07:00:00Z", Phase.VOTE_OPEN),
    ("2026-12-03T08:00:01+01:00", "2026-12-03T07:00:01Z", Phase.VOTE_OPEN),
    ("2026-12-10T16:59:59+01:00", "2026-12-10T15:59:59Z", Phase.VOTE_OPEN),
    ("2026-12-10T17:00:00+01:00", "2026-12-10T16:00:00Z", Phase.VOTE_CLOSED),
    ("2026-12-10T17:00:01+01:00", "2026-12-10T16:00:01Z", Phase.VOTE_CLOSED),
]


@pytest.mark.parametrize(("paris", "utc", "expected"), EDGES_2022)
def test_2022_phase_edges(e2022: Election, paris: str, utc: str, expected: Phase) -> None:
    assert e2022.phase(at(paris)) is expected
    assert e2022.phase(at(utc)) is expected


@pytest.mark.parametrize(("paris", "utc", "expected"), EDGES_2026)
def test_2026_phase_edges(e2026: Election, paris: str, utc: str, expected: Phase) -> None:
    assert e2026.phase(at(paris)) is expected
    assert e2026.phase(at(utc)) is expected


def test_utc_hour_is_not_taken_for_paris_hour(e2022: Election) -> None:
    # 07:30 UTC is 08:30 in Paris in winter: the vote is open; 07:30 in Paris it is not.
    assert e2022.phase(at("2022-12-01T07:30Z")) is Phase.VOTE_OPEN
    assert e2022.phase(at("2022-12-01T07:30+01:00")) is Phase.ACTIVATION_OPEN


def test_naive_now_is_refused(e2022: Election) -> None:
    naive = datetime(2022, 12, 1, 8, 0)
    with pytest.raises(ValueError, match="aware"):
        e2022.phase(naive)
    with pytest.raises(ValueError, match="aware"):
        e2022.countdown(naive)
    with pytest.raises(ValueError, match="aware"):
        e2022.params(naive)


# --- Countdown ---------------------------------------------------------------------------------


def test_countdown_of_the_portal_example(e2022: Election) -> None:
    # The 2022 portal showed "43 22 38" (days, hours, minutes) before the opening.
    assert e2022.countdown(at("2022-10-18T09:22+02:00")) == Countdown(43, 22, 38)
    assert e2022.countdown(at("2022-10-18T07:22Z")) == Countdown(43, 22, 38)


def test_countdown_rounds_minutes_down(e2022: Election) -> None:
    assert e2022.countdown(at("2022-10-18T09:22:59.999+02:00")) == Countdown(43, 22, 37)
    assert e2022.countdown(at("2022-10-18T09:21:01+02:00")) == Countdown(43, 22, 38)


def test_countdown_across_october_clock_change_counts_wall_clock_days(e2022: Election) -> None:
    # Clocks go back on 30 October 2022: 33 days and one hour pass, the calendar says 33 days.
    assert e2022.countdown(at("2022-10-29T08:00+02:00")) == Countdown(33, 0, 0)
    assert e2022.countdown(at("2022-10-29T06:00Z")) == Countdown(33, 0, 0)


def synthetic_spring_election() -> Election:
    """A vote opening on Monday 27 March 2023 at 08:00, the day after clocks go forward."""
    return Election(
        id="spring",
        name=LocalizedText(MappingProxyType({"fr": "Test"})),
        activation_opens=datetime(2023, 3, 1, tzinfo=PARIS),
        vote_opens=datetime(2023, 3, 27, 8, 0, tzinfo=PARIS),
        vote_closes=datetime(2023, 3, 30, 17, 0, tzinfo=PARIS),
        links=MappingProxyType({"portal": "https://vote.example.gouv.fr/"}),
    )


def test_countdown_across_march_clock_change_counts_wall_clock_days() -> None:
    spring = synthetic_spring_election()
    # 47 hours pass between these moments; the calendar says 2 days.
    assert spring.countdown(at("2023-03-25T08:00+01:00")) == Countdown(2, 0, 0)
    assert spring.countdown(at("2023-03-25T07:00Z")) == Countdown(2, 0, 0)
    # At 01:30 on the night of the change, 08:00 the next day is 1 day 6 h 30 on the clock.
    assert spring.countdown(at("2023-03-26T01:30+01:00")) == Countdown(1, 6, 30)
    assert spring.countdown(at("2023-03-26T03:30+02:00")) == Countdown(1, 4, 30)


def test_march_phase_edges_in_utc() -> None:
    spring = synthetic_spring_election()
    assert spring.phase(at("2023-03-27T05:59:59Z")) is Phase.ACTIVATION_OPEN
    assert spring.phase(at("2023-03-27T06:00:00Z")) is Phase.VOTE_OPEN


def test_phase_in_the_repeated_autumn_hour_follows_the_instant() -> None:
    # On 29 October 2023, 02:00-03:00 happens twice in Paris. A vote opening at the first 02:30
    # (00:30 UTC) is open at the second 02:15 (01:15 UTC), although 02:15 reads earlier.
    autumn = Election(
        id="autumn",
        name=LocalizedText(MappingProxyType({"fr": "Test"})),
        activation_opens=datetime(2023, 10, 1, tzinfo=PARIS),
        vote_opens=datetime(2023, 10, 29, 2, 30, tzinfo=PARIS),
        vote_closes=datetime(2023, 11, 2, 17, 0, tzinfo=PARIS),
        links=MappingProxyType({"portal": "https://vote.example.gouv.fr/"}),
    )
    second_quarter_past_two = datetime(2023, 10, 29, 2, 15, fold=1, tzinfo=PARIS)
    assert autumn.phase(second_quarter_past_two) is Phase.VOTE_OPEN
    assert autumn.countdown(second_quarter_past_two) is None
    assert autumn.phase(at("2023-10-29T00:29:59Z")) is Phase.ACTIVATION_OPEN
    assert autumn.phase(at("2023-10-29T02:15+01:00")) is Phase.VOTE_OPEN


def test_countdown_ends_when_the_vote_opens(e2022: Election) -> None:
    assert e2022.countdown(at("2022-12-01T07:59:59+01:00")) == Countdown(0, 0, 0)
    assert e2022.countdown(at("2022-12-01T07:58:00+01:00")) == Countdown(0, 0, 2)
    assert e2022.countdown(at("2022-12-01T08:00:00+01:00")) is None
    assert e2022.countdown(at("2022-12-09T08:00:00+01:00")) is None


def test_countdown_before_activation(e2022: Election) -> None:
    assert e2022.countdown(at("2022-09-30T08:00+02:00")) == Countdown(62, 0, 0)


# --- Parameters for messages -------------------------------------------------------------------


def test_params_of_2022_are_plain_values(e2022: Election) -> None:
    params = e2022.params(at("2022-11-20T09:22+01:00"))
    assert params == {
        "election": e2022.name,
        "portal_url": "https://www.education-jeunesse-recherche-sports.gouv.fr/electionspro2022",
        "directory_url": "https://aaa.phm.education.gouv.fr/aaa/",
        "webmail_url": "https://www.education.gouv.fr/la-messagerie-professionnelle-3446",
        "activation_opens": date(2022, 10, 13),
        "vote_opens": at("2022-12-01T08:00+01:00"),
        "vote_closes": at("2022-12-08T17:00+01:00"),
        "countdown": Countdown(10, 22, 38),
    }


def test_params_of_2026_wrap_what_is_to_be_confirmed(e2026: Election) -> None:
    params = e2026.params(at("2026-12-01T09:00+01:00"))
    assert params["portal_url"] == UnknownAddress()
    assert params["directory_url"] == "https://aaa.phm.education.gouv.fr/aaa/"
    assert params["activation_opens"] == Tentative(date(2026, 10, 15))
    assert params["vote_opens"] == Tentative(at("2026-12-03T08:00+01:00"))
    assert params["vote_closes"] == Tentative(at("2026-12-10T17:00+01:00"))
    assert params["countdown"] == Tentative(Countdown(1, 23, 0))


def test_params_have_no_countdown_once_the_vote_is_open(e2022: Election) -> None:
    assert e2022.params(at("2022-12-01T08:00+01:00"))["countdown"] is None
    assert e2022.params(at("2022-12-10T08:00+01:00"))["countdown"] is None


def test_election_refuses_naive_or_disordered_dates() -> None:
    good = synthetic_spring_election()
    with pytest.raises(ValueError, match="aware"):
        Election(
            id="x",
            name=good.name,
            activation_opens=datetime(2023, 3, 1),
            vote_opens=good.vote_opens,
            vote_closes=good.vote_closes,
            links=good.links,
        )
    with pytest.raises(ValueError, match="vote_opens < vote_closes"):
        Election(
            id="x",
            name=good.name,
            activation_opens=good.activation_opens,
            vote_opens=good.vote_closes,
            vote_closes=good.vote_opens,
            links=good.links,
        )


# --- Loading errors ----------------------------------------------------------------------------

# Line numbers are those of the YAML text below (line 1 is "name:").
VALID = """\
name:
  fr: Élections de test
  en: Test elections
activation_opens: 2099-10-15
vote_opens: 2099-12-03T08:00
vote_closes: 2099-12-10T17:00
links:
  portal: https://portal.example.gouv.fr/
  directory: https://directory.example.gouv.fr/
  webmail: https://webmail.example.gouv.fr/
to_confirm:
  - vote_opens
"""


def write(tmp_path: Path, text: str, election_id: str = "2099") -> Path:
    path = tmp_path / f"{election_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def replace_line(number: int, new: str | None) -> str:
    """VALID with line `number` (1-based) replaced, or removed when `new` is None."""
    lines = VALID.splitlines()
    if new is None:
        del lines[number - 1]
    else:
        lines[number - 1] = new
    return "\n".join(lines) + "\n"


def load_error(tmp_path: Path, text: str) -> str:
    write(tmp_path, text)
    with pytest.raises(ElectionError) as caught:
        load_election("2099", tmp_path)
    return str(caught.value)


def test_valid_test_calendar_loads(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    election = load_election("2099", tmp_path)
    assert election.vote_opens == at("2099-12-03T08:00+01:00")
    assert election.unconfirmed == {"vote_opens"}


def test_missing_field_names_the_file_and_the_field(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(6, None))
    assert "2099.yaml" in message
    assert "missing field 'vote_closes'" in message


def test_missing_link_points_at_the_links_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(10, None))
    assert "2099.yaml:7: missing field 'links.webmail'" in message


def test_bad_date_names_the_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(5, "vote_opens: 2099-13-03T08:00"))
    assert "2099.yaml:5: vote_opens:" in message
    assert "'2099-13-03T08:00' is not a date and time" in message


def test_vote_time_without_hour_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(5, "vote_opens: 2099-12-03"))
    assert "2099.yaml:5:" in message


def test_time_lost_to_the_spring_clock_change_is_refused(tmp_path: Path) -> None:
    text = replace_line(4, "activation_opens: 2099-03-29T02:30")
    message = load_error(tmp_path, text)
    assert "2099.yaml:4:" in message
    assert "does not exist in Paris" in message


def test_vote_closing_before_it_opens_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(6, "vote_closes: 2099-12-03T07:00"))
    assert "2099.yaml:6: the vote closes" in message
    assert "before it opens" in message


def test_activation_after_the_vote_opens_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(4, "activation_opens: 2099-12-04"))
    assert "2099.yaml:4: voter spaces open" in message


def test_unknown_link_name_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(10, "  forum: https://forum.example.gouv.fr/"))
    assert "2099.yaml:10: unknown field 'links.forum'" in message
    assert "portal, directory, webmail" in message


def test_link_that_is_not_https_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(9, "  directory: directory.example.gouv.fr"))
    assert "2099.yaml:9:" in message
    assert "not an https:// address" in message


def test_unknown_to_confirm_entry_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(12, "  - vote_opens.hour"))
    assert "2099.yaml:12: to_confirm.0:" in message
    assert "'vote_opens.hour' cannot be marked" in message


def test_unknown_portal_must_be_marked_to_be_confirmed(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(8, "  portal: null"))
    assert "2099.yaml:8:" in message
    assert "'links.portal' under to_confirm" in message
    write(tmp_path, replace_line(8, "  portal: null") + "  - links.portal\n")
    assert load_election("2099", tmp_path).links["portal"] is None


def test_unknown_top_level_field_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, VALID + "vote_open: 2099-12-03T08:00\n")
    assert "2099.yaml:13: unknown field 'vote_open'" in message


def test_key_written_twice_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, VALID + "vote_opens: 2099-12-04T08:00\n")
    assert "2099.yaml:13: 'vote_opens' is written twice" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(3, "  en: [unclosed"))
    assert "2099.yaml:" in message
    assert "not valid YAML" in message


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = replace_line(5, "vote_opens: soon").replace("  - vote_opens", "  - tomorrow")
    message = load_error(tmp_path, text)
    assert "2099.yaml:5:" in message
    assert "2099.yaml:12:" in message


def test_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, "- just\n- a list\n")
    assert "2099.yaml: expected a mapping" in message


def test_missing_calendar_lists_the_available_ones(tmp_path: Path) -> None:
    write(tmp_path, VALID, "2098")
    with pytest.raises(ElectionError, match=r"2097\.yaml: no such calendar \(available: 2098\)"):
        load_election("2097", tmp_path)


def test_election_id_cannot_leave_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ElectionError, match="not an election id"):
        load_election("../2022", tmp_path)


def test_error_carries_its_line(tmp_path: Path) -> None:
    write(tmp_path, replace_line(6, "vote_closes: 2099-12-03T07:00"))
    with pytest.raises(ElectionError) as caught:
        load_election("2099", tmp_path)
    assert caught.value.line == 6
    assert caught.value.source.endswith("2099.yaml")


def test_only_the_portal_may_be_null(tmp_path: Path) -> None:
    message = load_error(tmp_path, replace_line(9, "  directory: null"))
    assert "2099.yaml:9: links.directory: cannot be empty or null" in message
