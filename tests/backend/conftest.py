"""Fixtures of the backend tests: a migrated database, SQLite file or PostgreSQL, and voters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.db.models import Voter

NOW = datetime(2022, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated database: a SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/backend.db"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


AddVoter = Callable[..., Awaitable[tuple[int, str]]]


@pytest.fixture
def add_voter(engine: AsyncEngine) -> AddVoter:
    """Registers a voter with a unique address; returns (id, address)."""

    async def add(
        activated: bool = True, ballots: list[dict[str, object]] | None = None
    ) -> tuple[int, str]:
        email = f"test.{uuid.uuid4().hex[:10]}@ac-test.fr"
        async with engine.begin() as connection:
            result = await connection.execute(
                insert(Voter).values(
                    email=email,
                    last_name="Martin",
                    first_name="Camille",
                    ballots=ballots or [{"name": "CSA ministériel", "elsewhere": False}],
                    row_hash="x",
                    activated_at=NOW if activated else None,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            return int(result.inserted_primary_key[0]), email

    return add
