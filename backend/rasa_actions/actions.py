"""The custom actions a Rasa assistant calls: election phase, activation link, identity code,
hand-off link, a person. Each writes its answers to the dispatcher and returns Rasa events.

No secret ever goes into a slot, an event or a log: the identity code is read from the latest
message (after the guard) and only its verdict is kept; the proof of identity stays in the backend
(a slot can be set by the Rasa side, so `identity_verified` alone never opens anything); the
hand-off token travels only in the link of a URL button.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker  # type: ignore[import-untyped]
from rasa_sdk.events import ConversationPaused, SlotSet  # type: ignore[import-untyped]
from rasa_sdk.executor import CollectingDispatcher  # type: ignore[import-untyped]

from backend.rasa_actions import Ports, Proof
from backend.rasa_actions.turn import (
    ONE_TIME_CODE,
    PURPOSE_LABELS,
    SLOT_ATTEMPTS_LEFT,
    SLOT_LANGUAGE,
    SLOT_PHASE,
    SLOT_PURPOSE,
    SLOT_VERIFIED,
    SLOT_VERIFIED_UNTIL,
    SLOT_VOTE_CLOSES,
    SLOT_VOTE_OPENS,
    Event,
    Turn,
    allowed_purposes,
    conversation_id,
    slots_of,
    typed_code,
)

log = logging.getLogger(__name__)


class BackendAction(Action):  # type: ignore[misc]
    """A custom action answered by the backend; one boundary for what nobody expected."""

    action_name: ClassVar[str]

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    def name(self) -> str:
        """The action's name in the Rasa domain."""
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[Event]:
        """Answers in the conversation's language; an unexpected error is logged, not shown."""
        turn = Turn(
            self.ports,
            dispatcher,
            tracker,
            conversation_id(tracker.sender_id),
            self.ports.assistant.locale(slots_of(tracker).get(SLOT_LANGUAGE)),
            self.ports.clock(),
        )
        try:
            return await self.answer(turn)
        except Exception:
            log.exception("Rasa action %s failed in %s", self.action_name, turn.conversation_id)
            dispatcher.messages.clear()
            turn.say("webchat.error_generic")
            return []

    async def answer(self, turn: Turn) -> list[Event]:
        """What the action says and the events it returns."""
        raise NotImplementedError


class ElectionPhase(BackendAction):
    """Where the election stands: its phase and dates in slots, a short text."""

    action_name = "action_election_phase"

    _KEYS: ClassVar[dict[str, tuple[str, ...]]] = {
        "before_activation": ("vote.dates.upcoming", "vote.dates.spaces"),
        "activation_open": ("vote.dates.upcoming", "vote.dates.activate"),
        "vote_open": ("vote.dates.open",),
        "vote_closed": ("vote.dates.closed",),
    }

    async def answer(self, turn: Turn) -> list[Event]:
        """Sets `election_phase`, `vote_opens`, `vote_closes`; says the dates."""
        phase = turn.phase()
        dates = turn.ports.assistant.dates(turn.locale, turn.now)
        turn.say(*self._KEYS[phase])
        return [
            SlotSet(SLOT_PHASE, phase),
            SlotSet(SLOT_VOTE_OPENS, dates.vote_opens),
            SlotSet(SLOT_VOTE_CLOSES, dates.vote_closes),
        ]


class SendActivationLink(BackendAction):
    """A new activation link to the slot's address, with the same answer for any address."""

    action_name = "action_send_activation_link"

    async def answer(self, turn: Turn) -> list[Event]:
        """Asks the backend for the link; the mail leaves after commit, if the address is known."""
        phase = turn.phase()
        if phase == "before_activation":
            turn.say("activation.mail_missing.before")
            return []
        if phase == "vote_closed":
            turn.say("activation.start.closed")
            return []
        address, events = turn.address()
        if address is None:
            return events
        status = await turn.ports.backend.request_activation_link(
            turn.conversation_id, address, turn.locale, turn.now
        )
        turn.say("activation.link_requested" if status == "sent" else "identity.rate_limited")
        return []


class StartIdentity(BackendAction):
    """A 6-digit code mailed to the slot's address, with the same answer for any address."""

    action_name = "action_start_identity"

    async def answer(self, turn: Turn) -> list[Event]:
        """Starts the challenge (a previous proof no longer counts); never shows the code."""
        address, events = turn.address()
        if address is None:
            return events
        status = await turn.ports.backend.start_identity(
            turn.conversation_id, address, turn.locale, turn.now
        )
        if status != "sent":
            turn.say("identity.rate_limited")
            return []
        turn.say("identity.code_sent")
        return [
            SlotSet(SLOT_VERIFIED, False),
            SlotSet(SLOT_VERIFIED_UNTIL, None),
            SlotSet(SLOT_ATTEMPTS_LEFT, None),
        ]


class CheckIdentityCode(BackendAction):
    """Checks the code of the latest message; the code itself is never repeated nor kept."""

    action_name = "action_check_identity_code"

    async def answer(self, turn: Turn) -> list[Event]:
        """Verified: `identity_verified`, `voter_verified_until`; else `identity_attempts_left`."""
        latest = turn.tracker.latest_message
        message = latest.get("text") if isinstance(latest, dict) else None
        text = message if isinstance(message, str) else ""
        screened = turn.ports.assistant.screen(text, expecting_code=True)
        if set(screened.kinds) - {ONE_TIME_CODE}:
            turn.warn_secret()
            return []
        code = typed_code(text)
        if code is None:
            turn.say("identity.code_format")
            return []
        checked = await turn.ports.backend.check_code(turn.conversation_id, code, turn.now)
        if checked.status == "verified" and checked.verified_until is not None:
            purposes = allowed_purposes(turn.phase(), checked.activated)
            turn.say(
                "identity.verified",
                buttons=turn.purpose_buttons(purposes),
                first_name=checked.first_name,
            )
            return [
                SlotSet(SLOT_VERIFIED, True),
                SlotSet(SLOT_VERIFIED_UNTIL, checked.verified_until.isoformat()),
                SlotSet(SLOT_ATTEMPTS_LEFT, None),
            ]
        if checked.status == "wrong":
            turn.say("identity.code_wrong", attempts_left=checked.attempts_left)
            return [
                SlotSet(SLOT_VERIFIED, False),
                SlotSet(SLOT_ATTEMPTS_LEFT, checked.attempts_left),
            ]
        if checked.status == "locked":
            turn.say("identity.locked")
            return [SlotSet(SLOT_VERIFIED, False), SlotSet(SLOT_ATTEMPTS_LEFT, 0)]
        turn.say("identity.code_expired")
        return [SlotSet(SLOT_VERIFIED, False), SlotSet(SLOT_ATTEMPTS_LEFT, None)]


class IssueHandoff(BackendAction):
    """A single-use link to the secure step, for a voter the backend saw prove their address."""

    action_name = "action_issue_handoff"

    _REFUSED: ClassVar[dict[tuple[str, str], str]] = {
        ("vote", "before_activation"): "vote.start.before",
        ("vote", "activation_open"): "vote.start.before",
        ("vote", "vote_closed"): "vote.start.closed",
        ("reassort", "before_activation"): "reassort.start.before",
        ("reassort", "activation_open"): "reassort.start.before",
        ("reassort", "vote_closed"): "reassort.start.closed",
        ("password", "before_activation"): "menu.welcome.before",
        ("password", "vote_closed"): "activation.start.closed",
    }
    _READY: ClassVar[dict[str, str]] = {
        "vote": "account.start.vote_open",
        "reassort": "account.start.vote_open",
        "password": "refportal.confirm",
    }

    async def answer(self, turn: Turn) -> list[Event]:
        """Needs `identity_verified` and the backend's proof; answers with a URL button."""
        proof = None
        if turn.slot(SLOT_VERIFIED) is True:
            proof = await turn.ports.backend.proof(turn.conversation_id, turn.now)
        if proof is None:
            turn.say("identity.ask_email")
            return [SlotSet(SLOT_VERIFIED, False), SlotSet(SLOT_VERIFIED_UNTIL, None)]
        purpose = turn.slot(SLOT_PURPOSE)
        phase = turn.phase()
        if purpose not in PURPOSE_LABELS:
            self._choose(turn, proof, phase)
            return []
        refusal = self._REFUSED.get((purpose, phase))
        if refusal is None and not proof.activated:
            refusal = "account.start.not_activated"
        if refusal is not None:
            turn.say(refusal)
            return [SlotSet(SLOT_PURPOSE, None)]
        url = await turn.ports.backend.handoff_url(proof, purpose, turn.conversation_id, turn.now)
        button = {"title": turn.text(PURPOSE_LABELS[purpose]), "url": url, "type": "web_url"}
        turn.say(self._READY[purpose], buttons=[button])
        return [SlotSet(SLOT_PURPOSE, None)]

    @staticmethod
    def _choose(turn: Turn, proof: Proof, phase: str) -> None:
        """No purpose (or an unknown one): the purposes open now, as payload buttons."""
        buttons = turn.purpose_buttons(allowed_purposes(phase, proof.activated))
        if phase == "before_activation":
            key = "menu.welcome.before"
        elif phase == "vote_closed":
            key = "activation.start.closed"
        elif not proof.activated:
            key = "account.start.not_activated"
        elif phase == "vote_open":
            key = "account.start.vote_open"
        else:
            key = "account.start.before_vote"
        turn.say(key, buttons=buttons)


class RequestHuman(BackendAction):
    """The voter asks for a person: recorded, answered, and the Rasa conversation paused."""

    action_name = "action_request_human"

    async def answer(self, turn: Turn) -> list[Event]:
        """Returns `ConversationPaused()`: Rasa stays silent until a `resume` event."""
        await turn.ports.backend.request_human(turn.conversation_id, turn.now)
        turn.say("agent.start")
        return [ConversationPaused()]


ACTIONS: tuple[type[BackendAction], ...] = (
    ElectionPhase,
    SendActivationLink,
    StartIdentity,
    CheckIdentityCode,
    IssueHandoff,
    RequestHuman,
)
"""Every action of the server, in the order the documentation gives them."""


def build_actions(ports: Ports) -> list[BackendAction]:
    """One instance of every action, bound to `ports`."""
    return [action(ports) for action in ACTIONS]
