"""The conversation service: one turn from inbound message to stored, rendered replies."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import fields, replace
from datetime import datetime, timedelta

from backend.background import BackgroundWork
from bot.clock import Clock
from bot.conversation_types import (
    MAX_TEXT,
    ConversationError,
    ConversationNotFound,
    EmptyText,
    Inbound,
    Outcome,
    TextTooLong,
    UnknownActionError,
    UnknownLocale,
)
from bot.coordination import Coordination, LocalCoordination
from bot.election import Election
from bot.engine.model import Flows
from bot.engine.step import button_labels, first_state, is_known_action, step
from bot.engine.turn import (
    Click,
    ConversationState,
    QueueForAgent,
    Reply,
    SendActivationLink,
    Start,
    Text,
    TurnContext,
    TurnResult,
    Typed,
)
from bot.guard import inspect
from bot.i18n.catalog import DEFAULT_LOCALE, Catalogs
from bot.i18n.render import RenderedMessage, render, render_text
from bot.inbound import AfterCommit, prepare_offered_address, prepare_text
from bot.mails import Mails
from bot.nlu.understander import Understander
from bot.store import ConversationStore, Snapshot, TurnServices, VoterInfo

log = logging.getLogger(__name__)

__all__ = [
    "MAX_TEXT",
    "ConversationError",
    "ConversationNotFound",
    "Conversations",
    "EmptyText",
    "Inbound",
    "Outcome",
    "TextTooLong",
    "UnknownActionError",
    "UnknownLocale",
]
"""The service, and what it takes and gives (`bot.conversation_types`), importable from here."""


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
        mails: Mails,
        threshold: float = 0.6,
        clarify_threshold: float = 0.25,
        binding_ttl: timedelta = timedelta(minutes=30),
        coordination: Coordination | None = None,
    ) -> None:
        self.flows = flows
        self.catalogs = catalogs
        self.election = election
        self.understander = understander
        self.store = store
        self.clock = clock
        self.mails = mails
        self.threshold = threshold
        self.clarify_threshold = clarify_threshold
        self.binding_ttl = binding_ttl
        self._background = BackgroundWork("conversations")
        self._labels = button_labels(flows, catalogs.locales)
        self.coordination: Coordination = coordination or LocalCoordination()

    def context(self, voter: VoterInfo | None = None, now: datetime | None = None) -> TurnContext:
        """What the engine may know for a turn happening now."""
        return TurnContext(
            now=now or self.clock.now(),
            election=self.election,
            labels=self.catalogs.texts,
            threshold=self.threshold,
            clarify_threshold=self.clarify_threshold,
            voter=voter,
            binding_ttl=self.binding_ttl,
        )

    def _locale(self, locale: str | None) -> str | None:
        if locale is None:
            return None
        found = self.catalogs.supported(locale)
        if found is None:
            raise UnknownLocale()
        return found

    async def start(
        self,
        channel: str,
        locale: str | None = None,
        topic: str | None = None,
        chat_key: str | None = None,
        update_key: str | None = None,
        opening: str | None = None,
    ) -> Outcome:
        """Opens a conversation (of a channel's chat, if given) and answers with the welcome.

        A chat's conversation is opened once: if another turn opened it meanwhile, nothing is
        stored and no message returned. `update_key`, the channel's delivery that opens it, is
        claimed in the same transaction (see `handle`). `opening`, the voter's message that
        opened it (Telegram's `/start`, with its deep link), is the transcript's first line,
        masked by the guard like every voter line."""
        chosen = self._locale(locale)
        ctx = self.context()
        state = first_state(chosen or DEFAULT_LOCALE)
        result = step(self.flows, state, Start(client_locale=chosen, topic=topic), ctx)
        messages = self._render(result)
        lock_key = f"{channel}:{chat_key}" if chat_key is not None else None
        async with contextlib.AsyncExitStack() as stack:
            if lock_key is not None:
                await stack.enter_async_context(self.coordination.turn(lock_key))
            tx = await stack.enter_async_context(self.store.transaction())
            if chat_key is not None and (found := await tx.find(channel, chat_key)) is not None:
                # Opened meanwhile by another worker's turn: that one welcomed the voter.
                return Outcome(found, (), None, result.state.status, result.state.locale)
            conversation_id = await tx.create(
                channel,
                _snapshot(result.state, channel),
                result.state.status,
                result.state.locale,
                ctx.now,
                chat_key,
            )
            said: list[dict[str, object]] = (
                [] if opening is None else [{"sender": "voter", "text": inspect(opening).masked}]
            )
            entries = said + [_bot_entry(m) for m in messages]
            await tx.append(conversation_id, entries, ctx.now)
            if update_key is not None:
                await tx.claim_update(channel, update_key, conversation_id, ctx.now)
        if update_key is not None:
            await self.coordination.remember(channel, update_key)
        return Outcome(conversation_id, messages, None, result.state.status, result.state.locale)

    async def find_chat(self, channel: str, chat_key: str) -> str | None:
        """The conversation of a channel's chat (a Telegram chat), if it has one."""
        async with self.store.transaction() as tx:
            return await tx.find(channel, chat_key)

    def validate(self, inbound: Inbound) -> Typed | Click:
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
        return Typed(text.strip(), client_locale=locale)

    async def handle(
        self,
        conversation_id: str | None,
        inbound: Inbound,
        update_key: str | None = None,
        *,
        chat: tuple[str, str] | None = None,
    ) -> Outcome:
        """One turn: the voter's message is stored with the replies, then the replies returned.

        A typed text goes through the guard before anything stores, logs or reads it. With an
        `update_key` (a channel's delivery id), a redelivered update is not answered twice: the
        key is claimed in the turn's own transaction, with the new state, and a turn that finds
        it claimed is rolled back (nothing stored, nothing sent, no mail). Without a
        conversation id, `chat` (channel, chat key) finds the conversation in that same
        transaction."""
        inbound_event = self.validate(inbound)
        if conversation_id is None and chat is None:
            raise ConversationNotFound()
        lock_key = conversation_id or ":".join(chat or ())
        async with self.coordination.turn(lock_key), self.store.transaction() as tx:
            if conversation_id is not None:
                snapshot = await tx.load(conversation_id)
            elif chat is not None and (found := await tx.load_chat(*chat)) is not None:
                conversation_id, snapshot = found
            else:
                raise ConversationNotFound()
            if snapshot is None:
                raise ConversationNotFound()
            state = _state(snapshot)
            channel = str(snapshot.get("channel", "webchat"))
            now = self.clock.now()
            duplicate = Outcome(conversation_id, (), None, state.status, state.locale, True)
            if update_key is not None and await self.coordination.answered(channel, update_key):
                return duplicate
            voter = await self._bound_voter(tx.backend, state, now)
            if isinstance(inbound_event, Typed):
                prepared = await prepare_text(
                    inbound_event,
                    state,
                    conversation_id=conversation_id,
                    channel=channel,
                    backend=tx.backend,
                    understander=self.understander,
                    send_code=self.mails.send_identity_code,
                    send_link=self._send_link,
                    now=now,
                )
                voter = prepared.voter or voter
            else:
                prepared = await prepare_offered_address(
                    inbound_event,
                    state,
                    self._click_entry(inbound_event, state),
                    conversation_id=conversation_id,
                    channel=channel,
                    backend=tx.backend,
                    send_code=self.mails.send_identity_code,
                    now=now,
                )
            event, entry, after_commit = prepared.event, prepared.entry, prepared.after_commit
            result = step(self.flows, state, event, self.context(voter, now))
            replies = await self._with_links(result, tx.backend, conversation_id, channel, now)
            messages = tuple(render(r, self.catalogs, result.state.locale) for r in replies)
            if not await tx.finish(
                conversation_id,
                _snapshot(result.state, channel),
                result.state.status,
                result.state.locale,
                now,
                [entry, *(_bot_entry(m) for m in messages)],
                update=None if update_key is None else (channel, update_key),
            ):
                return duplicate  # a redelivery: this turn's writes are rolled back
        if update_key is not None:
            await self.coordination.remember(channel, update_key)
        for effect in result.effects:
            if isinstance(effect, QueueForAgent):
                log.info("conversation %s queued for an agent", conversation_id)
            elif isinstance(effect, SendActivationLink):
                after_commit.append(self._link_sender(effect.voter_id, result.state.locale))
        for work in after_commit:
            self._background.start(work)
        return Outcome(
            conversation_id,
            messages,
            result.understood,
            result.state.status,
            result.state.locale,
        )

    async def _bound_voter(
        self, backend: TurnServices, state: ConversationState, now: datetime
    ) -> VoterInfo | None:
        """The voter this conversation proved, while the proof holds."""
        if state.voter_id is None or state.verified_until is None:
            return None
        if datetime.fromisoformat(state.verified_until) <= now:
            return None
        return await backend.voter(state.voter_id)

    async def _with_links(
        self,
        result: TurnResult,
        backend: TurnServices,
        conversation_id: str,
        channel: str,
        now: datetime,
    ) -> tuple[Reply, ...]:
        """The replies with a fresh single-use link in each hand-off button."""
        voter_id = result.state.voter_id
        replies = []
        for reply in result.replies:
            if all(button.handoff is None for button in reply.buttons):
                replies.append(reply)
                continue
            buttons = []
            for button in reply.buttons:
                if button.handoff is not None:
                    if voter_id is None:
                        continue
                    url = await backend.handoff_url(
                        voter_id, button.handoff, conversation_id, channel, now
                    )
                    button = replace(button, url=url)
                buttons.append(button)
            replies.append(replace(reply, buttons=tuple(buttons)))
        return tuple(replies)

    async def _send_link(self, voter: VoterInfo, locale: str) -> None:
        await self.mails.send_activation_link(voter.id, locale)

    def _link_sender(self, voter_id: int, locale: str) -> AfterCommit:
        return lambda: self.mails.send_activation_link(voter_id, locale)

    async def drain(self) -> None:
        """Waits for post-commit work (mails) to finish: at shutdown and in tests."""
        await self._background.drain()

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

    def _click_entry(self, event: Click, state: ConversationState) -> dict[str, object]:
        """The transcript line of a click: the label the voter saw."""
        label = render_text(Text(self._label_key(event.action, state)), self.catalogs, state.locale)
        return {"sender": "voter", "text": label, "action": event.action}


_STATE_FIELDS = tuple(f.name for f in fields(ConversationState))


def _snapshot(state: ConversationState, channel: str) -> dict[str, object]:
    # Its fields are plain values: no need for `asdict`'s deep copy.
    snapshot: dict[str, object] = {name: getattr(state, name) for name in _STATE_FIELDS}
    snapshot["channel"] = channel
    return snapshot


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
