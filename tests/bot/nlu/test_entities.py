"""Entities: e-mail addresses, dates and ballots, and what merely looks like them."""

from __future__ import annotations

import pytest

from bot.engine.turn import Entity
from bot.nlu.entities import extract


def kinds(text: str, kind: str) -> list[str]:
    return [e.value for e in extract(text) if e.kind == kind]


def test_an_email_address_is_found_lowercased_without_trailing_punctuation() -> None:
    assert extract("mon adresse : Jean.Dupont@AC-Paris.fr.") == (
        Entity("email", "jean.dupont@ac-paris.fr"),
    )
    assert kinds("a+tag@sub.ac-lyon.fr, b@x.org", "email") == ["a+tag@sub.ac-lyon.fr", "b@x.org"]


@pytest.mark.parametrize(
    "text", ["@telegram_handle", "a@b", "x@y.z", "nom@", "prénom.nom@ac-lyon.fr", "a@-x.fr"]
)
def test_what_is_not_a_whole_email_address_is_not_one(text: str) -> None:
    assert kinds(text, "email") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("le 01/12/2022", "2022-12-01"),
        ("le 1/12/22", "2022-12-01"),
        ("le 08.12.2022", "2022-12-08"),
        ("2022-12-01", "2022-12-01"),
        ("le 1er décembre", "--12-01"),
        ("jeudi 8 décembre 2022", "2022-12-08"),
        ("le 8 dec.", "--12-08"),
        ("December 8", "--12-08"),
        ("December 8th, 2022", "2022-12-08"),
        ("the 3rd of Dec", "--12-03"),
        ("8 December 2022", "2022-12-08"),
        ("avant le 13/10", "--10-13"),
        ("le 29/02", "--02-29"),
    ],
)
def test_dates_in_numbers_or_with_a_month_name(text: str, value: str) -> None:
    assert kinds(text, "date") == [value]


@pytest.mark.parametrize(
    "text",
    [
        "12 caractères",
        "à 17:00",
        "version 2.0 ou 1.5",
        "06.12.34.56.78",
        "le 32/12/2022",
        "le 30/02/2022",
        "13/13",
        "en décembre 2022",
        "code 123456",
        "le 3 mois",
    ],
)
def test_what_merely_has_numbers_is_no_date(text: str) -> None:
    assert kinds(text, "date") == []


def test_several_dates_in_order() -> None:
    assert kinds("du 1er décembre au 08/12/2022", "date") == ["--12-01", "2022-12-08"]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("je ne vois pas le CSA", ["CSA"]),
        ("csa ccp-ant capa capn", ["CSA", "CCP ANT", "CAPA", "CAPN"]),
        ("il manque le CSA d'établissement", ["CSA d'établissement"]),
        ("csa de proximité", ["CSA de proximité"]),
        ("la CCP ANT et la CCP", ["CCP ANT", "CCP"]),
        ("le CAP et le CT", ["CAP", "CT"]),
        ("le scrutin cap", ["CAP"]),
        ("vote cpe", ["CPE"]),
        ("comité social d'administration", ["CSA"]),
        ("commission consultative paritaire", ["CCP"]),
    ],
)
def test_ballots_in_their_usual_spelling(text: str, values: list[str]) -> None:
    assert kinds(text, "ballot") == values


@pytest.mark.parametrize(
    "text",
    [
        "garder le cap",
        "ct bien",
        "CT QUOI LE CODE",
        "je suis CPE",
        "handicap",
        "capacité",
        "csa@ac-paris.fr",
    ],
)
def test_ordinary_words_are_no_ballot(text: str) -> None:
    assert kinds(text, "ballot") == []


def test_every_kind_once_in_one_message() -> None:
    found = extract("CSA, CSA : j'ai écrit de a.b@ac-nice.fr le 01/12/2022")
    assert found == (
        Entity("email", "a.b@ac-nice.fr"),
        Entity("date", "2022-12-01"),
        Entity("ballot", "CSA"),
    )
