"""What the emulated Telegram holds: users, chats, their messages and button presses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from backend.telegram_emulator.markup import utf16_length

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}")
MEDIA_KINDS = ("photo", "sticker", "voice", "document")
"""The kinds of non-text messages a test user can send."""


@dataclass(slots=True)
class TelegramUser:
    """A Telegram account: a voter, or the bot itself."""

    id: int
    first_name: str
    language_code: str | None = None
    is_bot: bool = False
    username: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The Bot API User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(slots=True)
class StoredMessage:
    """A message of a chat, from a user or from the bot, as it is now."""

    message_id: int
    sender: TelegramUser
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    media: dict[str, Any] = field(default_factory=dict)
    reply_to: int | None = None
    edit_date: int | None = None
    edits: int = 0
    deleted: bool = False
    callback_answered: bool = False

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent it."""
        return self.sender.is_bot

    @property
    def kind(self) -> str:
        """text, photo, sticker, voice or document."""
        return next(iter(self.media), "text")


@dataclass(slots=True)
class ChatState:
    """A chat with the bot: private with one voter, or a group."""

    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    last_message_id: int = 0
    blocked: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The Bot API Chat object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.first_name:
            data["first_name"] = self.first_name
        return data

    def add(self, message: StoredMessage) -> StoredMessage:
        """Stores a new message (its id must come from `next_id`)."""
        self.messages[message.message_id] = message
        return message

    def next_id(self) -> int:
        """A fresh message id: one sequence for every message of the chat, as in private chats."""
        self.last_message_id += 1
        return self.last_message_id

    def message_dict(self, message: StoredMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Bot API Message object of one of this chat's messages."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": message.sender.to_dict(),
            "chat": self.to_dict(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if with_reply and message.reply_to in self.messages:
            data["reply_to_message"] = self.message_dict(
                self.messages[message.reply_to],
                with_reply=False,
            )
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        data.update(message.media)
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A read-only view of a chat message, for tests and the control routes."""

    message_id: int
    from_bot: bool
    kind: str
    text: str | None
    entities: tuple[dict[str, Any], ...]
    reply_markup: dict[str, Any] | None
    date: int
    edits: int
    deleted: bool

    @classmethod
    def of(cls, message: StoredMessage) -> ChatMessage:
        """A snapshot of a stored message."""
        return cls(
            message_id=message.message_id,
            from_bot=message.from_bot,
            kind=message.kind,
            text=message.text,
            entities=tuple(message.entities),
            reply_markup=message.reply_markup,
            date=message.date,
            edits=message.edits,
            deleted=message.deleted,
        )

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        """The callback data of the inline keyboard's buttons, in order."""
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the control routes."""
        return {
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "kind": self.kind,
            "text": self.text,
            "entities": list(self.entities),
            "reply_markup": self.reply_markup,
            "date": self.date,
            "edits": self.edits,
            "deleted": self.deleted,
        }


@dataclass(slots=True)
class CallbackQuery:
    """A button press and what the bot answered to it."""

    id: str
    chat_id: int
    message_id: int
    data: str
    user_id: int
    answered: bool = False
    answer: dict[str, Any] | None = None


def text_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram adds to a user's text: a leading bot command, @mentions."""
    entities: list[dict[str, Any]] = []
    if match := _COMMAND.match(text):
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_length(match[0])})
    for match in _MENTION.finditer(text):
        offset = utf16_length(text[: match.start()])
        entities.append({"type": "mention", "offset": offset, "length": utf16_length(match[0])})
    return entities


def media(kind: str, serial: int, caption: str | None) -> dict[str, Any]:
    """The fields of a photo, sticker, voice note or document message (fake file ids)."""
    file = {"file_id": f"{kind}-file-{serial}", "file_unique_id": f"{kind}-{serial}"}
    fields: dict[str, Any]
    if kind == "photo":
        fields = {
            "photo": [
                {**file, "width": 90, "height": 67, "file_size": 1200},
                {
                    "file_id": f"{file['file_id']}-large",
                    "file_unique_id": f"{file['file_unique_id']}-large",
                    "width": 1280,
                    "height": 960,
                },
            ]
        }
    elif kind == "sticker":
        fields = {
            "sticker": {
                **file,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        }
    elif kind == "voice":
        fields = {"voice": {**file, "duration": 3, "mime_type": "audio/ogg", "file_size": 9000}}
    elif kind == "document":
        fields = {
            "document": {
                **file,
                "file_name": "notice.pdf",
                "mime_type": "application/pdf",
                "file_size": 50000,
            }
        }
    else:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(MEDIA_KINDS)}")
    if caption is not None and kind != "sticker":
        fields["caption"] = caption
    return fields
