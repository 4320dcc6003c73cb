"""What a turn may ask of the backend, inside the turn's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend import audit
from backend.db.models import AuditEvent
from backend.db.time import utc
from backend.handoff import Handoff
from backend.identity import Checked, Identity, Started
from backend.platform import Platform, VoterRecord


@dataclass(frozen=True, slots=True)
class Backend:
    """The backend services a conversation turn uses."""

    identity: Identity
    handoff: Handoff
    platform: Platform
    activation_links_per_address_per_hour: int = 3


@dataclass(frozen=True, slots=True)
class LinkRequest:
    """A request for a new activation link; `voter` to mail after commit, or None."""

    status: Literal["sent", "rate_limited"]
    voter: VoterRecord | None = None


class TurnBackend:
    """Identity, hand-off and platform operations bound to one transaction's connection."""

    def __init__(self, backend: Backend, connection: AsyncConnection) -> None:
        self.backend = backend
        self.connection = connection

    async def voter(self, voter_id: int) -> VoterRecord | None:
        """The voter, as the platform knows them."""
        return await self.backend.platform.voter(voter_id)

    async def start_identity(
        self, conversation_id: str, address: str, channel: str, now: datetime
    ) -> Started:
        """Starts a code challenge for `address`; the code to mail only if it is registered."""
        voter = await self.backend.platform.find_voter(address)
        return await self.backend.identity.start(
            self.connection,
            conversation_id=conversation_id,
            address=address,
            voter_id=None if voter is None else voter.id,
            channel=channel,
            now=now,
        )

    async def check_code(
        self, conversation_id: str, code: str, channel: str, now: datetime
    ) -> Checked:
        """Checks a typed code."""
        return await self.backend.identity.check(
            self.connection, conversation_id=conversation_id, code=code, channel=channel, now=now
        )

    async def request_activation_link(
        self, conversation_id: str, address: str, channel: str, now: datetime
    ) -> LinkRequest:
        """Counts a request for a new activation link; the same answer for any address."""
        voter = await self.backend.platform.find_voter(address)
        subject = self.backend.identity.address_key(address)[:16]
        since = utc(now) - timedelta(hours=1)
        recent = await self.connection.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.event == "activation.requested",
                AuditEvent.subject == subject,
                AuditEvent.at > since,
            )
        )
        if (recent or 0) >= self.backend.activation_links_per_address_per_hour:
            return LinkRequest("rate_limited")
        await audit.record(
            self.connection,
            "activation.requested",
            actor=f"conversation:{conversation_id}",
            at=utc(now),
            channel=channel,
            subject=subject,
        )
        return LinkRequest("sent", voter)

    async def handoff_url(
        self, voter_id: int, purpose: str, conversation_id: str, channel: str, now: datetime
    ) -> str:
        """A fresh single-use link to the secure step for `purpose`."""
        token = await self.backend.handoff.issue(
            self.connection,
            voter_id=voter_id,
            purpose=purpose,
            conversation_id=conversation_id,
            channel=channel,
            now=now,
        )
        return self.backend.platform.handoff_url(purpose, token)
