"""The engine's one pure function: a turn of the conversation, with no I/O and no clock read."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import replace
from datetime import UTC

from bot.engine.model import (
    AGENT_STATE,
    ASK_EMAIL_STATE,
    CLARIFY_STATE,
    CODE_EXPIRED_STATE,
    CODE_FORMAT_STATE,
    CODE_SENT_STATE,
    CODE_WRONG_STATE,
    EMAIL_INVALID_STATE,
    FALLBACK_AGAIN_STATE,
    FALLBACK_STATE,
    HELP_STATE,
    LANGUAGE_STATE,
    LINK_REQUESTED_STATE,
    LOCKED_STATE,
    MENU_STATE,
    RATE_LIMITED_STATE,
    SECRET_WARNING_STATE,
    START_STATE,
    USE_ADDRESS_STATE,
    VERIFIED_STATE,
    Flows,
    State,
)
from bot.engine.present import LANGUAGE_ACTION, render_state, shown_buttons
from bot.engine.turn import (
    Click,
    CodeChecked,
    Command,
    ConversationState,
    Effect,
    Event,
    IdentityStarted,
    LeaveAgentQueue,
    LinkRequested,
    QueueForAgent,
    Reply,
    ReplyButton,
    SecretShared,
    SendActivationLink,
    Start,
    Text,
    TurnContext,
    TurnResult,
    Understood,
    UnknownAction,
)

SECRET_INTENT = "secret_shared"
RETRY_STATES = frozenset({EMAIL_INVALID_STATE, CODE_FORMAT_STATE})
"""States that ask again for what was expected: the expectation stays."""
VERIFY_PATH = frozenset(
    {ASK_EMAIL_STATE, EMAIL_INVALID_STATE, CODE_SENT_STATE, CODE_WRONG_STATE, CODE_FORMAT_STATE}
)
"""States on the way to a proof of address: the state asked for is remembered along it."""
COMMANDS = {
    "start": START_STATE,
    "menu": MENU_STATE,
    "aide": HELP_STATE,
    "help": HELP_STATE,
    "langue": LANGUAGE_STATE,
    "language": LANGUAGE_STATE,
    "agent": AGENT_STATE,
}
ENGINE_KEYS = frozenset(
    {
        "nav.menu",
        "nav.agent",
        "language.changed",
        "session.flow_changed",
        "command.unknown",
        "agent.waiting_reply",
        "identity.offer_address",
        "identity.btn.use_address",
    }
)
"""The message keys the engine itself uses (besides `language.name.<lang>`)."""
_COMMAND = re.compile(r"^/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


def parse_command(text: str) -> tuple[str, str] | None:
    """`/langue en` gives ("langue", "en"); text that is not a command gives None."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    return match.group(1).lower(), (match.group(2) or "").strip()


def is_known_action(flows: Flows, action: str, locales: tuple[str, ...]) -> bool:
    """Whether a button action names a state or a language."""
    if action.startswith(LANGUAGE_ACTION):
        return action.removeprefix(LANGUAGE_ACTION) in locales
    return action in flows


def button_labels(flows: Flows, locales: tuple[str, ...]) -> dict[str, str]:
    """For each action, the label key of a button that sends it (to write a click down)."""
    labels = {MENU_STATE: "nav.menu", AGENT_STATE: "nav.agent"}
    labels |= {f"{LANGUAGE_ACTION}{lang}": f"language.name.{lang}" for lang in locales}
    for state in flows:
        for button in state.buttons:
            if button.action is not None:
                labels.setdefault(button.action, button.label)
    return labels


def first_state(locale: str) -> ConversationState:
    """The state of a conversation that has not started yet."""
    return ConversationState(state=START_STATE, locale=locale)


def step(flows: Flows, state: ConversationState, event: Event, ctx: TurnContext) -> TurnResult:
    """One turn: the conversation's next state, its replies and the effects to run."""
    locales = tuple(ctx.labels)
    notices: list[Reply] = []
    client = event.client_locale
    if client in locales and not state.locale_chosen and client != state.locale:
        state = replace(state, locale=client)
    if not isinstance(event, Start) and state.flows_version != flows.version_of(state.state):
        notices.append(Reply((Text("session.flow_changed"),)))
        state = replace(state, state=MENU_STATE, flows_version=flows.version_of(MENU_STATE))
    turn = _Turn(flows, ctx, notices)

    if isinstance(event, Start):
        target = START_STATE
        if event.topic and f"{event.topic}.start" in flows:
            target = f"{event.topic}.start"
        return turn.enter(state, target)
    if isinstance(event, Command):
        return _command(turn, state, event)
    if isinstance(event, Click):
        if not is_known_action(flows, event.action, locales):
            raise UnknownAction(event.action)
        if event.action.startswith(LANGUAGE_ACTION):
            return _set_locale(turn, state, event.action.removeprefix(LANGUAGE_ACTION))
        return turn.enter(state, event.action)
    if isinstance(event, SecretShared):
        return turn.enter(state, SECRET_WARNING_STATE, Understood(SECRET_INTENT, 1.0))
    if isinstance(event, IdentityStarted):
        return turn.enter(state, CODE_SENT_STATE if event.status == "sent" else RATE_LIMITED_STATE)
    if isinstance(event, LinkRequested):
        target = LINK_REQUESTED_STATE if event.status == "sent" else RATE_LIMITED_STATE
        return turn.enter(state, target)
    if isinstance(event, CodeChecked):
        return _code_checked(turn, state, event)

    if state.status != "bot":
        reply = Reply(
            (Text("agent.waiting_reply"),),
            (ReplyButton(Text("nav.menu"), action=MENU_STATE),),
        )
        return TurnResult(state, (*notices, reply))
    current = flows.states[state.state]
    chosen = _typed_button(current, event.text, state.locale, ctx)
    if chosen is not None:
        return turn.enter(state, chosen)
    understood = event.understood
    if understood is not None:
        language = understood.language
        if language in locales and not state.locale_chosen and language != state.locale:
            state = replace(state, locale=language)
        address = next((e.value for e in understood.entities if e.kind == "email"), None)
        if address is not None and ctx.voter is None:
            state = replace(state, offered_address=address)
            turn.offer_address = True
        here = current.here.get(understood.route) or current.here.get(understood.intent)
        if here is not None and understood.confidence >= ctx.clarify_threshold:
            return turn.enter(state, here, understood)
        opened = flows.by_intent.get(understood.route) or flows.by_intent.get(understood.intent)
        leave_at = ctx.prompt_threshold if state.expecting else ctx.threshold
        if opened is not None and understood.confidence >= leave_at:
            return turn.enter(state, opened, understood)
        choices = _likely_topics(flows, understood)
        if len(choices) >= 2 and understood.confidence >= ctx.clarify_threshold:
            return turn.enter(state, CLARIFY_STATE, understood, choices=choices)
    if state.expecting in ("email_for_code", "email_for_link"):
        return turn.enter(state, EMAIL_INVALID_STATE, understood)
    if state.expecting == "code":
        return turn.enter(state, CODE_FORMAT_STATE, understood)
    misses = state.misses + 1
    fallback = FALLBACK_AGAIN_STATE if misses >= 2 else FALLBACK_STATE
    result = turn.enter(state, fallback, understood)
    return replace(result, state=replace(result.state, misses=0 if misses >= 2 else misses))


MIN_SUGGESTED = 0.1
"""A topic is offered among the likeliest only from this confidence on."""


def _likely_topics(flows: Flows, understood: Understood) -> tuple[str, ...]:
    """The states of the two or three likeliest intents, best first, without repeats; none
    when the likeliest is not a topic (politeness, out of scope, noise)."""
    states: list[str] = []
    for rank, (intent, confidence) in enumerate(understood.ranking[:3]):
        target = flows.by_intent.get(intent)
        if target is None or not flows.states[target].topic:
            if rank == 0:
                return ()
            continue
        if confidence >= MIN_SUGGESTED and target not in states:
            states.append(target)
    return tuple(states)


def _code_checked(turn: _Turn, state: ConversationState, event: CodeChecked) -> TurnResult:
    if event.status == "verified" and turn.ctx.voter is not None:
        until = turn.ctx.now + turn.ctx.binding_ttl
        target = state_after_verify(turn.flows, state)
        state = replace(
            state,
            voter_id=turn.ctx.voter.id,
            verified_until=until.astimezone(UTC).isoformat(),
        )
        return turn.enter(state, target)
    if event.status == "wrong":
        return turn.enter(state, CODE_WRONG_STATE, extra={"attempts_left": event.attempts_left})
    return turn.enter(state, LOCKED_STATE if event.status == "locked" else CODE_EXPIRED_STATE)


def state_after_verify(flows: Flows, state: ConversationState) -> str:
    """Where a voter goes once verified: what they had asked for, or the confirmation."""
    wanted = state.after_verify
    return wanted if wanted is not None and wanted in flows else VERIFIED_STATE


class _Turn:
    """Enters states for one turn: sets what the state waits for, its effects and its message."""

    def __init__(self, flows: Flows, ctx: TurnContext, notices: list[Reply]) -> None:
        self.flows, self.ctx, self.notices = flows, ctx, notices
        self.offer_address = False
        """The voter wrote an address: offer to prove it, after the answer."""

    def enter(
        self,
        state: ConversationState,
        target: str,
        understood: Understood | None = None,
        extra: dict[str, object] | None = None,
        choices: tuple[str, ...] = (),
    ) -> TurnResult:
        """The result of moving `state` to `target` (or to the address prompt if it needs a
        verified voter and there is none)."""
        entered = self.flows.states[target]
        after_verify = state.after_verify
        if entered.requires == "verified" and self.ctx.voter is None:
            after_verify = target
            entered = self.flows.states[ASK_EMAIL_STATE]
        effects: list[Effect] = []
        status = state.status
        if "queue_for_agent" in entered.do:
            if status == "bot":
                effects.append(QueueForAgent(reason=state.state))
                status = "waiting_agent"
        elif status == "waiting_agent":
            effects.append(LeaveAgentQueue())
            status = "bot"
        if "send_activation_link" in entered.do and self.ctx.voter is not None:
            effects.append(SendActivationLink(self.ctx.voter.id))
        expecting = entered.expect
        if expecting is None and entered.id in RETRY_STATES:
            expecting = state.expecting
        new_state = replace(
            state,
            state=entered.id,
            flows_version=self.flows.versions[entered.flow],
            misses=0,
            status=status,
            expecting=expecting,
            after_verify=after_verify if entered.id in VERIFY_PATH else None,
        )
        topics = tuple(
            ReplyButton(Text(self.flows.states[c].topic or c), action=c) for c in choices
        )
        reply = render_state(entered, new_state.locale, self.ctx, extra, topics)
        replies = (*self.notices, reply)
        if self.offer_address and entered.expect is None:
            offer = Reply(
                (Text("identity.offer_address", {"email": new_state.offered_address}),),
                (ReplyButton(Text("identity.btn.use_address"), action=USE_ADDRESS_STATE),),
            )
            replies = (*replies, offer)
        elif entered.id != USE_ADDRESS_STATE:
            new_state = replace(new_state, offered_address=None)
        return TurnResult(new_state, replies, tuple(effects), understood)


def _command(turn: _Turn, state: ConversationState, event: Command) -> TurnResult:
    target = COMMANDS.get(event.name)
    if target is None:
        turn.notices.append(Reply((Text("command.unknown"),)))
        return turn.enter(state, MENU_STATE)
    if target == LANGUAGE_STATE and event.arg:
        lang = event.arg.split()[0].lower()[:2]
        if lang in turn.ctx.labels:
            return _set_locale(turn, state, lang)
    if target == START_STATE and event.arg and f"{event.arg}.start" in turn.flows:
        target = f"{event.arg}.start"
    return turn.enter(state, target)


def _set_locale(turn: _Turn, state: ConversationState, locale: str) -> TurnResult:
    state = replace(state, locale=locale, locale_chosen=True)
    turn.notices.append(Reply((Text("language.changed"),)))
    return turn.enter(state, MENU_STATE)


def _typed_button(current: State, text: str, locale: str, ctx: TurnContext) -> str | None:
    """The action of the current state's button whose label (or number) the voter typed."""
    buttons = shown_buttons(current, ctx)
    actions = [b for b in buttons if b.action is not None]
    typed = _fold(text)
    if typed.isdigit() and 1 <= int(typed) <= len(buttons):
        return buttons[int(typed) - 1].action
    labels = ctx.labels.get(locale, {})
    for button in actions:
        if _folded_label(str(labels.get(button.label.key, ""))) == typed:
            return button.action
    return None


@functools.lru_cache(maxsize=2048)
def _folded_label(label: str) -> str:
    """A button label, folded (labels are few: each is folded once)."""
    return _fold(label)


def _fold(text: str) -> str:
    """Lowercase, no accents, no punctuation, single spaces: to compare what people type."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())
