"""The custom actions a Rasa assistant calls: election phase, activation link, identity code,
hand-off link, a person. Each writes its answers to the dispatcher and returns Rasa events.

No secret ever goes into a slot, an event or a log: the identity code is read from the latest
message (after the guard) and only its verdict is kept; the proof of identity stays in the backend
(a slot can be set by the Rasa side, so `identity_verified` alone never opens anything); the
hand-off token travels only in the link of a URL button.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker  # type: ignore[import-untyped]
from rasa_sdk.events import ConversationPaused, SlotSet  # type: ignore[import-untyped]
from rasa_sdk.executor import CollectingDispatcher  # type: ignore[import-untyped]

from backend.rasa_actions import Ports, Proof

log = logging.getLogger(__name__)

Event = dict[str, Any]
"""A Rasa event as rasa-sdk's helpers write it (`SlotSet(...)` and the like)."""

Button = dict[str, str]
"""A Rasa button: `{"title", "payload"}`, or `{"title", "url", "type": "web_url"}`."""

SLOT_EMAIL = "professional_email"
SLOT_LANGUAGE = "language"
SLOT_PHASE = "election_phase"
SLOT_VOTE_OPENS = "vote_opens"
SLOT_VOTE_CLOSES = "vote_closes"
SLOT_VERIFIED = "identity_verified"
SLOT_VERIFIED_UNTIL = "voter_verified_until"
SLOT_ATTEMPTS_LEFT = "identity_attempts_left"
SLOT_PURPOSE = "handoff_purpose"

SLOTS = frozenset(
    {
        SLOT_EMAIL,
        SLOT_LANGUAGE,
        SLOT_PHASE,
        SLOT_VOTE_OPENS,
        SLOT_VOTE_CLOSES,
        SLOT_VERIFIED,
        SLOT_VERIFIED_UNTIL,
        SLOT_ATTEMPTS_LEFT,
        SLOT_PURPOSE,
    }
)
"""Every slot the actions read or set; the domain must declare them (see docs/rasa.md)."""

HANDOFF_INTENT = "request_handoff"
"""The intent of the payload buttons that choose a hand-off purpose: `/request_handoff{...}`."""

PURPOSE_LABELS = {
    "vote": "account.btn.vote",
    "reassort": "account.btn.reassort",
    "password": "account.btn.password",
}
"""The hand-off purposes a Rasa assistant may ask for, and their buttons' labels."""

CHANNEL = "rasa"
"""The channel name the backend records (audit, hand-off tokens)."""

MAX_CONVERSATION_ID = 36
"""The backend's conversation ids are at most 36 characters (a UUID's length)."""

_ONE_TIME_CODE = "one_time_code"
_CODE = re.compile(r"(?<![0-9/.,:-])[0-9]{6}(?![/.,:-]?[0-9])")

KEYS = frozenset(
    {
        "vote.dates.upcoming",
        "vote.dates.spaces",
        "vote.dates.activate",
        "vote.dates.open",
        "vote.dates.closed",
        "identity.email_invalid",
        "identity.rate_limited",
        "identity.code_sent",
        "identity.code_format",
        "identity.code_wrong",
        "identity.code_expired",
        "identity.locked",
        "identity.verified",
        "identity.ask_email",
        "activation.link_requested",
        "activation.mail_missing.before",
        "activation.start.closed",
        "account.start.not_activated",
        "account.start.vote_open",
        "account.start.before_vote",
        "menu.welcome.before",
        "vote.start.before",
        "vote.start.closed",
        "reassort.start.before",
        "reassort.start.closed",
        "refportal.confirm",
        "guard.warning",
        "guard.warning.open",
        "guard.warning.not_open",
        "agent.start",
        "webchat.error_generic",
        *PURPOSE_LABELS.values(),
    }
)
"""The catalogue keys the actions use (for the catalogue tests)."""


def conversation_id(sender_id: object) -> str:
    """The backend's conversation id of a Rasa conversation: `rasa:` and the sender id.

    A sender id too long for the backend's 36 characters, or starting with `~`, is replaced by
    `~` and 30 hexadecimal digits of its SHA-256, so that the two forms never meet.
    """
    sender = str(sender_id)
    candidate = f"rasa:{sender}"
    if len(candidate) <= MAX_CONVERSATION_ID and candidate.isprintable() and sender[:1] != "~":
        return candidate
    return "rasa:~" + hashlib.sha256(sender.encode()).hexdigest()[:30]


def typed_code(text: str) -> str | None:
    """The one 6-digit code typed at the code prompt ("123456", "123 456", "code 123456")."""
    compact = "".join(text.split())
    if len(compact) == 6 and compact.isascii() and compact.isdigit():
        return compact
    found = _CODE.findall(text)
    return found[0] if len(found) == 1 else None


def allowed_purposes(phase: str, activated: bool) -> tuple[str, ...]:
    """The hand-offs a verified voter may get now: as the assistant's own account flow offers."""
    if not activated:
        return ()
    if phase == "vote_open":
        return ("vote", "reassort", "password")
    if phase == "activation_open":
        return ("password",)
    return ()


def slots_of(tracker: Tracker) -> dict[str, Any]:
    """The tracker's slots (an empty mapping when Rasa sent none)."""
    slots = tracker.slots
    return slots if isinstance(slots, dict) else {}


@dataclass(slots=True)
class Turn:
    """One action call: the conversation, its language, the instant, where answers go."""

    ports: Ports
    dispatcher: CollectingDispatcher
    tracker: Tracker
    conversation_id: str
    locale: str
    now: datetime

    def slot(self, name: str) -> Any:
        """A slot's value, None when the tracker does not have it."""
        return slots_of(self.tracker).get(name)

    def text(self, key: str, **params: object) -> str:
        """A catalogue text in the conversation's language."""
        return self.ports.assistant.text(key, self.locale, self.now, **params)

    def say(self, *keys: str, buttons: list[Button] | None = None, **params: object) -> None:
        """One message: the texts of `keys` as paragraphs, and buttons."""
        text = "\n\n".join(self.text(key, **params) for key in keys)
        self.dispatcher.utter_message(text=text, buttons=buttons or [])

    def phase(self) -> str:
        """The election's phase now."""
        return self.ports.assistant.phase(self.now)

    def purpose_buttons(self, purposes: tuple[str, ...]) -> list[Button]:
        """Payload buttons that ask for a hand-off: `/request_handoff{"handoff_purpose": ...}`."""
        return [
            {
                "title": self.text(PURPOSE_LABELS[purpose]),
                "payload": f"/{HANDOFF_INTENT}{json.dumps({SLOT_PURPOSE: purpose})}",
            }
            for purpose in purposes
        ]

    def warn_secret(self) -> None:
        """The guard's answer to a message that looked like a secret."""
        phase = self.phase()
        if phase == "vote_open":
            self.say("guard.warning", "guard.warning.open")
        elif phase == "vote_closed":
            self.say("guard.warning")
        else:
            self.say("guard.warning", "guard.warning.not_open")

    def address(self) -> tuple[str | None, list[Event]]:
        """The professional address of the slot, normalised; or None, answered and cleared."""
        value = self.slot(SLOT_EMAIL)
        if isinstance(value, list):  # several e-mail entities in one message: the first
            value = next((v for v in value if isinstance(v, str)), None)
        screened = self.ports.assistant.screen(
            value if isinstance(value, str) else "", expecting_code=False
        )
        if screened.kinds:
            self.warn_secret()
            return None, [SlotSet(SLOT_EMAIL, None)]
        address = self.ports.assistant.find_address(screened.masked)
        if address is None:
            self.say("identity.email_invalid")
            return None, [SlotSet(SLOT_EMAIL, None)]
        return address, []


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
        if set(screened.kinds) - {_ONE_TIME_CODE}:
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
