"""The emulated Telegram seen from the users' side: what they do, and what the bot showed them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from backend.telegram_emulator.state import (
    CallbackQuery,
    ChatMessage,
    ChatState,
    StoredMessage,
    TelegramUser,
    media,
    text_entities,
)
from backend.telegram_emulator.updates import UpdateQueue

GROUP_MEMBER_ID = 1001
"""The user who speaks in a group when a test names none."""
GROUP_TYPES = frozenset({"group", "supergroup"})


class TelegramWorld:
    """Users, chats, messages and button presses; user actions become updates for the bot."""

    def __init__(
        self,
        bot: TelegramUser,
        *,
        clock: Callable[[], float] = time.time,
        first_update_id: int = 1,
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, TelegramUser] = {}
        self.callbacks: dict[str, CallbackQuery] = {}
        self.my_commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.queue = UpdateQueue(self._touch, first_update_id)
        self._serial = 0

    def _touch(self) -> None:
        """Called on every change; the emulator uses it to wake waiting tests."""

    def now(self) -> int:
        """The current Unix time, from the injectable clock."""
        return int(self.clock())

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    # --- acting as users -------------------------------------------------------------------

    def _user(self, user_id: int, first_name: str, language_code: str | None) -> TelegramUser:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = TelegramUser(user_id, first_name, language_code)
        else:
            user.first_name, user.language_code = first_name, language_code
        return user

    def _chat(self, chat_id: int, chat_type: str, user: TelegramUser) -> ChatState:
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_type == "private":
                chat = ChatState(chat_id, "private", first_name=user.first_name)
            elif chat_type in GROUP_TYPES:
                chat = ChatState(chat_id, chat_type, title=f"Groupe {abs(chat_id)}")
            else:
                raise ValueError(f"chat_type must be private, group or supergroup: {chat_type!r}")
            self.chats[chat_id] = chat
        return chat

    def _speaker(
        self,
        chat_id: int,
        user_id: int | None,
        language_code: str | None,
        first_name: str,
        chat_type: str,
    ) -> tuple[ChatState, TelegramUser]:
        existing = self.chats.get(chat_id)
        kind = existing.type if existing else chat_type
        if user_id is None:
            user_id = chat_id if kind == "private" else GROUP_MEMBER_ID
        if kind == "private" and user_id != chat_id:
            raise ValueError("in a private chat the chat id is the user's id")
        user = self._user(user_id, first_name, language_code)
        return self._chat(chat_id, chat_type, user), user

    def user_says(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "fr",
        first_name: str = "Camille",
        chat_type: str = "private",
        reply_to: int | None = None,
    ) -> int:
        """A user sends a text (a leading /command gets its bot_command entity); the update_id."""
        chat, user = self._speaker(chat_id, user_id, language_code, first_name, chat_type)
        message = chat.add(
            StoredMessage(
                chat.next_id(), user, self.now(), text, text_entities(text), reply_to=reply_to
            )
        )
        return self.queue.push("message", chat.message_dict(message))

    def user_sends(
        self,
        chat_id: int,
        kind: str = "photo",
        *,
        caption: str | None = None,
        user_id: int | None = None,
        language_code: str | None = "fr",
        first_name: str = "Camille",
        chat_type: str = "private",
    ) -> int:
        """A user sends a photo, sticker, voice note or document; the update_id."""
        chat, user = self._speaker(chat_id, user_id, language_code, first_name, chat_type)
        fields = media(kind, self._next_serial(), caption)
        message = chat.add(StoredMessage(chat.next_id(), user, self.now(), media=fields))
        return self.queue.push("message", chat.message_dict(message))

    def user_edits(self, chat_id: int, message_id: int, text: str) -> int:
        """A user edits one of their text messages; the update_id of the edited_message."""
        message = self._message(chat_id, message_id)
        if message.from_bot or message.text is None:
            raise ValueError(f"message {message_id} is not a user's text message")
        message.text, message.entities = text, text_entities(text)
        message.edit_date, message.edits = self.now(), message.edits + 1
        return self.queue.push("edited_message", self.chats[chat_id].message_dict(message))

    def user_presses(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        user_id: int | None = None,
        check_button: bool = True,
    ) -> int:
        """A user presses an inline button of a bot message; the update_id of the callback_query.

        With `check_button=False` any data is sent, as a forged or outdated client would.
        """
        message = self._message(chat_id, message_id)
        chat = self.chats[chat_id]
        if check_button:
            view = ChatMessage.of(message)
            if not message.from_bot or callback_data not in view.callback_data:
                raise LookupError(
                    f"message {message_id} has no button with callback_data {callback_data!r} "
                    f"(it has {view.callback_data})"
                )
        if user_id is None:
            user_id = chat_id if chat.type == "private" else GROUP_MEMBER_ID
        user = self.users.get(user_id) or self._user(user_id, "Camille", "fr")
        query = CallbackQuery(
            str(7_000_000_000 + self._next_serial()), chat_id, message_id, callback_data, user_id
        )
        self.callbacks[query.id] = query
        payload = {
            "id": query.id,
            "from": user.to_dict(),
            "message": chat.message_dict(message),
            "chat_instance": str(abs(chat_id) * 7919 % 10**12),
            "data": callback_data,
        }
        return self.queue.push("callback_query", payload)

    def user_blocks(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sending to them answers 403."""
        self._chat_or_fail(chat_id).blocked = blocked
        self._touch()

    # --- what the bot did -------------------------------------------------------------------

    def _chat_or_fail(self, chat_id: int) -> ChatState:
        try:
            return self.chats[chat_id]
        except KeyError:
            raise LookupError(f"no chat {chat_id}: a user must speak first") from None

    def _message(self, chat_id: int, message_id: int) -> StoredMessage:
        message = self._chat_or_fail(chat_id).messages.get(message_id)
        if message is None or message.deleted:
            raise LookupError(f"chat {chat_id} has no message {message_id}")
        return message

    def transcript(self, chat_id: int) -> list[ChatMessage]:
        """Every message of a chat, the users' and the bot's, in order, as they are now."""
        return [ChatMessage.of(m) for m in self._chat_or_fail(chat_id).messages.values()]

    def bot_messages(self, chat_id: int, *, include_deleted: bool = True) -> list[ChatMessage]:
        """What the bot sent to a chat, in order, after edits; deleted ones are marked."""
        return [
            m for m in self.transcript(chat_id) if m.from_bot and (include_deleted or not m.deleted)
        ]

    def chat_actions(self, chat_id: int) -> list[str]:
        """The chat actions (typing...) the bot sent to a chat, in order."""
        return list(self._chat_or_fail(chat_id).actions)

    def deleted(self, chat_id: int) -> list[int]:
        """The ids of the messages the bot deleted in a chat, users' messages included."""
        return [m.message_id for m in self._chat_or_fail(chat_id).messages.values() if m.deleted]

    def commands(self, language_code: str = "", scope: str = "default") -> list[dict[str, str]]:
        """The command list set for a scope and language ("" is every other language)."""
        return list(self.my_commands.get((scope, language_code), []))

    def callback_queries(self, chat_id: int | None = None) -> list[CallbackQuery]:
        """The button presses, in order, with what the bot answered."""
        return [q for q in self.callbacks.values() if chat_id is None or q.chat_id == chat_id]

    @property
    def unanswered_callbacks(self) -> list[CallbackQuery]:
        """The button presses the bot has not answered yet (the user's button still spins)."""
        return [q for q in self.callbacks.values() if not q.answered]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """The updates not yet delivered (webhook) or not yet confirmed (getUpdates)."""
        return list(self.queue.pending.values())
