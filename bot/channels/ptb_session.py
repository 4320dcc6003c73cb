"""python-telegram-bot as the assistant uses it: requests through aiohttp, replies sent as rendered.

PTB sends its requests through a `BaseRequest`, its extension point for another HTTP client; the
one it ships wraps httpx, whose connection pool (httpcore) polls every pooled socket to place a
request and, where sniffio is not installed, tries to import it again for each lock it makes:
most of what an update cost in PTB's driver. `AiohttpRequest` puts aiohttp, the client the
rest of the project uses, in its place: calls go as JSON bodies, a call with a file as multipart,
and every error is PTB's own (`TimedOut`, `NetworkError`), so PTB's retry, flood-control and
error handling work unchanged.

`ReplyBot` sends a reply and edits a menu as the assistant renders them: PTB's `send_message`
reads the keyboard (a plain dict already held to the Bot API's limits by
`bot.channels.telegram.render`) into its objects and back to a dict, and reads the message
Telegram sends back into a dozen objects, of which the assistant keeps the id: about 0.2 ms a
reply."""

from __future__ import annotations

import json

import aiohttp
from telegram._utils.defaultvalue import DefaultValue  # as PTB's own HTTPXRequest reads it
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.channels.telegram.errors import network_failure

__all__ = ["AiohttpRequest", "ReplyBot"]

JSON = "application/json"


class AiohttpRequest(BaseRequest):
    """PTB's `BaseRequest` on an aiohttp client session (one per instance, opened by
    `initialize`), with PTB's default timeouts, through the proxy the environment names
    (`HTTPS_PROXY`, `NO_PROXY`) as PTB's own request. aiohttp has no write timeout of its own:
    a request's whole time is bounded by the sum of its timeouts instead."""

    __slots__ = ("_connections", "_session", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._connections = connection_pool_size
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call does not give one."""
        return self._timeouts[0]

    async def initialize(self) -> None:
        """Opens the client session (once)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            # trust_env: a proxy from HTTPS_PROXY (NO_PROXY), as PTB's httpx request takes it
            self._session = aiohttp.ClientSession(connector=connector, trust_env=True)

    async def shutdown(self) -> None:
        """Closes the client session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call to the Bot API: its HTTP status and body, or PTB's `TimedOut` or
        `NetworkError`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read, write, connect, pool = (
            default if isinstance(given, DefaultValue) else given
            for given, default in zip(
                (read_timeout, write_timeout, connect_timeout, pool_timeout),
                self._timeouts,
                strict=True,
            )
        )
        timeout = aiohttp.ClientTimeout(
            total=_sum(read, write, connect, pool), connect=_sum(connect, pool), sock_read=read
        )
        data: aiohttp.FormData | bytes | None = None
        headers = {"User-Agent": self.USER_AGENT}
        if request_data is not None and request_data.contains_files:
            data = _multipart(request_data)
        elif request_data is not None:
            data = json.dumps(request_data.parameters).encode()
            headers["Content-Type"] = JSON
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as late:
            raise TimedOut from late
        except aiohttp.ClientError as failed:  # its message, not its chain: it may quote the URL
            raise NetworkError(f"aiohttp.{network_failure(failed)}") from None


def _sum(*seconds: float | None) -> float | None:
    return None if any(s is None for s in seconds) else sum(s for s in seconds if s is not None)


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form


class ReplyBot(ExtBot[None]):
    """PTB's bot (its request, rate limiter, defaults and errors) with the assistant's two
    reply calls, which send the keyboard as rendered and read the answer for the id only."""

    __slots__ = ()

    async def send_reply(self, chat_id: int, text: str, markup: dict[str, object] | None) -> int:
        """`sendMessage`; the sent message's id."""
        sent = await self._post(
            "sendMessage", {"chat_id": chat_id, "text": text, "reply_markup": markup}
        )
        return int(sent["message_id"])

    async def edit_reply(
        self, chat_id: int, message_id: int, text: str, markup: dict[str, object] | None
    ) -> None:
        """`editMessageText` of one of the bot's messages (PTB's `BadRequest` when Telegram
        refuses)."""
        await self._post(
            "editMessageText",
            {"chat_id": chat_id, "message_id": message_id, "text": text, "reply_markup": markup},
        )
