"""aiogram as the assistant uses it: calls sent as JSON bodies, replies sent as they are rendered.

aiogram's `SendMessage` validates a keyboard into a dozen pydantic models, dumps them back to
dicts to send them, and reads the message Telegram sends back into as many models again: about
half of what sending a reply costs. The assistant's keyboards are plain dicts already held to
the Bot API's limits (`bot.channels.telegram.render`), and it reads nothing of a sent message
but its id: `SendReply` and `EditReply` are those calls, as aiogram methods (its session, its
middlewares, its errors), without the round trips."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject
from aiohttp import ClientError, ClientTimeout

from bot.channels.telegram.errors import network_failure

if TYPE_CHECKING:
    from aiogram import Bot

JSON_HEADERS = {"Content-Type": "application/json"}


class JsonSession(AiohttpSession):
    """Sends each call's parameters as `application/json`, one of the bodies the Bot API takes,
    rather than aiogram's form (each nested object, a keyboard say, encoded to a JSON string,
    then the whole form percent-encoded: the costliest part of sending a reply). A call with a
    file to upload goes as aiogram sends it (multipart). Everything else is aiogram's: the
    request middlewares, the answer read into aiogram's types, its errors."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        files: dict[str, Any] = {}
        payload = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                payload[key] = prepared
        if files:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        seconds = self.timeout if timeout is None else timeout
        try:
            async with session.post(
                url,
                data=self.json_dumps(payload).encode(),
                headers=JSON_HEADERS,
                timeout=ClientTimeout(total=seconds),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            # its message, not its chain: it may quote the URL, and the URL holds the token
            raise TelegramNetworkError(method=method, message=network_failure(e)) from None
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast(TelegramType, response.result)


class Sent(TelegramObject):
    """What the assistant reads of a message it sent or edited: its id (the rest is kept as
    it came, not read into aiogram's types)."""

    message_id: int


class SendReply(TelegramMethod[Sent]):
    """`sendMessage` with a keyboard as the assistant renders it."""

    __returning__ = Sent
    __api_method__ = "sendMessage"

    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None = None


class EditReply(TelegramMethod[Sent | bool]):
    """`editMessageText` with a keyboard as the assistant renders it."""

    __returning__ = Sent | bool
    __api_method__ = "editMessageText"

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
