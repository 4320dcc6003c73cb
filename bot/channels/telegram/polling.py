"""Long polling, the same for both drivers: the chats of a batch at once, each chat's updates in
order, and the batch acknowledged (the next `getUpdates`' offset) only once all its turns are
done, so that an update is never confirmed to Telegram before its answer is committed.

An update whose turn failed (the database out of reach, say) is not acknowledged: after a pause,
Telegram gives it again with the ones after it, whose turns are recognised as done and not
answered twice. After `MAX_TRIES` it is given up (logged), so that one bad update cannot stop
the bot.

The driver brings its library's `getUpdates` and its way of handling one update; nothing here
knows aiogram or python-telegram-bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

U = TypeVar("U")

FIRST_RETRY = 1.0
LONGEST_RETRY = 30.0
MAX_TRIES = 6
"""Tries of a failing update, 1 s, 2 s, 4 s, 8 s and 16 s apart (about half a minute)."""


async def in_chat_order(
    updates: Sequence[U],
    chat_of: Callable[[U], int | None],
    handle: Callable[[U], Awaitable[bool]],
) -> list[U]:
    """Handles `updates`: each chat's in the order given, the chats at the same time; returns
    those whose handling failed (`handle` returned False, or raised). An update without a chat
    is handled on its own."""
    queues: dict[tuple[str, int], list[U]] = {}
    for n, update in enumerate(updates):
        chat = chat_of(update)
        queues.setdefault(("update", n) if chat is None else ("chat", chat), []).append(update)
    failed: list[U] = []

    async def one_chat(queue: list[U]) -> None:
        for update in queue:
            try:
                handled = await handle(update)
            except Exception:
                log.exception("a Telegram update could not be handled")
                handled = False
            if not handled:
                failed.append(update)

    if len(queues) == 1:
        await one_chat(next(iter(queues.values())))
    else:
        await asyncio.gather(*(one_chat(queue) for queue in queues.values()))
    return failed


class LongPolling(Generic[U]):
    """Asks for updates (`fetch(offset)`), handles each batch in chat order, acknowledges it.

    `retry_after(error)` reads Telegram's flood-control wait from a failed `fetch`, None for any
    other failure (the loop then waits 1 s, doubling up to 30 s, and asks again)."""

    def __init__(
        self,
        fetch: Callable[[int | None], Awaitable[Sequence[U]]],
        handle: Callable[[U], Awaitable[bool]],
        *,
        update_id: Callable[[U], int],
        chat_of: Callable[[U], int | None],
        retry_after: Callable[[Exception], float | None],
    ) -> None:
        self.fetch = fetch
        self.handle = handle
        self.update_id = update_id
        self.chat_of = chat_of
        self.retry_after = retry_after
        self._stopping = asyncio.Event()
        self._asking: asyncio.Task[Sequence[U]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._tries: dict[int, int] = {}

    def start(self) -> None:
        """Starts polling in the background."""
        self._task = asyncio.get_running_loop().create_task(self.run(), name="telegram-polling")

    async def run(self) -> None:
        """Polls until `stop`."""
        offset: int | None = None
        retry = FIRST_RETRY
        while not self._stopping.is_set():
            self._asking = asyncio.get_running_loop().create_task(self._fetch(offset))
            try:
                updates = await self._asking
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except Exception as error:
                wait = self.retry_after(error)
                if wait is None:
                    wait, retry = retry, min(retry * 2, LONGEST_RETRY)
                log.warning("getUpdates failed (%s); asking again in %.1f s", error, wait)
                await asyncio.sleep(wait)
                continue
            retry = FIRST_RETRY
            if updates:
                failed = await in_chat_order(updates, self.chat_of, self.handle)
                offset, again = self._next_offset(updates, failed)
                if again:  # the database or Redis out of reach, perhaps: give it time
                    wait = min(FIRST_RETRY * 2 ** (again - 1), LONGEST_RETRY)
                    log.warning("a Telegram update failed; asked for again in %.1f s", wait)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), timeout=wait)

    def _next_offset(self, updates: Sequence[U], failed: list[U]) -> tuple[int, int]:
        """Past the batch, or back to its first failed update that may be tried again; with
        how many times that one was tried (0: nothing to try again)."""
        again = []
        for update in failed:
            update_id = self.update_id(update)
            tries = self._tries[update_id] = self._tries.get(update_id, 0) + 1
            if tries < MAX_TRIES:
                again.append(update_id)
            else:
                log.error("Telegram update %s failed %s times: given up", update_id, tries)
        if again:
            first = min(again)
            return first, self._tries[first]
        self._tries.clear()
        return self.update_id(updates[-1]) + 1, 0

    async def _fetch(self, offset: int | None) -> Sequence[U]:
        return await self.fetch(offset)

    async def stop(self, patience: float = 5.0) -> None:
        """Stops once the batch in hand is done (`patience` seconds at most). Its updates are not
        acknowledged: they come again at the next start, and are recognised as answered."""
        self._stopping.set()
        if self._asking is not None:
            self._asking.cancel()
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=patience)
        except TimeoutError:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
