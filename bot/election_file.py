"""Reading a calendar file (`dialogs/election/<id>.yaml`) into an `Election`, with each
problem reported at its line, in an admin's words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, TypeAlias

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from bot.election import LINK_NAMES, PARIS, Election, LocalizedText

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "dialogs" / "election"
"""Where the calendar files live: `<repo>/dialogs/election/<id>.yaml`."""

CONFIRMABLE = frozenset(
    {"activation_opens", "vote_opens", "vote_closes", *(f"links.{name}" for name in LINK_NAMES)}
)
"""The names a calendar file may list under `to_confirm`."""

_ELECTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class ElectionError(Exception):
    """A calendar that cannot be used: the message names the file, the line when known, and why."""

    def __init__(self, source: str, problems: Sequence[tuple[int | None, str]] = ()) -> None:
        self.source = source
        self.problems = list(problems)
        self.line = self.problems[0][0] if self.problems else None
        lines = [
            f"{source}:{line}: {what}" if line else f"{source}: {what}" for line, what in problems
        ]
        super().__init__("\n".join(lines) if lines else source)


# --- Loading -------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """A safe loader that keeps dates as text, so that they are read as Paris time here."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _moment(value: object, *, date_only: bool) -> datetime:
    """Reads "2026-12-03T08:00" (or a date alone when allowed) as an aware Paris datetime."""
    example = "2026-10-15 or 2026-10-15T00:00" if date_only else "2026-12-03T08:00"
    if not isinstance(value, str):
        raise ValueError(f"expected a date and time like {example}, got {value!r}")
    text = value.strip()
    has_time = "T" in text or " " in text
    try:
        parsed = datetime.fromisoformat(text) if has_time else None
        if parsed is None and date_only:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(f"{value!r} is not a date and time like {example}")
    if parsed.tzinfo is not None:
        return parsed.astimezone(PARIS)
    local = parsed.replace(tzinfo=PARIS)
    if local.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) != parsed:
        raise ValueError(f"{value!r} does not exist in Paris (the clocks go forward that night)")
    return local


def _vote_moment(value: object) -> datetime:
    return _moment(value, date_only=False)


def _activation_moment(value: object) -> datetime:
    return _moment(value, date_only=True)


def _https(value: str | None) -> str | None:
    if value is not None and (not value.startswith("https://") or any(c.isspace() for c in value)):
        raise ValueError(f"{value!r} is not an https:// address")
    return value


def _confirmable(value: str) -> str:
    if value not in CONFIRMABLE:
        raise ValueError(f"{value!r} cannot be marked; use one of {', '.join(sorted(CONFIRMABLE))}")
    return value


def _has_french(value: dict[str, str]) -> dict[str, str]:
    if "fr" not in value:
        raise ValueError("the name needs at least a French text ('fr')")
    return value


_Url = Annotated[str, AfterValidator(_https)]


class _Links(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    portal: Annotated[str | None, AfterValidator(_https)]
    directory: _Url
    webmail: _Url


class _CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[dict[str, str], AfterValidator(_has_french)]
    activation_opens: Annotated[datetime, BeforeValidator(_activation_moment)]
    vote_opens: Annotated[datetime, BeforeValidator(_vote_moment)]
    vote_closes: Annotated[datetime, BeforeValidator(_vote_moment)]
    links: _Links
    to_confirm: list[Annotated[str, AfterValidator(_confirmable)]] = []


_KeyPath: TypeAlias = tuple[str | int, ...]

_FIELDS_AT: dict[_KeyPath, tuple[str, ...]] = {
    (): tuple(_CalendarFile.model_fields),
    ("links",): LINK_NAMES,
}


def _line_map(node: yaml.Node, path: _KeyPath, lines: dict[_KeyPath, int], source: str) -> None:
    """Records the line of every key and list item, and refuses a key written twice."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ElectionError(source, [(line, f"'{key}' is written twice")])
            seen.add(key)
            lines[(*path, key)] = line
            _line_map(value_node, (*path, key), lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _line_map(item, (*path, index), lines, source)


def _line_of(path: _KeyPath, lines: dict[_KeyPath, int]) -> int | None:
    """The line of `path`, or of its nearest written parent."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _describe(error: ErrorDetails) -> str:
    """An admin's wording of one pydantic error."""
    loc: _KeyPath = tuple(error["loc"])
    dotted = ".".join(str(part) for part in loc)
    if error["type"] == "missing":
        return f"missing field '{dotted}'"
    if error["type"] == "extra_forbidden":
        known = ", ".join(_FIELDS_AT.get(loc[:-1], ()))
        return f"unknown field '{dotted}' (expected one of: {known})"
    if error["input"] is None:
        hint = " (only the portal address may be left unknown)" if loc[0] == "links" else ""
        return f"{dotted}: cannot be empty or null{hint}"
    if error["type"] == "value_error":
        return f"{dotted}: {error['ctx']['error']}"
    return f"{dotted}: {error['msg']}"


def _calendar_problems(
    calendar: _CalendarFile, lines: dict[_KeyPath, int]
) -> list[tuple[int | None, str]]:
    """What is wrong across fields: the order of the dates, an unknown address not marked."""
    problems: list[tuple[int | None, str]] = []
    if calendar.vote_closes <= calendar.vote_opens:
        problems.append(
            (
                lines.get(("vote_closes",)),
                f"the vote closes ({calendar.vote_closes.isoformat()}) before it opens "
                f"({calendar.vote_opens.isoformat()})",
            )
        )
    if calendar.activation_opens > calendar.vote_opens:
        problems.append(
            (
                lines.get(("activation_opens",)),
                f"voter spaces open ({calendar.activation_opens.isoformat()}) after the vote "
                f"({calendar.vote_opens.isoformat()})",
            )
        )
    for name, url in calendar.links.model_dump().items():
        if url is None and f"links.{name}" not in calendar.to_confirm:
            problems.append(
                (
                    lines.get(("links", name)),
                    f"the {name} address is not known yet (null): list 'links.{name}' under "
                    "to_confirm",
                )
            )
    return problems


def parse_election(text: str, election_id: str, source: str = "<calendar>") -> Election:
    """Reads and checks a calendar's YAML text (e.g. from the admin editor); `source` names it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[_KeyPath, int] = {}
        if node is not None:
            _line_map(node, (), lines, source)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if isinstance(mark, yaml.Mark) else None
        problem = getattr(error, "problem", None) or str(error)
        raise ElectionError(source, [(line, f"not valid YAML: {problem}")]) from error
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ElectionError(source, [(None, "expected a mapping of fields (name, vote_opens...)")])
    try:
        calendar = _CalendarFile.model_validate(data)
    except ValidationError as error:
        described = [(_line_of(tuple(e["loc"]), lines), _describe(e)) for e in error.errors()]
        raise ElectionError(source, described) from error
    problems = _calendar_problems(calendar, lines)
    if problems:
        raise ElectionError(source, problems)
    return Election(
        id=election_id,
        name=LocalizedText(MappingProxyType(dict(calendar.name))),
        activation_opens=calendar.activation_opens,
        vote_opens=calendar.vote_opens,
        vote_closes=calendar.vote_closes,
        links=MappingProxyType(calendar.links.model_dump()),
        unconfirmed=frozenset(calendar.to_confirm),
        timezone=PARIS,
    )


def available_elections(directory: Path | None = None) -> list[str]:
    """The ids of the calendars in `directory` (default `dialogs/election/`), sorted."""
    folder = DEFAULT_DIRECTORY if directory is None else directory
    return sorted(path.stem for path in folder.glob("*.yaml") if path.is_file())


def load_election(election_id: str, directory: Path | None = None) -> Election:
    """Loads and checks `<directory>/<election_id>.yaml`; raises ElectionError if it is unusable."""
    folder = DEFAULT_DIRECTORY if directory is None else directory
    path = folder / f"{election_id}.yaml"
    if not _ELECTION_ID.match(election_id):
        raise ElectionError(str(path), [(None, f"{election_id!r} is not an election id")])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        known = ", ".join(available_elections(folder)) or "none"
        raise ElectionError(str(path), [(None, f"no such calendar (available: {known})")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ElectionError(str(path), [(None, f"cannot be read: {error}")]) from error
    return parse_election(text, election_id, str(path))
