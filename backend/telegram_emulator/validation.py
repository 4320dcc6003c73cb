"""Checking a method call against the specification: parameters, types, limits, keyboards."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp.web import FileField

from backend.telegram_emulator.markup import PARSE_MODES, MarkupError, parse
from backend.telegram_emulator.spec import BotApiSpec, FieldSpec, ObjectSpec, TypeRef

MAX_BUTTONS_PER_ROW = 8
"""Telegram's limit on the buttons of one keyboard row (not in the specification)."""
MAX_BUTTONS = 100
"""Telegram's limit on the buttons of one keyboard (not in the specification)."""
_KEYBOARDS = {"InlineKeyboardMarkup": "inline_keyboard", "ReplyKeyboardMarkup": "keyboard"}
_INTEGER = re.compile(r"-?\d+")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


@dataclass(slots=True)
class Checked:
    """The outcome of checking one call: the parameters, typed, and the rules they break."""

    params: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class _Invalid(Exception):
    """Broken rules; `shape` when the value is not even of the expected kind."""

    def __init__(self, problems: list[str], *, shape: bool = False, misfits: int = 0) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.shape = shape
        self.misfits = misfits


class CallChecker:
    """Checks method calls against one specification."""

    def __init__(self, spec: BotApiSpec) -> None:
        self.spec = spec

    def check(self, method: ObjectSpec, raw: Mapping[str, Any], *, form: bool) -> Checked:
        """Checks a call's parameters; `form` says they came as strings (query or form post)."""
        checked = Checked()
        files = {k: v for k, v in raw.items() if isinstance(v, FileField)}
        for name, value in raw.items():
            spec = method.fields.get(name)
            if spec is None:
                if not (isinstance(value, FileField) and name in _attached(raw)):
                    checked.problems.append(f"unknown parameter '{name}' for {method.name}")
                continue
            try:
                checked.params[name] = self._value(value, spec, name, form=form, files=files)
            except _Invalid as invalid:
                checked.problems.extend(invalid.problems)
        for name in method.required:
            if name not in raw:
                checked.problems.append(f"parameter '{name}' is required by {method.name}")
        checked.problems.extend(self._texts(checked.params, method, ""))
        return checked

    def _value(
        self, value: Any, spec: FieldSpec, path: str, *, form: bool, files: Mapping[str, Any]
    ) -> Any:
        deep: list[_Invalid] = []
        for ref in _ordered(spec.types, value):
            try:
                typed = self._typed(value, ref, path, form=form, files=files)
            except _Invalid as invalid:
                if not invalid.shape:
                    deep.append(invalid)
                continue
            self._field_rules(typed, spec, path)
            return typed
        if deep:
            raise _closest(deep)
        raise _Invalid([f"{path} must be {spec.type_words}, got {_show(value)}"], shape=True)

    def _typed(
        self, value: Any, ref: TypeRef, path: str, *, form: bool, files: Mapping[str, Any]
    ) -> Any:
        if form and isinstance(value, str) and (ref.depth or self.spec.is_object(ref)):
            try:
                value = json.loads(value)
            except ValueError:
                raise _Invalid([f"{path} must be a JSON-serialized {ref}"], shape=True) from None
            form = False
        if ref.depth:
            if not isinstance(value, list):
                raise _Invalid([f"{path} must be {ref}, got {_show(value)}"], shape=True)
            items: list[Any] = []
            problems: list[str] = []
            inner = ref.inner()
            for index, item in enumerate(value):
                try:
                    items.append(
                        self._typed(item, inner, f"{path}[{index}]", form=form, files=files)
                    )
                except _Invalid as invalid:
                    problems.extend(invalid.problems)
            if problems:
                raise _Invalid(problems)
            return items
        if ref.name in self.spec.types:
            return self._object(value, self.spec.types[ref.name], path)
        return _primitive(value, ref.name, path, form=form, files=files)

    def _object(self, value: Any, spec: ObjectSpec, path: str) -> Any:
        if spec.string_allowed and isinstance(value, str):
            return value
        if spec.subtypes:
            return self._subtype(value, spec, path)
        if not isinstance(value, dict):
            raise _Invalid([f"{path} must be {spec.name}, got {_show(value)}"], shape=True)
        result: dict[str, Any] = {}
        problems: list[str] = []
        misfits = 0
        for name, item in value.items():
            field_spec = spec.fields.get(name)
            if field_spec is None:
                problems.append(f"{path}: unknown field '{name}' for {spec.name}")
                misfits += 1
                continue
            try:
                result[name] = self._value(item, field_spec, f"{path}.{name}", form=False, files={})
            except _Invalid as invalid:
                problems.extend(invalid.problems)
        missing = [name for name in spec.required if name not in value]
        problems += [f"{path}: field '{name}' is required in {spec.name}" for name in missing]
        problems += _one_of(value, spec, path) + _keyboard(value, spec, path)
        problems += self._texts(result, spec, path)
        if problems:
            raise _Invalid(problems, misfits=misfits + len(missing))
        return result

    def _subtype(self, value: Any, spec: ObjectSpec, path: str) -> Any:
        if not isinstance(value, dict):
            alternatives = [r for r in spec.subtypes if not self.spec.is_object(r)]
            for ref in alternatives:
                try:
                    return self._typed(value, ref, path, form=False, files={})
                except _Invalid:
                    continue
            raise _Invalid([f"{path} must be {spec.name}, got {_show(value)}"], shape=True)
        known: list[str] = []
        untagged: list[ObjectSpec] = []
        for ref in spec.subtypes:
            sub = self.spec.types.get(ref.name) if ref.depth == 0 else None
            if sub is None:
                continue
            tags = [(n, f.constant) for n, f in sub.fields.items() if f.constant is not None]
            for name, constant in tags:
                known.append(f"{name} {constant!r}")
                if value.get(name) == constant:
                    return self._object(value, sub, path)
            if not tags:
                untagged.append(sub)
        deep: list[_Invalid] = []
        for sub in untagged:
            try:
                return self._object(value, sub, path)
            except _Invalid as invalid:
                deep.append(invalid)
        if deep:
            raise _closest(deep)
        raise _Invalid([f"{path} must be one of the {spec.name} kinds ({', '.join(known)})"])

    def _field_rules(self, value: Any, spec: FieldSpec, path: str) -> None:
        if isinstance(value, str):
            if spec.length and not spec.length.after_entities:
                size = spec.length.measure(value)
                if not spec.length.low <= size <= spec.length.high:
                    raise _Invalid([f"{path} must be {spec.length}, got {size}"])
            if spec.charset and not spec.charset.fullmatch(value):
                raise _Invalid([f"{path} may contain {spec.charset_rule}, got {value!r}"])
        if isinstance(value, list) and spec.max_items and len(value) > spec.max_items:
            raise _Invalid([f"{path} may hold at most {spec.max_items} items, got {len(value)}"])

    def _texts(self, values: Mapping[str, Any], spec: ObjectSpec, path: str) -> list[str]:
        """Length limits counted after entities parsing, and the parse mode's syntax."""
        problems: list[str] = []
        for name in spec.after_entities:
            length = spec.fields[name].length
            value = values.get(name)
            if length is None or not isinstance(value, str):
                continue
            mode_name = (
                f"{name}_parse_mode" if f"{name}_parse_mode" in spec.fields else "parse_mode"
            )
            mode = values.get(mode_name)
            where = f"{path}.{name}" if path else name
            if isinstance(mode, str) and mode.lower() not in PARSE_MODES:
                problems.append(f"{mode_name} must be HTML, MarkdownV2 or Markdown, got {mode!r}")
                continue
            try:
                visible = parse(value, mode if isinstance(mode, str) else None).text
            except MarkupError as error:
                problems.append(f"can't parse entities in {where}: {error}")
                continue
            size = length.measure(visible)
            if not length.low <= size <= length.high:
                problems.append(
                    f"{where} must be {length} after entities parsing, got {size}"
                    + (" (text is empty)" if size == 0 else "")
                )
        return problems


def _closest(candidates: list[_Invalid]) -> _Invalid:
    """Among a union's failed alternatives, the one the value was most likely meant to be."""
    return min(candidates, key=lambda invalid: (invalid.misfits, len(invalid.problems)))


def _ordered(types: tuple[TypeRef, ...], value: Any) -> tuple[TypeRef, ...]:
    if isinstance(value, FileField):
        return tuple(sorted(types, key=lambda t: t.name != "InputFile"))
    return types


def _attached(raw: Mapping[str, Any]) -> set[str]:
    return {
        v[len("attach://") :]
        for v in raw.values()
        if isinstance(v, str) and v.startswith("attach://")
    }


def _show(value: Any) -> str:
    if isinstance(value, FileField):
        return "a file"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _primitive(value: Any, name: str, path: str, *, form: bool, files: Mapping[str, Any]) -> Any:
    if name == "InputFile":
        if isinstance(value, FileField):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            if value[len("attach://") :] in files:
                return value
            raise _Invalid([f"{path} refers to a missing file part {value!r}"])
    elif name == "String" and isinstance(value, str):
        return value
    elif name == "Integer":
        if form and isinstance(value, str) and _INTEGER.fullmatch(value):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif name == "Float":
        if form and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    elif name == "Boolean":
        if form and isinstance(value, str) and value.lower() in _BOOLEANS:
            return _BOOLEANS[value.lower()]
        if isinstance(value, bool):
            return value
    raise _Invalid([f"{path} must be {name}, got {_show(value)}"], shape=True)


def _one_of(values: Mapping[str, Any], spec: ObjectSpec, path: str) -> list[str]:
    if spec.one_of is None:
        return []
    candidates = spec.one_of_candidates
    used = [name for name in candidates if name in values]
    if len(used) > 1 or (spec.one_of.exactly and not used):
        rule = "exactly" if spec.one_of.exactly else "at most"
        return [
            f"{path}: {spec.name} must use {rule} one of {', '.join(candidates)}; "
            f"got {', '.join(used) or 'none'}"
        ]
    return []


def _keyboard(values: Mapping[str, Any], spec: ObjectSpec, path: str) -> list[str]:
    rows_field = _KEYBOARDS.get(spec.name)
    rows = values.get(rows_field) if rows_field else None
    if not isinstance(rows, list):
        return []
    problems = [
        f"{path}.{rows_field}[{index}] has {len(row)} buttons; at most {MAX_BUTTONS_PER_ROW} a row"
        for index, row in enumerate(rows)
        if isinstance(row, list) and len(row) > MAX_BUTTONS_PER_ROW
    ]
    total = sum(len(row) for row in rows if isinstance(row, list))
    if total > MAX_BUTTONS:
        problems.append(f"{path}.{rows_field} has {total} buttons; at most {MAX_BUTTONS} in all")
    return problems
