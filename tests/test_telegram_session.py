"""A Telegram turn, without the library: conversations by chat, deep links, redelivery, secrets."""

from __future__ import annotations

import itertools

from bot.channels.telegram.session import ChatMessage, answer, command_list
from tests.chat import ChatServers

UPDATE_IDS = itertools.count(10_000)
CHAT_IDS = itertools.count(900_000)


def said(chat_id: int, text: str, language: str | None = "fr") -> ChatMessage:
    return ChatMessage(chat_id, next(UPDATE_IDS), language, text=text)


async def test_start_with_a_deep_link_opens_that_topic(chat_servers: ChatServers) -> None:
    await chat_servers.driver("2022", "2022-12-02T10:00+01:00")
    conversations = (await chat_servers.services("2022")).conversations
    turn = await answer(conversations, said(next(CHAT_IDS), "/start reassort"))
    assert len(turn.messages) == 1
    assert "réassort" in turn.messages[0].text
    assert turn.messages[0].reply_markup() is not None


async def test_the_opening_start_is_the_transcripts_first_line_masked_like_any(
    chat_servers: ChatServers,
) -> None:
    conversations = (await chat_servers.services("2022")).conversations
    for opening, recorded in [
        ("/start reassort", "/start reassort"),
        ("/start Soleil#2022Bleu", "/start [mot de passe masqué]"),
    ]:
        chat = next(CHAT_IDS)
        await answer(conversations, said(chat, opening))
        conversation_id = await conversations.find_chat("telegram", str(chat))
        assert conversation_id is not None
        _, lines = await conversations.history(conversation_id)
        assert [(line["sender"], line["text"]) for line in lines[:1]] == [("voter", recorded)]
        assert [line["sender"] for line in lines[1:]] == ["bot"]
        assert "Soleil" not in str(lines)


async def test_a_first_message_gets_the_welcome_then_the_answer(chat_servers: ChatServers) -> None:
    conversations = (await chat_servers.services("2022")).conversations
    chat = next(CHAT_IDS)
    turn = await answer(conversations, said(chat, "I lost my voting notice", "en-GB"))
    texts = [m.text for m in turn.messages]
    assert "Assesseur" in texts[0]
    assert "réassort" in texts[-1]
    again = await answer(conversations, said(chat, "/menu", "en"))
    assert len(again.messages) == 1


async def test_a_redelivered_update_gets_no_second_answer(chat_servers: ChatServers) -> None:
    conversations = (await chat_servers.services("2022")).conversations
    chat = next(CHAT_IDS)
    await answer(conversations, said(chat, "/start"))
    message = said(chat, "comment voter ?")
    assert (await answer(conversations, message)).messages
    assert (await answer(conversations, message)).messages == ()


async def test_a_secret_is_to_be_deleted_and_a_button_press_works(
    chat_servers: ChatServers,
) -> None:
    conversations = (await chat_servers.services("2022")).conversations
    chat = next(CHAT_IDS)
    await answer(conversations, said(chat, "/start"))
    turn = await answer(conversations, said(chat, "mon mot de passe est Soleil#2022Bleu"))
    assert turn.delete_voter_message
    pressed = ChatMessage(chat, next(UPDATE_IDS), "fr", action="menu.start")
    menu = await answer(conversations, pressed)
    assert not menu.delete_voter_message
    assert menu.messages[0].reply_markup() is not None


async def test_a_refused_message_gets_a_polite_answer(chat_servers: ChatServers) -> None:
    conversations = (await chat_servers.services("2022")).conversations
    chat = next(CHAT_IDS)
    await answer(conversations, said(chat, "/start"))
    turn = await answer(conversations, said(chat, "x" * 5000))
    assert len(turn.messages) == 1
    assert "4000" in turn.messages[0].text or "long" in turn.messages[0].text


async def test_commands_are_described_in_each_language(chat_servers: ChatServers) -> None:
    conversations = (await chat_servers.services("2022")).conversations
    french = dict(command_list(conversations, "fr"))
    english = dict(command_list(conversations, "en"))
    assert set(french) == set(english) == {"start", "menu", "aide", "langue", "agent"}
    assert french["agent"] == "Parler à une personne"
    assert english["agent"] == "Talk to a person"
