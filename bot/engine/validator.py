"""Checks loaded flows before they are used: `assesseur flows check`."""

from __future__ import annotations

import string
from collections import deque
from collections.abc import Collection, Mapping

from bot.engine.loader import LoadedFlows, Problem, SourceMap
from bot.engine.model import (
    ACCOUNT_STATES,
    AGENT_STATE,
    BACKEND_ACTIONS,
    HANDOFF_PURPOSES,
    MAX_ACTION_BYTES,
    MENU_STATE,
    REQUIRED_STATES,
    START_STATE,
    Condition,
)

PLACEHOLDERS = frozenset(
    {
        "election",
        "portal_url",
        "activation_opens",
        "vote_opens",
        "vote_closes",
        "countdown",
        "first_name",
        "email",
        "ballots",
        "attempts_left",
    }
)
"""The names a flow's text may use in braces; the engine fills them from the calendar."""


def check_flows(
    loaded: LoadedFlows,
    texts: Mapping[str, Mapping[str, object]],
    phases: Collection[str],
    links: Collection[str],
) -> list[Problem]:
    """Every problem of the flows against the catalogues, the phases and the known links."""
    problems: list[Problem] = []
    states = loaded.flows.states
    owner: dict[str, tuple[str, str]] = {}

    for flow, spec in loaded.specs.items():
        src = loaded.sources[flow]
        for name, s in spec.states.items():
            at = ("states", name)
            for i, p in enumerate(s.say):
                problems += _check_key(texts, p.key, src, (*at, "say", i))
                if p.when is not None:
                    problems += _check_condition(p.when, phases, src, (*at, "say", i, "if"))
            for i, b in enumerate(s.buttons):
                where = (*at, "buttons", i)
                problems += _check_key(texts, b.label, src, (*where, "label"))
                if b.when is not None:
                    problems += _check_condition(b.when, phases, src, (*where, "if"))
                if b.handoff is not None and b.handoff not in HANDOFF_PURPOSES:
                    known = ", ".join(sorted(HANDOFF_PURPOSES))
                    message = f"unknown hand-off purpose {b.handoff!r} (known: {known})"
                    problems.append(src.problem(message, *where, "handoff"))
                if b.goto is not None:
                    target = b.goto if "." in b.goto else f"{flow}.{b.goto}"
                    if target not in states:
                        problems.append(
                            src.problem(f"unknown target state {target!r}", *where, "goto")
                        )
                    size = len(target.encode("utf-8"))
                    if size > MAX_ACTION_BYTES:
                        message = f"button action {target!r}: {size} bytes, over {MAX_ACTION_BYTES}"
                        problems.append(src.problem(message, *where, "goto"))
                if b.url is not None and b.url not in links and not b.url.startswith("https://"):
                    problems.append(src.problem(f"unknown link {b.url!r}", *where, "url"))
            for i, action in enumerate(s.do):
                if action not in BACKEND_ACTIONS:
                    known = ", ".join(sorted(BACKEND_ACTIONS))
                    problems.append(
                        src.problem(
                            f"unknown backend action {action!r} (known: {known})", *at, "do", i
                        )
                    )
            for intent, target in s.here.items():
                full = target if "." in target else f"{flow}.{target}"
                if full not in states:
                    message = f"unknown target state {full!r} for intent {intent!r}"
                    problems.append(src.problem(message, *at, "here", intent))
            if s.topic is not None:
                problems += _check_key(texts, s.topic, src, (*at, "topic"))
            for i, intent in enumerate(s.intents):
                first = owner.setdefault(intent, (f"{flow}.{name}", src.file))
                if first[0] != f"{flow}.{name}":
                    problems.append(
                        src.problem(
                            f"intent {intent!r} already opens {first[0]}", *at, "intents", i
                        )
                    )
            if not s.end:
                for phase in sorted(phases):
                    if not s.nav and not any(
                        b.goto is not None and _always_in(b.when, phase) for b in s.buttons
                    ):
                        problems.append(
                            src.problem(
                                f"state {flow}.{name} has no way out in phase {phase!r}"
                                " (no button, nav: false, not end: true)",
                                *at,
                            )
                        )
                        break

    for required in REQUIRED_STATES:
        if required not in states:
            flow = required.split(".")[0]
            found = loaded.sources.get(flow)
            file = found.file if found is not None else f"dialogs/flows/{flow}.yaml"
            problems.append(Problem(file, 1, f"required state {required!r} is missing"))

    reachable = _reachable(loaded)
    for state in states.values():
        if state.id not in reachable:
            name = state.id.split(".", 1)[1]
            problems.append(
                loaded.sources[state.flow].problem(
                    f"state {state.id} cannot be reached from {START_STATE}", "states", name
                )
            )
    return problems


def _reachable(loaded: LoadedFlows) -> set[str]:
    states = loaded.flows.states
    roots = [s for s in REQUIRED_STATES if s in states]
    roots += [s.id for s in states.values() if s.intents]
    seen: set[str] = set()
    queue = deque(roots)
    while queue:
        current = queue.popleft()
        if current in seen or current not in states:
            continue
        seen.add(current)
        state = states[current]
        queue.extend(b.action for b in state.buttons if b.action is not None)
        queue.extend(state.here.values())
        if state.nav:
            queue.extend((MENU_STATE, AGENT_STATE))
    return seen


def _check_key(
    texts: Mapping[str, Mapping[str, object]],
    key: str,
    src: SourceMap,
    at: tuple[str | int, ...],
) -> list[Problem]:
    found: list[Problem] = []
    for locale, catalog in texts.items():
        text = catalog.get(key)
        if not text:
            found.append(src.problem(f"message key {key!r} is missing in locale {locale!r}", *at))
            continue
        for form in text if isinstance(text, tuple) else (text,):
            bad = _bad_placeholders(str(form))
            if bad:
                found.append(src.problem(f"message {key!r} ({locale}): {bad}", *at))
    return found


def _bad_placeholders(text: str) -> str | None:
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        return f"malformed braces ({exc})"
    unknown = names - PLACEHOLDERS
    if unknown:
        return f"unknown placeholder(s) {', '.join(sorted(unknown))}"
    return None


def _check_condition(
    condition: Condition,
    phases: Collection[str],
    src: SourceMap,
    at: tuple[str | int, ...],
) -> list[Problem]:
    known = ", ".join(sorted(phases))
    found = [
        src.problem(f"condition on unknown phase {p!r} (known: {known})", *at, "phase")
        for p in condition.phase or ()
        if p not in phases
    ]
    accounts = ", ".join(sorted(ACCOUNT_STATES))
    found += [
        src.problem(f"condition on unknown account state {a!r} (known: {accounts})", *at, "account")
        for a in condition.account or ()
        if a not in ACCOUNT_STATES
    ]
    return found


def _always_in(condition: Condition | None, phase: str) -> bool:
    """Whether a button shows for every voter in `phase` (voter conditions may hide it)."""
    if condition is None:
        return True
    return (
        condition.verified is None
        and condition.account is None
        and (condition.phase is None or phase in condition.phase)
    )
