"""A voter's typed message before the engine sees it: the guard first, then the prompts that
need the backend (an address to prove or to send a link to, a one-time code), then understanding.

Nothing here keeps the raw text: what goes on (to the transcript, the understander, the engine)
is the guard's masked form.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from backend.registry import email_problem, normalise_email
from bot.engine.model import USE_ADDRESS_STATE
from bot.engine.step import parse_command
from bot.engine.turn import (
    Click,
    CodeChecked,
    Command,
    ConversationState,
    Event,
    IdentityStarted,
    LinkRequested,
    SecretShared,
    Typed,
)
from bot.guard import MASKS, SecretKind, inspect
from bot.nlu.entities import emails
from bot.nlu.understander import Understander
from bot.store import StartedInfo, TurnServices, VoterInfo

SECRET_INTENT = "secret_shared"
_CODE = re.compile(r"(?<![\d/.,:-])\d{6}(?![\d/.,:-]?\d)")

AfterCommit = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class Prepared:
    """The engine event of a message, its transcript line, and what to do once committed."""

    event: Event
    entry: dict[str, object]
    voter: VoterInfo | None = None
    after_commit: list[AfterCommit] = field(default_factory=list)


def find_address(text: str) -> str | None:
    """The first plausible e-mail address in `text`, normalised, or None."""
    for entity in emails(text):
        address = normalise_email(entity.value.rstrip("."))
        if email_problem(address) is None:
            return address
    return None


async def prepare_text(
    event: Typed,
    state: ConversationState,
    *,
    conversation_id: str,
    channel: str,
    backend: TurnServices,
    understander: Understander,
    send_code: Callable[[str, str, str], Awaitable[None]],
    send_link: Callable[[VoterInfo, str], Awaitable[None]],
    now: datetime,
) -> Prepared:
    """Turns typed text into the engine's event, running the backend steps prompts need."""
    verdict = inspect(event.text, expecting_code=state.expecting == "code")
    masked = verdict.masked
    entry: dict[str, object] = {"sender": "voter", "text": masked}
    client = event.client_locale
    locale = client or state.locale

    codes: list[str] = []
    if state.expecting == "code":
        compact = "".join(event.text.split())
        codes = [compact] if len(compact) == 6 and compact.isdigit() else _CODE.findall(event.text)
    if len(codes) == 1 and set(verdict.kinds) <= {SecretKind.ONE_TIME_CODE}:
        if not verdict.found:
            entry["text"] = MASKS[SecretKind.ONE_TIME_CODE]
        checked = await backend.check_code(conversation_id, codes[0], channel, now)
        voter = None
        if checked.status == "verified" and checked.voter_id is not None:
            voter = await backend.voter(checked.voter_id)
        status = checked.status if checked.status != "verified" or voter else "expired"
        return Prepared(CodeChecked(status, checked.attempts_left, client), entry, voter)
    if verdict.found:
        entry |= {"intent": SECRET_INTENT, "confidence": 1.0}
        return Prepared(SecretShared(tuple(str(k) for k in verdict.kinds), client), entry)

    if state.expecting in ("email_for_code", "email_for_link"):
        address = find_address(masked)
        if address is not None and state.expecting == "email_for_code":
            started = await backend.start_identity(conversation_id, address, channel, now)
            return _started(started, address, locale, entry, client, send_code)
        if address is not None:
            request = await backend.request_activation_link(conversation_id, address, channel, now)
            prepared = Prepared(LinkRequested(request.status, client), entry)
            voter = request.voter
            if voter is not None:
                prepared.after_commit.append(lambda: send_link(voter, locale))
            return prepared

    command = parse_command(masked)
    if command is not None:
        return Prepared(Command(command[0], command[1], client), entry)
    understood = understander.understand(masked, state.locale)
    if understood is not None:
        entry |= {"intent": understood.intent, "confidence": understood.confidence}
    return Prepared(Typed(masked, understood, client), entry)


def _started(
    started: StartedInfo,
    address: str,
    locale: str,
    entry: dict[str, object],
    client: str | None,
    send_code: Callable[[str, str, str], Awaitable[None]],
) -> Prepared:
    prepared = Prepared(IdentityStarted(started.status, client), entry)
    code = started.code
    if code is not None:
        prepared.after_commit.append(lambda: send_code(address, code, locale))
    return prepared


async def prepare_offered_address(
    event: Click,
    state: ConversationState,
    entry: dict[str, object],
    *,
    conversation_id: str,
    channel: str,
    backend: TurnServices,
    send_code: Callable[[str, str, str], Awaitable[None]],
    now: datetime,
) -> Prepared:
    """A click on "Vérifier cette adresse": the proof starts with the address written earlier."""
    address = state.offered_address
    if event.action != USE_ADDRESS_STATE or address is None:
        return Prepared(event, entry)
    started = await backend.start_identity(conversation_id, address, channel, now)
    locale = event.client_locale or state.locale
    return _started(started, address, locale, entry, event.client_locale, send_code)
