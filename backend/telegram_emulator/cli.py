"""`assesseur telegram-emulator`: serve the local Bot API server."""

from __future__ import annotations

from pathlib import Path

import click
from aiohttp import web

from backend.telegram_emulator.app import create_app
from backend.telegram_emulator.emulator import DEFAULT_TOKEN, TelegramEmulator
from backend.telegram_emulator.faults import FloodLimits
from backend.telegram_emulator.spec import DEFAULT_SPEC_PATH


@click.command("telegram-emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option("--token", default=DEFAULT_TOKEN, show_default=True, help="The bot token to accept.")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=DEFAULT_SPEC_PATH,
    show_default=True,
    help="The Bot API specification (api.json) every request is checked against.",
)
@click.option(
    "--flood-limits/--no-flood-limits",
    default=False,
    show_default=True,
    help="Answer 429 beyond about 1 message/s per chat and 30/s in all.",
)
def telegram_emulator(
    host: str, port: int, token: str, spec_path: Path, flood_limits: bool
) -> None:
    """Serve a local Telegram Bot API server that checks every request against the specification."""
    emulator = TelegramEmulator(
        token, spec_path=spec_path, flood_limits=FloodLimits() if flood_limits else None
    )
    base = f"http://{host}:{port}"
    click.echo(
        "\n".join(
            [
                f"Telegram Bot API emulator ({emulator.spec.version}) serves:",
                f"  Bot API        {base}/bot{token}/<method>",
                f"  as a user      {base}/emulator/   (page; JSON under /emulator/...)",
                f"  for Assesseur  ASSESSEUR_TELEGRAM_API_BASE={base} "
                f"ASSESSEUR_TELEGRAM_TOKEN={token}",
            ]
        )
    )
    web.run_app(create_app(emulator), host=host, port=port, print=None, access_log=None)
