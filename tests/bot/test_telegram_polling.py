"""Long polling and "typing…", shared by both Telegram drivers, without any library."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from bot.channels.telegram import delivery
from bot.channels.telegram import polling as polling_module
from bot.channels.telegram.delivery import typing_while
from bot.channels.telegram.polling import LongPolling, in_chat_order


@dataclass(frozen=True)
class FakeUpdate:
    update_id: int
    chat: int | None


class Handler:
    """Records when each update's handling starts and ends; each takes `pause` seconds."""

    def __init__(self, pause: float = 0.02, failing: dict[int, int] | None = None) -> None:
        self.pause = pause
        self.failing = failing or {}
        """Update id: how many times its handling fails before it goes through."""
        self.events: list[tuple[str, int]] = []

    async def __call__(self, update: FakeUpdate) -> bool:
        self.events.append(("start", update.update_id))
        await asyncio.sleep(self.pause)
        if self.failing.get(update.update_id, 0) > 0:
            self.failing[update.update_id] -= 1
            self.events.append(("failed", update.update_id))
            return False
        self.events.append(("end", update.update_id))
        return True


def chat_of(update: FakeUpdate) -> int | None:
    return update.chat


async def test_a_chats_updates_are_handled_in_order_one_at_a_time() -> None:
    handler = Handler()
    updates = [FakeUpdate(1, 7), FakeUpdate(2, 7), FakeUpdate(3, 7)]
    await in_chat_order(updates, chat_of, handler)
    assert handler.events == [
        ("start", 1),
        ("end", 1),
        ("start", 2),
        ("end", 2),
        ("start", 3),
        ("end", 3),
    ]


async def test_different_chats_are_handled_at_the_same_time() -> None:
    handler = Handler(pause=0.05)
    updates = [FakeUpdate(1, 7), FakeUpdate(2, 8), FakeUpdate(3, 7), FakeUpdate(4, None)]
    started = asyncio.get_running_loop().time()
    await in_chat_order(updates, chat_of, handler)
    elapsed = asyncio.get_running_loop().time() - started
    starts = [n for kind, n in handler.events if kind == "start"]
    assert starts[:3] == [1, 2, 4]  # chat 7's first, chat 8's, the chatless one: all at once
    assert handler.events.index(("end", 1)) < handler.events.index(("start", 3))
    assert elapsed < 3 * 0.05  # two rounds (chat 7 has two updates), not four


async def test_an_update_whose_handling_raises_is_reported_failed_and_the_others_go_on() -> None:
    handler = Handler()

    async def handle(update: FakeUpdate) -> bool:
        if update.update_id == 2:
            raise RuntimeError("unexpected")
        return await handler(update)

    updates = [FakeUpdate(1, 7), FakeUpdate(2, 7), FakeUpdate(3, 7), FakeUpdate(4, 8)]
    failed = await in_chat_order(updates, chat_of, handle)
    assert failed == [FakeUpdate(2, 7)]
    ends = [n for kind, n in handler.events if kind == "end"]
    assert sorted(ends) == [1, 3, 4]  # the chat's next update is handled all the same
    assert ends.index(1) < ends.index(3)


class FakeTelegram:
    """`getUpdates`: hands out batches, records the offsets it was asked with."""

    def __init__(
        self,
        batches: list[list[FakeUpdate]],
        failures: Sequence[Exception] = (),
        handler: Handler | None = None,
    ) -> None:
        self.pending = [update for batch in batches for update in batch]
        self.batch_sizes = [len(batch) for batch in batches]
        self.failures = list(failures)
        self.offsets: list[int | None] = []
        self.handled_when_asked: list[int] = []
        self.drained = asyncio.Event()
        self.handler = handler or Handler(pause=0.01)

    async def get_updates(self, offset: int | None) -> list[FakeUpdate]:
        """Like Telegram: the unconfirmed updates from `offset` (confirming those before)."""
        self.offsets.append(offset)
        self.handled_when_asked.append(sum(1 for kind, _ in self.handler.events if kind == "end"))
        if self.failures:
            raise self.failures.pop(0)
        if offset is not None:
            self.pending = [u for u in self.pending if u.update_id >= offset]
        if self.pending:
            size = self.batch_sizes.pop(0) if self.batch_sizes else len(self.pending)
            return self.pending[:size]
        self.drained.set()
        await asyncio.sleep(3600)  # long polling with nothing to deliver
        return []


class Flood(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"retry after {wait}")
        self.wait = wait


async def poll_until_drained(telegram: FakeTelegram) -> None:
    """Polls until every update was handed out and acknowledged, then stops."""
    polling = polling_of(telegram)
    polling.start()
    await asyncio.wait_for(telegram.drained.wait(), timeout=5)
    await polling.stop()


def polling_of(telegram: FakeTelegram) -> LongPolling[FakeUpdate]:
    return LongPolling(
        telegram.get_updates,
        telegram.handler,
        update_id=lambda update: update.update_id,
        chat_of=chat_of,
        retry_after=lambda error: error.wait if isinstance(error, Flood) else None,
    )


async def test_a_batch_is_acknowledged_only_once_all_its_updates_are_handled() -> None:
    telegram = FakeTelegram(
        [[FakeUpdate(10, 1), FakeUpdate(11, 2), FakeUpdate(12, 1)], [FakeUpdate(13, 3)]]
    )
    await poll_until_drained(telegram)
    assert telegram.offsets == [None, 13, 14]
    assert telegram.handled_when_asked == [0, 3, 4]


async def test_flood_control_on_get_updates_is_waited_out() -> None:
    telegram = FakeTelegram([[FakeUpdate(1, 1)]], failures=[Flood(0.05), ConnectionError()])
    loop = asyncio.get_running_loop()
    started = loop.time()
    await poll_until_drained(telegram)
    assert telegram.offsets == [None, None, None, 2]
    assert loop.time() - started >= 0.05 + 1.0  # Telegram's wait, then the first retry delay


async def test_a_failed_update_is_asked_for_again_then_given_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling_module, "FIRST_RETRY", 0.01)
    monkeypatch.setattr(polling_module, "MAX_TRIES", 3)
    handler = Handler(pause=0.001, failing={21: 1, 22: 5})
    telegram = FakeTelegram(
        [[FakeUpdate(20, 1), FakeUpdate(21, 2), FakeUpdate(22, 3), FakeUpdate(23, 1)]],
        handler=handler,
    )
    await poll_until_drained(telegram)
    # 21 fails once, then goes through; 22 fails every time: tried three times, then given up.
    assert telegram.offsets == [None, 21, 22, 24]
    assert handler.events.count(("end", 21)) == 1
    assert handler.events.count(("failed", 22)) == 3
    assert ("end", 22) not in handler.events


async def test_a_failed_update_is_asked_for_again_only_after_a_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling_module, "FIRST_RETRY", 0.1)
    handler = Handler(pause=0.001, failing={31: 2})
    telegram = FakeTelegram([[FakeUpdate(30, 1), FakeUpdate(31, 2)]], handler=handler)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await poll_until_drained(telegram)
    assert telegram.offsets == [None, 31, 31, 32]
    assert loop.time() - started >= 0.1 + 0.2  # then twice as long
    assert handler.events.count(("end", 31)) == 1


async def test_stop_ends_a_long_poll_at_once() -> None:
    telegram = FakeTelegram([])
    polling = polling_of(telegram)
    polling.start()
    await asyncio.wait_for(telegram.drained.wait(), timeout=5)
    await asyncio.wait_for(polling.stop(), timeout=1)


class TypingSender:
    def __init__(self) -> None:
        self.typing_at: list[float] = []

    async def typing(self, chat_id: int) -> None:
        self.typing_at.append(asyncio.get_running_loop().time())


async def test_a_quick_reply_comes_without_typing() -> None:
    sender = TypingSender()
    async with typing_while(sender, 1, after=0.2):  # type: ignore[arg-type]
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)
    assert sender.typing_at == []


async def test_a_slow_reply_shows_typing_after_the_delay_and_renews_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "TYPING_RENEWAL", 0.1)
    sender = TypingSender()
    started = asyncio.get_running_loop().time()
    async with typing_while(sender, 1, after=0.05):  # type: ignore[arg-type]
        await asyncio.sleep(0.33)
    count = len(sender.typing_at)
    await asyncio.sleep(0.2)
    assert sender.typing_at[0] - started >= 0.05
    assert 3 <= count <= 4  # at 0.05, 0.15, 0.25 (and perhaps 0.35), then no more
    assert len(sender.typing_at) == count


async def test_with_no_delay_typing_is_shown_before_the_reply() -> None:
    sender = TypingSender()
    async with typing_while(sender, 1, after=0):  # type: ignore[arg-type]
        assert len(sender.typing_at) == 1
