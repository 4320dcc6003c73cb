"""Conversations of a channel's chats (a Telegram chat id), and updates answered only once."""

from __future__ import annotations

from bot.conversations import Inbound
from tests.chat import ChatServers


async def test_a_chat_finds_its_conversation_again(chat_servers: ChatServers) -> None:
    conversations = (await chat_servers.services("2022")).conversations
    chat_key = "chat-4242"
    assert await conversations.find_chat("telegram", chat_key) is None
    opened = await conversations.start("telegram", "fr", chat_key=chat_key)
    assert await conversations.find_chat("telegram", chat_key) == opened.conversation_id
    assert await conversations.find_chat("webchat", chat_key) is None


async def test_a_redelivered_update_is_not_answered_twice(chat_servers: ChatServers) -> None:
    conversations = (await chat_servers.services("2022")).conversations
    opened = await conversations.start("telegram", "fr", chat_key="chat-redelivery")
    first = await conversations.handle(
        opened.conversation_id, Inbound(text="comment voter ?"), update_key="1001"
    )
    again = await conversations.handle(
        opened.conversation_id, Inbound(text="comment voter ?"), update_key="1001"
    )
    assert first.messages
    assert not first.duplicate
    assert again.duplicate
    assert again.messages == ()
    _, lines = await conversations.history(opened.conversation_id)
    assert [line["text"] for line in lines if line["sender"] == "voter"] == ["comment voter ?"]
    other = await conversations.handle(
        opened.conversation_id, Inbound(text="comment voter ?"), update_key="1002"
    )
    assert other.messages
