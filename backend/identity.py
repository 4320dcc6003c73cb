"""Proof that a voter owns a professional address: a one-time code sent to it (pyotp).

Only keyed hashes are stored: of the address (to count attempts) and of the code (to check it).
An unregistered address gets a challenge too, with a code nobody receives, so that the words and
the work done are the same whether the address is registered or not.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from backend import audit
from backend.db.models import IdentityChallenge
from backend.db.time import aware, utc


@dataclass(frozen=True, slots=True)
class IdentityLimits:
    """How long codes and proofs last, and how many attempts are allowed."""

    code_ttl: timedelta = timedelta(minutes=10)
    binding_ttl: timedelta = timedelta(minutes=30)
    max_wrong_codes: int = 5
    challenges_per_address_per_hour: int = 3
    challenges_per_conversation_per_hour: int = 3


@dataclass(frozen=True, slots=True)
class Started:
    """A challenge's outcome: `code` is what to mail, None when nothing may be sent."""

    status: Literal["sent", "rate_limited"]
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Checked:
    """A typed code's outcome; `voter_id` only when verified."""

    status: Literal["verified", "wrong", "locked", "expired"]
    voter_id: int | None = None
    attempts_left: int = 0


class Identity:
    """Starts and checks address challenges, inside the caller's transaction."""

    def __init__(self, secret_key: str, limits: IdentityLimits | None = None) -> None:
        self._key = hashlib.sha256(b"assesseur-identity:" + secret_key.encode()).digest()
        self.limits = limits or IdentityLimits()

    def address_key(self, address: str) -> str:
        """A keyed hash of a normalised address: counts attempts without storing the address."""
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()

    def _code_hash(self, challenge_id: str, code: str) -> str:
        message = f"{challenge_id}:{code}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    async def start(
        self,
        connection: AsyncConnection,
        *,
        conversation_id: str,
        address: str,
        voter_id: int | None,
        channel: str,
        now: datetime,
    ) -> Started:
        """A new challenge for `address`, unless the hourly limits are reached."""
        now = utc(now)
        address_key = self.address_key(address)
        hour_ago = now - timedelta(hours=1)
        by_address = await _challenges_since(
            connection, IdentityChallenge.address_hash == address_key, hour_ago
        )
        by_conversation = await _challenges_since(
            connection, IdentityChallenge.conversation_id == conversation_id, hour_ago
        )
        if (
            by_address >= self.limits.challenges_per_address_per_hour
            or by_conversation >= self.limits.challenges_per_conversation_per_hour
        ):
            await audit.record(
                connection,
                "identity.rate_limited",
                actor=f"conversation:{conversation_id}",
                at=now,
                channel=channel,
                subject=address_key[:16],
            )
            return Started("rate_limited")
        challenge_id = str(uuid.uuid4())
        code = pyotp.HOTP(pyotp.random_base32(), digits=6).at(0)
        await connection.execute(
            update(IdentityChallenge)
            .where(
                IdentityChallenge.conversation_id == conversation_id,
                IdentityChallenge.status == "pending",
            )
            .values(status="replaced")
        )
        await connection.execute(
            insert(IdentityChallenge).values(
                id=challenge_id,
                conversation_id=conversation_id,
                address_hash=address_key,
                voter_id=voter_id,
                code_hash=self._code_hash(challenge_id, code),
                attempts=0,
                status="pending",
                expires_at=now + self.limits.code_ttl,
                created_at=now,
            )
        )
        await audit.record(
            connection,
            "identity.code_sent",
            actor=f"conversation:{conversation_id}",
            at=now,
            channel=channel,
            subject=address_key[:16],
            detail={"challenge": challenge_id},
        )
        return Started("sent", code if voter_id is not None else None)

    async def check(
        self,
        connection: AsyncConnection,
        *,
        conversation_id: str,
        code: str,
        channel: str,
        now: datetime,
    ) -> Checked:
        """Checks a typed code against the conversation's pending challenge."""
        now = utc(now)
        row = (
            await connection.execute(
                select(IdentityChallenge)
                .where(
                    IdentityChallenge.conversation_id == conversation_id,
                    IdentityChallenge.status == "pending",
                )
                .order_by(IdentityChallenge.created_at.desc())
                .limit(1)
                .with_for_update()
            )
        ).first()
        actor = f"conversation:{conversation_id}"
        if row is None or aware(row.expires_at) <= now:
            return Checked("expired")
        expected = row.code_hash
        given = self._code_hash(row.id, code.strip())
        if row.voter_id is not None and hmac.compare_digest(expected, given):
            await connection.execute(
                update(IdentityChallenge)
                .where(IdentityChallenge.id == row.id)
                .values(status="verified")
            )
            await audit.record(
                connection,
                "identity.verified",
                actor=actor,
                at=now,
                channel=channel,
                subject=f"voter:{row.voter_id}",
                detail={"challenge": row.id},
            )
            return Checked("verified", voter_id=int(row.voter_id))
        attempts = row.attempts + 1
        locked = attempts >= self.limits.max_wrong_codes
        await connection.execute(
            update(IdentityChallenge)
            .where(IdentityChallenge.id == row.id)
            .values(attempts=attempts, status="failed" if locked else "pending")
        )
        await audit.record(
            connection,
            "identity.locked" if locked else "identity.failed",
            actor=actor,
            at=now,
            channel=channel,
            detail={"challenge": row.id, "attempts": attempts},
        )
        if locked:
            return Checked("locked")
        return Checked("wrong", attempts_left=self.limits.max_wrong_codes - attempts)


async def _challenges_since(
    connection: AsyncConnection, which: ColumnElement[bool], since: datetime
) -> int:
    """How many challenges match `which` since `since` (for the hourly limits)."""
    count = await connection.scalar(
        select(func.count())
        .select_from(IdentityChallenge)
        .where(which, IdentityChallenge.created_at > since)
    )
    return int(count or 0)
