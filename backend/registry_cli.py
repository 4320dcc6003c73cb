"""`assesseur voters import FILE.csv` and `assesseur voters demo`: the registry from a terminal."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.registry import (
    FIELDS,
    ImportReport,
    RegistryError,
    create_demo_voters,
    demo_voters,
    import_voters,
    normalise_ballots,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/assesseur.db"
"""The embedded default, as in the assistant's settings."""

BAD_ROWS_SHOWN = 50
"""How many bad rows the report lists before giving only the total."""

_URL_KEY = "assesseur.database_url"


@click.group()
@click.option(
    "--database-url",
    envvar="ASSESSEUR_DATABASE_URL",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    help="The database (also ASSESSEUR_DATABASE_URL).",
)
@click.pass_context
def voters(ctx: click.Context, database_url: str) -> None:
    """The voter registry: import an electoral list, create demo voters."""
    ctx.meta[_URL_KEY] = database_url


def _database_url() -> str:
    url: str = click.get_current_context().meta[_URL_KEY]
    upgrade(url)
    return url


def _columns(pairs: tuple[str, ...]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        field = field.strip()
        if not sep or not header.strip() or field not in FIELDS:
            raise click.BadParameter(
                f"{pair!r}: write FIELD=HEADER, FIELD one of {', '.join(FIELDS)}",
                param_hint="--column",
            )
        columns[field] = header
    return columns


@contextmanager
def _progress(path: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar by bytes read on a terminal; nothing otherwise."""
    stream = sys.stderr
    if not stream.isatty():
        yield None
        return
    with click.progressbar(
        length=path.stat().st_size, label=f"importing {path.name}", file=stream
    ) as bar:
        yield bar.update


def _echo_report(report: ImportReport) -> None:
    click.echo(
        f"read {report.read} rows: {report.inserted} inserted, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.bad)} bad"
    )
    for bad in report.bad[:BAD_ROWS_SHOWN]:
        click.echo(f"  line {bad.line}: {bad.reason}")
    if len(report.bad) > BAD_ROWS_SHOWN:
        click.echo(f"  … and {len(report.bad) - BAD_ROWS_SHOWN} more bad rows")
    click.echo("voters absent from the file are left in place: the import adds and updates only.")


@voters.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--column",
    "column_pairs",
    multiple=True,
    metavar="FIELD=HEADER",
    help=f"The header of a field ({', '.join(FIELDS)}), e.g. --column email=mail_pro.",
)
@click.option(
    "--delimiter",
    type=click.Choice([",", ";", "tab"]),
    default=None,
    help="Field separator (default: detected from the header line).",
)
def import_command(file: Path, column_pairs: tuple[str, ...], delimiter: str | None) -> None:
    """Import an electoral list (CSV, UTF-8): add new voters, update changed ones.

    Voters absent from the file are left in place: the import never deletes. Bad rows are
    listed with their line and skipped; running the same file again changes nothing.
    """
    columns = _columns(column_pairs)
    url = _database_url()

    async def run(progress: Callable[[int], None] | None) -> ImportReport:
        engine = create_engine(url)
        try:
            return await import_voters(
                engine,
                file,
                columns=columns,
                delimiter="\t" if delimiter == "tab" else delimiter,
                actor=_actor(),
                progress=progress,
            )
        finally:
            await engine.dispose()

    try:
        with _progress(file) as progress:
            report = asyncio.run(run(progress))
    except RegistryError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    except DBAPIError as exc:  # the driver's words only: SQLAlchemy's would list the rows
        raise click.ClickException(
            f"database error: {exc.orig} (the batches written before it stay; "
            "the import can be run again)"
        ) from None
    _echo_report(report)


@voters.command("demo")
def demo_command() -> None:
    """Create a dozen demo voters (running it again changes nothing)."""
    url = _database_url()

    async def run() -> ImportReport:
        engine = create_engine(url)
        try:
            return await create_demo_voters(engine, datetime.now(UTC))
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    click.echo(
        f"demo voters: {report.inserted} created, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    for voter in demo_voters():
        state = "activated" if voter.activated else "not activated"
        count = len(normalise_ballots(voter.ballots, voter.elsewhere))
        click.echo(f"  {voter.email:<44} {state:<14} {count} ballot(s)")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
