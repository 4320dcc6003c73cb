"""Hundreds of generated secrets of each kind go through the chat API; then neither the whole
database file nor the log output holds one of them."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import FrozenClock, parse_instant
from bot.guard import SecretKind
from bot.server import SERVICES, create_app
from bot.settings import Settings
from tests.chat import ChatDriver
from tests.secret_samples import samples

PER_KIND = 200
PER_CONVERSATION = 25


def database_bytes(folder: Path) -> bytes:
    """The database file and its journal, as bytes."""
    return b"".join(p.read_bytes() for p in folder.glob("leaks.db*"))


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/leaks.db",
        election="2022",
        secret_key="leak-test",
    )
    clock = FrozenClock(parse_instant("2022-12-02T10:00+01:00"))
    client = TestClient(TestServer(create_app(settings, clock=clock)))
    await client.start_server()
    yield client
    await client.close()


async def test_no_secret_reaches_the_database_or_the_logs(
    client: TestClient[Any, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sent: list[tuple[SecretKind, str, str]] = []
    for kind in SecretKind:
        for n, (message, secret) in enumerate(samples(kind, PER_KIND, seed=7)):
            if n % PER_CONVERSATION == 0:
                chat = ChatDriver(client, FrozenClock(parse_instant("2022-12-02T10:00+01:00")))
                await chat.start("fr")
            reply = await chat.say(message)
            assert reply.status == 200
            assert reply.intent == "secret_shared", message
            sent.append((kind, message, secret))
    await client.app[SERVICES].conversations.drain()
    await client.app[SERVICES].engine.dispose()  # everything written and checkpointed

    stored = await asyncio.to_thread(database_bytes, tmp_path)
    # memory addresses in debug logs (0x7ff3be750840) are not data: they could match a code by chance
    logs = re.sub(r"0x[0-9a-fA-F]+", "0x…", caplog.text)
    leaked = []
    for kind, message, secret in sent:
        # a secret answer is ordinary words: look for it in its sentence, not alone
        needle = message if kind is SecretKind.SECRET_ANSWER else secret
        where = stored.find(needle.encode())
        if where >= 0:
            leaked.append((kind, needle, "database", stored[max(0, where - 80) : where + 40]))
        elif needle in logs:
            at = logs.find(needle)
            leaked.append((kind, needle, "logs", logs[max(0, at - 200) : at + 40]))
    assert len(sent) == PER_KIND * len(SecretKind)
    assert leaked == []
    assert b"masqu" in stored
