"""The `assesseur` command: serve, demo, chat, flows check, db upgrade."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import sys
from pathlib import Path

import click
from aiohttp import web

from bot.settings import VAR_DIR, Settings


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.ClickException(f"bad configuration: {exc}") from None


@click.group()
def main() -> None:
    """Assesseur, the voters' assistant for the online professional elections."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _serve(settings: Settings, host: str, port: int) -> None:
    from bot.engine.loader import FlowsError
    from bot.server import create_app

    try:
        app = create_app(settings)
    except FlowsError as exc:
        raise click.ClickException(f"the flows do not pass the check:\n{exc}") from None
    from bot.server import introspection_bearer

    base = f"http://{host}:{port}"
    lines = [
        f"Assesseur ({'demo, ' if settings.demo else ''}election {settings.election}) serves:",
        f"  web chat       {base}/",
        f"  chat API       {base}/api/v1/conversations",
        f"  introspection  {base}/api/v1/handoff/introspect",
        f"  portal (ref.)  {base}/portal/",
        f"  health         {base}/healthz",
        f"  database       {settings.database_url}",
    ]
    if settings.now:
        lines.append(f"  clock          simulated from {settings.now}")
    if settings.demo:
        from backend.registry import demo_voters

        lines += [
            f"  outbox         {base}/outbox   (the demo's mails: codes and links)",
            f"  platform token {introspection_bearer(settings)}   (Bearer, for introspection)",
            "  demo voters    " + ", ".join(v.email for v in demo_voters()[:4]) + ", ...",
        ]
    loop = event_loop()
    lines.append(f"  event loop     {type(loop).__module__.split('.')[0]}")
    click.echo("\n".join(lines))
    app.on_startup.append(freeze_heap)  # after the services have started
    web.run_app(app, host=host, port=port, print=None, access_log=None, loop=loop)


def event_loop() -> asyncio.AbstractEventLoop:
    """The server's event loop: uvloop's where it is installed (libuv's sockets and timers: a
    quarter to a third more requests a second through aiohttp on these machines), else
    asyncio's own."""
    try:
        import uvloop
    except ImportError:  # not built for this platform
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def freeze_heap(app: web.Application) -> None:
    """Leaves what start-up built (libraries, flows, catalogues, the understanding model) out of
    the garbage collector's sight: a full collection of that heap stops the server about 0.3 s,
    during which no voter is answered."""
    gc.collect()
    gc.freeze()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the web chat, the chat API and the health check."""
    settings = _settings()
    if not settings.secret_key and not settings.demo:
        raise click.ClickException(
            "ASSESSEUR_SECRET_KEY is not set: set it to a long random value "
            "(for a trial, run 'assesseur demo' instead)."
        )
    _serve(settings, host, port)


def demo_secret_key(directory: Path = VAR_DIR) -> str:
    """The demo's signing key, generated into `var/secret_key` the first time."""
    path = directory / "secret_key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Serve in demo mode: SQLite under var/, a generated secret key."""
    settings = _settings(demo=True)
    if not settings.secret_key:
        settings = settings.model_copy(update={"secret_key": demo_secret_key()})
    if settings.public_url == Settings.model_fields["public_url"].default:
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    _serve(settings, host, port)


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (Alembic)."""
    from backend.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo(f"database up to date: {settings.database_url}")


@main.group()
def flows() -> None:
    """The dialog flows."""


@flows.command("check")
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False))
def flows_check(directory: Path | None) -> None:
    """Check every flow; print each problem with its file and line."""
    from bot.assistant import check
    from bot.engine.loader import DEFAULT_FLOWS_DIR, load_flows

    settings = _settings(flows_dir=directory) if directory else _settings()
    problems = check(settings)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the flows")
    flows = load_flows(settings.flows_dir or DEFAULT_FLOWS_DIR).flows
    click.echo(f"flows OK: {len(flows.versions)} flows, {len(flows.states)} states")


@main.group()
def handoff() -> None:
    """Hand-off links to the secure steps."""


@handoff.command("revoke")
@click.option("--voter", "address", help="Revoke every live link of this professional address.")
@click.option("--token", "token_id", help="Revoke one link by its id (the token's jti).")
def handoff_revoke(address: str | None, token_id: str | None) -> None:
    """Revoke hand-off links before they are used (a lost phone, a wrong voter...)."""
    if (address is None) == (token_id is None):
        raise click.UsageError("give either --voter or --token")
    settings = _settings()
    if not settings.secret_key:
        raise click.ClickException("ASSESSEUR_SECRET_KEY is not set")
    count = asyncio.run(_revoke(settings, address, token_id))
    click.echo(f"{count} link(s) revoked")


async def _revoke(settings: Settings, address: str | None, token_id: str | None) -> int:
    from backend.registry import normalise_email
    from bot.wiring import open_services

    async with open_services(settings) as services:
        voter_id = None
        if address is not None:
            voter = await services.backend.platform.find_voter(normalise_email(address))
            if voter is None:
                return 0
            voter_id = voter.id
        async with services.engine.begin() as connection:
            return await services.backend.handoff.revoke(
                connection, token_id=token_id, voter_id=voter_id, now=services.clock.now()
            )


@main.command()
@click.option("--locale", default=None, help="fr or en (default: fr)")
def chat(locale: str | None) -> None:
    """Talk to the assistant in the terminal (type a number to press a button)."""
    from bot.channels.cli import run_chat

    settings = _settings()
    if not settings.secret_key:
        settings = settings.model_copy(update={"secret_key": demo_secret_key()})
    sys.exit(asyncio.run(run_chat(settings, locale, sys.stdin, sys.stdout)))


from backend.registry_cli import voters  # noqa: E402

main.add_command(voters)

from bot.rasa import rasa_actions  # noqa: E402

main.add_command(rasa_actions)

from bot.nlu.cli import nlu  # noqa: E402

main.add_command(nlu)

from backend.telegram_emulator.cli import telegram_emulator  # noqa: E402

main.add_command(telegram_emulator)
