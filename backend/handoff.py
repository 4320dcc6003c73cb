"""Hand-off links to the secure step: signed, bound to a voter, a purpose and a conversation,
valid minutes, usable once, revocable; checked by introspection (in the manner of RFC 7662)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from backend import audit
from backend.db.models import HandoffToken, Voter
from backend.db.time import utc

PURPOSES = ("vote", "reassort", "password", "activate")
ISSUER = "assesseur"
ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Introspection:
    """What introspection says of a token; `reason` (for logs and tests) is never sent out."""

    active: bool
    reason: str = ""
    voter_id: int | None = None
    email: str | None = None
    purpose: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None
    token_id: str | None = None

    def as_json(self) -> dict[str, object]:
        """The RFC 7662 response body: only `{"active": false}` for an inactive token."""
        if not self.active:
            return {"active": False}
        return {
            "active": True,
            "token_type": "handoff",
            "iss": ISSUER,
            "sub": str(self.voter_id),
            "username": self.email,
            "purpose": self.purpose,
            "iat": self.issued_at,
            "exp": self.expires_at,
            "jti": self.token_id,
        }


class Handoff:
    """Issues, checks and revokes hand-off tokens, inside the caller's transaction."""

    def __init__(self, secret_key: str, ttl: timedelta = timedelta(minutes=10)) -> None:
        if not secret_key:
            raise ValueError("hand-off links need a secret key")
        self._key = hashlib.sha256(b"assesseur-handoff:" + secret_key.encode()).digest()
        self.ttl = ttl

    async def issue(
        self,
        connection: AsyncConnection,
        *,
        voter_id: int,
        purpose: str,
        conversation_id: str | None,
        channel: str | None,
        now: datetime,
    ) -> str:
        """A new signed token; its record makes it usable once and revocable."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown hand-off purpose {purpose!r}")
        now = utc(now)
        token_id = str(uuid.uuid4())
        expires = now + self.ttl
        await connection.execute(
            insert(HandoffToken).values(
                id=token_id,
                voter_id=voter_id,
                purpose=purpose,
                conversation_id=conversation_id,
                expires_at=expires,
                created_at=now,
            )
        )
        await audit.record(
            connection,
            "handoff.issued",
            actor=f"conversation:{conversation_id}" if conversation_id else "platform",
            at=now,
            channel=channel,
            subject=f"voter:{voter_id}",
            detail={"purpose": purpose, "token": token_id},
        )
        claims = {
            "iss": ISSUER,
            "jti": token_id,
            "sub": str(voter_id),
            "purpose": purpose,
            "cid": conversation_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    async def introspect(
        self,
        connection: AsyncConnection,
        token: str,
        *,
        now: datetime,
        purpose: str | None = None,
        consume: bool = True,
    ) -> Introspection:
        """Whether `token` is active (signed by us, not expired, unused, not revoked, of the
        expected purpose); when it is and `consume` is set, it is marked used, atomically."""
        now = utc(now)
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"verify_exp": False, "require": ["jti", "sub", "exp", "purpose"]},
            )
        except jwt.PyJWTError:
            return await self._refused(connection, "invalid", None, now)
        token_id = str(claims["jti"])
        if int(claims["exp"]) <= now.timestamp():
            return await self._refused(connection, "expired", token_id, now)
        if purpose is not None and claims["purpose"] != purpose:
            return await self._refused(connection, "wrong_purpose", token_id, now)
        live = (
            HandoffToken.id == token_id,
            HandoffToken.used_at.is_(None),
            HandoffToken.revoked_at.is_(None),
            HandoffToken.expires_at > now,
        )
        if consume:
            result = await connection.execute(update(HandoffToken).where(*live).values(used_at=now))
            active = result.rowcount == 1
        else:
            active = await connection.scalar(select(HandoffToken.id).where(*live)) is not None
        if not active:
            row = (
                await connection.execute(
                    select(HandoffToken.used_at, HandoffToken.revoked_at).where(
                        HandoffToken.id == token_id
                    )
                )
            ).first()
            reason = "unknown" if row is None else "revoked" if row.revoked_at else "used"
            return await self._refused(connection, reason, token_id, now)
        voter_id = int(claims["sub"])
        email = await connection.scalar(select(Voter.email).where(Voter.id == voter_id))
        if consume:
            await audit.record(
                connection,
                "handoff.used",
                actor="platform",
                at=now,
                subject=f"voter:{voter_id}",
                detail={"purpose": claims["purpose"], "token": token_id},
            )
        return Introspection(
            active=True,
            voter_id=voter_id,
            email=email,
            purpose=str(claims["purpose"]),
            issued_at=int(claims.get("iat", 0)),
            expires_at=int(claims["exp"]),
            token_id=token_id,
        )

    async def revoke(
        self,
        connection: AsyncConnection,
        *,
        token_id: str | None = None,
        voter_id: int | None = None,
        now: datetime,
    ) -> int:
        """Revokes one token, or every live token of a voter; returns how many."""
        now = utc(now)
        query = update(HandoffToken).where(
            HandoffToken.used_at.is_(None), HandoffToken.revoked_at.is_(None)
        )
        if token_id is not None:
            query = query.where(HandoffToken.id == token_id)
        elif voter_id is not None:
            query = query.where(HandoffToken.voter_id == voter_id)
        else:
            raise ValueError("revoke needs a token or a voter")
        result = await connection.execute(query.values(revoked_at=now))
        count = int(result.rowcount)
        if count:
            await audit.record(
                connection,
                "handoff.revoked",
                actor="admin",
                at=now,
                subject=f"voter:{voter_id}" if voter_id is not None else None,
                detail={"token": token_id, "count": count},
            )
        return count

    async def _refused(
        self, connection: AsyncConnection, reason: str, token_id: str | None, now: datetime
    ) -> Introspection:
        await audit.record(
            connection,
            "handoff.refused",
            actor="platform",
            at=now,
            detail={"reason": reason, "token": token_id},
        )
        return Introspection(active=False, reason=reason, token_id=token_id)
