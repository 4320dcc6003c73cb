"""Engine turn latency, in process, and a whole chat API turn against a bare aiohttp route.

    .venv/bin/python bench/engine_turn.py [--turns 20000] [--http-turns 400]

Prints p50/p99 of `engine.step` alone, of step + rendering, of the intent classifier, and the
chat API turn (HTTP on loopback, SQLite on disk) beside a bare aiohttp JSON echo route measured in
the same run, alternating the two sides in batches (the machines are noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

from aiohttp import ClientSession, web

from bot.assistant import load_assistant
from bot.clock import FrozenClock, parse_instant
from bot.engine.step import first_state, step
from bot.engine.turn import Click, Command, Event, Start, TurnContext, Typed
from bot.i18n.render import render
from bot.server import create_app
from bot.settings import Settings

NOW = "2022-11-20T09:22+01:00"
TYPED = [
    "je n'ai pas reçu le mail d'activation",
    "mon adresse pro n'est pas reconnue",
    "j'ai perdu ma notice de vote",
    "comment voter ?",
    "pour qui voter",
    "blabla incompréhensible",
]


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    """p50 and p99 in microseconds."""
    ordered = sorted(samples_ns)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50 / 1000, p99 / 1000


def events(assistant_actions: list[str]) -> list[Event]:
    """A voter's mix: clicks through topics, typed questions, commands."""
    mixed: list[Event] = []
    for i, action in enumerate(assistant_actions):
        mixed.append(Click(action))
        mixed.append(Typed(TYPED[i % len(TYPED)]))
        if i % 5 == 0:
            mixed.append(Command("menu"))
    return mixed


def bench_engine(turns: int) -> None:
    settings = Settings(election="2022")
    assistant = load_assistant(settings)
    flows = assistant.loaded.flows
    catalogs = assistant.catalogs
    ctx = TurnContext(now=parse_instant(NOW), election=assistant.election, labels=catalogs.texts)
    actions = sorted({b.action for s in flows for b in s.buttons if b.action})
    script = events(actions)
    understood = {
        e.text: assistant.understander.understand(e.text, "fr")
        for e in script
        if isinstance(e, Typed)
    }
    script = [Typed(e.text, understood[e.text]) if isinstance(e, Typed) else e for e in script]
    state = step(flows, first_state("fr"), Start(), ctx).state

    step_ns: list[int] = []
    full_ns: list[int] = []
    nlu_ns: list[int] = []
    for i in range(turns):
        event = script[i % len(script)]
        t0 = time.perf_counter_ns()
        result = step(flows, state, event, ctx)
        t1 = time.perf_counter_ns()
        for reply in result.replies:
            render(reply, catalogs, result.state.locale)
        t2 = time.perf_counter_ns()
        step_ns.append(t1 - t0)
        full_ns.append(t2 - t0)
        state = result.state
        text = TYPED[i % len(TYPED)]
        t3 = time.perf_counter_ns()
        assistant.understander.understand(text, "fr")
        nlu_ns.append(time.perf_counter_ns() - t3)

    print(
        f"flows: {len(flows.versions)}, states: {len(flows.states)}, "
        f"message keys: {len(catalogs.texts['fr'])} per language"
    )
    for name, samples in (
        ("engine.step", step_ns),
        ("engine.step + render", full_ns),
        ("intent classifier", nlu_ns),
    ):
        p50, p99 = percentiles(samples)
        print(f"{name:<24} p50 {p50:8.1f} µs   p99 {p99:8.1f} µs   ({turns} turns)")


async def bench_http(turns: int, batch: int = 50) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", election="2022", secret_key="b"
        )
        app = create_app(settings, clock=FrozenClock(parse_instant(NOW)))
        bare = web.Application()

        async def echo(request: web.Request) -> web.Response:
            return web.json_response({"echo": (await request.json())["text"]})

        bare.router.add_post("/echo", echo)
        runners = []
        for application, port in ((app, 18931), (bare, 18932)):
            runner = web.AppRunner(application, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            runners.append(runner)
        try:
            async with ClientSession() as http:
                created = await http.post("http://127.0.0.1:18931/api/v1/conversations", json={})
                cid = (await created.json())["conversation_id"]
                url = f"http://127.0.0.1:18931/api/v1/conversations/{cid}/messages"

                async def assistant_turn(i: int) -> None:
                    async with http.post(url, json={"text": TYPED[i % len(TYPED)]}) as r:
                        assert r.status == 200, await r.text()
                        await r.read()

                async def bare_turn(i: int) -> None:
                    async with http.post(
                        "http://127.0.0.1:18932/echo", json={"text": TYPED[i % len(TYPED)]}
                    ) as r:
                        await r.read()

                sides: dict[str, list[int]] = {"assistant": [], "bare": []}
                turn_of: dict[str, Callable[[int], Awaitable[None]]] = {
                    "assistant": assistant_turn,
                    "bare": bare_turn,
                }
                for start in range(0, turns, batch):
                    for name in ("assistant", "bare"):
                        for i in range(start, start + batch):
                            t0 = time.perf_counter_ns()
                            await turn_of[name](i)
                            sides[name].append(time.perf_counter_ns() - t0)
        finally:
            for runner in runners:
                await runner.cleanup()
    a50, a99 = percentiles(sides["assistant"])
    b50, b99 = percentiles(sides["bare"])
    a_rate = 1e9 / statistics.mean(sides["assistant"])
    b_rate = 1e9 / statistics.mean(sides["bare"])
    print(f"chat API turn (SQLite)   p50 {a50:8.1f} µs   p99 {a99:8.1f} µs   {a_rate:7.0f} turns/s")
    print(f"bare aiohttp JSON route  p50 {b50:8.1f} µs   p99 {b99:8.1f} µs   {b_rate:7.0f} req/s")
    print(f"ratio assistant/bare throughput: {a_rate / b_rate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20000)
    parser.add_argument("--http-turns", type=int, default=400)
    args = parser.parse_args()
    bench_engine(args.turns)
    asyncio.run(bench_http(args.http_turns))


if __name__ == "__main__":
    main()
