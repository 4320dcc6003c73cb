"""The Rasa action server's wiring: its ports built from the assistant's services, and the
`assesseur rasa-actions` command that serves them."""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime
from typing import TYPE_CHECKING

import click

from backend.rasa_actions import Dates, Ports, Screened
from bot.election import Election
from bot.engine.turn import Text
from bot.guard import inspect
from bot.i18n.catalog import DEFAULT_LOCALE, Catalogs
from bot.i18n.formats import format_param
from bot.i18n.render import render_text
from bot.inbound import find_address
from bot.settings import Settings
from bot.wiring import Services, open_services

if TYPE_CHECKING:  # rasa-sdk and Sanic load only when the server starts, not for every command
    from backend.rasa_actions.server import SqlBackend


class ServicesAssistant:
    """The assistant's side of the actions: catalogues, calendar and guard of the services."""

    def __init__(self, catalogs: Catalogs, election: Election) -> None:
        self.catalogs = catalogs
        self.election = election

    def locale(self, tag: object) -> str:
        """The language of a slot's value if the assistant speaks it; French otherwise."""
        found = self.catalogs.supported(tag) if isinstance(tag, str) else None
        return found or DEFAULT_LOCALE

    def text(self, key: str, locale: str, now: datetime, **params: object) -> str:
        """A catalogue text with the calendar's parameters at `now` and `params`."""
        values = {**self.election.params(now), **params}
        return render_text(Text(key, values), self.catalogs, locale)

    def phase(self, now: datetime) -> str:
        """The election's phase at `now`."""
        return self.election.phase(now).value

    def dates(self, locale: str, now: datetime) -> Dates:
        """The vote's opening and closing in `locale` ("jeudi 1 décembre 2022 à 08h00")."""
        params = self.election.params(now)
        t = self.catalogs.translator(locale)
        return Dates(
            format_param(params["vote_opens"], t, locale),
            format_param(params["vote_closes"], t, locale),
        )

    def screen(self, text: str, *, expecting_code: bool) -> Screened:
        """The guard's verdict on a voter's text."""
        verdict = inspect(text, expecting_code=expecting_code)
        return Screened(tuple(str(kind) for kind in verdict.kinds), verdict.masked)

    def find_address(self, text: str) -> str | None:
        """The first plausible address of `text`, normalised."""
        return find_address(text)


def build_ports(services: Services) -> tuple[Ports, SqlBackend]:
    """The actions' ports from the services, and their backend (to drain its mails at the end)."""
    from backend.rasa_actions.server import SqlBackend

    mails = services.conversations.mails
    backend = SqlBackend(
        services.engine,
        services.backend,
        send_code=mails.send_identity_code,
        send_link=mails.send_activation_link,
        binding_ttl=services.conversations.binding_ttl,
    )
    assistant = ServicesAssistant(services.assistant.catalogs, services.assistant.election)
    return Ports(assistant, backend, services.clock.now), backend


async def run_action_server(settings: Settings, host: str, port: int) -> None:
    """Serves the actions until SIGINT or SIGTERM, then lets the mails in flight leave."""
    from backend.rasa_actions.server import create_app, serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with open_services(settings) as services:
        ports, backend = build_ports(services)
        try:
            await serve(create_app(ports), host, port, stop)
        finally:
            await backend.drain()


@click.command("rasa-actions")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5055, show_default=True, type=int)
def rasa_actions(host: str, port: int) -> None:
    """Serve the backend's actions to a Rasa assistant (a rasa-sdk action server)."""
    try:
        settings = Settings()
    except ValueError as exc:
        raise click.ClickException(f"bad configuration: {exc}") from None
    if not settings.secret_key:
        raise click.ClickException(
            "ASSESSEUR_SECRET_KEY is not set: set it to the same value as the assistant's."
        )
    click.echo(
        f"Assesseur's Rasa action server (election {settings.election}):\n"
        f"  webhook   http://{host}:{port}/webhook   (endpoints.yml: action_endpoint.url)\n"
        f"  health    http://{host}:{port}/health\n"
        f"  database  {settings.database_url}"
        + (f"\n  clock     simulated from {settings.now}" if settings.now else "")
    )
    asyncio.run(run_action_server(settings, host, port))
