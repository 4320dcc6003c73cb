"""The local Bot API server's core: every call checked, answered, recorded; tests wait on it."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.telegram_emulator.errors import NOT_FOUND, UNAUTHORIZED, BotApiError, not_emulated
from backend.telegram_emulator.faults import Faults, FloodControl, FloodLimits
from backend.telegram_emulator.methods import HANDLERS, MESSAGE_METHODS, chat_of
from backend.telegram_emulator.spec import DEFAULT_SPEC_PATH, BotApiSpec
from backend.telegram_emulator.state import TelegramUser
from backend.telegram_emulator.validation import CallChecker
from backend.telegram_emulator.webhook import WebhookDelivery
from backend.telegram_emulator.world import GROUP_TYPES, TelegramWorld

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST"
"""The token the emulator accepts unless told otherwise."""


@functools.lru_cache(maxsize=4)
def load_spec(path: Path = DEFAULT_SPEC_PATH) -> BotApiSpec:
    """The specification at `path`, read once per process."""
    return BotApiSpec.load(path)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the bot made, and the error code it got (None when it succeeded)."""

    method: str
    params: dict[str, Any]
    error_code: int | None
    description: str | None


class TelegramEmulator(TelegramWorld):
    """A local Telegram: the Bot API side (`call`) and the users' side (`user_says`...)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        spec_path: Path = DEFAULT_SPEC_PATH,
        bot_username: str = "assesseur_test_bot",
        bot_first_name: str = "Assesseur",
        flood_limits: FloodLimits | None = None,
        webhook_backoff: float = 0.2,
        webhook_attempts: int = 5,
        clock: Callable[[], float] = time.time,
        first_update_id: int = 1,
    ) -> None:
        self.violations: list[str] = []
        self.errors: list[str] = []
        self.calls: list[ApiCall] = []
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._changed = asyncio.Event()
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        bot = TelegramUser(bot_id, bot_first_name, is_bot=True, username=bot_username)
        super().__init__(bot, clock=clock, first_update_id=first_update_id)
        self.token = token
        self.spec = load_spec(spec_path)
        self.checker = CallChecker(self.spec)
        self.faults = Faults()
        self.flood_limits = flood_limits
        self.flood = FloodControl(flood_limits) if flood_limits else None
        self.webhook = WebhookDelivery(
            self.queue,
            self._touch,
            self._webhook_reply,
            backoff=webhook_backoff,
            attempts=webhook_attempts,
        )

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._changed.set()
        self._changed = asyncio.Event()

    # --- the Bot API side -------------------------------------------------------------------

    async def call(self, token: str, method: str, raw: Mapping[str, Any], *, form: bool) -> Any:
        """Runs one Bot API call; raises BotApiError with Telegram's error for a bad one.

        `form` says the parameters came as strings (query string or form post) and must be
        parsed by their documented types; JSON bodies give typed values.
        """
        polling = method.lower() == "getupdates"
        if not polling:
            self._in_flight += 1
        self._touch()
        name = method
        params: dict[str, Any] = dict(raw)
        try:
            if token != self.token:
                raise BotApiError(401, UNAUTHORIZED, violation=True)
            spec = self.spec.method(method)
            if spec is None:
                raise BotApiError(404, NOT_FOUND, violation=True)
            name = spec.name
            checked = self.checker.check(spec, raw, form=form)
            params = checked.params
            if checked.problems:
                error = BotApiError(400, "Bad Request: " + "; ".join(checked.problems))
                self._violations(name, checked.problems)
                raise error
            if (fault := self.faults.take(name)) is not None:
                raise fault
            handler = HANDLERS.get(name)
            if handler is None:
                raise not_emulated(f"the method {name}")
            if self.flood is not None and name in MESSAGE_METHODS and "chat_id" in params:
                chat = chat_of(self, params["chat_id"])
                self.flood.admit(chat.id, chat.type in GROUP_TYPES, time.monotonic())
            result = await handler(self, params)
        except BotApiError as error:
            if error.violation:
                detail = error.description
                if error.error_code == 401:
                    detail = f"wrong token for bot {token.split(':', 1)[0]!r} (401 Unauthorized)"
                elif error.error_code == 404:
                    detail = f"unknown method {method!r} (404 Not Found)"
                self._violations(name, [detail])
            self.errors.append(f"{name}: {error.error_code} {error.description}")
            self.calls.append(ApiCall(name, params, error.error_code, error.description))
            raise
        finally:
            if not polling:
                self._in_flight -= 1
            self._touch()
        self.calls.append(ApiCall(name, params, None, None))
        return result

    def _violations(self, method: str, problems: list[str]) -> None:
        for problem in problems:
            self.violations.append(f"{method}: {problem}")
            log.warning("Bot API violation: %s: %s", method, problem)

    async def _webhook_reply(self, method: str, params: dict[str, Any], form: bool) -> None:
        """Runs the method call a bot returned in its answer to a webhook delivery."""
        try:
            await self.call(self.token, method, params, form=form)
        except BotApiError as error:
            log.info("webhook answer %s failed: %s", method, error.description)

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Makes the next `times` calls of `method` fail (429 carries `retry_after`)."""
        self.faults.add(method, error_code, retry_after, times, description)

    # --- waiting for the bot ----------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a request is in flight or an update is still to be delivered or confirmed."""
        return bool(self._in_flight or self.queue.pending or self.webhook.in_flight)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 (a deadline, as in Telegram's getUpdates)
    ) -> None:
        """Waits until `predicate()` holds, checked after every change; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition still false after {timeout} s ({self._status()})")
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.05))

    async def settled(
        self,
        quiet: float = 0.05,
        timeout: float = 5.0,  # noqa: ASYNC109 (a deadline, as in Telegram's getUpdates)
    ) -> None:
        """Waits until no update is pending, no request in flight, and nothing moved for `quiet` s.

        A bot that confirms an update and then works longer than `quiet` before answering
        needs a longer `quiet`, or `wait_until` on what it should send.
        """
        deadline = time.monotonic() + timeout
        while True:
            idle_for = time.monotonic() - self._last_activity
            if not self.busy and idle_for >= quiet:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"not settled after {timeout} s ({self._status()})")
            changed = self._changed
            wait = remaining if self.busy else min(remaining, quiet - idle_for)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), max(wait, 0.001))

    def _status(self) -> str:
        return (
            f"{len(self.queue.pending)} update(s) pending, {self._in_flight} request(s) "
            f"in flight, {self.webhook.in_flight} webhook delivery(ies) under way"
        )

    def reset(self) -> None:
        """Forgets chats, users, updates, presses, commands, records and queued failures."""
        self.chats.clear()
        self.users.clear()
        self.callbacks.clear()
        self.my_commands.clear()
        self.queue.drop_all()
        self.violations.clear()
        self.errors.clear()
        self.calls.clear()
        self.faults.clear()
        self.flood = FloodControl(self.flood_limits) if self.flood_limits else None
        self.webhook.deliveries.clear()
        self.webhook.undeliverable.clear()

    async def close(self) -> None:
        """Stops webhook delivery and closes its HTTP client."""
        await self.webhook.close()
