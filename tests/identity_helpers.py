"""Helpers of the identity tests: registering voters and reading the codes mailed to them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.models import Voter
from backend.mail_outbox import outbox

BALLOTS = [
    {"name": "CSA ministériel", "elsewhere": False},
    {"name": "CAPA des professeurs certifiés", "elsewhere": False},
    {"name": "CSA d'établissement", "elsewhere": True},
]


async def register(engine: AsyncEngine, *, activated: bool = True, **fields: Any) -> str:
    """Adds a voter with a fresh address; returns the address."""
    email = f"camille.{uuid.uuid4().hex[:8]}@ac-versailles.fr"
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            insert(Voter).values(
                email=email,
                last_name=fields.get("last_name", "Martin"),
                first_name=fields.get("first_name", "Camille"),
                ballots=fields.get("ballots", BALLOTS),
                row_hash="test",
                activated_at=now if activated else None,
                created_at=now,
                updated_at=now,
            )
        )
    return email


async def mails_to(engine: AsyncEngine, address: str) -> list[dict[str, object]]:
    """The outbox's mails to `address`, newest first."""
    return await outbox(engine, 50, to=address)


async def code_mailed_to(engine: AsyncEngine, address: str) -> str:
    """The one-time code of the newest mail to `address`."""
    mails = await mails_to(engine, address)
    assert mails, f"no mail to {address}"
    found = re.search(r"\b(\d{6})\b", str(mails[0]["text"]))
    assert found, "no code in the mail"
    return found.group(1)


def link_in(text: str) -> str:
    """The first http(s) link of a text."""
    found = re.search(r"https?://\S+", text)
    assert found, "no link"
    return found.group(0)
