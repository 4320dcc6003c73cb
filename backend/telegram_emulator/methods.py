"""The emulated Bot API methods; each takes checked parameters and returns the result."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from backend.telegram_emulator.errors import (
    BLOCKED,
    WEBHOOK_ACTIVE,
    BotApiError,
    bad_request,
    not_emulated,
)
from backend.telegram_emulator.markup import parse
from backend.telegram_emulator.state import ChatState, StoredMessage
from backend.telegram_emulator.webhook import WebhookConfig
from backend.telegram_emulator.world import GROUP_TYPES

if TYPE_CHECKING:
    from backend.telegram_emulator.emulator import TelegramEmulator

Params = dict[str, Any]
Handler = Callable[["TelegramEmulator", Params], Awaitable[Any]]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
"""The actions sendChatAction's description lists."""
MESSAGE_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})
"""The methods that count against the flood limits."""
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
HANDLERS: dict[str, Handler] = {}
"""The emulated methods, by their documented name."""


def _method(function: Handler) -> Handler:
    HANDLERS[function.__name__.removeprefix("_")] = function
    return function


def chat_of(emulator: TelegramEmulator, chat_id: int | str) -> ChatState:
    """The chat a chat_id names (an integer, its string, or @username), or Telegram's 400."""
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
        chat_id = int(chat_id)
    chat = emulator.chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is None:
        raise bad_request("chat not found")
    return chat


def _writable_chat(emulator: TelegramEmulator, chat_id: int | str) -> ChatState:
    chat = chat_of(emulator, chat_id)
    if chat.blocked:
        raise BotApiError(403, BLOCKED)
    return chat


def _scope_key(scope: dict[str, Any] | None) -> str:
    if not scope:
        return "default"
    parts = [str(scope["type"])]
    parts += [str(scope[k]) for k in ("chat_id", "user_id") if k in scope]
    return ":".join(parts)


def _language(params: Params) -> str:
    language = str(params.get("language_code", ""))
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request(
            f"language_code must be a two-letter ISO 639-1 code, got {language!r}", violation=True
        )
    return language


def _formatted(params: Params) -> tuple[str, list[dict[str, Any]]]:
    formatted = parse(params["text"], params.get("parse_mode"))
    entities = params.get("entities") or formatted.entities
    return formatted.text, entities


@_method
async def _getMe(emulator: TelegramEmulator, params: Params) -> Any:
    return {
        **emulator.bot.to_dict(),
        "can_join_groups": True,
        "can_read_all_group_messages": True,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@_method
async def _getUpdates(emulator: TelegramEmulator, params: Params) -> Any:
    if emulator.webhook.config is not None:
        raise BotApiError(409, WEBHOOK_ACTIVE, violation=True)
    emulator.queue.set_allowed(params.get("allowed_updates"))
    return await emulator.queue.poll(
        params.get("offset"), params.get("limit", 100), params.get("timeout", 0)
    )


@_method
async def _setWebhook(emulator: TelegramEmulator, params: Params) -> Any:
    if "certificate" in params:
        raise not_emulated("setWebhook's certificate")
    url = params["url"]
    if url:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise bad_request(f"bad webhook: invalid URL {url!r}", violation=True)
    if params.get("drop_pending_updates"):
        emulator.queue.drop_all()
    emulator.queue.set_allowed(params.get("allowed_updates"))
    config = None
    if url:
        config = WebhookConfig(
            url,
            params.get("secret_token"),
            params.get("max_connections", 40),
            params.get("ip_address"),
        )
    await emulator.webhook.set(config)
    return True


@_method
async def _deleteWebhook(emulator: TelegramEmulator, params: Params) -> Any:
    if params.get("drop_pending_updates"):
        emulator.queue.drop_all()
    await emulator.webhook.set(None)
    return True


@_method
async def _getWebhookInfo(emulator: TelegramEmulator, params: Params) -> Any:
    config = emulator.webhook.config
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": len(emulator.queue.pending),
    }
    if config is not None:
        info["max_connections"] = config.max_connections
        if config.ip_address:
            info["ip_address"] = config.ip_address
        if emulator.queue.allowed is not None:
            info["allowed_updates"] = sorted(emulator.queue.allowed)
        if emulator.webhook.last_error_date is not None:
            info["last_error_date"] = emulator.webhook.last_error_date
            info["last_error_message"] = emulator.webhook.last_error_message
    return info


@_method
async def _sendMessage(emulator: TelegramEmulator, params: Params) -> Any:
    chat = _writable_chat(emulator, params["chat_id"])
    if "business_connection_id" in params or "direct_messages_topic_id" in params:
        raise not_emulated("sending through a business connection or a topic")
    text, entities = _formatted(params)
    reply_to = (params.get("reply_parameters") or {}).get("message_id")
    if reply_to is not None and reply_to not in chat.messages:
        if not params["reply_parameters"].get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        reply_to = None
    message = chat.add(
        StoredMessage(
            chat.next_id(),
            emulator.bot,
            emulator.now(),
            text,
            entities,
            reply_markup=params.get("reply_markup"),
            reply_to=reply_to,
        )
    )
    return chat.message_dict(message)


def _editable(emulator: TelegramEmulator, params: Params) -> tuple[ChatState, StoredMessage]:
    if "inline_message_id" in params:
        raise not_emulated("editing inline messages")
    if "chat_id" not in params or "message_id" not in params:
        raise bad_request(
            "chat_id and message_id are required without inline_message_id", violation=True
        )
    chat = chat_of(emulator, params["chat_id"])
    message = chat.messages.get(params["message_id"])
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _edit(
    emulator: TelegramEmulator,
    chat: ChatState,
    message: StoredMessage,
    text: str | None,
    entities: list[dict[str, Any]],
    markup: dict[str, Any] | None,
) -> Any:
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("an edited message can have only an inline keyboard", violation=True)
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, markup
    message.edit_date, message.edits = emulator.now(), message.edits + 1
    return chat.message_dict(message)


@_method
async def _editMessageText(emulator: TelegramEmulator, params: Params) -> Any:
    if "rich_message" in params:
        raise not_emulated("rich_message")
    if "text" not in params:
        raise bad_request("text is required unless rich_message is given", violation=True)
    chat, message = _editable(emulator, params)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = _formatted(params)
    return _edit(emulator, chat, message, text, entities, params.get("reply_markup"))


@_method
async def _editMessageReplyMarkup(emulator: TelegramEmulator, params: Params) -> Any:
    chat, message = _editable(emulator, params)
    markup = params.get("reply_markup")
    return _edit(emulator, chat, message, message.text, message.entities, markup)


@_method
async def _answerCallbackQuery(emulator: TelegramEmulator, params: Params) -> Any:
    query = emulator.callbacks.get(params["callback_query_id"])
    if query is None or query.answered:
        raise bad_request(QUERY_INVALID)
    query.answered = True
    query.answer = {k: v for k, v in params.items() if k != "callback_query_id"}
    return True


@_method
async def _deleteMessage(emulator: TelegramEmulator, params: Params) -> Any:
    chat = chat_of(emulator, params["chat_id"])
    message = chat.messages.get(params["message_id"])
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    if chat.type in GROUP_TYPES and not message.from_bot:
        raise bad_request("message can't be deleted for everyone")
    message.deleted = True
    return True


@_method
async def _sendChatAction(emulator: TelegramEmulator, params: Params) -> Any:
    chat = _writable_chat(emulator, params["chat_id"])
    if params["action"] not in CHAT_ACTIONS:
        raise bad_request(
            f"wrong parameter action in request: {params['action']!r} is not one of "
            + ", ".join(sorted(CHAT_ACTIONS)),
            violation=True,
        )
    chat.actions.append(params["action"])
    return True


@_method
async def _setMyCommands(emulator: TelegramEmulator, params: Params) -> Any:
    key = (_scope_key(params.get("scope")), _language(params))
    names = [c["command"] for c in params["commands"]]
    if len(set(names)) != len(names):
        raise bad_request("commands must not repeat a command", violation=True)
    if params["commands"]:
        emulator.my_commands[key] = [dict(c) for c in params["commands"]]
    else:
        emulator.my_commands.pop(key, None)
    return True


@_method
async def _getMyCommands(emulator: TelegramEmulator, params: Params) -> Any:
    key = (_scope_key(params.get("scope")), _language(params))
    return emulator.my_commands.get(key, [])


@_method
async def _deleteMyCommands(emulator: TelegramEmulator, params: Params) -> Any:
    emulator.my_commands.pop((_scope_key(params.get("scope")), _language(params)), None)
    return True


@_method
async def _close(emulator: TelegramEmulator, params: Params) -> Any:
    return True


@_method
async def _logOut(emulator: TelegramEmulator, params: Params) -> Any:
    return True
