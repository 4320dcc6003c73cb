"""What the engine asks of language understanding."""

from __future__ import annotations

from typing import Protocol

from bot.engine.turn import Understood


class Understander(Protocol):
    """Finds the intent of free text that the flows do not recognise."""

    def understand(self, text: str, locale: str) -> Understood | None:
        """The likeliest intent and its confidence, or None when nothing fits."""
        ...
