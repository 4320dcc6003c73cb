"""Plays every scripted conversation of `tests/conversations/*.yaml` through the chat API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chat import ChatReply, ChatServers

SCRIPTS = Path(__file__).resolve().parent / "conversations"
STEP_KINDS = ("say", "click", "action", "at", "expect")
EXPECT_KINDS = {"intent", "state", "contains", "not_contains", "buttons", "no_buttons", "status"}


def _fold(text: str) -> str:
    return text.casefold().replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")


def _scripts() -> list[Any]:
    params = []
    for path in sorted(SCRIPTS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for i, conversation in enumerate(data.get("conversations") or ()):
            title = conversation.get("title") or f"conversation {i + 1}"
            params.append(pytest.param(conversation, id=f"{path.stem}: {title}"))
    return params


def check_reply(reply: ChatReply, expect: dict[str, Any], where: str) -> None:
    """Asserts what a step expects of the assistant's answer."""
    unknown = set(expect) - EXPECT_KINDS
    assert not unknown, f"{where}: unknown expectation(s) {sorted(unknown)}"
    assert reply.status < 300, f"{where}: the API answered {reply.status} {reply.body}"
    text = _fold(reply.text)
    shown = f"\n--- answer ---\n{reply.text}\n--- buttons: {reply.labels}"
    if "intent" in expect:
        assert reply.intent == expect["intent"], f"{where}: intent {reply.intent!r}{shown}"
    if "state" in expect:
        assert reply.state == expect["state"], f"{where}: state {reply.state!r}{shown}"
    if "status" in expect:
        assert reply.body["status"] == expect["status"], f"{where}: status{shown}"
    for fragment in _list(expect.get("contains")):
        assert _fold(fragment) in text, f"{where}: missing {fragment!r}{shown}"
    for fragment in _list(expect.get("not_contains")):
        assert _fold(fragment) not in text, f"{where}: unexpected {fragment!r}{shown}"
    labels = [_fold(label) for label in reply.labels]
    for label in _list(expect.get("buttons")):
        assert _fold(label) in labels, f"{where}: no button {label!r}{shown}"
    for label in _list(expect.get("no_buttons")):
        assert _fold(label) not in labels, f"{where}: unexpected button {label!r}{shown}"


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.mark.parametrize("conversation", _scripts())
async def test_scripted_conversation(
    chat_servers: ChatServers, conversation: dict[str, Any]
) -> None:
    chat = await chat_servers.driver(
        str(conversation.get("election", "2022")), str(conversation["at"])
    )
    reply = await chat.start(conversation.get("locale", "fr"))
    for n, step in enumerate(conversation.get("steps") or (), start=1):
        where = f"step {n}"
        unknown = set(step) - set(STEP_KINDS)
        assert not unknown, f"{where}: unknown step field(s) {sorted(unknown)}"
        if "at" in step:
            await chat.at(str(step["at"]))
        if "say" in step:
            reply = await chat.say(str(step["say"]))
        elif "click" in step:
            reply = await chat.click(str(step["click"]))
        elif "action" in step:
            reply = await chat.action(str(step["action"]))
        if "expect" in step:
            check_reply(reply, step["expect"] or {}, where)


def test_there_are_scripted_conversations() -> None:
    assert len(_scripts()) >= 40
