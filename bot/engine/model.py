"""The flow model: states, messages, buttons and conditions, as loaded from `dialogs/flows/`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME = re.compile(r"^[a-z][a-z0-9_]*$")

START_STATE = "menu.welcome"
MENU_STATE = "menu.start"
HELP_STATE = "help.start"
LANGUAGE_STATE = "language.choose"
AGENT_STATE = "agent.start"
FALLBACK_STATE = "fallback.not_understood"
FALLBACK_AGAIN_STATE = "fallback.offer_agent"
CLARIFY_STATE = "fallback.clarify"
SECRET_WARNING_STATE = "guard.warning"
ASK_EMAIL_STATE = "identity.ask_email"
CODE_SENT_STATE = "identity.code_sent"
CODE_WRONG_STATE = "identity.code_wrong"
CODE_FORMAT_STATE = "identity.code_format"
CODE_EXPIRED_STATE = "identity.code_expired"
LOCKED_STATE = "identity.locked"
RATE_LIMITED_STATE = "identity.rate_limited"
EMAIL_INVALID_STATE = "identity.email_invalid"
VERIFIED_STATE = "identity.verified"
USE_ADDRESS_STATE = "identity.use_address"
LINK_REQUESTED_STATE = "activation.link_requested"
REQUIRED_STATES = (
    START_STATE,
    MENU_STATE,
    HELP_STATE,
    LANGUAGE_STATE,
    AGENT_STATE,
    FALLBACK_STATE,
    FALLBACK_AGAIN_STATE,
    CLARIFY_STATE,
    SECRET_WARNING_STATE,
    ASK_EMAIL_STATE,
    CODE_SENT_STATE,
    CODE_WRONG_STATE,
    CODE_FORMAT_STATE,
    CODE_EXPIRED_STATE,
    LOCKED_STATE,
    RATE_LIMITED_STATE,
    EMAIL_INVALID_STATE,
    VERIFIED_STATE,
    USE_ADDRESS_STATE,
    LINK_REQUESTED_STATE,
)

BACKEND_ACTIONS = frozenset({"queue_for_agent", "send_activation_link"})
"""Backend actions a state may run on entry (`do:`); each is an effect the shell carries out."""

HANDOFF_PURPOSES = frozenset({"vote", "reassort", "password"})
"""Secure steps a button may hand a verified voter off to (`handoff:`)."""

Expect = Literal["email_for_code", "email_for_link", "code"]
"""What a state waits for: an address to prove, an address for a new link, the code."""

ACCOUNT_STATES = frozenset({"activated", "not_activated"})

MAX_ACTION_BYTES = 64


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """Keeps an item only in the listed phases, for a verified voter or not, by account state."""

    phase: tuple[str, ...] | None = Field(default=None, min_length=1)
    verified: bool | None = None
    account: tuple[str, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _something(self) -> Condition:
        if self.phase is None and self.verified is None and self.account is None:
            raise ValueError("a condition needs 'phase', 'verified' or 'account'")
        return self


class Say(_Strict):
    """One paragraph of a state's message: a message key, maybe conditional."""

    key: str = Field(min_length=1)
    when: Condition | None = Field(default=None, alias="if")


class ButtonSpec(_Strict):
    """A button: a step (`goto`), a link (`url`), or a hand-off to a secure step (`handoff`)."""

    label: str = Field(min_length=1)
    goto: str | None = None
    url: str | None = None
    handoff: str | None = None
    when: Condition | None = Field(default=None, alias="if")

    @model_validator(mode="after")
    def _one_target(self) -> ButtonSpec:
        if sum(x is not None for x in (self.goto, self.url, self.handoff)) != 1:
            raise ValueError("a button needs exactly one of 'goto', 'url' or 'handoff'")
        return self


class StateSpec(_Strict):
    """A state of a flow as written in YAML."""

    say: tuple[Say, ...] = ()
    buttons: tuple[ButtonSpec, ...] = ()
    intents: tuple[str, ...] = ()
    here: dict[str, str] = Field(default_factory=dict)
    """Intents that mean something else in this state: intent -> target state ("rien reçu" at
    the code prompt is about the code, not the activation mail)."""
    topic: str | None = None
    """The message key of a short label naming this state as a topic ("Mail d'activation non
    reçu"), for the buttons of "Voulez-vous dire… ?"; a state without one is never offered."""
    do: tuple[str, ...] = ()
    expect: Expect | None = None
    requires: Literal["verified"] | None = None
    nav: bool = True
    end: bool = False

    @field_validator("say", mode="before")
    @classmethod
    def _plain_keys(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"key": item} if isinstance(item, str) else item for item in value]
        return value


class FlowSpec(_Strict):
    """A flow file: its name and its states."""

    flow: str
    states: dict[str, StateSpec] = Field(min_length=1)

    @field_validator("flow")
    @classmethod
    def _flow_name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("a flow name is lowercase letters, digits and '_'")
        return value

    @field_validator("states")
    @classmethod
    def _state_names(cls, value: dict[str, StateSpec]) -> dict[str, StateSpec]:
        for name in value:
            if not NAME.match(name):
                raise ValueError(f"state name {name!r}: lowercase letters, digits and '_'")
        return value


@dataclass(frozen=True, slots=True)
class When:
    """A resolved condition; None in a field means "any"."""

    phases: frozenset[str] | None = None
    verified: bool | None = None
    account: frozenset[str] | None = None

    def holds(self, phase: str, verified: bool, account: str | None) -> bool:
        """Whether the item shows in this phase, for this voter."""
        return (
            (self.phases is None or phase in self.phases)
            and (self.verified is None or self.verified == verified)
            and (self.account is None or account in self.account)
        )


@dataclass(frozen=True, slots=True)
class Button:
    """A resolved button: its label key, and its action (a state id), link or hand-off."""

    label: str
    action: str | None
    link: str | None
    when: When | None
    handoff: str | None = None


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A resolved paragraph: a message key, maybe conditional."""

    key: str
    when: When | None


@dataclass(frozen=True, slots=True)
class State:
    """A resolved state, named `flow.state`, with its targets made absolute."""

    id: str
    flow: str
    say: tuple[Paragraph, ...]
    buttons: tuple[Button, ...]
    intents: tuple[str, ...]
    do: tuple[str, ...]
    nav: bool
    end: bool
    expect: str | None = None
    requires: str | None = None
    topic: str | None = None
    here: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Flows:
    """Every state of every flow, ready for the engine."""

    states: Mapping[str, State]
    versions: Mapping[str, str]
    """A fingerprint per flow, to notice a flow that changed under a waiting conversation."""
    by_intent: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, state_id: object) -> bool:
        return state_id in self.states

    def __iter__(self) -> Iterator[State]:
        return iter(self.states.values())

    def version_of(self, state_id: str) -> str | None:
        """The fingerprint of the flow holding `state_id`, or None if the state is gone."""
        state = self.states.get(state_id)
        return None if state is None else self.versions[state.flow]


def qualify(flow: str, target: str) -> str:
    """Makes a button target absolute: `start` in flow `x` is `x.start`."""
    return target if "." in target else f"{flow}.{target}"
