"""The demo's outbox: mails kept in the `outbox_mails` table instead of being sent, and read back
for the outbox page (`backend.web.outbox`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import RowMapping, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.models import OutboxMail
from backend.db.time import aware, utc
from backend.mail import Mail


class OutboxMailer:
    """The demo's mailer: keeps each mail in the `outbox_mails` table instead of sending it."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime]) -> None:
        """Stores into `engine`'s database, dated by `clock`."""
        self.engine = engine
        self.clock = clock

    async def send(self, mail: Mail) -> None:
        """Stores the mail."""
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(OutboxMail).values(
                    to_address=mail.to,
                    locale=mail.locale,
                    subject=mail.subject,
                    text=mail.text,
                    html=mail.html,
                    created_at=utc(self.clock()),
                )
            )


_OUTBOX = OutboxMail.__table__


def _row(row: RowMapping) -> dict[str, object]:
    mail: dict[str, object] = {str(k): v for k, v in row.items()}
    created_at = mail["created_at"]
    if isinstance(created_at, datetime):
        mail["created_at"] = utc(aware(created_at))
    return mail


async def outbox(
    engine: AsyncEngine, limit: int = 100, *, to: str | None = None
) -> list[dict[str, object]]:
    """The stored mails, newest first, optionally only those to one address (case ignored)."""
    query = select(_OUTBOX).order_by(_OUTBOX.c.created_at.desc(), _OUTBOX.c.id.desc())
    if to is not None:
        query = query.where(func.lower(_OUTBOX.c.to_address) == to.strip().lower())
    async with engine.connect() as connection:
        rows = (await connection.execute(query.limit(max(limit, 0)))).mappings().all()
    return [_row(row) for row in rows]


async def outbox_mail(engine: AsyncEngine, mail_id: int) -> dict[str, object] | None:
    """One stored mail by its id, or None."""
    async with engine.connect() as connection:
        query = select(_OUTBOX).where(_OUTBOX.c.id == mail_id)
        row = (await connection.execute(query)).mappings().first()
    return None if row is None else _row(row)
