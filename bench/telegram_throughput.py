"""Telegram throughput: the assistant beside a bare aiogram echo bot, on one local Bot API server.

    .venv/bin/python bench/telegram_throughput.py [--updates 300] [--chats 30] [--rounds 3]
        [--throttle lifted|shipped] [--bare-sequential] [--turn full|canned] [--loop uvloop|asyncio]

Each side gets its own emulator (`backend.telegram_emulator`, which checks every request against
the Bot API specification) served on loopback, and its own bot started once:
  - the assistant (`bot.server.create_app`, fresh SQLite database in a temp folder) with aiogram
    and with python-telegram-bot, each by long polling and by webhook;
  - a bare aiogram bot (`Dispatcher` + one `@router.message()` handler that answers
    `message.answer(message.text)`), by long polling and by webhook, with aiogram's defaults
    (polling handles updates as tasks, webhook answers 200 at once and handles in background).
    Its handler has no filter: aiogram runs a magic filter (`F.text`) in a thread, a cost the
    assistant's coroutine filters do not pay, which the bare bot should not pay either.
    `--bare-sequential` makes it handle updates one at a time (the assistant handles the chats
    of a batch at once, each chat in order, and acknowledges a batch once its turns are
    committed; by webhook it answers once the turn is committed).
One warm-up message per chat (`/start`) is sent and settled first, not counted. Then every update
is pushed at once (voter messages in French spread over the chats), and the clock stops when each
chat has received at least one new bot message per update it was sent.

Latency: the n-th update pushed in a chat is matched with the n-th bot message sent to that chat
after the push (taken from the emulator's successful `sendMessage` calls). When a side sends more
than one message for some updates this is a lower bound of the real latency (messages per update is
printed). Everything (emulator, bot, SQLite) runs in this one process and event loop (uvloop's, as
`assesseur serve` runs; `--loop asyncio` for the standard library's), as in the contract tests:
the emulator's cost is paid by both sides, which pulls ratios towards 1. CPU ms/update is the
process's CPU time (all its threads) over the measured stream per update: what an update costs,
emulator included (about as many milliseconds as 1000 / updates/s when a side keeps one core
busy). The bots are started by `bench/telegram_bots.py`.

Sides are run in `--rounds` rounds, the order reversed every other round (the machines are noisy);
each side's median round (by updates/s) is reported with its own latencies. Not a test: nothing
fails on speed; the DESIGN target (assistant >= half the bare bot's throughput on the same
transport) is printed as met or not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram_bots import TOKEN, Side, canned_turns, lift_throttle, start_assistant, start_bare

from backend.telegram_emulator import TelegramEmulator, start_server
from bot.cli import event_loop

FIRST_CHAT = 10_000
TARGET_RATIO = 0.5
RUN_TIMEOUT = 60.0
VOTER_TEXTS = [
    "j'ai perdu ma notice de vote",
    "comment voter ?",
    "/menu",
    "je n'ai pas reçu le mail d'activation",
    "mon adresse pro n'est pas reconnue",
    "pour qui voter",
    "bonjour, je ne trouve pas mon identifiant",
    "/aide",
    "quand se termine le vote ?",
    "blabla incompréhensible",
]


SIDES = [
    Side("bare", "aiogram", "polling"),
    Side("assistant", "aiogram", "polling"),
    Side("assistant", "ptb", "polling"),
    Side("bare", "aiogram", "webhook"),
    Side("assistant", "aiogram", "webhook"),
    Side("assistant", "ptb", "webhook"),
]


@dataclass
class Result:
    side: Side
    updates: int
    seconds: float
    latencies: list[float]
    messages: int
    violations: int
    complete: bool
    cpu_seconds: float

    @property
    def cpu_per_update(self) -> float:
        """Milliseconds of the process's CPU time (every thread) per update answered."""
        return 1000 * self.cpu_seconds / self.updates if self.updates else float("nan")

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


@dataclass
class Recorder:
    """Times every successful sendMessage per chat; wakes the benchmark when all replies are in."""

    chats: list[int]
    counting: bool = False
    pushed: dict[int, list[float]] = field(default_factory=dict)
    received: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    messages: int = 0
    waiting_chats: int = 0
    last_reply: float = 0.0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self, pushed: dict[int, list[float]], expected: dict[int, int]) -> None:
        """`pushed` fills (synchronously, before any reply can come) to `expected` per chat."""
        self.pushed = pushed
        self.received = {chat: 0 for chat in pushed}
        self.latencies = []
        self.messages = 0
        self.waiting_chats = sum(1 for count in expected.values() if count)
        self.done = asyncio.Event()
        self.counting = True
        if self.waiting_chats == 0:
            self.done.set()

    def sent(self, chat_id: int) -> None:
        if not self.counting:
            return
        now = time.perf_counter()
        times = self.pushed.get(chat_id)
        if times is None:
            return
        self.messages += 1
        n = self.received[chat_id]
        self.received[chat_id] = n + 1
        if n < len(times):
            self.latencies.append(now - times[n])
            self.last_reply = now
            if n + 1 == len(times):
                self.waiting_chats -= 1
                if self.waiting_chats == 0:
                    self.done.set()


def instrument(emulator: TelegramEmulator, recorder: Recorder) -> None:
    """Wraps the emulator's `call` (this instance only) to see each message the bot sends."""
    original = emulator.call

    async def call(token: str, method: str, raw: Any, *, form: bool) -> Any:
        result = await original(token, method, raw, form=form)
        if method.lower() == "sendmessage" and isinstance(result, dict):
            chat = result.get("chat")
            if isinstance(chat, dict):
                recorder.sent(int(chat["id"]))
        return result

    emulator.call = call  # type: ignore[method-assign]


async def run_side(side: Side, updates: int, chats: int, sequential: bool) -> Result:
    chat_ids = [FIRST_CHAT + i for i in range(chats)]
    emulator = TelegramEmulator(TOKEN)
    recorder = Recorder(chat_ids)
    instrument(emulator, recorder)
    served = await start_server(emulator)
    with tempfile.TemporaryDirectory(prefix="assesseur-bench-") as folder:
        if side.bot == "assistant":
            running = await start_assistant(side, served.base_url, Path(folder))
        else:
            running = await start_bare(side, served.base_url, sequential)
        try:
            # Warm-up: one message per chat, not counted; then let everything settle.
            recorder.start(
                {chat: [time.perf_counter()] for chat in chat_ids}, dict.fromkeys(chat_ids, 1)
            )
            for chat in chat_ids:
                emulator.user_says(chat, "/start", language_code="fr")
            await asyncio.wait_for(recorder.done.wait(), timeout=RUN_TIMEOUT)
            await emulator.settled(quiet=0.3, timeout=RUN_TIMEOUT)
            # Everything set up so far (both bots' libraries, the model, the emulator's
            # specification) out of the garbage collector's sight: a full collection of this
            # heap takes about 0.3 s, and one falling inside a side's measured second or two
            # halved its figure at random.
            gc.collect()
            gc.freeze()

            # The measured stream: every update pushed at once.
            pushed: dict[int, list[float]] = {chat: [] for chat in chat_ids}
            plan = [
                (chat_ids[i % chats], VOTER_TEXTS[(i // chats + i) % len(VOTER_TEXTS)])
                for i in range(updates)
            ]
            expected = dict.fromkeys(chat_ids, 0)
            for chat, _ in plan:
                expected[chat] += 1
            recorder.start(pushed, expected)
            started = time.perf_counter()
            cpu_started = time.process_time()
            for chat, text in plan:
                pushed[chat].append(time.perf_counter())
                emulator.user_says(chat, text, language_code="fr")
            complete = True
            try:
                await asyncio.wait_for(recorder.done.wait(), timeout=RUN_TIMEOUT)
                finished = recorder.last_reply
            except TimeoutError:
                complete = False
                finished = time.perf_counter()
            cpu_seconds = time.process_time() - cpu_started
            seconds = finished - started
            answered = len(recorder.latencies)
            # Untimed: let trailing messages arrive, so messages/update is counted fully.
            with contextlib.suppress(TimeoutError):
                await emulator.settled(quiet=0.3, timeout=10)
            recorder.counting = False
            return Result(
                side,
                answered,
                seconds,
                list(recorder.latencies),
                recorder.messages,
                len(emulator.violations),
                complete,
                cpu_seconds,
            )
        finally:
            gc.unfreeze()
            await running.stop()
            await served.close()


def report(results: dict[Side, list[Result]], rounds: int, updates: int, chats: int) -> None:
    # The median round per side (by updates/s; the upper middle for an even count), with its own
    # latencies: one lucky or unlucky round on a noisy machine does not decide.
    best = {
        side: sorted(runs, key=lambda r: r.per_second)[len(runs) // 2]
        for side, runs in results.items()
    }
    print(
        f"\n{updates} updates over {chats} chats per run, {rounds} round(s), order reversed every "
        "other round; the median round per side (by updates/s), with its latencies:"
    )
    header = (
        f"{'side':<28} {'updates/s':>9} {'(each round)':>20} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'msg/upd':>7} {'CPU ms/upd':>10} {'violations':>10}"
    )
    print(header)
    for side in SIDES:
        if side not in best:
            continue
        b = best[side]
        each = "/".join(f"{r.per_second:.0f}" for r in results[side])
        violations = sum(r.violations for r in results[side])
        incomplete = "" if all(r.complete for r in results[side]) else "  INCOMPLETE (timed out)"
        msgs = b.messages / b.updates if b.updates else float("nan")
        print(
            f"{side.name:<28} {b.per_second:>9.0f} {each:>20} {b.percentile(0.5):>8.1f} "
            f"{b.percentile(0.99):>8.1f} {msgs:>7.2f} {b.cpu_per_update:>10.2f} {violations:>10}"
            f"{incomplete}"
        )
    print(
        f"\nRatio to the bare aiogram echo bot on the same transport (target >= {TARGET_RATIO}): "
        "of the median rounds, and the median of each round's own ratio (the bare bot's rate "
        "drifts between rounds: a round's ratio compares sides run a few seconds apart):"
    )
    for side in SIDES:
        if side.bot != "assistant" or side not in best:
            continue
        bare_side = Side("bare", "aiogram", side.transport)
        bare = best.get(bare_side)
        if bare is None or bare.per_second == 0:
            continue
        ratio = best[side].per_second / bare.per_second
        paired = sorted(
            mine.per_second / theirs.per_second
            for mine, theirs in zip(results[side], results[bare_side], strict=True)
            if theirs.per_second > 0
        )
        each = paired[len(paired) // 2] if paired else float("nan")
        verdict = "meets the target" if min(ratio, each) >= TARGET_RATIO else "MISSES the target"
        print(f"  {side.name:<28} {ratio:5.2f}  per round {each:5.2f}  {verdict}")
    total = sum(r.violations for runs in results.values() for r in runs)
    print(f"\nBot API specification violations, all sides, all rounds: {total}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--bare-sequential",
        action="store_true",
        help="the bare bot handles updates one at a time (polling) / answers the webhook only "
        "after its handler (like the assistant), instead of aiogram's defaults",
    )
    parser.add_argument(
        "--throttle",
        choices=("lifted", "shipped"),
        default="lifted",
        help="lifted (default): the assistant's own flood-limit throttle never waits, so the "
        "figures measure its work; shipped: as configured (about 1 message/s per chat after a "
        "burst of 3, 30/s in all), which caps it whatever its speed",
    )
    parser.add_argument(
        "--turn",
        choices=("full", "canned"),
        default="full",
        help="full (default): the assistant's whole turn; canned: a canned answer instead, "
        "to measure what the drivers and their libraries cost on their own",
    )
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="uvloop (default): the event loop `assesseur serve` runs on; asyncio: the standard "
        "library's (both sides run on the same one)",
    )
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    print(f"event loop: {type(asyncio.get_running_loop()).__module__.split('.')[0]}")
    if args.throttle == "lifted":
        patched = lift_throttle()
        where = ", ".join(patched) if patched else "nothing found to patch: as shipped"
        print(f"assistant's flood-limit throttle: lifted ({where})")
    else:
        print("assistant's flood-limit throttle: as shipped (1 msg/s per chat, burst 3, 30/s)")
    if args.turn == "canned":
        print(f"assistant's turn: canned, no database nor dialogs ({', '.join(canned_turns())})")
    mode = "sequential" if args.bare_sequential else "aiogram defaults (as tasks / in background)"
    print(f"bare echo bot handling: {mode}")
    results: dict[Side, list[Result]] = {side: [] for side in SIDES}
    began = time.perf_counter()
    for round_ in range(args.rounds):
        order = SIDES if round_ % 2 == 0 else list(reversed(SIDES))
        for side in order:
            result = await run_side(side, args.updates, args.chats, args.bare_sequential)
            results[side].append(result)
            print(
                f"round {round_ + 1} {side.name:<28} {result.per_second:7.0f} updates/s  "
                f"p50 {result.percentile(0.5):7.1f} ms  p99 {result.percentile(0.99):7.1f} ms"
                + ("" if result.complete else "  (timed out)"),
                flush=True,
            )
    report(results, args.rounds, args.updates, args.chats)
    print(f"(whole run {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    options = arguments()
    factory = event_loop if options.loop == "uvloop" else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main(options))
