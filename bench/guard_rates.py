"""The guard's rates and latency: false positives on ordinary messages, detection of secrets.

    .venv/bin/python bench/guard_rates.py [--samples 1000] [--seed 0] [--rounds 20]

Prints, for the corpus of ordinary voter messages (tests/data/ordinary_messages.txt), its size and
the false-positive rate with the offending lines; for each kind of secret, the detection rate
over generated samples (found, of the right kind, and the raw secret absent from the masked
text) with the misses; then the latency of `inspect` (p50/p99 in µs) beside a bare `re.search`
of one simple pattern over the same messages, the library underneath, alternating the two sides
in rounds (the machines are noisy: compare the ratio).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.secret_samples

from bot.guard import SecretKind, inspect
from tests.secret_samples import ORDINARY_MESSAGES, ordinary_messages, samples

BARE = re.compile(r"\d{6}")


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    """p50 and p99 in microseconds."""
    ordered = sorted(samples_ns)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50 / 1000, p99 / 1000


def false_positives() -> list[str]:
    """Prints the corpus's false-positive rate and offenders; returns the corpus's messages."""
    corpus = ordinary_messages()
    offenders = [(n, text, v.masked) for n, text in corpus if (v := inspect(text)).found]
    rate = len(offenders) / len(corpus)
    print(f"ordinary messages: {len(corpus)}   false positives: {len(offenders)} ({rate:.2%})")
    for number, text, masked in offenders:
        print(f"  {ORDINARY_MESSAGES.name}:{number}: {text!r} -> {masked!r}")
    return [text for _, text in corpus]


def detection(count: int, seed: int) -> list[str]:
    """Prints the detection rate per kind with the misses; returns the generated messages."""
    messages: list[str] = []
    for kind in SecretKind:
        pairs = samples(kind, count, seed)
        misses = []
        for message, secret in pairs:
            verdict = inspect(message)
            if kind not in verdict.kinds or secret in verdict.masked:
                misses.append((message, verdict.masked))
        rate = 1 - len(misses) / len(pairs)
        print(f"{kind.value:<14} detected {len(pairs) - len(misses):>5}/{len(pairs)} ({rate:.2%})")
        for message, masked in misses:
            print(f"  missed: {message!r} -> {masked!r}")
        messages += [message for message, _ in pairs]
    return messages


def latency(messages: list[str], rounds: int) -> None:
    """Prints p50/p99 of inspect and of a bare re.search over the same messages, and the ratio."""
    sides: dict[str, Callable[[str], object]] = {
        "guard.inspect": inspect,
        "bare re.search": BARE.search,
    }
    timings: dict[str, list[int]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, call in sides.items():
            spent = timings[name]
            for message in messages:
                t0 = time.perf_counter_ns()
                call(message)
                spent.append(time.perf_counter_ns() - t0)
    print(f"latency over {len(messages)} messages x {rounds} rounds:")
    results = {name: percentiles(spent) for name, spent in timings.items()}
    for name, (p50, p99) in results.items():
        print(f"  {name:<16} p50 {p50:7.1f} µs   p99 {p99:7.1f} µs")
    (g50, g99), (b50, b99) = results["guard.inspect"], results["bare re.search"]
    print(f"  ratio guard/bare: p50 {g50 / b50:.1f}x   p99 {g99 / b99:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="generated secrets per kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=20, help="latency rounds per side")
    args = parser.parse_args()
    ordinary = false_positives()
    secrets = detection(args.samples, args.seed)
    latency(ordinary + secrets[:: max(1, len(secrets) // len(ordinary))], args.rounds)


if __name__ == "__main__":
    main()
