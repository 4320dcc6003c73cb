"""`assesseur nlu train` and `assesseur nlu evaluate`."""

from __future__ import annotations

import time
from pathlib import Path

import click

from bot.nlu.classifier import MODEL_PATH, IntentClassifier, data_fingerprint, load_or_train
from bot.nlu.data import (
    NLU_DIR,
    check_intents,
    load_examples,
    load_intent_map,
    load_test_set,
)


@click.group()
def nlu() -> None:
    """Language understanding: train the intent classifier, measure it on held-out messages."""


_DIR = click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=NLU_DIR,
    show_default=False,
    help="The examples' directory (default: dialogs/nlu).",
)
_MODEL = click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=MODEL_PATH,
    show_default=True,
    help="Where the trained model is cached.",
)


@nlu.command("train")
@_DIR
@_MODEL
def train(directory: Path, model_path: Path) -> None:
    """Train on dialogs/nlu/<lang>.yaml and save the model under var/."""
    try:
        examples = load_examples(directory)
        intent_map = load_intent_map(directory / "intents.yaml")
        classifier = IntentClassifier.train(
            examples, intent_map, fingerprint=data_fingerprint(directory)
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    seconds = classifier.training_seconds
    counts = ", ".join(f"{n} {language}" for language, n in sorted(examples.counts().items()))
    click.echo(
        f"trained in {seconds:.1f} s on {len(examples)} examples ({counts}), "
        f"{len(classifier.classes)} intents"
    )
    classifier.save(model_path)
    click.echo(f"model saved to {model_path}")


@nlu.command("evaluate")
@_DIR
@_MODEL
@click.option("--show-errors", is_flag=True, help="List every misclassified message.")
def evaluate_command(directory: Path, model_path: Path, show_errors: bool) -> None:
    """Measure the classifier on dialogs/nlu/test/; fail under 95 % accuracy or an F1 under 0.85."""
    from bot.nlu.evaluate import ACCURACY_TARGET, F1_TARGET, evaluate

    try:
        started = time.perf_counter()
        classifier, trained = load_or_train(directory, model_path)
        seconds = time.perf_counter() - started
        test = load_test_set(directory / "test")
        check_intents(test, classifier.intent_map, str(directory / "test"))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    how = f"trained in {seconds:.1f} s" if trained else f"loaded from {model_path}"
    counts = ", ".join(f"{n} {language}" for language, n in sorted(test.counts().items()))
    click.echo(f"model {how}; held-out set: {len(test)} messages ({counts})\n")
    report = evaluate(classifier, test)
    click.echo(report.text(show_errors=show_errors))
    warnings = [p for s in report.languages.values() for p in s.below_target()]
    if warnings:
        click.echo("\nbelow target in one language (few messages each: a hint, not the verdict):")
        click.echo("\n".join(f"  {w}" for w in warnings))
    failures = report.overall.below_target()
    if failures:
        click.echo(
            f"\nFAILED (targets: accuracy >= {ACCURACY_TARGET:.0%}, every intent F1 >= "
            f"{F1_TARGET:.2f} on the held-out set):",
            err=True,
        )
        for failure in failures:
            click.echo(f"  {failure}", err=True)
        raise SystemExit(1)
    click.echo(f"\nOK: accuracy {report.overall.accuracy:.1%}, every intent F1 >= {F1_TARGET:.2f}")
