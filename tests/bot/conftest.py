"""Fixtures of the bot's unit tests: the shipped election calendars."""

from __future__ import annotations

import pytest

from bot.election import Election
from bot.election_file import load_election


@pytest.fixture(scope="module")
def e2022() -> Election:
    return load_election("2022")


@pytest.fixture(scope="module")
def e2026() -> Election:
    return load_election("2026")
