"""Intent classification latency and training time, against the bare scikit-learn pipeline.

    .venv/bin/python bench/nlu_latency.py [--rounds 20] [--compare]

Trains on dialogs/nlu/<lang>.yaml (printing the time), then classifies every held-out message of
dialogs/nlu/test/ many times, one message per call, alternating in batches (the machines are
noisy: compare ratios within a run) between:
- `IntentClassifier.understand`: normalisation, intent, language and entities, all included;
- the bare scikit-learn pipeline's `predict_proba` on already-normalised text (the library
  underneath: the classifier's fast scorer gives the same probabilities).
With --compare, first cross-validates the candidate models on the training set (never the test
set) and prints accuracy, log-loss, confidence figures and fit time for each.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from sklearn.metrics import log_loss  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from bot.nlu.classifier import (
    DEFAULT_KIND,
    MODEL_KINDS,
    IntentClassifier,
    data_fingerprint,
    intent_pipeline,
)
from bot.nlu.data import load_examples, load_intent_map, load_test_set
from bot.nlu.normalise import normalise


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    """p50 and p99 in microseconds."""
    ordered = sorted(samples_ns)
    return (
        ordered[len(ordered) // 2] / 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000,
    )


def compare(folds: int = 5) -> None:
    """Cross-validates each candidate model on the training set."""
    examples = load_examples()
    intent_map = load_intent_map()
    texts = [normalise(t) for t in examples.texts]
    intents = np.array(examples.intents)
    reported = np.array([intent_map.report(i) for i in intents])
    strata = [f"{i}|{lang}" for i, lang in zip(examples.intents, examples.languages, strict=True)]
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, strata))
    print(f"cross-validation on the training set ({len(texts)} examples, {folds} folds):")
    for kind in MODEL_KINDS:
        probabilities = np.zeros((len(texts), len(set(examples.intents))))
        fit_seconds = 0.0
        classes = np.array(sorted(set(examples.intents)))
        for train, held in splits:
            pipeline = intent_pipeline(kind)
            started = time.perf_counter()
            with threadpool_limits(1):
                pipeline.fit([texts[i] for i in train], intents[train])
            fit_seconds += time.perf_counter() - started
            columns = np.searchsorted(classes, pipeline.classes_)
            probabilities[np.ix_(held, columns)] = pipeline.predict_proba([texts[i] for i in held])
        predicted = classes[probabilities.argmax(axis=1)]
        right = np.array([intent_map.report(p) for p in predicted]) == reported
        confidence = probabilities.max(axis=1)
        sure = confidence >= 0.5
        loss = log_loss(intents, probabilities, labels=classes)
        print(
            f"  {kind:<7}{' (kept)' if kind == DEFAULT_KIND else '       '} "
            f"accuracy {right.mean():.1%}  log-loss {loss:.3f}  "
            f"confidence >= 0.5: {sure.mean():.0%} of messages, {right[sure].mean():.1%} right  "
            f"fit {fit_seconds / folds:.2f} s"
        )


def bench(rounds: int, batch: int = 50) -> None:
    """Training time, then latency per message of each side, alternating in batches."""
    started = time.perf_counter()
    classifier = IntentClassifier.train(
        load_examples(), load_intent_map(), fingerprint=data_fingerprint()
    )
    print(f"training: {time.perf_counter() - started:.2f} s ({len(classifier.classes)} intents)")
    test = load_test_set()
    messages = list(test.texts) * rounds
    normalised = [normalise(t) for t in messages]
    pipeline = classifier.intents
    sides: dict[str, Callable[[int], object]] = {
        "understand": lambda i: classifier.understand(messages[i], "fr"),
        "sklearn predict_proba": lambda i: pipeline.predict_proba([normalised[i]]),
    }
    samples: dict[str, list[int]] = {name: [] for name in sides}
    for start in range(0, len(messages), batch):
        for name, side in sides.items():
            for i in range(start, min(start + batch, len(messages))):
                t0 = time.perf_counter_ns()
                side(i)
                samples[name].append(time.perf_counter_ns() - t0)
    print(f"latency per message ({len(test)} held-out messages x {rounds} rounds):")
    base = percentiles(samples["understand"])
    for name, measured in samples.items():
        p50, p99 = percentiles(measured)
        ratio = f"understand / this: p50 {base[0] / p50:5.2f}  p99 {base[1] / p99:5.2f}"
        print(f"  {name:<24} p50 {p50:8.1f} µs   p99 {p99:8.1f} µs   {ratio}")


def main() -> None:
    """Runs the benchmark."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--compare", action="store_true", help="cross-validate the candidates")
    args = parser.parse_args()
    if args.compare:
        compare()
    bench(args.rounds)


if __name__ == "__main__":
    main()
