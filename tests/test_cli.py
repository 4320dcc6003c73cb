"""The `assesseur` command: the terminal chat, serve's refusal without a key, the demo key."""

from __future__ import annotations

import gc
import io
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from bot.channels.cli import run_chat
from bot.cli import demo_secret_key, freeze_heap, main
from bot.settings import Settings


async def test_terminal_chat_talks_to_the_engine(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        election="2022",
        now="2022-11-20T09:21:30+01:00",
        secret_key="test",
    )
    typed = io.StringIO("j'ai perdu ma notice de vote\n/langue en\n1\n/quit\n")
    out = io.StringIO()
    assert await run_chat(settings, "fr", typed, out) == 0
    shown = out.getvalue()
    assert "Ouverture du vote dans 10 jours, 22 heures et 38 minutes" in shown
    assert "[1] " in shown
    assert "réassort" in shown.lower()
    assert "Back to the menu" in shown


def test_serve_refuses_to_start_without_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSESSEUR_SECRET_KEY", raising=False)
    monkeypatch.delenv("ASSESSEUR_DEMO", raising=False)
    result = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert result.exit_code == 1
    assert "ASSESSEUR_SECRET_KEY is not set" in result.output


def test_demo_key_is_generated_once(tmp_path: Path) -> None:
    first = demo_secret_key(tmp_path)
    assert len(first) >= 48
    assert demo_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_db_upgrade_creates_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/sub/fresh.db"
    monkeypatch.setenv("ASSESSEUR_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    import sqlite3

    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "sub" / "fresh.db").execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert {"conversations", "transcript_lines", "alembic_version"} <= tables


async def test_revoke_a_voters_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from bot.wiring import open_services
    from tests.identity_helpers import register

    url = f"sqlite+aiosqlite:///{tmp_path}/revoke.db"
    settings = Settings(database_url=url, secret_key="revoke-test", election="2022")
    async with open_services(settings) as services:
        email = await register(services.engine)
        voter = await services.backend.platform.find_voter(email)
        assert voter is not None
        async with services.engine.begin() as connection:
            token = await services.backend.handoff.issue(
                connection,
                voter_id=voter.id,
                purpose="vote",
                conversation_id=None,
                channel=None,
                now=services.clock.now(),
            )
    monkeypatch.setenv("ASSESSEUR_DATABASE_URL", url)
    monkeypatch.setenv("ASSESSEUR_SECRET_KEY", "revoke-test")
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["handoff", "revoke", "--voter", email.upper()]
    )
    assert result.exit_code == 0, result.output
    assert "1 link(s) revoked" in result.output
    async with open_services(settings) as services, services.engine.begin() as connection:
        found = await services.backend.handoff.introspect(
            connection, token, now=services.clock.now()
        )
    assert found.reason == "revoked"


async def test_the_server_leaves_its_start_up_heap_out_of_full_collections() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        await freeze_heap(web.Application())
        assert gc.get_freeze_count() > 10_000  # the libraries, and what start-up built
    finally:
        gc.unfreeze()
