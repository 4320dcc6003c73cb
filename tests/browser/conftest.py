"""Fixtures for browser tests: the real server in a thread, Debian's Chromium, a French page."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ELECTION = "2022"
NOW = "2022-11-20T10:00+01:00"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# anything but the server under test is refused: a test never reaches the network
OFFSITE = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")


@contextmanager
def serve_in_thread(make_app: Callable[[], web.Application]) -> Iterator[str]:
    """Run an aiohttp app on 127.0.0.1 (free port) in a thread with its own loop; yield its URL.

    Playwright's sync API refuses to run inside an event loop, so the server gets its own.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="live-server", daemon=True)
    thread.start()

    async def start() -> web.AppRunner:
        runner = web.AppRunner(make_app())
        await runner.setup()  # runs on_startup: migrations
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    try:
        runner = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=60)
        port = runner.addresses[0][1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def live_server_url(tmp_path: Path) -> Iterator[str]:
    """The real server: fresh SQLite database, election 2022, clock frozen on 20 November 2022."""
    from bot.server import create_app
    from bot.settings import Settings

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/test.db",
        election=ELECTION,
        now=NOW,
        secret_key="test-secret",
        demo=False,
    )
    with serve_in_thread(lambda: create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless. Missing Chromium is a failure, not a skip: CI installs it.

    Module-scoped on purpose: while Playwright's sync API is open it leaves its event loop marked
    as running in the main thread, which breaks the asyncio tests collected after this folder.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
            "(browser tests drive the system Chromium and never download a browser).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh French-speaking desktop tab; fails the test on any script error in the page."""
    context = chromium.new_context(locale="fr-FR", viewport=DESKTOP)
    context.route(OFFSITE, lambda route: route.abort())
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        # a 4xx answer is logged by Chromium as "Failed to load resource"; tests check the page's
        # handling of those, so only script errors count here
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console error: {message.text}")

    tab.on("console", on_console)
    yield tab
    context.close()
    assert not errors, "\n".join(errors)
