"""The queue of updates for the bot, and getUpdates' long polling over it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any

from backend.telegram_emulator.errors import OTHER_POLLER, BotApiError

UPDATE_KINDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
"""Update kinds a bot may name in allowed_updates."""
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
"""What an empty allowed_updates leaves out, as Telegram documents."""


class UpdateQueue:
    """Updates not yet confirmed by the bot, in order, with long-polling waiters."""

    def __init__(self, on_change: Callable[[], None], first_update_id: int = 1) -> None:
        self.pending: dict[int, dict[str, Any]] = {}
        self.allowed: frozenset[str] | None = None
        self.dropped_by_filter = 0
        self._next_id = first_update_id
        self._on_change = on_change
        self._arrived = asyncio.Event()
        self._poll_generation = 0

    def set_allowed(self, kinds: Iterable[str] | None) -> None:
        """Sets allowed_updates: None keeps the previous setting, [] means the default."""
        if kinds is None:
            return
        chosen = frozenset(kinds)
        self.allowed = chosen or None

    def accepts(self, kind: str) -> bool:
        """Whether the bot's allowed_updates let an update of that kind through."""
        if self.allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queues an update; returns its update_id (spent even when allowed_updates drops it)."""
        update_id = self._next_id
        self._next_id += 1
        if self.accepts(kind):
            self.pending[update_id] = {"update_id": update_id, kind: payload}
            self.wake()
        else:
            self.dropped_by_filter += 1
        self._on_change()
        return update_id

    def wake(self) -> None:
        """Wakes the long-polling request and the webhook worker."""
        self._arrived.set()
        self._arrived = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Waits for the next `wake`, at most `seconds`."""
        arrived = self._arrived
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), seconds)

    def confirm(self, offset: int) -> None:
        """Forgets updates below `offset`; a negative offset keeps the last -offset ones."""
        before = len(self.pending)
        while self.pending:
            first = next(iter(self.pending))
            if (offset < 0 and len(self.pending) <= -offset) or 0 <= offset <= first:
                break
            del self.pending[first]
        if len(self.pending) != before:
            self._on_change()

    def remove(self, update_id: int) -> None:
        """Forgets one update (delivered by webhook, or given up)."""
        self.pending.pop(update_id, None)
        self._on_change()

    def drop_all(self) -> None:
        """Forgets every pending update (drop_pending_updates)."""
        self.pending.clear()
        self._on_change()

    async def poll(self, offset: int | None, limit: int, seconds: float) -> list[dict[str, Any]]:
        """getUpdates: confirms below `offset`, then waits up to `seconds` for an update."""
        if offset is not None:
            self.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.wake()
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            if generation != self._poll_generation:
                raise BotApiError(409, OTHER_POLLER)
            if self.pending:
                return list(itertools.islice(self.pending.values(), max(1, min(limit, 100))))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self.wait(remaining)
