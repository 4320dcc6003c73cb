"""Asking for a code answers alike for a registered and an unknown address, in words and in
time: the median response times differ by less than a few milliseconds (real SMTP server).

A mail is handed to the delivery thread and sent after the answer has gone, so the answer does
not wait for it; each try is measured alone (pending mails delivered between tries), so that
what is compared is the work the server does for each kind of address."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import FrozenClock, parse_instant
from bot.server import SERVICES, create_app
from bot.settings import Settings
from tests.chat import ChatDriver
from tests.identity_helpers import register
from tests.smtp_server import SmtpProcess, run_process

TRIES = 40
MAX_MEDIAN_GAP_MS = 3.0


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpProcess]:
    """A real SMTP server in its own process, as in production (not sharing our interpreter)."""
    yield from run_process(tmp_path / "maildir")


@pytest.fixture
async def client(tmp_path: Path, smtp: SmtpProcess) -> AsyncIterator[TestClient[Any, Any]]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/timing.db",
        election="2022",
        secret_key="timing-test",
        smtp_url=smtp.url,
        challenges_per_address_per_hour=10_000,
        challenges_per_conversation_per_hour=10_000,
    )
    clock = FrozenClock(parse_instant("2022-12-02T10:00+01:00"))
    client = TestClient(TestServer(create_app(settings, clock=clock)))
    await client.start_server()
    yield client
    await client.close()


async def ask_code(client: TestClient[Any, Any], address: str) -> tuple[float, str]:
    chat = ChatDriver(client, FrozenClock(parse_instant("2022-12-02T10:00+01:00")))
    await chat.start("fr")
    await chat.action("account.start")
    start = time.perf_counter()
    reply = await chat.say(address)
    return time.perf_counter() - start, reply.text


async def test_registered_and_unknown_addresses_take_the_same_time(
    client: TestClient[Any, Any], smtp: SmtpProcess
) -> None:
    services = client.app[SERVICES]
    known = [await register(services.engine) for _ in range(TRIES)]
    unknown = [f"inconnu.{n}@ac-versailles.fr" for n in range(TRIES)]
    await ask_code(client, known.pop())  # warm up both paths
    await ask_code(client, unknown.pop())
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    texts: set[str] = set()
    for n in range(TRIES - 1):
        order = [("known", known[n]), ("unknown", unknown[n])]
        for kind, address in order if n % 2 else reversed(order):
            spent, text = await ask_code(client, address)
            times[kind].append(spent)
            texts.add(text)
            # let the mail go before the next try: each measure is of one request alone
            await services.conversations.drain()
            await services.mailer.drain()  # type: ignore[attr-defined]
    gap_ms = abs(statistics.median(times["known"]) - statistics.median(times["unknown"])) * 1000
    print(f"median gap {gap_ms:.2f} ms over {TRIES - 1} tries each")
    assert len(texts) == 1
    assert gap_ms < MAX_MEDIAN_GAP_MS
    await services.conversations.drain()
    await services.mailer.drain()  # type: ignore[attr-defined]
    delivered = smtp.recipients()
    assert set(known[: TRIES - 1]) <= delivered
    assert not delivered & set(unknown)
