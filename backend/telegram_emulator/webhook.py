"""Webhook delivery: each update POSTed to the bot, in order per chat, again on a non-2xx answer."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from backend.telegram_emulator.updates import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
"""The header that carries setWebhook's secret_token on every delivery."""

SCAN_WINDOW = 1000
"""How far into the queue delivery looks for an update whose chat is not busy."""

log = logging.getLogger(__name__)

WebhookReply = Callable[[str, dict[str, Any], bool], Awaitable[None]]
"""Runs a method call the bot returned in a webhook answer: (method, parameters, form)."""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """What setWebhook set."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None


@dataclass(slots=True)
class Delivery:
    """One POST of an update to the webhook, and how it went."""

    update_id: int
    attempt: int
    status: int | None
    error: str | None
    headers: dict[str, str]


def _chat_of(update: dict[str, Any]) -> int | None:
    for key, payload in update.items():
        if key == "update_id" or not isinstance(payload, dict):
            continue
        message = payload.get("message", payload)
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict):
            return int(chat["id"])
        sender = payload.get("from")
        if isinstance(sender, dict):
            return int(sender["id"])
    return None


class WebhookDelivery:
    """Delivers the queue's updates to a webhook while one is set."""

    def __init__(
        self,
        queue: UpdateQueue,
        on_change: Callable[[], None],
        on_reply: WebhookReply,
        *,
        backoff: float = 0.2,
        attempts: int = 5,
        request_timeout: float = 30.0,
    ) -> None:
        self.queue = queue
        self.config: WebhookConfig | None = None
        self.deliveries: list[Delivery] = []
        self.undeliverable: list[dict[str, Any]] = []
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.backoff = backoff
        self.attempts = attempts
        self._timeout = request_timeout
        self._on_change = on_change
        self._on_reply = on_reply
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None
        self._in_flight: dict[int, int | None] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """How many deliveries are under way (waiting for an answer or a retry)."""
        return len(self._in_flight)

    async def set(self, config: WebhookConfig | None) -> None:
        """Sets (or, with None, removes) the webhook; delivery starts at once."""
        await self._stop()
        self.config = config
        if config is not None:
            self._worker = asyncio.create_task(self._run(config), name="telegram-webhook")
        self._on_change()

    async def close(self) -> None:
        """Stops delivering and closes the HTTP client."""
        await self._stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _stop(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in (self._worker, *self._tasks) if t is not None and t is not current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._worker = None
        self._tasks.clear()
        self._in_flight.clear()

    async def _run(self, config: WebhookConfig) -> None:
        chats: dict[int, int | None] = {}  # each pending update's chat, read once
        while True:
            busy_chats = set(self._in_flight.values())
            window = itertools.islice(self.queue.pending.values(), SCAN_WINDOW)
            for update in list(window):
                if len(self._in_flight) >= config.max_connections:
                    break
                update_id = update["update_id"]
                if update_id not in chats:
                    if len(chats) > 4 * SCAN_WINDOW:  # forget the delivered ones
                        chats = {k: v for k, v in chats.items() if k in self.queue.pending}
                    chats[update_id] = _chat_of(update)
                chat = chats[update_id]
                if update["update_id"] in self._in_flight or (
                    chat is not None and chat in busy_chats
                ):
                    continue
                busy_chats.add(chat)
                self._in_flight[update["update_id"]] = chat
                task = asyncio.create_task(self._deliver(config, update))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            await self.queue.wait(1.0)

    async def _deliver(self, config: WebhookConfig, update: dict[str, Any]) -> None:
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        try:
            for attempt in range(1, self.attempts + 1):
                if await self._post(config, update, body, headers, attempt):
                    break
                if attempt < self.attempts:
                    await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            else:
                self.undeliverable.append(update)
                log.warning("webhook: update %s given up", update["update_id"])
            self.queue.remove(update["update_id"])
        finally:
            self._in_flight.pop(update["update_id"], None)
            self.queue.wake()
            self._on_change()

    async def _post(
        self,
        config: WebhookConfig,
        update: dict[str, Any],
        body: bytes,
        headers: dict[str, str],
        attempt: int,
    ) -> bool:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        status: int | None = None
        error: str | None = None
        reply: tuple[str, dict[str, Any], bool] | None = None
        try:
            async with self._session.post(config.url, data=body, headers=headers) as response:
                status = response.status
                if 200 <= status < 300:
                    reply = await _method_in_answer(response)
                else:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {type(exc).__name__}: {exc}"
        self.deliveries.append(Delivery(update["update_id"], attempt, status, error, headers))
        self._on_change()
        if error is not None:
            self.last_error_date = int(time.time())
            self.last_error_message = error
            return False
        if reply is not None:
            await self._on_reply(*reply)
        return True


async def _method_in_answer(
    response: aiohttp.ClientResponse,
) -> tuple[str, dict[str, Any], bool] | None:
    """A method call the bot put in its webhook answer (JSON or form-data), if any."""
    if response.content_type == "application/json":
        with contextlib.suppress(ValueError):
            data = await response.json()
            if isinstance(data, dict) and isinstance(data.get("method"), str):
                method = data.pop("method")
                return method, data, False
        return None
    if response.content_type == "multipart/form-data":
        fields: dict[str, Any] = {}
        reader = aiohttp.MultipartReader(response.headers, response.content)
        while (part := await reader.next()) is not None:
            if isinstance(part, aiohttp.BodyPartReader) and part.name:
                fields[part.name] = await part.text()
        if isinstance(fields.get("method"), str):
            method = fields.pop("method")
            return method, fields, True
    return None
