"""Configuration from `ASSESSEUR_*` environment variables and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.clock import Clock, ShiftedClock, SystemClock, parse_instant

VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Every setting of the assistant; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="ASSESSEUR_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR}/assesseur.db"
    redis_url: str | None = None
    """Set: several workers share turn locks and answered updates through this Redis server."""
    redis_prefix: str = "assesseur:"
    """The start of every key this deployment keeps in Redis (one per environment)."""
    telegram_token: str | None = None
    telegram_api_base: str | None = None
    """A Bot API server other than Telegram's (`assesseur telegram-emulator`, a local server)."""
    telegram_driver: Literal["aiogram", "ptb"] = "aiogram"
    telegram_webhook_url: str | None = None
    """Set: updates are delivered to this URL (ending in /telegram/webhook) instead of polled."""
    telegram_polling_timeout: int = 10
    """Seconds a long-polling `getUpdates` waits (also how long stopping may take)."""
    telegram_typing_after: float = 0.5
    """Seconds a reply may take before the voter sees "typing…" (0: always shown)."""
    secret_key: str | None = None
    smtp_url: str | None = None
    election: str = "2026"
    now: str | None = None
    demo: bool = False
    flows_dir: Path | None = None
    locales_dir: Path | None = None
    elections_dir: Path | None = None
    understanding_threshold: float = 0.5
    clarify_threshold: float = 0.2
    public_url: str = "http://127.0.0.1:8080"
    """Where voters reach this server: the base of hand-off and activation links."""
    mail_from: str = "Assesseur <assesseur@localhost>"
    introspection_token: str | None = None
    """The bearer token the voting platform presents to POST /api/v1/handoff/introspect."""
    code_ttl_minutes: int = 10
    binding_minutes: int = 30
    max_wrong_codes: int = 5
    challenges_per_address_per_hour: int = 3
    challenges_per_conversation_per_hour: int = 3
    activation_links_per_address_per_hour: int = 3
    handoff_ttl_minutes: int = 10

    @field_validator("now")
    @classmethod
    def _valid_now(cls, value: str | None) -> str | None:
        if value:
            parse_instant(value)
        return value or None

    def clock(self) -> Clock:
        """The real clock, or a simulated one starting at `ASSESSEUR_NOW`."""
        return ShiftedClock(parse_instant(self.now)) if self.now else SystemClock()
