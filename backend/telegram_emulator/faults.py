"""Errors on demand: injected failures of a method, and Telegram's flood limits."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from backend.telegram_emulator.errors import BotApiError, too_many_requests

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected error",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: injected error",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass(slots=True)
class _Fault:
    error_code: int
    retry_after: int
    description: str | None
    remaining: int


class Faults:
    """Failures queued for the next calls of a method (case-insensitive name)."""

    def __init__(self) -> None:
        self._queued: dict[str, list[_Fault]] = {}

    def add(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Makes the next `times` calls of `method` fail with that error."""
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = _Fault(error_code, retry_after, description, times)
        self._queued.setdefault(method.lower(), []).append(fault)

    def take(self, method: str) -> BotApiError | None:
        """The error the next call of `method` must answer, if one is queued."""
        queue = self._queued.get(method.lower())
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            queue.pop(0)
        if fault.error_code == 429:
            error = too_many_requests(fault.retry_after)
            if fault.description:
                error.description = fault.description
            return error
        description = fault.description or _DEFAULT_DESCRIPTIONS.get(
            fault.error_code, f"Error {fault.error_code}: injected error"
        )
        return BotApiError(fault.error_code, description)

    def clear(self) -> None:
        """Forgets every queued failure."""
        self._queued.clear()


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Telegram's documented limits: about 1 message/s per chat, 20/min per group, 30/s in all."""

    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: float = 20.0
    overall_per_second: float = 30.0


@dataclass(slots=True)
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0: available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass(slots=True)
class FloodControl:
    """Token buckets per chat, per group and overall; a refused message costs nothing."""

    limits: FloodLimits
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _groups: dict[int, _Bucket] = field(default_factory=dict)
    _overall: _Bucket | None = None

    def admit(self, chat_id: int, is_group: bool, now: float) -> None:
        """Counts one message to a chat, or raises the 429 Telegram would answer."""
        limits = self.limits
        if self._overall is None:
            rate = limits.overall_per_second
            self._overall = _Bucket(rate, rate, rate, now)
        burst = limits.per_chat_burst
        buckets = [
            self._overall,
            self._chats.setdefault(chat_id, _Bucket(burst, limits.per_chat_per_second, burst, now)),
        ]
        if is_group:
            group_rate = limits.per_group_per_minute
            buckets.append(
                self._groups.setdefault(
                    chat_id, _Bucket(group_rate, group_rate / 60, group_rate, now)
                )
            )
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        for bucket in buckets:
            bucket.tokens -= 1
