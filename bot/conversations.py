"""The conversation service: one turn from inbound message to stored, rendered replies."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import asdict, dataclass

from bot.clock import Clock
from bot.election import Election
from bot.engine.model import Flows
from bot.engine.step import button_labels, first_state, is_known_action, parse_command, step
from bot.engine.turn import (
    Click,
    Command,
    ConversationState,
    Event,
    QueueForAgent,
    Start,
    Status,
    Text,
    TurnContext,
    TurnResult,
    Typed,
    Understood,
)
from bot.i18n.catalog import DEFAULT_LOCALE, Catalogs
from bot.i18n.render import RenderedMessage, render, render_text
from bot.nlu.understander import Understander
from bot.store import ConversationStore, Snapshot

log = logging.getLogger(__name__)

MAX_TEXT = 4000


class ConversationError(Exception):
    """A request the service refuses; `code` names it for the API, nothing secret in it."""

    code = "bad_request"
    message = "The request cannot be handled."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class ConversationNotFound(ConversationError):
    """No conversation has this id."""

    code = "conversation_not_found"
    message = "No conversation has this id."


class EmptyText(ConversationError):
    """The message has no text."""

    code = "empty_text"
    message = "The message is empty."


class TextTooLong(ConversationError):
    """The message is over the length limit."""

    code = "text_too_long"
    message = f"The message is longer than {MAX_TEXT} characters."


class UnknownActionError(ConversationError):
    """The button action is not one the assistant offers."""

    code = "unknown_action"
    message = "This button action does not exist."


class UnknownLocale(ConversationError):
    """The language is not one the assistant speaks."""

    code = "unknown_locale"
    message = "This language is not available."


@dataclass(frozen=True, slots=True)
class Inbound:
    """A voter's message from any channel: typed text or a button's action."""

    text: str | None = None
    action: str | None = None
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a channel shows after a turn."""

    conversation_id: str
    messages: tuple[RenderedMessage, ...]
    understood: Understood | None
    status: Status
    locale: str


class Conversations:
    """Runs turns: validate, load, understand, step, store state and transcript, render."""

    def __init__(
        self,
        *,
        flows: Flows,
        catalogs: Catalogs,
        election: Election,
        understander: Understander,
        store: ConversationStore,
        clock: Clock,
        threshold: float = 0.6,
    ) -> None:
        self.flows = flows
        self.catalogs = catalogs
        self.election = election
        self.understander = understander
        self.store = store
        self.clock = clock
        self.threshold = threshold
        self._labels = button_labels(flows, catalogs.locales)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def context(self) -> TurnContext:
        """What the engine may know for a turn happening now."""
        return TurnContext(
            now=self.clock.now(),
            election=self.election,
            labels=self.catalogs.texts,
            threshold=self.threshold,
        )

    def _locale(self, locale: str | None) -> str | None:
        if locale is None:
            return None
        found = self.catalogs.supported(locale)
        if found is None:
            raise UnknownLocale()
        return found

    async def start(
        self, channel: str, locale: str | None = None, topic: str | None = None
    ) -> Outcome:
        """Opens a conversation and answers with the welcome."""
        chosen = self._locale(locale)
        ctx = self.context()
        state = first_state(chosen or DEFAULT_LOCALE)
        result = step(self.flows, state, Start(client_locale=chosen, topic=topic), ctx)
        messages = self._render(result)
        async with self.store.transaction() as tx:
            conversation_id = await tx.create(
                channel, _snapshot(result.state), result.state.status, result.state.locale, ctx.now
            )
            await tx.append(conversation_id, [_bot_entry(m) for m in messages], ctx.now)
        return Outcome(conversation_id, messages, None, result.state.status, result.state.locale)

    def validate(self, inbound: Inbound) -> Event:
        """The engine event of a voter's message; raises before anything is stored."""
        locale = self._locale(inbound.locale)
        if inbound.action is not None:
            if not is_known_action(self.flows, inbound.action, self.catalogs.locales):
                raise UnknownActionError()
            return Click(inbound.action, client_locale=locale)
        text = inbound.text or ""
        if not text.strip():
            raise EmptyText()
        if len(text) > MAX_TEXT:
            raise TextTooLong()
        command = parse_command(text)
        if command is not None:
            return Command(command[0], command[1], client_locale=locale)
        return Typed(text.strip(), client_locale=locale)

    async def handle(self, conversation_id: str, inbound: Inbound) -> Outcome:
        """One turn: the voter's message is stored with the replies, then the replies returned."""
        event = self.validate(inbound)
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        async with lock, self.store.transaction() as tx:
            snapshot = await tx.load(conversation_id)
            if snapshot is None:
                raise ConversationNotFound()
            state = _state(snapshot)
            ctx = self.context()
            if isinstance(event, Typed) and parse_command(event.text) is None:
                understood = self.understander.understand(event.text, state.locale)
                event = Typed(event.text, understood, event.client_locale)
            voter = self._voter_entry(event, state)
            result = step(self.flows, state, event, ctx)
            messages = self._render(result)
            await tx.save(
                conversation_id,
                _snapshot(result.state),
                result.state.status,
                result.state.locale,
                ctx.now,
            )
            await tx.append(conversation_id, [voter, *(_bot_entry(m) for m in messages)], ctx.now)
        for effect in result.effects:
            if isinstance(effect, QueueForAgent):
                log.info("conversation %s queued for an agent", conversation_id)
        return Outcome(
            conversation_id,
            messages,
            result.understood,
            result.state.status,
            result.state.locale,
        )

    async def history(self, conversation_id: str) -> tuple[Snapshot, list[dict[str, object]]]:
        """The conversation's state and transcript."""
        async with self.store.transaction() as tx:
            snapshot = await tx.load(conversation_id)
            if snapshot is None:
                raise ConversationNotFound()
            return snapshot, await tx.transcript(conversation_id)

    def _render(self, result: TurnResult) -> tuple[RenderedMessage, ...]:
        return tuple(render(r, self.catalogs, result.state.locale) for r in result.replies)

    def _label_key(self, action: str, state: ConversationState) -> str:
        """The label of the button that sends `action`: the current state's, or any other's."""
        current = self.flows.states.get(state.state)
        for button in current.buttons if current is not None else ():
            if button.action == action:
                return button.label
        return self._labels.get(action, action)

    def _voter_entry(self, event: Event, state: ConversationState) -> dict[str, object]:
        if isinstance(event, Click):
            label = render_text(
                Text(self._label_key(event.action, state)), self.catalogs, state.locale
            )
            return {"sender": "voter", "text": label, "action": event.action}
        if isinstance(event, Command):
            return {"sender": "voter", "text": f"/{event.name} {event.arg}".strip()}
        assert isinstance(event, Typed)
        entry: dict[str, object] = {"sender": "voter", "text": event.text}
        if event.understood is not None:
            entry["intent"] = event.understood.intent
            entry["confidence"] = event.understood.confidence
        return entry


def _snapshot(state: ConversationState) -> dict[str, object]:
    return asdict(state)


def _state(snapshot: Snapshot) -> ConversationState:
    known = ConversationState.__dataclass_fields__
    data = {k: v for k, v in snapshot.items() if k in known}
    return ConversationState(**data)  # type: ignore[arg-type]


def _bot_entry(message: RenderedMessage) -> dict[str, object]:
    return {
        "sender": "bot",
        "text": message.text,
        "buttons": [b.as_json() for b in message.buttons],
    }
