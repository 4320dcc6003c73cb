"""Pauses of a long-running server: reply latency under a steady load, and memory over time.

    .venv/bin/python bench/server_pauses.py [--seconds 60] [--rate 100] [--conversations 300]

Starts `assesseur serve` as voters meet it (its own process, SQLite in a temporary folder, the
start-up heap frozen) and, beside it, a bare aiohttp server whose one route answers a JSON echo
(the library underneath, in its own process too). Each gets the same open-loop load, one after
the other: chat API turns sent at `--rate` per second for `--seconds` (on schedule, whether the
earlier answers came back or not), over `--conversations` conversations opened first, voters'
messages in French. A server that stops (a garbage collection of a big heap, a blocking call on
its loop) shows as a run of late answers. Printed for each: latency p50, p99, p99.9 and max, the
answers later than 50 ms and 200 ms, and the server's resident memory (from /proc) after the
conversations were opened, at mid-load and at the end; then the assistant's p99 and max over the
bare server's. Not a test: nothing fails on speed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import uvloop
from aiohttp import ClientSession, ClientTimeout, web

NOW = "2022-12-02T10:00+01:00"
"""During the 2022 vote (a simulated clock): the assistant answers as on the day."""
TEXTS = [
    "j'ai perdu ma notice de vote",
    "comment voter ?",
    "je n'ai pas reçu le mail d'activation",
    "mon adresse pro n'est pas reconnue",
    "pour qui voter",
    "bonjour, je ne trouve pas mon identifiant",
    "quand se termine le vote ?",
    "blabla incompréhensible",
    "merci",
    "/menu",
]
LATE_MS = (50, 200)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def rss_mib(pid: int) -> float:
    """The process's resident memory, in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve_bare(port: int) -> None:
    """The bare server: aiohttp, one JSON echo route, nothing else."""

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"echo": (await request.json())["text"]})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_get("/healthz", healthz)
    # On the loop `assesseur serve` runs on; nothing of the project imported (its memory).
    loop = uvloop.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=loop)


@dataclass
class Run:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    memory_mib: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")

    def report(self) -> str:
        late = "  ".join(
            f">{limit} ms: {sum(1 for x in self.latencies_ms if x > limit):4}" for limit in LATE_MS
        )
        memory = " / ".join(f"{m:.0f}" for m in self.memory_mib)
        return (
            f"{self.name:<22} {len(self.latencies_ms):6} answers  p50 {self.percentile(0.5):6.1f}"
            f"  p99 {self.percentile(0.99):6.1f}  p99.9 {self.percentile(0.999):6.1f}"
            f"  max {max(self.latencies_ms, default=float('nan')):6.1f} ms  {late}"
            f"  errors {self.errors}  RSS {memory} MiB"
        )


async def wait_ready(http: ClientSession, base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {process.returncode})")
        try:
            async with http.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("the server did not get ready in 2 minutes")


async def load(
    run: Run,
    http: ClientSession,
    pid: int,
    urls: list[str],
    body_key: str,
    seconds: float,
    rate: float,
) -> None:
    """Sends `rate` requests a second for `seconds`, on schedule, each to the next URL."""
    total = int(seconds * rate)
    pending: set[asyncio.Task[None]] = set()

    async def one(url: str, text: str) -> None:
        started = time.perf_counter()
        try:
            async with http.post(url, json={body_key: text}) as response:
                await response.read()
                if response.status != 200:
                    run.errors += 1
                    return
        except (OSError, TimeoutError):
            run.errors += 1
            return
        run.latencies_ms.append((time.perf_counter() - started) * 1000)

    run.memory_mib.append(rss_mib(pid))
    began = time.perf_counter()
    for i in range(total):
        delay = began + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if i == total // 2:
            run.memory_mib.append(rss_mib(pid))
        task = asyncio.create_task(one(urls[i % len(urls)], TEXTS[i % len(TEXTS)]))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    run.memory_mib.append(rss_mib(pid))


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


async def bench(seconds: float, rate: float, conversations: int) -> None:
    timeout = ClientTimeout(total=60)
    runs = []
    with tempfile.TemporaryDirectory(prefix="assesseur-pauses-") as folder:
        port = free_port()
        env = dict(
            os.environ,
            ASSESSEUR_DATABASE_URL=f"sqlite+aiosqlite:///{folder}/pauses.db",
            ASSESSEUR_ELECTION="2022",
            ASSESSEUR_NOW=NOW,
            ASSESSEUR_SECRET_KEY="bench-pauses",
        )
        assesseur = Path(sys.executable).with_name("assesseur")
        process = start([str(assesseur), "serve", "--port", str(port)], env)
        base = f"http://127.0.0.1:{port}"
        try:
            async with ClientSession(timeout=timeout) as http:
                await wait_ready(http, base, process)
                urls = []
                for _ in range(conversations):
                    async with http.post(f"{base}/api/v1/conversations", json={}) as created:
                        cid = (await created.json())["conversation_id"]
                    urls.append(f"{base}/api/v1/conversations/{cid}/messages")
                run = Run("assistant (chat API)")
                await load(run, http, process.pid, urls, "text", seconds, rate)
                runs.append(run)
        finally:
            stop(process)

    port = free_port()
    process = start([sys.executable, __file__, "--serve-bare", str(port)], dict(os.environ))
    base = f"http://127.0.0.1:{port}"
    try:
        async with ClientSession(timeout=timeout) as http:
            await wait_ready(http, base, process)
            run = Run("bare aiohttp echo")
            await load(run, http, process.pid, [f"{base}/echo"], "text", seconds, rate)
            runs.append(run)
    finally:
        stop(process)

    print(f"\n{rate:.0f} requests/s for {seconds:.0f} s, open loop; latency in ms:")
    for run in runs:
        print(run.report())
    mine, bare = runs
    print(
        f"\nassistant over bare: p99 x{mine.percentile(0.99) / bare.percentile(0.99):.1f}, "
        f"max x{max(mine.latencies_ms) / max(bare.latencies_ms):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    asyncio.run(bench(args.seconds, args.rate, args.conversations))


if __name__ == "__main__":
    main()
