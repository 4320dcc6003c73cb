"""Bot API errors: Telegram's `ok: false` envelope, with its error code and description."""

from __future__ import annotations

from typing import Any


class BotApiError(Exception):
    """An error answer; `violation` marks a request that breaks the specification's rules."""

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        violation: bool = False,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.violation = violation

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str, *, violation: bool = False) -> BotApiError:
    """A 400 "Bad Request: ..." answer."""
    return BotApiError(400, f"Bad Request: {detail}", violation=violation)


def too_many_requests(retry_after: int) -> BotApiError:
    """A 429 answer with `parameters.retry_after`, as Telegram's flood control gives."""
    return BotApiError(
        429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
    )


def not_emulated(what: str) -> BotApiError:
    """A 501 answer for a documented method or option this local server does not emulate."""
    return BotApiError(501, f"Not Implemented: {what} is not emulated by the local Bot API server")


UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
BLOCKED = "Forbidden: bot was blocked by the user"
