"""LocalPlatform, the embedded default: voters in the project's database, mails by its mailer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import audit
from backend.db.models import Voter
from backend.handoff import Handoff
from backend.mail import Mail, Mailer
from backend.platform import Ballot, VoterRecord

ActivationMail = Callable[[VoterRecord, str, str], Mail]
"""(voter, link, locale) -> the mail carrying a new activation link, in the voter's language."""


def voter_record(row: Any) -> VoterRecord:
    """A `voters` row as the platform shows it."""
    return VoterRecord(
        id=int(row.id),
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        activated=row.activated_at is not None,
        ballots=tuple(
            Ballot(str(b.get("name", "")), bool(b.get("elsewhere", False))) for b in row.ballots
        ),
    )


class LocalPlatform:
    """The reference platform: the registry in the database, links to the reference portal."""

    def __init__(
        self,
        engine: AsyncEngine,
        handoff: Handoff,
        mailer: Mailer,
        activation_mail: ActivationMail,
        public_url: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine = engine
        self.handoff = handoff
        self.mailer = mailer
        self.activation_mail = activation_mail
        self.public_url = public_url.rstrip("/")
        self.clock = clock

    async def find_voter(self, address: str) -> VoterRecord | None:
        """The voter registered under `address` (already normalised), or None."""
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(Voter).where(Voter.email == address))).first()
        return None if row is None else voter_record(row)

    async def voter(self, voter_id: int) -> VoterRecord | None:
        """A voter by id, or None."""
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(Voter).where(Voter.id == voter_id))).first()
        return None if row is None else voter_record(row)

    async def send_activation_link(self, voter_id: int, locale: str) -> None:
        """Issues an `activate` hand-off token and mails its link to the voter."""
        voter = await self.voter(voter_id)
        if voter is None:
            return
        now = self.clock()
        async with self.engine.begin() as connection:
            token = await self.handoff.issue(
                connection,
                voter_id=voter.id,
                purpose="activate",
                conversation_id=None,
                channel=None,
                now=now,
            )
            await audit.record(
                connection,
                "activation.link_sent",
                actor="platform",
                at=now,
                subject=f"voter:{voter.id}",
            )
        await self.mailer.send(
            self.activation_mail(voter, self.handoff_url("activate", token), locale)
        )

    def handoff_url(self, purpose: str, token: str) -> str:
        """The reference portal's landing page for the token."""
        page = "activate" if purpose == "activate" else "handoff"
        return f"{self.public_url}/portal/{page}?token={quote(token)}"
