"""Several workers, one Redis: conversation turn locks and answered updates (`ASSESSEUR_REDIS_URL`).

A turn lock is redis-py's `Lock` (SET NX with an expiry, released by a script that checks the
owner's token), taken after the process's own asyncio lock so that a worker's waiting turns do
not all poll Redis. It expires by itself (`lock_ttl`) if its worker dies mid-turn. Answered
updates are keys with an expiry (`remember_for`): Telegram redelivers for at most a day.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from bot.coordination import CoordinationUnavailable, LocalCoordination

PREFIX = "assesseur:"


class TurnLockTimeout(Exception):
    """Another worker held the conversation's turn for longer than a turn may last."""


class RedisCoordination:
    """Turn locks and answered updates shared by every worker through Redis."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = PREFIX,
        lock_ttl: timedelta = timedelta(seconds=30),
        remember_for: timedelta = timedelta(days=1),
        poll: float = 0.005,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lock_ttl = lock_ttl
        self.remember_for = remember_for
        self.poll = poll
        self._local = LocalCoordination()

    @classmethod
    def from_url(cls, url: str, prefix: str = PREFIX) -> RedisCoordination:
        """Connects (lazily) to the Redis server at `url` (redis://host:port/db)."""
        return cls(Redis.from_url(url), prefix=prefix)

    @contextlib.asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Waits for the conversation's previous turn in this worker, then in every worker."""
        seconds = self.lock_ttl.total_seconds()
        async with self._local.turn(key):
            lock = self.redis.lock(
                f"{self.prefix}turn:{key}",
                timeout=seconds,
                sleep=self.poll,
                blocking_timeout=seconds,
            )
            if not await lock.acquire():
                raise TurnLockTimeout(key)
            try:
                yield
            finally:
                with contextlib.suppress(LockError):  # expired meanwhile: nothing to release
                    await lock.release()

    def _answered_key(self, channel: str, update_key: str) -> str:
        return f"{self.prefix}answered:{channel}:{update_key}"

    async def answered(self, channel: str, update_key: str) -> bool:
        """Whether any worker committed this update's turn (within `remember_for`)."""
        return bool(await self.redis.exists(self._answered_key(channel, update_key)))

    async def remember(self, channel: str, update_key: str) -> None:
        """Records the update as answered, for every worker."""
        await self.redis.set(self._answered_key(channel, update_key), b"1", ex=self.remember_for)

    async def check(self) -> None:
        """Pings Redis: a worker that cannot reach it should not start."""
        try:
            await self.redis.ping()
        except (RedisError, OSError) as failed:
            where = self.redis.connection_pool.connection_kwargs
            host, port = where.get("host", "?"), where.get("port", "?")
            raise CoordinationUnavailable(
                f"Redis at {host}:{port} does not answer ({type(failed).__name__})"
            ) from None

    async def close(self) -> None:
        """Closes the connection pool."""
        await self.redis.aclose()
