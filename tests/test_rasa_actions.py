"""The Rasa action server: the real `assesseur rasa-actions` on loopback, fed Rasa's webhook
requests; and, in process, the phases the server's clock does not reach."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.db.models import HandoffToken, IdentityChallenge
from backend.rasa_actions.server import build_executor
from backend.rasa_actions.turn import SLOTS, conversation_id, typed_code
from bot.clock import FrozenClock, parse_instant
from bot.rasa import build_ports
from bot.settings import Settings
from bot.wiring import open_services
from tests.identity_helpers import code_mailed_to, mails_to, register
from tests.rasa_server import (
    DOMAIN,
    ActionServer,
    Answer,
    documented_yaml,
    run_action_server,
    webhook_request,
)

ACTIONS = [
    "action_election_phase",
    "action_send_activation_link",
    "action_start_identity",
    "action_check_identity_code",
    "action_issue_handoff",
    "action_request_human",
]
SERVER_NOW = parse_instant("2022-12-02T10:00+01:00")
HANDOFF_URL = re.compile(r"^http://127\.0\.0\.1:8080/portal/handoff\?token=([\w.-]+)$")


@dataclass(frozen=True)
class Rasa:
    """The running server, its database, and voters registered before it started."""

    server: ActionServer
    engine: AsyncEngine
    voters: dict[str, str]

    def run(
        self, action: str, sender: str, slots: dict[str, Any] | None = None, text: str = ""
    ) -> Answer:
        """Runs `action` as Rasa would, in conversation `sender`."""
        payload = webhook_request(action, sender, slots, text)
        return self.server.post(json.dumps(payload).encode())


@pytest.fixture(scope="module")
def rasa_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A migrated SQLite file in a temporary folder."""
    directory = tmp_path_factory.mktemp("rasa")
    url = f"sqlite+aiosqlite:///{directory}/rasa.db"
    upgrade(url)
    return directory, url


@pytest.fixture(scope="module")
async def rasa(rasa_db: tuple[Path, str]) -> AsyncIterator[Rasa]:
    """Voters registered in the database, then the action server started on it."""
    directory, url = rasa_db
    engine = create_engine(url)
    voters = {
        "journey": await register(engine, first_name="Camille"),
        "same_answer": await register(engine),
        "link": await register(engine, activated=False),
        "not_activated": await register(engine, activated=False, first_name="Dominique"),
    }
    with run_action_server(directory, url) as server:
        yield Rasa(server, engine, voters)
    await engine.dispose()


def new_sender() -> str:
    """A fresh Rasa conversation."""
    return f"web-{uuid.uuid4().hex[:12]}"


def unknown_address() -> str:
    """An address no electoral list holds."""
    return f"personne.{uuid.uuid4().hex[:8]}@ac-versailles.fr"


async def first_mail(engine: AsyncEngine, address: str) -> dict[str, object]:
    """The newest mail to `address`, waiting for the server's background sending."""
    for _ in range(100):
        mails = await mails_to(engine, address)
        if mails:
            return mails[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no mail to {address}")


async def fresh_code(rasa: Rasa, address: str, sender: str) -> str:
    """Starts an identity check of `address` and reads the code mailed to it."""
    before = len(await mails_to(rasa.engine, address))
    answer = rasa.run("action_start_identity", sender, {"professional_email": address})
    assert answer.text.startswith("Si cette adresse est inscrite")
    for _ in range(100):
        if len(await mails_to(rasa.engine, address)) > before:
            return await code_mailed_to(rasa.engine, address)
        await asyncio.sleep(0.05)
    raise AssertionError("no code mailed")


def test_health_and_the_actions_registered_by_name(rasa: Rasa) -> None:
    health = rasa.server.request("GET", "/health")
    assert (health.status, health.body) == (200, {"status": "ok"})
    listed = rasa.server.request("GET", "/actions")
    assert [item["name"] for item in listed.body] == ACTIONS


def test_election_phase_sets_the_phase_and_dates_in_the_trackers_language(rasa: Rasa) -> None:
    french = rasa.run("action_election_phase", new_sender())
    assert french.slots() == {
        "election_phase": "vote_open",
        "vote_opens": "jeudi 1 décembre 2022 à 08h00",
        "vote_closes": "jeudi 8 décembre 2022 à 17h00",
    }
    assert french.text.startswith("Le vote est ouvert du jeudi 1 décembre 2022 à 08h00")

    english = rasa.run("action_election_phase", new_sender(), {"language": "en"})
    assert english.slots()["vote_closes"] == "Thursday 8 December 2022 at 17:00"
    assert english.text.startswith("The vote is open from Thursday 1 December 2022")

    unknown_language = rasa.run("action_election_phase", new_sender(), {"language": "de"})
    assert unknown_language.text == french.text


async def test_activation_link_same_answer_for_a_registered_and_an_unknown_address(
    rasa: Rasa,
) -> None:
    stranger = unknown_address()
    unknown = rasa.run(
        "action_send_activation_link", new_sender(), {"professional_email": stranger}
    )
    registered = rasa.run(
        "action_send_activation_link",
        new_sender(),
        {"professional_email": rasa.voters["link"].upper()},
    )
    assert registered.status == unknown.status == 200
    assert registered.body == unknown.body
    assert registered.text.startswith("Si cette adresse est inscrite sur une liste électorale")
    assert registered.events == []

    mail = await first_mail(rasa.engine, rasa.voters["link"])
    assert "activation" in str(mail["subject"]).lower()
    assert await mails_to(rasa.engine, stranger) == []


async def test_identity_code_same_answer_for_any_address_and_mailed_only_to_a_voter(
    rasa: Rasa,
) -> None:
    stranger = unknown_address()
    unknown = rasa.run("action_start_identity", new_sender(), {"professional_email": stranger})
    address = rasa.voters["same_answer"]
    registered = rasa.run("action_start_identity", new_sender(), {"professional_email": address})
    assert registered.body == unknown.body
    assert registered.text.startswith("Si cette adresse est inscrite")
    assert registered.slots() == {
        "identity_verified": False,
        "voter_verified_until": None,
        "identity_attempts_left": None,
    }

    await first_mail(rasa.engine, address)
    assert await code_mailed_to(rasa.engine, address) not in registered.raw
    assert await mails_to(rasa.engine, stranger) == []


async def test_a_verified_voter_gets_a_single_use_link_and_no_secret_leaves(rasa: Rasa) -> None:
    sender, address = new_sender(), rasa.voters["journey"]
    code = await fresh_code(rasa, address, sender)
    answers: list[Answer] = []

    wrong = "000000" if code != "000000" else "111111"
    answers.append(rasa.run("action_check_identity_code", sender, text=wrong))
    assert answers[-1].slots() == {"identity_verified": False, "identity_attempts_left": 4}
    assert "Essais restants : 4" in answers[-1].text

    answers.append(rasa.run("action_check_identity_code", sender, text=f"{code[:3]} {code[3:]}"))
    verified = answers[-1]
    slots = verified.slots()
    assert slots["identity_verified"] is True and slots["identity_attempts_left"] is None
    until = datetime.fromisoformat(slots["voter_verified_until"])
    assert SERVER_NOW + timedelta(minutes=30) <= until < SERVER_NOW + timedelta(minutes=32)
    assert verified.text.startswith("Merci Camille, votre adresse est vérifiée")
    assert [b["payload"] for b in verified.responses[0]["buttons"]] == [
        f'/request_handoff{{"handoff_purpose": "{purpose}"}}'
        for purpose in ("vote", "reassort", "password")
    ]

    proved = {"identity_verified": True, "professional_email": address}
    answers.append(rasa.run("action_issue_handoff", sender, proved))
    assert answers[-1].text.startswith("Le vote est ouvert : je peux vous donner un lien personnel")
    assert len(answers[-1].responses[0]["buttons"]) == 3

    answers.append(rasa.run("action_issue_handoff", sender, proved | {"handoff_purpose": "vote"}))
    handoff = answers[-1]
    assert handoff.events == [
        {"event": "slot", "timestamp": None, "name": "handoff_purpose", "value": None}
    ]
    [button] = handoff.responses[0]["buttons"]
    assert button["title"] == "Aller voter (lien personnel)" and button["type"] == "web_url"
    found = HANDOFF_URL.match(button["url"])
    assert found, button["url"]
    token = found.group(1)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["purpose"], claims["cid"]) == ("vote", f"rasa:{sender}")
    async with rasa.engine.connect() as connection:
        row = (
            await connection.execute(select(HandoffToken).where(HandoffToken.id == claims["jti"]))
        ).one()
    assert (row.purpose, row.conversation_id, row.used_at) == ("vote", f"rasa:{sender}", None)

    for purpose in ("reassort", "password"):
        answers.append(
            rasa.run("action_issue_handoff", sender, proved | {"handoff_purpose": purpose})
        )
        assert HANDOFF_URL.match(answers[-1].responses[0]["buttons"][0]["url"])

    # A new challenge ends the proof, whatever the slot says.
    await fresh_code(rasa, address, sender)
    answers.append(rasa.run("action_issue_handoff", sender, proved | {"handoff_purpose": "vote"}))
    assert answers[-1].text.startswith("Pour vous montrer votre compte ou vous donner un lien")
    assert answers[-1].slots() == {"identity_verified": False, "voter_verified_until": None}

    for answer in answers:
        assert code not in answer.raw
        assert token not in json.dumps(answer.events)
        assert all(e["event"] in ("slot",) for e in answer.events)
        assert set(answer.slots()) <= SLOTS


def test_the_slot_alone_opens_nothing(rasa: Rasa) -> None:
    forged = rasa.run(
        "action_issue_handoff",
        new_sender(),
        {"identity_verified": True, "voter_verified_until": "2099-01-01T00:00:00+00:00"}
        | {"handoff_purpose": "vote"},
    )
    assert forged.text.startswith("Pour vous montrer votre compte")
    assert forged.slots() == {"identity_verified": False, "voter_verified_until": None}
    assert forged.responses[0]["buttons"] == []


async def test_a_space_not_activated_gets_no_vote_link(rasa: Rasa) -> None:
    sender = new_sender()
    code = await fresh_code(rasa, rasa.voters["not_activated"], sender)
    verified = rasa.run("action_check_identity_code", sender, text=code)
    assert verified.slots()["identity_verified"] is True
    assert verified.responses[0]["buttons"] == []
    refused = rasa.run(
        "action_issue_handoff", sender, {"identity_verified": True, "handoff_purpose": "vote"}
    )
    assert refused.text.startswith("Votre espace électeur·rice n'est pas encore activé")
    assert refused.responses[0]["buttons"] == []


def test_the_code_check_reads_only_a_code_and_never_a_secret(rasa: Rasa) -> None:
    sender = new_sender()
    secret = rasa.run(
        "action_check_identity_code", sender, text="mon mot de passe est Soleil!2022abc"
    )
    assert secret.text.startswith("Attention : votre message semblait contenir un secret")
    assert "Soleil" not in secret.raw
    assert secret.events == []

    no_code = rasa.run("action_check_identity_code", sender, text="je n'ai rien reçu")
    assert no_code.text.startswith("Écrivez les 6 chiffres du code")
    assert no_code.events == []

    nothing_pending = rasa.run("action_check_identity_code", sender, text="123456")
    assert nothing_pending.text.startswith("Ce code a expiré")
    assert nothing_pending.slots() == {"identity_verified": False, "identity_attempts_left": None}


def test_an_address_that_is_not_one_is_refused_and_cleared(rasa: Rasa) -> None:
    for action in ("action_start_identity", "action_send_activation_link"):
        answer = rasa.run(action, new_sender(), {"professional_email": "camille chez ac-lyon"})
        assert answer.text.startswith("Je ne reconnais pas une adresse électronique")
        assert answer.slots() == {"professional_email": None}


def test_codes_are_limited_per_conversation(rasa: Rasa) -> None:
    sender = new_sender()
    texts = [
        rasa.run("action_start_identity", sender, {"professional_email": unknown_address()}).text
        for _ in range(4)
    ]
    assert all(t.startswith("Si cette adresse est inscrite") for t in texts[:3])
    assert texts[3].startswith("Trop de demandes en peu de temps")


def test_asking_for_a_person_pauses_the_conversation(rasa: Rasa) -> None:
    answer = rasa.run("action_request_human", new_sender(), {"language": "en"})
    assert answer.events == [{"event": "pause", "timestamp": None}]
    assert answer.text.startswith("I am passing your request on to the helpdesk")


async def test_a_long_sender_id_is_hashed_into_the_backends_conversation_id(rasa: Rasa) -> None:
    sender = "x" * 80
    rasa.run("action_start_identity", sender, {"professional_email": unknown_address()})
    expected = conversation_id(sender)
    assert expected.startswith("rasa:~") and len(expected) == 36
    async with rasa.engine.connect() as connection:
        found = await connection.scalar(
            select(IdentityChallenge.id).where(IdentityChallenge.conversation_id == expected)
        )
    assert found is not None
    assert conversation_id("~abc") != "rasa:~abc"
    assert conversation_id("web-1") == "rasa:web-1"


def test_malformed_requests_get_rasa_sdks_own_answers(rasa: Rasa) -> None:
    good = webhook_request("action_election_phase", new_sender())

    unknown = rasa.server.post(json.dumps(good | {"next_action": "action_nope"}).encode())
    assert (unknown.status, unknown.body) == (
        404,
        {
            "error": "No registered action found for name 'action_nope'.",
            "action_name": "action_nope",
        },
    )

    no_tracker = {k: v for k, v in good.items() if k != "tracker"}
    missing = rasa.server.post(json.dumps(no_tracker).encode())
    assert (missing.status, missing.body) == (
        500,
        {"error": "'tracker'", "request_body": no_tracker},
    )

    no_domain = {k: v for k, v in good.items() if k != "domain"}
    retry = rasa.server.post(json.dumps(no_domain).encode())
    assert retry.status == 449
    assert retry.body["action_name"] == "action_election_phase"
    assert retry.body["error"].startswith("Missing domain context, assistant will retry")

    not_json = rasa.server.post(b'{"next_action": "action_election_phase",')
    assert (not_json.status, not_json.body) == (
        400,
        {
            "description": "Bad Request",
            "status": 400,
            "message": "Failed when parsing body as json",
        },
    )

    empty = rasa.server.post(b"")
    assert (empty.status, empty.body) == (400, {"error": "Invalid body request"})

    no_action = rasa.server.post(json.dumps(good | {"next_action": None}).encode())
    assert (no_action.status, no_action.raw) == (200, "null")

    assert rasa.server.request("GET", "/health").status == 200


def test_the_documented_domain_declares_every_action_and_slot() -> None:
    assert set(DOMAIN["actions"]) == set(ACTIONS)
    assert set(DOMAIN["slots"]) == set(SLOTS)
    rules = documented_yaml("rules.yml")["rules"]
    steps = [step for rule in rules for step in rule["steps"]]
    assert {s["action"] for s in steps if "action" in s} <= set(ACTIONS) | set(DOMAIN["forms"])
    assert {s["intent"] for s in steps if "intent" in s} <= set(DOMAIN["intents"])
    assert set(ACTIONS) <= {s["action"] for s in steps if "action" in s}
    endpoint = documented_yaml("endpoints.yml")["action_endpoint"]["url"]
    assert endpoint == "http://127.0.0.1:5055/webhook"


def test_a_code_is_read_from_what_voters_type() -> None:
    assert typed_code("123456") == typed_code("123 456") == typed_code(" 12 34 56 ") == "123456"
    assert typed_code("le code est 654321 merci") == "654321"
    assert typed_code("123456 ou 654321") is None
    assert typed_code("١٢٣٤٥٦") is None
    assert typed_code("le 02/12/2022") is None


async def test_links_follow_the_election_calendar(tmp_path: Path) -> None:
    """In process, with a clock the test moves: before the spaces open, at the close, after it."""
    url = f"sqlite+aiosqlite:///{tmp_path}/phases.db"
    settings = Settings(
        database_url=url, secret_key="phases-secret", election="2022", now=None, smtp_url=None
    )
    clock = FrozenClock(parse_instant("2022-09-01T10:00+02:00"))
    async with open_services(settings, clock=clock) as services:
        ports, backend = build_ports(services)
        executor = build_executor(ports)
        address = await register(services.engine)

        async def run(action: str, slots: dict[str, Any] | None = None, text: str = "") -> Answer:
            result = await executor.run(webhook_request(action, "phases", slots, text))
            await backend.drain()
            body = result.model_dump()
            return Answer(200, body, json.dumps(body))

        before = await run("action_send_activation_link", {"professional_email": address})
        assert before.text.startswith("Ce sera possible à l'ouverture des espaces électeurs")
        assert await mails_to(services.engine, address) == []
        phase = await run("action_election_phase")
        assert phase.slots()["election_phase"] == "before_activation"
        assert "Les espaces électeurs ouvriront avant, le jeudi 13 octobre 2022" in phase.text

        clock.set(parse_instant("2022-12-08T16:50+01:00"))
        await run("action_start_identity", {"professional_email": address})
        code = await code_mailed_to(services.engine, address)
        verified = await run("action_check_identity_code", text=code)
        assert verified.slots()["identity_verified"] is True

        clock.set(parse_instant("2022-12-08T17:05+01:00"))
        proved = {"identity_verified": True}
        closed = await run("action_issue_handoff", proved | {"handoff_purpose": "vote"})
        assert closed.text.startswith("Le vote est clos depuis le jeudi 8 décembre 2022 à 17h00")
        assert closed.responses[0]["buttons"] == []
        password = await run("action_issue_handoff", proved | {"handoff_purpose": "password"})
        assert password.text == "Le vote est clos depuis le jeudi 8 décembre 2022 à 17h00."
        closed_phase = await run("action_election_phase")
        assert closed_phase.slots()["election_phase"] == "vote_closed"

        clock.set(parse_instant("2022-12-08T16:55+01:00"))
        open_again = await run("action_issue_handoff", proved | {"handoff_purpose": "reassort"})
        assert open_again.responses[0]["buttons"][0]["title"] == "Nouveau code de vote"

        clock.set(parse_instant("2022-12-08T17:21+01:00"))
        expired = await run("action_issue_handoff", proved | {"handoff_purpose": "password"})
        assert expired.text.startswith("Pour vous montrer votre compte")
