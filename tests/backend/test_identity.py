"""Proof of address: a 6-digit code, 10 minutes, 5 wrong tries, 3 challenges an hour."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import audit
from backend.db.models import IdentityChallenge
from backend.identity import Checked, Identity, Started
from tests.backend.conftest import NOW, AddVoter

IDENTITY = Identity("a-secret-key-for-tests")


async def start(
    engine: AsyncEngine,
    address: str,
    voter_id: int | None,
    conversation: str = "c-1",
    now=NOW,  # type: ignore[no-untyped-def]
) -> Started:
    async with engine.begin() as connection:
        return await IDENTITY.start(
            connection,
            conversation_id=conversation,
            address=address,
            voter_id=voter_id,
            channel="webchat",
            now=now,
        )


async def check(engine: AsyncEngine, code: str, conversation: str = "c-1", now=NOW) -> Checked:  # type: ignore[no-untyped-def]
    async with engine.begin() as connection:
        return await IDENTITY.check(
            connection, conversation_id=conversation, code=code, channel="webchat", now=now
        )


async def test_the_right_code_verifies_the_voter(engine: AsyncEngine, add_voter: AddVoter) -> None:
    voter_id, email = await add_voter()
    started = await start(engine, email, voter_id)
    assert started.status == "sent"
    assert started.code is not None
    assert len(started.code) == 6
    assert started.code.isdigit()
    checked = await check(engine, started.code, now=NOW + timedelta(minutes=9))
    assert checked == Checked("verified", voter_id=voter_id)
    assert (await check(engine, started.code)).status == "expired"  # used: no pending challenge


async def test_an_unregistered_address_gets_the_same_answer_and_no_code(
    engine: AsyncEngine,
) -> None:
    started = await start(engine, "nobody@ac-test.fr", None)
    assert started.status == "sent"
    assert started.code is None
    for guess in ("000000", "123456"):
        assert (await check(engine, guess)).status == "wrong"


async def test_a_code_expires_after_ten_minutes(engine: AsyncEngine, add_voter: AddVoter) -> None:
    voter_id, email = await add_voter()
    started = await start(engine, email, voter_id, "c-late")
    assert started.code is not None
    late = await check(engine, started.code, "c-late", now=NOW + timedelta(minutes=10))
    assert late.status == "expired"


async def test_five_wrong_codes_end_the_challenge(engine: AsyncEngine, add_voter: AddVoter) -> None:
    voter_id, email = await add_voter()
    started = await start(engine, email, voter_id, "c-wrong")
    assert started.code is not None
    wrong = "000000" if started.code != "000000" else "111111"
    verdicts = [await check(engine, wrong, "c-wrong") for _ in range(5)]
    assert [v.status for v in verdicts] == ["wrong"] * 4 + ["locked"]
    assert [v.attempts_left for v in verdicts[:4]] == [4, 3, 2, 1]
    assert (await check(engine, started.code, "c-wrong")).status == "expired"
    async with engine.connect() as connection:
        assert any(
            e["detail"].get("attempts") == 5
            for e in await audit.events(connection, "identity.locked")
        )  # type: ignore[union-attr]


async def test_three_challenges_per_address_per_hour(
    engine: AsyncEngine, add_voter: AddVoter
) -> None:
    voter_id, email = await add_voter()
    for n in range(3):
        assert (await start(engine, email, voter_id, f"c-{n}")).status == "sent"
    assert (await start(engine, email, voter_id, "c-9")).status == "rate_limited"
    later = NOW + timedelta(hours=1, seconds=1)
    assert (await start(engine, email, voter_id, "c-9", now=later)).status == "sent"


async def test_three_challenges_per_conversation_per_hour(
    engine: AsyncEngine, add_voter: AddVoter
) -> None:
    addresses = [(await add_voter())[1] for _ in range(4)]
    verdicts = [(await start(engine, a, None, "c-same")).status for a in addresses]
    assert verdicts == ["sent", "sent", "sent", "rate_limited"]


async def test_neither_code_nor_address_is_stored(
    engine: AsyncEngine, add_voter: AddVoter, tmp_path: Path
) -> None:
    voter_id, email = await add_voter()
    started = await start(engine, email, voter_id, "c-store")
    async with engine.connect() as connection:
        rows = (await connection.execute(select(IdentityChallenge))).all()
        events = await audit.events(connection)
    stored = repr(rows) + repr(events)
    assert started.code is not None
    assert started.code not in stored
    assert email not in stored
