"""The append-only audit log: who did what, when, from which channel; never a secret."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.db.models import AuditEvent

EVENTS = frozenset(
    {
        "identity.code_sent",
        "identity.verified",
        "identity.failed",
        "identity.locked",
        "identity.rate_limited",
        "activation.requested",
        "activation.link_sent",
        "handoff.issued",
        "handoff.used",
        "handoff.refused",
        "handoff.revoked",
        "registry.import",
    }
)
"""The events the log records; anything else is a programming error."""


async def record(
    connection: AsyncConnection,
    event: str,
    *,
    actor: str,
    at: datetime,
    channel: str | None = None,
    subject: str | None = None,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Appends one event, in the caller's transaction."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    await connection.execute(
        insert(AuditEvent).values(
            at=at,
            event=event,
            actor=actor,
            channel=channel,
            subject=subject,
            detail=dict(detail or {}),
        )
    )


async def events(connection: AsyncConnection, event: str | None = None) -> list[dict[str, object]]:
    """The recorded events, oldest first (for tests and the admin)."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if event is not None:
        query = query.where(AuditEvent.event == event)
    return [
        {
            "at": r.at,
            "event": r.event,
            "actor": r.actor,
            "channel": r.channel,
            "subject": r.subject,
            "detail": r.detail,
        }
        for r in await connection.execute(query)
    ]
