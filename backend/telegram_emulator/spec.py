"""The Bot API specification (api.json): methods, types and the rules their descriptions carry."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRIMITIVES = frozenset({"Integer", "String", "Boolean", "Float", "InputFile"})
"""The documentation's words for values that are not objects."""

DEFAULT_SPEC_PATH = (
    Path(__file__).resolve().parents[2] / "tests" / "data" / "telegram-bot-api" / "api.json"
)
"""The project's copy of the specification (Bot API 10.1)."""

_LENGTH = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_AT_MOST_ITEMS = re.compile(r"At most (\d+) [\w ]+? can be specified")
_MUST_BE = re.compile(r"(?:must be|always) [\"“]?([a-z0-9_]+)[\"”]?\s*$")
_ONE_OF_OTHER = re.compile(
    r"(Exactly|At most) one of the fields other than (.+?) must be used", re.IGNORECASE
)
_ONE_OF_NAMED = re.compile(r"(Exactly|At most) one of the fields ([\w, ]+?) must be used")
_ONE_OF_OPTIONAL = re.compile(r"(exactly|at most) one of the optional fields", re.IGNORECASE)
_CHARSETS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "Can contain only lowercase English letters, digits and underscores",
        re.compile(r"[a-z0-9_]*"),
        "only lowercase English letters, digits and underscores",
    ),
    (
        "Can contain only English letters, digits and underscores",
        re.compile(r"[A-Za-z0-9_]*"),
        "only English letters, digits and underscores",
    ),
    (
        "Only characters A-Z, a-z, 0-9, _ and - are allowed",
        re.compile(r"[A-Za-z0-9_-]*"),
        "only the characters A-Z, a-z, 0-9, _ and -",
    ),
)


@dataclass(frozen=True, slots=True)
class TypeRef:
    """One of a field's documented types: a name, inside `depth` levels of "Array of"."""

    name: str
    depth: int = 0

    @classmethod
    def parse(cls, word: str) -> TypeRef:
        """Reads the documentation's words, e.g. "Array of Array of InlineKeyboardButton"."""
        depth = 0
        while word.startswith("Array of "):
            word = word[len("Array of ") :]
            depth += 1
        return cls(word, depth)

    def inner(self) -> TypeRef:
        """The type of an array's items."""
        return TypeRef(self.name, self.depth - 1)

    def __str__(self) -> str:
        return "Array of " * self.depth + self.name


@dataclass(frozen=True, slots=True)
class Length:
    """A documented length limit, e.g. 1-4096 characters, 1-64 bytes."""

    low: int
    high: int
    unit: str
    after_entities: bool

    def measure(self, text: str) -> int:
        """The length of a text in this limit's unit (characters are code points)."""
        return len(text.encode("utf-8")) if self.unit == "bytes" else len(text)

    def __str__(self) -> str:
        return f"{self.low}-{self.high} {self.unit}"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A method parameter or an object field, with the rules read from its description."""

    name: str
    types: tuple[TypeRef, ...]
    required: bool
    description: str
    length: Length | None = None
    charset: re.Pattern[str] | None = None
    charset_rule: str = ""
    max_items: int | None = None
    constant: str | None = None

    @property
    def type_words(self) -> str:
        """The documented types, as the documentation writes them."""
        return " or ".join(str(t) for t in self.types)


@dataclass(frozen=True, slots=True)
class OneOf:
    """A rule "exactly (or at most) one of these fields must be used"."""

    exactly: bool
    excluded: frozenset[str] = frozenset()
    named: frozenset[str] = frozenset()

    def candidates(self, fields: Mapping[str, FieldSpec]) -> list[str]:
        """The fields the rule counts, in documentation order."""
        if self.named:
            return [name for name in fields if name in self.named]
        return [
            name for name, spec in fields.items() if not spec.required and name not in self.excluded
        ]


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """A method's parameters or a type's fields; what checking a call asks of them every time
    (the required fields, those limited after entities parsing, a rule's candidates) is read
    once, here."""

    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[TypeRef, ...] = ()
    one_of: OneOf | None = None
    string_allowed: bool = False
    returns: tuple[TypeRef, ...] = field(default=())
    required: tuple[str, ...] = field(init=False)
    """The names of the required fields."""
    after_entities: tuple[str, ...] = field(init=False)
    """The fields whose length counts after entities parsing."""
    one_of_candidates: tuple[str, ...] = field(init=False)
    """The fields `one_of` counts, in documentation order."""

    def __post_init__(self) -> None:
        fields = self.fields
        required = tuple(name for name, spec in fields.items() if spec.required)
        texts = tuple(
            name for name, spec in fields.items() if spec.length and spec.length.after_entities
        )
        candidates = tuple(self.one_of.candidates(fields)) if self.one_of else ()
        object.__setattr__(self, "required", required)
        object.__setattr__(self, "after_entities", texts)
        object.__setattr__(self, "one_of_candidates", candidates)


def _field(raw: Mapping[str, Any]) -> FieldSpec:
    description = str(raw.get("description", ""))
    length = None
    if match := _LENGTH.search(description):
        low, high, unit = match.groups()
        tail = description[match.end() : match.end() + 30]
        length = Length(int(low), int(high), unit, "after entit" in tail)
    charset, charset_rule = None, ""
    for phrase, pattern, rule in _CHARSETS:
        if phrase in description:
            charset, charset_rule = pattern, rule
    max_items = None
    if match := _AT_MOST_ITEMS.search(description):
        max_items = int(match.group(1))
    constant = None
    if raw["name"] in {"type", "source", "status"} and (match := _MUST_BE.search(description)):
        constant = match.group(1)
    return FieldSpec(
        name=str(raw["name"]),
        types=tuple(TypeRef.parse(word) for word in raw.get("types", [])),
        required=bool(raw.get("required", False)),
        description=description,
        length=length,
        charset=charset,
        charset_rule=charset_rule,
        max_items=max_items,
        constant=constant,
    )


def _names(text: str) -> frozenset[str]:
    return frozenset(
        name.strip() for name in re.split(r",|\band\b|\bor\b", text) if name.strip().isidentifier()
    )


def _one_of(description: str) -> OneOf | None:
    if match := _ONE_OF_OTHER.search(description):
        return OneOf(match.group(1).lower() == "exactly", excluded=_names(match.group(2)))
    if match := _ONE_OF_NAMED.search(description):
        return OneOf(match.group(1).lower() == "exactly", named=_names(match.group(2)))
    if match := _ONE_OF_OPTIONAL.search(description):
        return OneOf(match.group(1).lower() == "exactly")
    return None


def _object(raw: Mapping[str, Any]) -> ObjectSpec:
    description = " ".join(raw.get("description", []))
    return ObjectSpec(
        name=str(raw["name"]),
        fields={f["name"]: _field(f) for f in raw.get("fields", [])},
        subtypes=tuple(TypeRef.parse(word) for word in raw.get("subtypes", [])),
        one_of=_one_of(description),
        string_allowed="String can be used instead of this object" in description,
        returns=tuple(TypeRef.parse(word) for word in raw.get("returns", [])),
    )


class BotApiSpec:
    """The methods and types of one Bot API version, looked up as Telegram does."""

    def __init__(self, version: str, methods: dict[str, ObjectSpec], types: dict[str, ObjectSpec]):
        self.version = version
        self.methods = methods
        self.types = types
        self._by_lower = {name.lower(): name for name in methods}

    @classmethod
    def load(cls, path: Path = DEFAULT_SPEC_PATH) -> BotApiSpec:
        """Reads an api.json file (the shape of github.com/PaulSonOfLars/telegram-bot-api-spec)."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            str(raw.get("version", "")),
            {name: _object(method) for name, method in raw["methods"].items()},
            {name: _object(type_) for name, type_ in raw["types"].items()},
        )

    def method(self, name: str) -> ObjectSpec | None:
        """The method of that name, case-insensitively as the Bot API resolves it."""
        exact = self._by_lower.get(name.lower())
        return self.methods[exact] if exact else None

    def is_object(self, ref: TypeRef) -> bool:
        """Whether a (non-array) type reference names an object type of the specification."""
        return ref.depth == 0 and ref.name in self.types
