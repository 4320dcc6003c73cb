"""Locale formatting of message parameters, against the project's own catalogues."""

from __future__ import annotations

import gettext
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.election import (
    Countdown,
    Election,
    LocalizedText,
    Tentative,
    UnknownAddress,
)
from bot.i18n.formats import (
    Translator,
    format_countdown,
    format_date,
    format_datetime,
    format_param,
)

ROOT = Path(__file__).resolve().parent.parent.parent
LOCALES = ROOT / "locales"


@pytest.fixture(scope="module")
def compiled_locales(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .po catalogues compiled afresh (as `pybabel compile` does), so no stale .mo is read."""
    target = tmp_path_factory.mktemp("locales")
    for language in ("fr", "en"):
        source = LOCALES / language / "LC_MESSAGES" / "assesseur.po"
        folder = target / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with source.open("rb") as po, (folder / "assesseur.mo").open("wb") as mo:
            write_mo(mo, read_po(po, locale=language))
    return target


@pytest.fixture(scope="module")
def fr(compiled_locales: Path) -> Translator:
    return gettext.translation("assesseur", compiled_locales, ["fr"])


@pytest.fixture(scope="module")
def en(compiled_locales: Path) -> Translator:
    return gettext.translation("assesseur", compiled_locales, ["en"])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- Countdown ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("countdown", "french", "english"),
    [
        (Countdown(1, 1, 1), "1 jour, 1 heure et 1 minute", "1 day, 1 hour, and 1 minute"),
        (
            Countdown(10, 22, 38),
            "10 jours, 22 heures et 38 minutes",
            "10 days, 22 hours, and 38 minutes",
        ),
        (Countdown(0, 2, 5), "2 heures et 5 minutes", "2 hours and 5 minutes"),
        (Countdown(3, 0, 0), "3 jours", "3 days"),
        (Countdown(1, 0, 1), "1 jour et 1 minute", "1 day and 1 minute"),
        (Countdown(0, 0, 1), "1 minute", "1 minute"),
        (Countdown(0, 0, 0), "moins d'une minute", "less than a minute"),
    ],
)
def test_countdown_wording(
    fr: Translator, en: Translator, countdown: Countdown, french: str, english: str
) -> None:
    assert format_countdown(countdown, fr, "fr") == french
    assert format_countdown(countdown, en, "en") == english


def test_countdown_never_shows_a_zero(fr: Translator) -> None:
    for countdown in (Countdown(0, 2, 5), Countdown(3, 0, 0), Countdown(1, 0, 1)):
        assert "0 " not in format_countdown(countdown, fr, "fr")


def test_countdown_eleven_days_before_the_2022_vote(
    e2022: Election, fr: Translator, en: Translator
) -> None:
    countdown = e2022.countdown(at("2022-11-20T09:22+01:00"))
    assert countdown is not None
    assert format_param(countdown, fr, "fr") == "10 jours, 22 heures et 38 minutes"
    assert format_param(countdown, en, "en") == "10 days, 22 hours, and 38 minutes"


def test_countdown_of_the_portal_example(e2022: Election, fr: Translator) -> None:
    # The 2022 portal's "Ouverture du vote dans 43 22 38".
    params = e2022.params(at("2022-10-18T09:22+02:00"))
    assert format_param(params["countdown"], fr, "fr") == "43 jours, 22 heures et 38 minutes"


# --- Dates and times ----------------------------------------------------------------------------


def test_datetime_in_french_and_english(e2022: Election, fr: Translator, en: Translator) -> None:
    assert format_datetime(e2022.vote_opens, fr, "fr") == "jeudi 1 décembre 2022 à 08h00"
    assert format_datetime(e2022.vote_closes, fr, "fr") == "jeudi 8 décembre 2022 à 17h00"
    assert format_datetime(e2022.vote_opens, en, "en") == "Thursday 1 December 2022 at 08:00"


def test_datetime_given_in_utc_is_shown_in_paris_time(fr: Translator) -> None:
    assert format_datetime(at("2022-12-01T07:00Z"), fr, "fr") == "jeudi 1 décembre 2022 à 08h00"
    assert format_datetime(at("2022-10-12T22:00Z"), fr, "fr") == "jeudi 13 octobre 2022 à 00h00"


def test_naive_datetime_is_refused(fr: Translator) -> None:
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2022, 12, 1, 8, 0), fr, "fr")


def test_date_in_french_and_english(fr: Translator, en: Translator) -> None:
    assert format_date(date(2022, 10, 13), fr, "fr") == "jeudi 13 octobre 2022"
    assert format_date(date(2022, 10, 13), en, "en") == "Thursday 13 October 2022"


# --- Parameters ----------------------------------------------------------------------------------


def test_tentative_datetime_says_to_be_confirmed(
    e2026: Election, fr: Translator, en: Translator
) -> None:
    params = e2026.params(at("2026-11-01T10:00+01:00"))
    assert format_param(params["vote_opens"], fr, "fr") == (
        "jeudi 3 décembre 2026 à 08h00 (à confirmer)"
    )
    assert format_param(params["vote_closes"], en, "en") == (
        "Thursday 10 December 2026 at 17:00 (to be confirmed)"
    )
    assert format_param(params["activation_opens"], fr, "fr") == (
        "jeudi 15 octobre 2026 (à confirmer)"
    )
    assert format_param(params["countdown"], fr, "fr") == ("31 jours et 22 heures (à confirmer)")


def test_unknown_portal_renders_the_catalogue_sentence(
    e2026: Election, fr: Translator, en: Translator
) -> None:
    portal = e2026.params(at("2026-11-01T10:00+01:00"))["portal_url"]
    assert portal == UnknownAddress()
    assert format_param(portal, fr, "fr") == (
        "adresse que votre ministère publiera avant l'ouverture"
    )
    assert format_param(portal, en, "en") == (
        "address your ministry will publish before the opening"
    )


def test_confirmed_2022_values_carry_no_mark(e2022: Election, fr: Translator) -> None:
    params = e2022.params(at("2022-11-20T09:22+01:00"))
    rendered = {key: format_param(value, fr, "fr") for key, value in params.items()}
    assert rendered == {
        "election": "Élections professionnelles 2022",
        "portal_url": "https://www.education-jeunesse-recherche-sports.gouv.fr/electionspro2022",
        "directory_url": "https://aaa.phm.education.gouv.fr/aaa/",
        "webmail_url": "https://www.education.gouv.fr/la-messagerie-professionnelle-3446",
        "activation_opens": "jeudi 13 octobre 2022",
        "vote_opens": "jeudi 1 décembre 2022 à 08h00",
        "vote_closes": "jeudi 8 décembre 2022 à 17h00",
        "countdown": "10 jours, 22 heures et 38 minutes",
    }


def test_every_2026_param_renders_without_a_raw_key(
    e2026: Election, fr: Translator, en: Translator
) -> None:
    for now in ("2026-09-01T10:00+02:00", "2026-12-05T10:00+01:00", "2026-12-11T10:00+01:00"):
        for translator, locale in ((fr, "fr"), (en, "en")):
            for key, value in e2026.params(at(now)).items():
                text = format_param(value, translator, locale)
                assert "calendar." not in text
                assert "countdown." not in text
                assert text or key == "countdown"


def test_election_name_follows_the_locale(e2022: Election, fr: Translator, en: Translator) -> None:
    assert format_param(e2022.name, fr, "fr") == "Élections professionnelles 2022"
    assert format_param(e2022.name, en, "en") == "2022 professional elections"
    assert format_param(e2022.name, en, "en_GB") == "2022 professional elections"
    only_french = LocalizedText(MappingProxyType({"fr": "Élections"}))
    assert format_param(only_french, en, "en") == "Élections"


def test_plain_values(fr: Translator) -> None:
    assert format_param("https://example.gouv.fr/", fr, "fr") == "https://example.gouv.fr/"
    assert format_param(None, fr, "fr") == ""
    assert format_param(Tentative("https://example.gouv.fr/"), fr, "fr") == (
        "https://example.gouv.fr/ (à confirmer)"
    )
    assert format_param(date(2022, 12, 8), fr, "fr") == "jeudi 8 décembre 2022"


def test_unsupported_value_is_a_programming_error(fr: Translator) -> None:
    with pytest.raises(TypeError, match="float"):
        format_param(1.5, fr, "fr")
