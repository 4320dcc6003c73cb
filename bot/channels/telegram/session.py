"""A Telegram turn without the library: which conversation, which message, what to send back.

Both drivers (aiogram, python-telegram-bot) turn an update into a `ChatMessage`, ask `answer`
what to do, and carry out the returned `TelegramTurn` with their own library.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.telegram.render import TelegramMessage, telegram_messages
from bot.conversations import ConversationError, ConversationNotFound, Conversations, Inbound
from bot.engine.step import parse_command
from bot.i18n.render import RenderedMessage

CHANNEL = "telegram"
MENU_PREFIX = "menu."
"""Button actions opening a menu: their answer replaces the message that carried the button."""
SECRET_INTENT = "secret_shared"
REFUSALS = {
    "empty_text": "webchat.error_empty",
    "text_too_long": "webchat.error_too_long",
    "unknown_action": "webchat.error_unknown_action",
}
"""The polite answer (a message key) to a message the conversation service refuses."""

COMMANDS = ("start", "menu", "aide", "langue", "agent")
"""The commands published to Telegram (`setMyCommands`), described in each language."""
EDITED = "telegram.edited"
PRIVATE_ONLY = "telegram.private_only"
KEYS = frozenset(
    {"telegram.text_only", EDITED, PRIVATE_ONLY, *(f"telegram.command.{c}" for c in COMMANDS)}
)
"""The message keys of the Telegram channel itself."""


def command_list(conversations: Conversations, locale: str) -> list[tuple[str, str]]:
    """(command, description) pairs in `locale`, for `setMyCommands`."""
    t = conversations.catalogs.translator(locale)
    return [(c, t.gettext(f"telegram.command.{c}")) for c in COMMANDS]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """What a voter sent in a private chat: a text, or a button's action."""

    chat_id: int
    update_id: int
    language: str | None
    text: str | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True)
class TelegramTurn:
    """What a driver must do: delete the voter's message (a secret), then send the messages."""

    messages: tuple[TelegramMessage, ...]
    delete_voter_message: bool = False
    edit_in_place: bool = False
    """A menu opened from a button: edit the message that carried the button rather than
    piling a new menu under it."""


def _language(code: str | None) -> str | None:
    return None if not code else code.split("-")[0].lower()


async def answer(conversations: Conversations, message: ChatMessage) -> TelegramTurn:
    """The conversation's answer to one message; nothing when the update was already answered."""
    chat_key = str(message.chat_id)
    language = _language(message.language)
    if language is not None and conversations.catalogs.supported(language) is None:
        language = None
    inbound = Inbound(text=message.text, action=message.action, locale=language)
    update_key = str(message.update_id)
    replies: list[RenderedMessage] = []
    try:
        try:
            outcome = await conversations.handle(
                None, inbound, update_key, chat=(CHANNEL, chat_key)
            )
        except ConversationNotFound:
            command = parse_command(message.text or "")
            starting = command is not None and command[0] == "start"
            topic = command[1] if starting and command is not None else None
            opened = await conversations.start(
                CHANNEL,
                language,
                topic or None,
                chat_key=chat_key,
                update_key=update_key if starting else None,
                opening=message.text if starting else None,
            )
            if starting and opened.messages:
                return TelegramTurn(tuple(telegram_messages(opened.messages)))
            replies += opened.messages
            outcome = await conversations.handle(
                None, inbound, update_key, chat=(CHANNEL, chat_key)
            )
    except ConversationError as refused:
        key = REFUSALS.get(refused.code, "webchat.error_generic")
        text = conversations.catalogs.translator(language or "fr").gettext(key)
        return TelegramTurn((TelegramMessage(text),))
    if outcome.duplicate:
        return TelegramTurn(())
    secret = outcome.understood is not None and outcome.understood.intent == SECRET_INTENT
    replies += outcome.messages
    messages = tuple(telegram_messages(replies))
    in_place = (message.action or "").startswith(MENU_PREFIX) and len(messages) == 1
    return TelegramTurn(messages, delete_voter_message=secret, edit_in_place=in_place)


async def text_only(conversations: Conversations, chat_id: int, language: str | None) -> str:
    """The polite answer to a photo, a sticker, a voice note...: in the conversation's language."""
    return await polite(conversations, chat_id, language, "telegram.text_only")


async def polite(conversations: Conversations, chat_id: int, language: str | None, key: str) -> str:
    """A short answer outside the dialogs (`telegram.*` keys), in the conversation's language."""
    locale = _language(language) or "fr"
    conversation_id = await conversations.find_chat(CHANNEL, str(chat_id))
    if conversation_id is not None:
        snapshot, _ = await conversations.history(conversation_id)
        locale = str(snapshot.get("locale") or locale)
    return conversations.catalogs.translator(locale).gettext(key)


def addressed_to(text: str | None, entities: list[tuple[str, str]], username: str | None) -> bool:
    """Whether a group message speaks to the bot: a mention of its @username, or a command."""
    if not text:
        return False
    for kind, value in entities:
        if kind == "mention" and username and value.lower() == f"@{username.lower()}":
            return True
        if kind == "bot_command" and (
            "@" not in value or (username and value.lower().endswith(f"@{username.lower()}"))
        ):
            return True
    return False
