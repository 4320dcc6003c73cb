"""Telegram's flood limits kept on our side: about 1 message a second in a chat (after a short
burst) and 30 a second in all; a send waits for its turn rather than being refused (429). The
buckets are a little stricter than Telegram's (2 then 0.8 a second in a chat, 25 a second in all)
so that messages bunched on the way still arrive within the limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    stamp: float

    def delay(self, now: float) -> float:
        """Seconds to wait for one token (and takes it)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass
class Throttle:
    """Token buckets per chat and overall; `await wait(chat_id)` before each send or edit."""

    per_chat_burst: float = 2
    per_chat_rate: float = 0.8
    overall_rate: float = 25.0
    clock: Callable[[], float] = time.monotonic
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _overall: _Bucket | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait(self, chat_id: int) -> float:
        """Waits until a message may go to `chat_id`; returns how long it waited."""
        async with self._lock:
            now = self.clock()
            if self._overall is None:
                self._overall = _Bucket(
                    self.overall_rate, self.overall_rate, self.overall_rate, now
                )
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = self._chats[chat_id] = _Bucket(
                    self.per_chat_burst, self.per_chat_rate, self.per_chat_burst, now
                )
            delay = max(chat.delay(now), self._overall.delay(now))
            if len(self._chats) > 10_000:
                self._chats = {k: b for k, b in self._chats.items() if b.tokens < b.capacity}
        if delay > 0:
            await asyncio.sleep(delay)
        return delay
