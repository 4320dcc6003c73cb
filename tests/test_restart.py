"""A conversation survives a restart of the server: state and transcript are in the database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import FrozenClock, parse_instant
from bot.server import create_app
from bot.settings import Settings
from tests.chat import ChatDriver
from tests.helpers import ROOT


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/restart.db"
    return str(request.getfixturevalue("postgres_url"))


async def serve(settings: Settings, clock: FrozenClock) -> TestClient:  # type: ignore[type-arg]
    client = TestClient(TestServer(create_app(settings, clock=clock)))
    await client.start_server()
    return client


async def test_conversation_continues_after_restart(database_url: str) -> None:
    settings = Settings(database_url=database_url, election="2022", secret_key="test")
    clock = FrozenClock(parse_instant("2022-11-20T10:00+01:00"))
    first = await serve(settings, clock)
    chat = ChatDriver(first, clock)
    await chat.start("en")
    reply = await chat.click(chat.last.labels[0])  # type: ignore[union-attr]
    where, buttons = reply.state, reply.buttons
    await first.close()

    clock.set(parse_instant("2022-11-20T16:00+01:00"))
    second = await serve(settings, clock)
    try:
        chat.client = second
        history = await (await second.get(f"/api/v1/conversations/{chat.conversation_id}")).json()
        assert history["locale"] == "en"
        assert [m["from"] for m in history["messages"]] == ["bot", "voter", "bot"]
        assert history["messages"][-1]["buttons"] == buttons
        button = next(b for b in buttons if not b.get("action", "account.").startswith("account."))
        action = button["action"]
        after = await chat.say(button["label"])  # typing a label works on the stored state
        assert after.status == 200
        assert after.body["locale"] == "en"
        assert after.state == action
        assert after.state != where
        assert "updated" not in after.text
    finally:
        await second.close()


async def test_changed_flow_offers_the_menu_after_restart(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "dialogs" / "flows", flows)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/changed.db",
        election="2022",
        secret_key="test",
        flows_dir=flows,
    )
    clock = FrozenClock(parse_instant("2022-11-20T10:00+01:00"))
    first = await serve(settings, clock)
    chat = ChatDriver(first, clock)
    await chat.start("fr")
    reply = await chat.action("vote.dates")
    assert reply.state == "vote.dates"
    await first.close()

    vote = flows / "vote.yaml"
    vote.write_text(vote.read_text() + "\n# edited by an admin\n")
    second = await serve(settings, clock)
    try:
        chat.client = second
        after = await chat.say("zzz qqq")
        assert "mis à jour" in after.text
        assert after.status == 200
    finally:
        await second.close()
