"""Formatting options (parse_mode): the visible text and its entities, or Telegram's parse error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-time": "date_time",
}
_HTML_SPECIAL = re.compile(r"[<&]")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MARKDOWN_V2_MARKS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough"}
PARSE_MODES = {"html": "HTML", "markdownv2": "MarkdownV2", "markdown": "Markdown"}
"""The accepted parse modes, by their lower-case spelling (Telegram ignores the case)."""


class MarkupError(ValueError):
    """A text that Telegram refuses with "can't parse entities"."""


@dataclass(frozen=True, slots=True)
class Formatted:
    """A text as the user sees it, with its entities (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]]


def utf16_length(text: str) -> int:
    """The length Telegram's offsets count: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse(text: str, parse_mode: str | None) -> Formatted:
    """Parses a message text as Telegram does for the given parse mode (None: plain text)."""
    mode = PARSE_MODES.get((parse_mode or "").lower())
    if mode == "HTML":
        return _parse_html(text)
    if mode == "MarkdownV2":
        return _parse_markdown_v2(text)
    if mode == "Markdown":
        return Formatted(re.sub(r"[*_`]|\[([^\]]*)\]\([^)]*\)", r"\1", text), [])
    return Formatted(text, [])


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_length(text)

    def entity(self, start: int, kind: str, **extra: Any) -> None:
        if self.offset > start:
            self.entities.append({"type": kind, "offset": start, "length": self.offset - start})
            self.entities[-1].update({k: v for k, v in extra.items() if v is not None})

    def result(self) -> Formatted:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return Formatted("".join(self.parts), entities)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _html_entity(text: str, index: int) -> tuple[str, int] | None:
    end = text.find(";", index + 1, index + 12)
    if end < 0:
        return None
    name = text[index + 1 : end]
    if name in _NAMED:
        return _NAMED[name], end + 1
    try:
        if name.startswith(("#x", "#X")):
            return chr(int(name[2:], 16)), end + 1
        if name.startswith("#"):
            return chr(int(name[1:])), end + 1
    except (ValueError, OverflowError):
        return None
    return None


def _parse_html(text: str) -> Formatted:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "&" and (decoded := _html_entity(text, index)):
            out.add(decoded[0])
            index = decoded[1]
        elif char != "<":
            special = _HTML_SPECIAL.search(text, index + 1)
            stop = special.start() if special else len(text)
            out.add(text[index:stop])
            index = stop
        else:
            end = text.find(">", index)
            if end < 0:
                raise MarkupError(f"Unclosed start tag at byte offset {_byte_offset(text, index)}")
            body = text[index + 1 : end]
            if body.startswith("/"):
                name = body[1:].strip().lower()
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
                    raise MarkupError(
                        f"Unmatched end tag at byte offset {_byte_offset(text, index)}, "
                        f'expected {expected}, found "</{name}>"'
                    )
                _close_html(out, *stack.pop(), stack)
            else:
                name = re.match(r"[a-zA-Z0-9-]*", body).group(0).lower()  # type: ignore[union-attr]
                if name not in _HTML_ENTITY_TYPES:
                    raise MarkupError(
                        f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, index)}'
                    )
                attributes = {
                    m.group(1).lower(): (m.group(2) or "").strip("\"'")
                    for m in _ATTRIBUTE.finditer(body[len(name) :])
                    if m.group(1)
                }
                if name == "span" and attributes.get("class") != "tg-spoiler":
                    raise MarkupError('Tag "span" must have class "tg-spoiler"')
                stack.append((name, out.offset, attributes))
            index = end + 1
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html(
    out: _Builder, name: str, start: int, attributes: dict[str, str], stack: list[Any]
) -> None:
    kind = _HTML_ENTITY_TYPES[name]
    if kind == "text_link":
        href = attributes.get("href", "")
        if match := re.fullmatch(r"tg://user\?id=(\d+)", href):
            user = {"id": int(match.group(1)), "is_bot": False, "first_name": ""}
            out.entity(start, "text_mention", user=user)
        elif href:
            out.entity(start, "text_link", url=href)
    elif kind == "custom_emoji":
        out.entity(start, kind, custom_emoji_id=attributes.get("emoji-id"))
    elif kind == "blockquote":
        out.entity(start, "expandable_blockquote" if "expandable" in attributes else kind)
    elif kind == "date_time":
        unix = attributes.get("unix", "")
        out.entity(start, kind, unix_time=int(unix) if unix.isdigit() else None)
    elif kind == "code" and stack and stack[-1][0] == "pre":
        language = attributes.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language[len("language-") :]
        else:
            out.entity(start, kind)
    else:
        out.entity(start, kind, language=attributes.get("language") if kind == "pre" else None)


def _parse_markdown_v2(text: str) -> Formatted:
    out = _Builder()
    open_marks: list[tuple[str, int, int]] = []
    index = 0
    at_line_start = True
    while index < len(text):
        char = text[index]
        here = _byte_offset(text, index)
        if char == "\\" and index + 1 < len(text) and 0 < ord(text[index + 1]) < 127:
            out.add(text[index + 1])
            index += 2
        elif text.startswith("```", index):
            end = text.find("```", index + 3)
            if end < 0:
                raise MarkupError(f"Can't find end of Pre entity at byte offset {here}")
            block = text[index + 3 : end]
            language, _, code = block.partition("\n") if "\n" in block else ("", "", block)
            start = out.offset
            out.add(code.replace("\\`", "`").replace("\\\\", "\\"))
            out.entity(start, "pre", language=language or None)
            index = end + 3
        elif char == "`":
            end = text.find("`", index + 1)
            if end < 0:
                raise MarkupError(f"Can't find end of Code entity at byte offset {here}")
            start = out.offset
            out.add(text[index + 1 : end].replace("\\\\", "\\"))
            out.entity(start, "code")
            index = end + 1
        elif char == ">" and at_line_start:
            index += 1
        elif mark := next(
            (m for m in ("__", "||", "*", "_", "~") if text.startswith(m, index)), None
        ):
            if open_marks and open_marks[-1][0] == mark:
                _, start, _ = open_marks.pop()
                out.entity(start, "spoiler" if mark == "||" else _MARKDOWN_V2_MARKS[mark])
            else:
                open_marks.append((mark, out.offset, here))
            index += len(mark)
        elif char == "[" and (
            link := re.match(r"\[((?:\\.|[^\]\\])*)\]\(((?:\\.|[^)\\])*)\)", text[index:])
        ):
            start = out.offset
            inner = _parse_markdown_v2(link.group(1))
            for entity in inner.entities:
                out.entities.append({**entity, "offset": entity["offset"] + start})
            out.add(inner.text)
            out.entity(start, "text_link", url=re.sub(r"\\(.)", r"\1", link.group(2)))
            index += link.end()
        elif char in _MARKDOWN_V2_RESERVED:
            raise MarkupError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.add(char)
            index += 1
        at_line_start = index > 0 and text[index - 1] == "\n"
    if open_marks:
        mark, _, offset = open_marks[-1]
        name = "Spoiler" if mark == "||" else _MARKDOWN_V2_MARKS[mark].capitalize()
        raise MarkupError(f"Can't find end of {name} entity at byte offset {offset}")
    return out.result()
