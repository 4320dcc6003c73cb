"""Several workers sharing PostgreSQL and Redis: one turn at a time in a conversation, an update
answered once, whichever worker receives it (`ASSESSEUR_REDIS_URL`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from backend.coordination import RedisCoordination, TurnLockTimeout
from backend.db.models import TranscriptLine
from bot.channels.telegram.session import ChatMessage, answer
from bot.clock import FrozenClock, parse_instant
from bot.coordination import CoordinationUnavailable
from bot.settings import Settings
from bot.wiring import Services, open_services
from tests.smtp_server import free_port

NOW = parse_instant("2022-12-02T10:00+01:00")


@pytest.fixture
async def coordinations(redis_url: str) -> AsyncIterator[list[RedisCoordination]]:
    """Two workers' coordinations (each its own Redis client) under a prefix of their own."""
    prefix = f"assesseur-test-{uuid.uuid4().hex[:8]}:"
    workers = [
        RedisCoordination(Redis.from_url(redis_url), prefix=prefix, lock_ttl=timedelta(seconds=2))
        for _ in range(2)
    ]
    yield workers
    for worker in workers:
        await worker.close()
    await _forget(redis_url, prefix)


async def test_a_conversation_has_one_turn_at_a_time_across_workers(
    coordinations: list[RedisCoordination],
) -> None:
    inside: list[int] = []
    overlaps: list[tuple[int, ...]] = []

    async def turn(n: int) -> None:
        async with coordinations[n % 2].turn("conversation-1"):
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(tuple(inside))
            await asyncio.sleep(0.01)
            inside.remove(n)

    await asyncio.gather(*(turn(n) for n in range(10)))
    assert overlaps == []


async def test_other_conversations_do_not_wait(coordinations: list[RedisCoordination]) -> None:
    async with coordinations[0].turn("conversation-a"):
        await asyncio.wait_for(_enter(coordinations[1], "conversation-b"), timeout=1)


async def _enter(coordination: RedisCoordination, key: str) -> None:
    async with coordination.turn(key):
        pass


async def test_the_turn_of_a_worker_that_died_expires(
    coordinations: list[RedisCoordination], redis_url: str
) -> None:
    dead = coordinations[0]
    lock = dead.redis.lock(f"{dead.prefix}turn:conversation-9", timeout=0.3)
    assert await lock.acquire()  # taken, never released: its worker is gone
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(_enter(coordinations[1], "conversation-9"), timeout=2)
    assert loop.time() - started >= 0.2


async def test_a_turn_held_too_long_is_an_error_not_a_wait_forever(
    coordinations: list[RedisCoordination],
) -> None:
    holder = coordinations[0]
    lock = holder.redis.lock(f"{holder.prefix}turn:conversation-7", timeout=10)
    assert await lock.acquire()
    with pytest.raises(TurnLockTimeout):
        await _enter(coordinations[1], "conversation-7")  # lock_ttl is 2 s here
    await lock.release()


async def test_an_update_answered_by_one_worker_is_known_to_the_other(
    coordinations: list[RedisCoordination],
) -> None:
    first, second = coordinations
    assert not await second.answered("telegram", "4242")
    await first.remember("telegram", "4242")
    assert await second.answered("telegram", "4242")
    assert not await second.answered("telegram", "4243")
    ttl = await second.redis.ttl(f"{second.prefix}answered:telegram:4242")
    assert 0 < ttl <= 24 * 3600


@pytest.fixture
async def workers(postgres_url: str, redis_url: str) -> AsyncIterator[list[Services]]:
    """Two workers: each its own services, one PostgreSQL database and one Redis."""
    prefix = f"assesseur-test-{uuid.uuid4().hex[:8]}:"
    settings = Settings(
        database_url=postgres_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        election="2022",
        secret_key="workers",
    )
    async with (
        open_services(settings, FrozenClock(NOW)) as one,
        open_services(settings, FrozenClock(NOW)) as two,
    ):
        yield [one, two]
    await _forget(redis_url, prefix)


async def _forget(redis_url: str, prefix: str) -> None:
    """Deletes the keys a test left in the shared Redis."""
    redis = Redis.from_url(redis_url)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def _transcript(services: Services, chat_key: str) -> list[tuple[str, str]]:
    conversation_id = await services.conversations.find_chat("telegram", chat_key)
    assert conversation_id is not None
    async with services.engine.connect() as connection:
        rows = await connection.execute(
            select(TranscriptLine.sender, TranscriptLine.text)
            .where(TranscriptLine.conversation_id == conversation_id)
            .order_by(TranscriptLine.id)
        )
        return [(sender, text) for sender, text in rows]


async def test_an_update_delivered_to_two_workers_at_once_is_answered_once(
    workers: list[Services],
) -> None:
    chat = 880_000 + uuid.uuid4().int % 100_000
    await answer(workers[0].conversations, ChatMessage(chat, 1, "fr", text="/start"))
    update = ChatMessage(chat, 2, "fr", text="j'ai perdu ma notice de vote")
    turns = await asyncio.gather(*(answer(w.conversations, update) for w in workers))
    answered = [turn for turn in turns if turn.messages]
    assert len(answered) == 1
    assert "réassort" in answered[0].messages[0].text
    voter_lines = [t for s, t in await _transcript(workers[1], str(chat)) if s == "voter"]
    assert voter_lines == ["/start", "j'ai perdu ma notice de vote"]


async def test_a_chats_messages_spread_over_two_workers_keep_their_order(
    workers: list[Services],
) -> None:
    chat = 990_000 + uuid.uuid4().int % 100_000
    texts = ["/start", "bonjour", "comment voter ?", "/menu", "merci"]
    # Each message goes to the other worker than the previous one, all at once; the order of
    # the turns is the order the tasks take the conversation's lock: the transcript must hold
    # every message exactly once, each followed by its answer.
    await answer(workers[0].conversations, ChatMessage(chat, 10, "fr", text=texts[0]))
    await asyncio.gather(
        *(
            answer(workers[n % 2].conversations, ChatMessage(chat, 10 + n, "fr", text=text))
            for n, text in enumerate(texts[1:], start=1)
        )
    )
    transcript = await _transcript(workers[0], str(chat))
    voter = [text for sender, text in transcript if sender == "voter"]
    assert voter[0] == "/start"  # it opened the conversation
    assert sorted(voter[1:]) == sorted(texts[1:])
    for n, (sender, _) in enumerate(transcript):
        if sender == "voter":
            assert transcript[n + 1][0] == "bot"  # every message has its answer right after it


async def test_a_worker_does_not_start_without_its_redis(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/w.db",
        redis_url=f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0",
        secret_key="workers",
    )
    with pytest.raises(CoordinationUnavailable) as refused:
        async with open_services(settings, FrozenClock(NOW)):
            pass
    assert "does not answer" in str(refused.value)
    assert "s3cret" not in str(refused.value)
