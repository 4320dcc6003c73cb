"""The election platform, behind an adapter: what the dialogs need of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Ballot:
    """One of a voter's ballots; `elsewhere`: voted at the ballot box or on another platform."""

    name: str
    elsewhere: bool = False


@dataclass(frozen=True, slots=True)
class VoterRecord:
    """What the platform knows of a voter that the assistant may show to its verified owner."""

    id: int
    email: str
    first_name: str
    last_name: str
    activated: bool
    ballots: tuple[Ballot, ...]


class Platform(Protocol):
    """The operations of the election platform the assistant relies on."""

    async def find_voter(self, address: str) -> VoterRecord | None:
        """The voter registered under a (normalised) professional address, or None."""
        ...

    async def voter(self, voter_id: int) -> VoterRecord | None:
        """A voter by id, or None."""
        ...

    async def send_activation_link(self, voter_id: int, locale: str) -> None:
        """Mails a new single-use activation link to the voter's professional address."""
        ...

    def handoff_url(self, purpose: str, token: str) -> str:
        """Where a hand-off token for `purpose` (vote, reassort, password, activate) is used."""
        ...
