"""What workers agree on: whose turn it is in a conversation, and which updates are answered.

One process needs no more than asyncio locks (`LocalCoordination`). Several workers share
Redis (`backend.coordination.RedisCoordination`, with `ASSESSEUR_REDIS_URL`): a conversation's
turns are taken one at a time across all of them, and a channel's redelivered update is known
as answered by every worker. The database stays the judge: an update is claimed in the turn's
own transaction, so nothing is answered twice even if Redis forgets.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol


class Coordination(Protocol):
    """Turn locks and the memory of answered updates."""

    def turn(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held while a turn of conversation (or chat) `key` runs: one turn at a time."""
        ...

    async def answered(self, channel: str, update_key: str) -> bool:
        """Whether this update is known as answered (a cache: False may still be a repeat)."""
        ...

    async def remember(self, channel: str, update_key: str) -> None:
        """Records an update as answered, once its turn is committed."""
        ...

    async def check(self) -> None:
        """Raises `CoordinationUnavailable` if the shared server cannot be reached (at start)."""
        ...

    async def close(self) -> None:
        """Releases connections."""
        ...


class CoordinationUnavailable(Exception):
    """The server that workers share (Redis) does not answer."""


class LocalCoordination:
    """One process: an asyncio lock per conversation; answered updates are left to the
    database's record."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Waits for the conversation's previous turn in this process."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            yield

    async def answered(self, channel: str, update_key: str) -> bool:
        """Never known here: the database's record decides."""
        return False

    async def remember(self, channel: str, update_key: str) -> None:
        """Nothing to record beyond the database."""

    async def check(self) -> None:
        """Nothing to reach."""

    async def close(self) -> None:
        """Nothing to release."""
