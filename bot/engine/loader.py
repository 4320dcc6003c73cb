"""Reads `dialogs/flows/*.yaml` into the flow model, keeping the line of every item."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.engine.model import (
    Button,
    Condition,
    Flows,
    FlowSpec,
    Paragraph,
    State,
    When,
    qualify,
)

DEFAULT_FLOWS_DIR = Path(__file__).resolve().parents[2] / "dialogs" / "flows"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """A fault in a flow file, with where it stands."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FlowsError(Exception):
    """Flows that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class SourceMap:
    """The line (1-based) of each item of one file, by its path in the document."""

    file: str
    lines: Mapping[Path_, int]

    def line(self, *path: str | int) -> int:
        """The line of the deepest known item on `path`."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return 1

    def problem(self, message: str, *path: str | int) -> Problem:
        """A problem located at `path`."""
        return Problem(self.file, self.line(*path), message)


@dataclass(frozen=True, slots=True)
class LoadedFlows:
    """The flows, and where each flow and state came from."""

    flows: Flows
    specs: Mapping[str, FlowSpec]
    sources: Mapping[str, SourceMap]


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            lines[(*path, name)] = key.start_mark.line + 1
            _index(value, (*path, name), lines)
            lines[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines)


def _pydantic_path(loc: tuple[int | str, ...]) -> Path_:
    aliases = {"when": "if"}
    return tuple(aliases.get(p, p) if isinstance(p, str) else p for p in loc)


def _read(path: Path, display: str) -> tuple[FlowSpec | None, SourceMap, list[Problem], bytes]:
    raw = path.read_bytes()
    empty = SourceMap(display, {})
    try:
        loader = yaml.SafeLoader(raw.decode("utf-8"))
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return None, empty, [Problem(display, line, f"not valid YAML: {exc}")], raw
    lines: dict[Path_, int] = {}
    if node is not None:
        _index(node, (), lines)
    source = SourceMap(display, lines)
    try:
        spec = FlowSpec.model_validate(data)
    except ValidationError as exc:
        problems = [
            source.problem(
                f"{err['msg']} (at {'.'.join(map(str, err['loc']))})", *_pydantic_path(err["loc"])
            )
            for err in exc.errors()
        ]
        return None, source, problems, raw
    if spec.flow != path.stem:
        return (
            None,
            source,
            [
                source.problem(
                    f"flow {spec.flow!r} must be named like its file {path.stem!r}", "flow"
                )
            ],
            raw,
        )
    return spec, source, [], raw


def _resolve(spec: FlowSpec) -> dict[str, State]:
    states: dict[str, State] = {}
    for name, s in spec.states.items():
        state_id = f"{spec.flow}.{name}"
        states[state_id] = State(
            id=state_id,
            flow=spec.flow,
            say=tuple(Paragraph(p.key, _when(p.when)) for p in s.say),
            buttons=tuple(
                Button(
                    label=b.label,
                    action=qualify(spec.flow, b.goto) if b.goto is not None else None,
                    link=b.url,
                    when=_when(b.when),
                    handoff=b.handoff,
                )
                for b in s.buttons
            ),
            intents=s.intents,
            do=s.do,
            nav=s.nav,
            end=s.end,
            expect=s.expect,
            requires=s.requires,
            topic=s.topic,
            here={intent: qualify(spec.flow, target) for intent, target in s.here.items()},
        )
    return states


def _when(condition: Condition | None) -> When | None:
    if condition is None:
        return None
    return When(
        phases=None if condition.phase is None else frozenset(condition.phase),
        verified=condition.verified,
        account=None if condition.account is None else frozenset(condition.account),
    )


def load_flows(directory: Path = DEFAULT_FLOWS_DIR) -> LoadedFlows:
    """Reads every flow file of `directory`; raises FlowsError on unreadable or malformed files."""
    problems: list[Problem] = []
    specs: dict[str, FlowSpec] = {}
    sources: dict[str, SourceMap] = {}
    states: dict[str, State] = {}
    versions: dict[str, str] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise FlowsError([Problem(str(directory), 1, "no flow file (*.yaml) in this folder")])
    for path in files:
        display = _display(path)
        spec, source, found, raw = _read(path, display)
        problems.extend(found)
        if spec is None:
            continue
        specs[spec.flow] = spec
        sources[spec.flow] = source
        versions[spec.flow] = hashlib.sha256(raw).hexdigest()[:16]
        states.update(_resolve(spec))
    if problems:
        raise FlowsError(problems)
    by_intent: dict[str, str] = {}
    for state in states.values():
        for intent in state.intents:
            by_intent.setdefault(intent, state.id)
    return LoadedFlows(Flows(states, versions, by_intent), specs, sources)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
