"""Builds the conversation service from the settings: the one place where bot meets backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from backend.conversations import SqlConversationStore
from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from bot.assistant import Assistant, load_assistant
from bot.clock import Clock
from bot.conversations import Conversations
from bot.settings import Settings


@asynccontextmanager
async def open_conversations(
    settings: Settings, clock: Clock | None = None, assistant: Assistant | None = None
) -> AsyncIterator[Conversations]:
    """The database migrated, the content loaded and checked, the service ready to use."""
    assistant = assistant or load_assistant(settings)
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        yield Conversations(
            flows=assistant.loaded.flows,
            catalogs=assistant.catalogs,
            election=assistant.election,
            understander=assistant.understander,
            store=SqlConversationStore(engine),
            clock=clock or settings.clock(),
            threshold=settings.understanding_threshold,
        )
    finally:
        await engine.dispose()
