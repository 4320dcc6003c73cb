"""Builds the services from the settings: the one place where bot meets backend."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from backend.conversations import SqlConversationStore
from backend.coordination import RedisCoordination
from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.handoff import Handoff
from backend.identity import Identity, IdentityLimits
from backend.mail import BackgroundMailer, Mailer, SmtpMailer
from backend.mail_outbox import OutboxMailer
from backend.platform.local import LocalPlatform
from backend.registry import create_demo_voters
from backend.turn import Backend
from bot.assistant import Assistant, load_assistant
from bot.clock import Clock
from bot.conversations import Conversations
from bot.coordination import Coordination, LocalCoordination
from bot.mails import Mails
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """What the web apps and the terminal chat use."""

    conversations: Conversations
    engine: AsyncEngine
    backend: Backend
    assistant: Assistant
    settings: Settings
    clock: Clock
    mailer: Mailer


def build_mailer(settings: Settings, engine: AsyncEngine, clock: Clock) -> Mailer:
    """SMTP in the background when configured; the database outbox otherwise (the demo's)."""
    if settings.smtp_url:
        return BackgroundMailer(SmtpMailer(settings.smtp_url, sender=settings.mail_from))
    if not settings.demo:
        log.warning("no ASSESSEUR_SMTP_URL: mails are kept in the outbox table, not sent")
    return OutboxMailer(engine, clock.now)


def build_services(
    settings: Settings, clock: Clock | None = None, assistant: Assistant | None = None
) -> Services:
    """Every service, wired; nothing connects yet (see `start` and `close`)."""
    if not settings.secret_key:
        raise ValueError("ASSESSEUR_SECRET_KEY is required (the demo generates one)")
    assistant = assistant or load_assistant(settings)
    clock = clock or settings.clock()
    engine = create_engine(settings.database_url)
    mailer = build_mailer(settings, engine, clock)
    mails = Mails(assistant.catalogs, mailer)
    handoff = Handoff(settings.secret_key, ttl=timedelta(minutes=settings.handoff_ttl_minutes))
    platform = LocalPlatform(
        engine, handoff, mailer, mails.activation_link, settings.public_url, clock.now
    )
    mails.platform = platform
    limits = IdentityLimits(
        code_ttl=timedelta(minutes=settings.code_ttl_minutes),
        binding_ttl=timedelta(minutes=settings.binding_minutes),
        max_wrong_codes=settings.max_wrong_codes,
        challenges_per_address_per_hour=settings.challenges_per_address_per_hour,
        challenges_per_conversation_per_hour=settings.challenges_per_conversation_per_hour,
    )
    backend = Backend(
        Identity(settings.secret_key, limits),
        handoff,
        platform,
        activation_links_per_address_per_hour=settings.activation_links_per_address_per_hour,
    )
    coordination: Coordination = (
        RedisCoordination.from_url(settings.redis_url, prefix=settings.redis_prefix)
        if settings.redis_url
        else LocalCoordination()
    )
    conversations = Conversations(
        flows=assistant.loaded.flows,
        catalogs=assistant.catalogs,
        election=assistant.election,
        understander=assistant.understander,
        store=SqlConversationStore(engine, backend),
        clock=clock,
        mails=mails,
        threshold=settings.understanding_threshold,
        clarify_threshold=settings.clarify_threshold,
        binding_ttl=limits.binding_ttl,
        coordination=coordination,
    )
    return Services(conversations, engine, backend, assistant, settings, clock, mailer)


async def start(services: Services) -> None:
    """Brings the schema up to date (Alembic) and, in demo mode, creates the demo voters."""
    await services.conversations.coordination.check()
    await asyncio.to_thread(upgrade, services.settings.database_url)
    if services.settings.demo:
        await create_demo_voters(services.engine, services.clock.now())


async def close(services: Services) -> None:
    """Waits for mails in flight, then closes the database."""
    await services.conversations.drain()
    if isinstance(services.mailer, BackgroundMailer):
        await services.mailer.aclose()
    await services.conversations.coordination.close()
    await services.conversations.store.close()
    await services.engine.dispose()


@asynccontextmanager
async def open_services(
    settings: Settings, clock: Clock | None = None, assistant: Assistant | None = None
) -> AsyncIterator[Services]:
    """The database migrated, the content loaded and checked, every service ready."""
    services = build_services(settings, clock, assistant)
    await start(services)
    try:
        yield services
    finally:
        await close(services)


@asynccontextmanager
async def open_conversations(
    settings: Settings, clock: Clock | None = None, assistant: Assistant | None = None
) -> AsyncIterator[Conversations]:
    """Only the conversation service (the terminal chat's need)."""
    async with open_services(settings, clock, assistant) as services:
        yield services.conversations
