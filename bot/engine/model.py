"""The flow model: states, messages, buttons and conditions, as loaded from `dialogs/flows/`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME = re.compile(r"^[a-z][a-z0-9_]*$")

START_STATE = "menu.welcome"
MENU_STATE = "menu.start"
HELP_STATE = "help.start"
LANGUAGE_STATE = "language.choose"
AGENT_STATE = "agent.start"
FALLBACK_STATE = "fallback.not_understood"
FALLBACK_AGAIN_STATE = "fallback.offer_agent"
REQUIRED_STATES = (
    START_STATE,
    MENU_STATE,
    HELP_STATE,
    LANGUAGE_STATE,
    AGENT_STATE,
    FALLBACK_STATE,
    FALLBACK_AGAIN_STATE,
)

BACKEND_ACTIONS = frozenset({"queue_for_agent"})
"""Backend actions a state may run on entry (`do:`); each is an effect the shell carries out."""

MAX_ACTION_BYTES = 64


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """Keeps an item only in the listed phases of the election calendar."""

    phase: tuple[str, ...] = Field(min_length=1)


class Say(_Strict):
    """One paragraph of a state's message: a message key, maybe conditional."""

    key: str = Field(min_length=1)
    when: Condition | None = Field(default=None, alias="if")


class ButtonSpec(_Strict):
    """A button: a step in the dialog (`goto`) or a link (`url`, a named address)."""

    label: str = Field(min_length=1)
    goto: str | None = None
    url: str | None = None
    when: Condition | None = Field(default=None, alias="if")

    @model_validator(mode="after")
    def _one_target(self) -> ButtonSpec:
        if (self.goto is None) == (self.url is None):
            raise ValueError("a button needs exactly one of 'goto' or 'url'")
        return self


class StateSpec(_Strict):
    """A state of a flow as written in YAML."""

    say: tuple[Say, ...] = ()
    buttons: tuple[ButtonSpec, ...] = ()
    intents: tuple[str, ...] = ()
    do: tuple[str, ...] = ()
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
class Button:
    """A resolved button: its label key, and its action (a state id) or link name."""

    label: str
    action: str | None
    link: str | None
    phases: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A resolved paragraph: a message key shown in some phases (None: always)."""

    key: str
    phases: frozenset[str] | None


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
