"""aiogram reads every Bot API answer into a generic pydantic model, `Response[<type>]`, which
pydantic caches weakly: the aiogram driver holds them, so none is built again after a garbage
collection (each build costs 10-15 ms of the event loop)."""

from __future__ import annotations

import gc
from typing import Any

import pydantic._internal._generate_schema as generate_schema
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

import bot.channels.telegram_aiogram  # noqa: F401  (holds the answer models)
from backend.telegram_emulator import TelegramEmulator, start_server

TOKEN = "123456:TEST"


async def test_no_answer_model_is_built_again_after_a_garbage_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = TelegramEmulator(TOKEN)
    served = await start_server(emulator)
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(served.base_url)))
    try:
        emulator.user_says(7, "bonjour")
        await bot.get_updates()
        await bot.send_message(7, "Bonjour !")
        builds: list[object] = []
        original = generate_schema.GenerateSchema.clean_schema

        def counted(self: Any, schema: Any) -> Any:
            builds.append(schema)
            return original(self, schema)

        monkeypatch.setattr(generate_schema.GenerateSchema, "clean_schema", counted)
        for _ in range(5):
            gc.collect()
            await bot.send_message(7, "Voici la réponse.")
            await bot.get_updates()
        assert builds == []  # without the driver holding them: 10 builds here
    finally:
        await bot.session.close()
        await served.close()
