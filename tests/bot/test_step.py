"""The engine's pure step, on small fixture flows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.clock import parse_instant
from bot.election_file import load_election
from bot.engine.loader import load_flows
from bot.engine.model import AGENT_STATE, FALLBACK_AGAIN_STATE, FALLBACK_STATE, MENU_STATE
from bot.engine.step import first_state, parse_command, step
from bot.engine.turn import (
    Click,
    Command,
    ConversationState,
    Entity,
    LeaveAgentQueue,
    QueueForAgent,
    Start,
    TurnContext,
    TurnResult,
    Typed,
    Understood,
    UnknownAction,
)
from bot.i18n.catalog import Catalogs
from tests.helpers import FIXTURE_FLOWS, fixture_catalogs

Labels = dict[str, dict[str, object]]
ELECTION = load_election("2022")
FLOWS = load_flows(FIXTURE_FLOWS).flows


@pytest.fixture(scope="module")
def labels(tmp_path_factory: pytest.TempPathFactory) -> Labels:
    catalogs = Catalogs.load(fixture_catalogs(Path(tmp_path_factory.mktemp("locales"))))
    return {k: dict(v) for k, v in catalogs.texts.items()}


def ctx(labels: Labels, at: str = "2022-11-20T10:00+01:00") -> TurnContext:
    return TurnContext(now=parse_instant(at), election=ELECTION, labels=labels)


def started(labels: Labels) -> ConversationState:
    return step(FLOWS, first_state("fr"), Start(), ctx(labels)).state


def keys(result: TurnResult) -> list[str]:
    return [p.key for r in result.replies for p in r.paragraphs]


def actions(result: TurnResult) -> list[str | None]:
    return [b.action for b in result.replies[-1].buttons]


def test_start_shows_the_welcome_with_the_countdown_paragraph_before_the_vote(
    labels: Labels,
) -> None:
    result = step(FLOWS, first_state("fr"), Start(), ctx(labels))
    assert keys(result) == ["menu.welcome", "menu.welcome.countdown"]
    assert result.state.state == "menu.welcome"
    assert actions(result) == ["topic.start", AGENT_STATE]


def test_the_countdown_paragraph_is_gone_once_the_vote_is_open(labels: Labels) -> None:
    result = step(FLOWS, first_state("fr"), Start(), ctx(labels, "2022-12-02T10:00+01:00"))
    assert keys(result) == ["menu.welcome"]


def test_a_phase_conditioned_link_shows_only_in_its_phase(labels: Labels) -> None:
    state = started(labels)
    before = step(FLOWS, state, Click("topic.start"), ctx(labels))
    during = step(FLOWS, state, Click("topic.start"), ctx(labels, "2022-12-02T10:00+01:00"))
    assert [b.url for b in before.replies[-1].buttons if b.url] == []
    assert [b.url for b in during.replies[-1].buttons if b.url] == [ELECTION.links["portal"]]


def test_every_answer_ends_with_menu_and_person(labels: Labels) -> None:
    result = step(FLOWS, started(labels), Click("topic.start"), ctx(labels))
    assert actions(result)[-2:] == [MENU_STATE, AGENT_STATE]


def test_typed_button_label_or_number_presses_it(labels: Labels) -> None:
    state = step(FLOWS, started(labels), Click("topic.start"), ctx(labels)).state
    assert step(FLOWS, state, Typed("  SUITE! "), ctx(labels)).state.state == "topic.next"
    assert step(FLOWS, state, Typed("1"), ctx(labels)).state.state == "topic.next"


def test_a_confident_intent_opens_its_state(labels: Labels) -> None:
    result = step(FLOWS, started(labels), Typed("x", Understood("topic_intent", 0.9)), ctx(labels))
    assert result.state.state == "topic.start" and result.understood == Understood(
        "topic_intent", 0.9
    )


def test_two_misses_in_a_row_offer_a_person(labels: Labels) -> None:
    state = started(labels)
    first = step(FLOWS, state, Typed("blabla", Understood("topic_intent", 0.3)), ctx(labels))
    assert first.state.state == FALLBACK_STATE and first.state.misses == 1
    second = step(FLOWS, first.state, Typed("toujours rien"), ctx(labels))
    assert second.state.state == FALLBACK_AGAIN_STATE and second.state.misses == 0


def test_commands(labels: Labels) -> None:
    state = started(labels)
    assert parse_command("/langue en") == ("langue", "en")
    assert parse_command("/start@AssesseurBot reassort") == ("start", "reassort")
    assert parse_command("bonjour /menu") is None
    assert step(FLOWS, state, Command("menu"), ctx(labels)).state.state == MENU_STATE
    assert step(FLOWS, state, Command("aide"), ctx(labels)).state.state == "help.start"
    unknown = step(FLOWS, state, Command("vote"), ctx(labels))
    assert keys(unknown)[0] == "command.unknown" and unknown.state.state == MENU_STATE


def test_language_choice_sticks_over_the_client_language(labels: Labels) -> None:
    state = started(labels)
    menu = step(FLOWS, state, Command("langue"), ctx(labels))
    assert "lang:en" in actions(menu)
    chosen = step(FLOWS, state, Click("lang:en"), ctx(labels)).state
    assert chosen.locale == "en" and chosen.locale_chosen
    after = step(FLOWS, chosen, Typed("1", client_locale="fr"), ctx(labels)).state
    assert after.locale == "en"


def test_client_language_applies_until_the_voter_chooses(labels: Labels) -> None:
    result = step(FLOWS, started(labels), Command("menu", client_locale="en"), ctx(labels))
    assert result.state.locale == "en"


def test_person_request_queues_then_leaving_it_unqueues(labels: Labels) -> None:
    asked = step(FLOWS, started(labels), Click(AGENT_STATE), ctx(labels))
    assert asked.state.status == "waiting_agent"
    assert isinstance(asked.effects[0], QueueForAgent)
    waiting = step(FLOWS, asked.state, Typed("allo ?"), ctx(labels))
    assert keys(waiting) == ["agent.waiting_reply"] and waiting.state.status == "waiting_agent"
    back = step(FLOWS, asked.state, Click(MENU_STATE), ctx(labels))
    assert back.state.status == "bot" and back.effects == (LeaveAgentQueue(),)


def test_unknown_action_is_refused(labels: Labels) -> None:
    with pytest.raises(UnknownAction):
        step(FLOWS, started(labels), Click("topic.nowhere"), ctx(labels))


def test_a_changed_flow_brings_the_voter_back_to_the_menu(labels: Labels) -> None:
    state = step(FLOWS, started(labels), Click("topic.start"), ctx(labels)).state
    stale = replace(state, flows_version="an older version")
    result = step(FLOWS, stale, Typed("???"), ctx(labels))
    assert keys(result)[0] == "session.flow_changed"
    assert result.state.state == FALLBACK_STATE


def test_step_is_pure_same_input_same_output(labels: Labels) -> None:
    state = started(labels)
    assert step(FLOWS, state, Click("topic.start"), ctx(labels)) == step(
        FLOWS, state, Click("topic.start"), ctx(labels)
    )


def test_unsure_understanding_offers_the_likeliest_topics(labels: Labels) -> None:
    unsure = Understood(
        "topic_intent", 0.4, ranking=(("topic_intent", 0.4), ("other_intent", 0.35))
    )
    result = step(FLOWS, started(labels), Typed("hmm", unsure), ctx(labels))
    assert result.state.state == "fallback.clarify"
    assert actions(result)[:2] == ["topic.start", "topic.next"]
    assert [b.label.key for b in result.replies[-1].buttons][:2] == [
        "topic.label.start",
        "topic.label.next",
    ]


def test_very_unsure_understanding_asks_to_rephrase(labels: Labels) -> None:
    lost = Understood("topic_intent", 0.1, ranking=(("topic_intent", 0.1), ("other_intent", 0.09)))
    result = step(FLOWS, started(labels), Typed("hmm", lost), ctx(labels))
    assert result.state.state == FALLBACK_STATE


def test_a_finer_intent_routes_to_its_own_state(labels: Labels) -> None:
    finer = Understood("topic_intent", 0.9, detail="other_intent")
    assert step(FLOWS, started(labels), Typed("x", finer), ctx(labels)).state.state == "topic.next"


def test_the_language_of_the_message_is_followed_until_the_voter_chooses(labels: Labels) -> None:
    english = Understood("topic_intent", 0.9, language="en")
    result = step(FLOWS, started(labels), Typed("I did not get it", english), ctx(labels))
    assert result.state.locale == "en"
    chosen = step(FLOWS, started(labels), Command("langue", "fr"), ctx(labels)).state
    kept = step(FLOWS, chosen, Typed("I did not get it", english), ctx(labels)).state
    assert kept.locale == "fr"


def test_an_address_written_in_passing_is_offered_for_the_proof(labels: Labels) -> None:
    found = Understood(
        "topic_intent", 0.9, entities=(Entity("email", "camille.martin@ac-lyon.fr"),)
    )
    result = step(FLOWS, started(labels), Typed("x", found), ctx(labels))
    assert result.state.state == "topic.start"
    assert result.state.offered_address == "camille.martin@ac-lyon.fr"
    offer = result.replies[-1]
    assert offer.paragraphs[0].key == "identity.offer_address"
    assert [b.action for b in offer.buttons] == ["identity.use_address"]
    later = step(FLOWS, result.state, Click("topic.next"), ctx(labels))
    assert later.state.offered_address is None
