"""The catalogues: every key used exists in every language, no key is unused, texts fit a phone."""

from __future__ import annotations

import re
from itertools import product

import pytest

from backend.platform import Ballot, VoterRecord
from backend.web.outbox import KEYS as OUTBOX_KEYS
from backend.web.portal import KEYS as PORTAL_KEYS
from bot.channels.telegram.session import KEYS as TELEGRAM_KEYS
from bot.clock import parse_instant
from bot.election import PHASES, Phase
from bot.election_file import load_election
from bot.engine.loader import load_flows
from bot.engine.present import render_state
from bot.engine.step import ENGINE_KEYS
from bot.engine.turn import TurnContext
from bot.i18n.catalog import Catalogs
from bot.i18n.formats import KEYS as FORMAT_KEYS
from bot.i18n.render import render
from bot.mails import KEYS as MAIL_KEYS
from tests.helpers import ROOT

CATALOGS = Catalogs.load()
FLOWS = load_flows().flows
PAGE = (ROOT / "bot" / "channels" / "webchat" / "static" / "index.html").read_text()
PHONE_SCREEN = 700
"""Characters of one message that fit a 360-pixel phone screen without scrolling much."""
SAMPLE_TIMES = {
    Phase.BEFORE_ACTIVATION: "2022-09-01T10:00+02:00",
    Phase.ACTIVATION_OPEN: "2022-11-20T09:22+01:00",
    Phase.VOTE_OPEN: "2022-12-05T10:00+01:00",
    Phase.VOTE_CLOSED: "2022-12-09T10:00+01:00",
}


def used_keys() -> set[str]:
    keys = {p.key for s in FLOWS for p in s.say} | {b.label for s in FLOWS for b in s.buttons}
    keys |= {s.topic for s in FLOWS if s.topic}
    keys |= ENGINE_KEYS | FORMAT_KEYS | MAIL_KEYS | OUTBOX_KEYS | PORTAL_KEYS | TELEGRAM_KEYS
    keys |= {f"language.name.{lang}" for lang in CATALOGS.locales}
    keys |= set(re.findall(r"\{\{\s*(webchat\.[a-z_.]+)\s*\}\}", PAGE))
    return keys


def test_french_and_english_catalogues_exist() -> None:
    assert CATALOGS.locales[:1] == ("fr",)
    assert "en" in CATALOGS.locales


@pytest.mark.parametrize("locale", CATALOGS.locales)
def test_every_used_key_exists_and_has_a_text(locale: str) -> None:
    texts = CATALOGS.texts[locale]
    missing = sorted(k for k in used_keys() if not texts.get(k))
    assert missing == []


@pytest.mark.parametrize("locale", CATALOGS.locales)
def test_no_catalogue_key_is_unused(locale: str) -> None:
    unused = sorted(set(CATALOGS.texts[locale]) - used_keys())
    assert unused == []


def test_all_catalogues_have_the_same_keys() -> None:
    french = set(CATALOGS.texts["fr"])
    for locale in CATALOGS.locales:
        assert set(CATALOGS.texts[locale]) == french, locale


def test_phase_samples_are_in_their_phase() -> None:
    election = load_election("2022")
    assert {election.phase(parse_instant(t)) for t in SAMPLE_TIMES.values()} == set(PHASES)


@pytest.mark.parametrize(
    ("election_id", "phase", "locale"),
    list(product(["2022", "2026"], list(Phase), CATALOGS.locales)),
)
def test_every_message_fits_a_phone_screen(election_id: str, phase: Phase, locale: str) -> None:
    election = load_election(election_id)
    now = parse_instant(SAMPLE_TIMES[phase])
    if election_id == "2026":
        now = (
            now.replace(year=2026, day=11) if phase == Phase.VOTE_CLOSED else now.replace(year=2026)
        )
    assert election.phase(now) == phase
    voter = VoterRecord(
        id=1,
        email="dominique.bernard-lefebvre@ac-aix-marseille.fr",
        first_name="Marie-Dominique",
        last_name="Bernard-Lefebvre",
        activated=True,
        ballots=tuple(
            Ballot(f"Commission administrative paritaire n° {n}", n > 5) for n in range(7)
        ),
    )
    too_long = []
    for state, shown_to in ((s, v) for s in FLOWS for v in (None, voter)):
        ctx = TurnContext(now=now, election=election, labels=CATALOGS.texts, voter=shown_to)
        if state.flow in ("account", "identity") and shown_to is None:
            continue  # shown only to a verified voter
        extra = {"attempts_left": 4}
        message = render(render_state(state, locale, ctx, extra), CATALOGS, locale)
        if len(message.text) > PHONE_SCREEN:
            too_long.append(f"{state.id}: {len(message.text)} characters")
        assert len(message.buttons) <= 9, state.id
        assert all(len(b.label) <= 40 for b in message.buttons), state.id
        assert "{" not in message.text, state.id
    assert too_long == []
