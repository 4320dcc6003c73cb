"""`assesseur serve` in its own process, as operators start it: the banner, uvloop, a voter's
turn through the chat API, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from aiohttp import ClientSession

from bot.cli import event_loop
from tests.smtp_server import free_port


def test_the_servers_loop_is_uvloops() -> None:
    loop = event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


async def test_serve_answers_a_voter_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ASSESSEUR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/serve.db",
        "ASSESSEUR_ELECTION": "2022",
        "ASSESSEUR_NOW": "2022-12-02T10:00+01:00",
        "ASSESSEUR_SECRET_KEY": "serve-process-test-key",
    }
    assesseur = Path(sys.executable).with_name("assesseur")
    process = await asyncio.create_subprocess_exec(
        str(assesseur),
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with ClientSession() as http:
            deadline = time.monotonic() + 60
            while True:
                assert process.returncode is None, "the server stopped"
                try:
                    async with http.get(f"{base}/healthz") as health:
                        if health.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "not ready within a minute"
                await asyncio.sleep(0.2)
            async with http.post(f"{base}/api/v1/conversations", json={"locale": "fr"}) as opened:
                assert opened.status == 201
                conversation_id = (await opened.json())["conversation_id"]
            url = f"{base}/api/v1/conversations/{conversation_id}/messages"
            async with http.post(url, json={"text": "j'ai perdu ma notice de vote"}) as turn:
                assert turn.status == 200
                body = await turn.json()
        assert "réassort" in " ".join(m["text"] for m in body["messages"]).lower()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    banner = stdout.decode()
    assert "event loop     uvloop" in banner
    assert f"http://127.0.0.1:{port}/" in banner
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert "Traceback" not in stderr.decode()
