"""Shared fixtures: the chat API on real databases (SQLite file, PostgreSQL), a frozen clock."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from tests.chat import ChatServers
from tests.smtp_server import Recorder, SmtpServer, free_port, run_server

POSTGRES = os.environ.get(
    "ASSESSEUR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _postgres_admin(sql: str) -> None:
    """Runs one administrative statement, in a thread of its own (fixtures may run in a loop)."""

    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server, dropped at the end of the session."""
    name = f"assesseur_test_{uuid.uuid4().hex[:12]}"
    _postgres_admin(f'CREATE DATABASE "{name}"')
    base = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{name}"
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def chat_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ChatServers]:
    """Chat API servers, one per election calendar, on SQLite files or on PostgreSQL."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    servers = ChatServers(Path(tmp_path_factory.mktemp("chat")), url)
    yield servers
    await servers.close()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server on loopback: the machine's on 127.0.0.1:6379, or one started here."""
    if _listening(6379):
        yield "redis://127.0.0.1:6379/0"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("these tests need Redis: none listens on 127.0.0.1:6379, none installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _listening(port):
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback that keeps the envelopes it receives."""
    yield from run_server(Recorder())
