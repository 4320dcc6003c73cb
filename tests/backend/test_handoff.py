"""Hand-off tokens: accepted once; replayed, expired, tampered, wrong-purpose, revoked refused."""

from __future__ import annotations

from datetime import timedelta

import jwt
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import audit
from backend.handoff import Handoff
from tests.backend.conftest import NOW, AddVoter

HANDOFF = Handoff("a-secret-key-for-tests")


async def issue(engine: AsyncEngine, voter_id: int, purpose: str = "vote") -> str:
    async with engine.begin() as connection:
        return await HANDOFF.issue(
            connection,
            voter_id=voter_id,
            purpose=purpose,
            conversation_id="c-1",
            channel="webchat",
            now=NOW,
        )


async def check(engine: AsyncEngine, token: str, **options: object):  # type: ignore[no-untyped-def]
    async with engine.begin() as connection:
        return await HANDOFF.introspect(connection, token, now=options.pop("now", NOW), **options)  # type: ignore[arg-type]


async def test_a_token_is_accepted_once_then_refused(
    engine: AsyncEngine, add_voter: AddVoter
) -> None:
    voter_id, email = await add_voter()
    token = await issue(engine, voter_id)
    first = await check(engine, token)
    assert first.active
    assert first.voter_id == voter_id
    assert first.email == email
    assert first.purpose == "vote"
    assert first.as_json()["sub"] == str(voter_id)
    replay = await check(engine, token)
    assert not replay.active
    assert replay.reason == "used"
    assert replay.as_json() == {"active": False}


async def test_an_expired_token_is_refused(engine: AsyncEngine, add_voter: AddVoter) -> None:
    voter_id, _ = await add_voter()
    token = await issue(engine, voter_id)
    late = await check(engine, token, now=NOW + timedelta(minutes=10, seconds=1))
    assert not late.active
    assert late.reason == "expired"
    in_time = await check(engine, token, now=NOW + timedelta(minutes=9, seconds=59))
    assert in_time.active


async def test_a_tampered_token_is_refused(engine: AsyncEngine, add_voter: AddVoter) -> None:
    voter_id, _ = await add_voter()
    other_id, _ = await add_voter()
    token = await issue(engine, voter_id)
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert (await check(engine, f"{header}.{payload}.{flipped}")).reason == "invalid"
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "sub": str(other_id)}, "not-our-key-" * 4, algorithm="HS256")
    assert (await check(engine, forged)).reason == "invalid"
    assert (await check(engine, "not a token at all")).reason == "invalid"
    assert (await check(engine, token)).active


async def test_a_wrong_purpose_is_refused_and_does_not_spend_the_token(
    engine: AsyncEngine, add_voter: AddVoter
) -> None:
    voter_id, _ = await add_voter()
    token = await issue(engine, voter_id, "reassort")
    wrong = await check(engine, token, purpose="vote")
    assert not wrong.active
    assert wrong.reason == "wrong_purpose"
    assert (await check(engine, token, purpose="reassort")).active


async def test_a_revoked_token_is_refused(engine: AsyncEngine, add_voter: AddVoter) -> None:
    voter_id, _ = await add_voter()
    one = await issue(engine, voter_id)
    two = await issue(engine, voter_id, "password")
    async with engine.begin() as connection:
        assert await HANDOFF.revoke(connection, voter_id=voter_id, now=NOW) == 2
    assert (await check(engine, one)).reason == "revoked"
    assert (await check(engine, two)).reason == "revoked"


async def test_issue_and_use_are_audited_without_the_token(
    engine: AsyncEngine, add_voter: AddVoter
) -> None:
    voter_id, _ = await add_voter()
    token = await issue(engine, voter_id)
    await check(engine, token)
    async with engine.connect() as connection:
        issued = await audit.events(connection, "handoff.issued")
        used = await audit.events(connection, "handoff.used")
    mine = f"voter:{voter_id}"
    assert [e["subject"] for e in issued].count(mine) == 1
    assert [e["subject"] for e in used].count(mine) == 1
    assert all(token not in str(e) for e in issued + used)
