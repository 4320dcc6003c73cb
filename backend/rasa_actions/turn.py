"""What every custom action shares: the slots and keys of the Rasa contract, the conversation
id taken from Rasa's sender id, and `Turn`, one action call with its answers."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker  # type: ignore[import-untyped]
from rasa_sdk.events import SlotSet  # type: ignore[import-untyped]
from rasa_sdk.executor import CollectingDispatcher  # type: ignore[import-untyped]

from backend.rasa_actions import Ports

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

ONE_TIME_CODE = "one_time_code"
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
