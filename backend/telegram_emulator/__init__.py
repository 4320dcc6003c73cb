"""A local Telegram Bot API server for tests, demos and benchmarks, checked against the spec.

`TelegramEmulator` holds the state and acts as users; `create_app` serves it over HTTP;
`start_server` runs it on a local port.
"""

from __future__ import annotations

from backend.telegram_emulator.app import RunningEmulator, create_app, start_server
from backend.telegram_emulator.emulator import DEFAULT_TOKEN, ApiCall, TelegramEmulator
from backend.telegram_emulator.faults import FloodLimits
from backend.telegram_emulator.state import CallbackQuery, ChatMessage
from backend.telegram_emulator.webhook import SECRET_HEADER

__all__ = [
    "DEFAULT_TOKEN",
    "SECRET_HEADER",
    "ApiCall",
    "CallbackQuery",
    "ChatMessage",
    "FloodLimits",
    "RunningEmulator",
    "TelegramEmulator",
    "create_app",
    "start_server",
]
