"""Everything the engine reads at start: flows, texts, calendar, understanding; checked together."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bot.election import PHASES, Election
from bot.election_file import load_election
from bot.engine.loader import DEFAULT_FLOWS_DIR, FlowsError, LoadedFlows, Problem, load_flows
from bot.engine.validator import check_flows
from bot.i18n.catalog import DEFAULT_LOCALES_DIR, Catalogs
from bot.nlu.classifier import IntentClassifier, load_or_train
from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class Assistant:
    """The assistant's content, loaded and checked."""

    loaded: LoadedFlows
    catalogs: Catalogs
    election: Election
    understander: IntentClassifier


def check(settings: Settings) -> list[Problem]:
    """Every problem of the flows, against the catalogues and the calendar's links."""
    try:
        loaded = load_flows(settings.flows_dir or DEFAULT_FLOWS_DIR)
    except FlowsError as exc:
        return exc.problems
    catalogs = Catalogs.load(settings.locales_dir or DEFAULT_LOCALES_DIR)
    election = load_election(settings.election, settings.elections_dir)
    return check_flows(loaded, catalogs.texts, PHASES, election.links.keys())


def load_assistant(settings: Settings) -> Assistant:
    """Loads and checks everything; raises FlowsError listing every problem."""
    loaded = load_flows(settings.flows_dir or DEFAULT_FLOWS_DIR)
    catalogs = Catalogs.load(settings.locales_dir or DEFAULT_LOCALES_DIR)
    election = load_election(settings.election, settings.elections_dir)
    problems = check_flows(loaded, catalogs.texts, PHASES, election.links.keys())
    if problems:
        raise FlowsError(problems)
    return Assistant(loaded, catalogs, election, understanding())


@functools.cache
def understanding() -> IntentClassifier:
    """The intent classifier: the cached model under var/ if trained on these very files,
    else trained now (seconds); once per process."""
    classifier, _ = load_or_train()
    return classifier
