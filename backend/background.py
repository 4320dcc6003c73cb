"""Work that runs after a commit without making anyone wait for it (mails), and its draining."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


class BackgroundWork:
    """Runs each piece of work in a task of its own; a failure is logged, never raised."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Work) -> None:
        """Starts `work` now, in the background."""

        async def run() -> None:
            try:
                await work()
            except Exception:
                log.exception("%s: background work failed", self.name)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Waits until every piece of work has ended: at shutdown and in tests."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
