"""Brings a database schema up to date with Alembic (`assesseur db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from backend.db.engine import prepare_sqlite_path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the database at `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Applies every migration up to `revision`; blocking, run it in a thread from async code."""
    prepare_sqlite_path(url)
    command.upgrade(alembic_config(url), revision)
