"""The engine's one pure function: a turn of the conversation, with no I/O and no clock read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from bot.engine.model import (
    AGENT_STATE,
    FALLBACK_AGAIN_STATE,
    FALLBACK_STATE,
    HELP_STATE,
    LANGUAGE_STATE,
    MENU_STATE,
    START_STATE,
    Flows,
    State,
)
from bot.engine.turn import (
    Click,
    Command,
    ConversationState,
    Effect,
    Event,
    LeaveAgentQueue,
    QueueForAgent,
    Reply,
    ReplyButton,
    Start,
    Text,
    TurnContext,
    TurnResult,
    Understood,
    UnknownAction,
)

LANGUAGE_ACTION = "lang:"
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

    understood: Understood | None = None
    if isinstance(event, Start):
        target = START_STATE
        if event.topic and f"{event.topic}.start" in flows:
            target = f"{event.topic}.start"
        return _enter(flows, state, target, ctx, notices, understood)
    if isinstance(event, Command):
        return _command(flows, state, event, ctx, notices)
    if isinstance(event, Click):
        if not is_known_action(flows, event.action, locales):
            raise UnknownAction(event.action)
        if event.action.startswith(LANGUAGE_ACTION):
            return _set_locale(
                flows, state, event.action.removeprefix(LANGUAGE_ACTION), ctx, notices
            )
        return _enter(flows, state, event.action, ctx, notices, understood)

    if state.status != "bot":
        reply = Reply(
            (Text("agent.waiting_reply"),),
            (ReplyButton(Text("nav.menu"), action=MENU_STATE),),
        )
        return TurnResult(state, (*notices, reply))
    current = flows.states[state.state]
    chosen = _typed_button(current, event.text, state.locale, ctx)
    if chosen is not None:
        return _enter(flows, state, chosen, ctx, notices, understood)
    understood = event.understood
    if understood is not None and understood.confidence >= ctx.threshold:
        opened = flows.by_intent.get(understood.intent)
        if opened is not None:
            return _enter(flows, state, opened, ctx, notices, understood)
    misses = state.misses + 1
    fallback = FALLBACK_AGAIN_STATE if misses >= 2 else FALLBACK_STATE
    result = _enter(flows, state, fallback, ctx, notices, understood)
    return replace(result, state=replace(result.state, misses=0 if misses >= 2 else misses))


def _command(
    flows: Flows,
    state: ConversationState,
    event: Command,
    ctx: TurnContext,
    notices: list[Reply],
) -> TurnResult:
    target = COMMANDS.get(event.name)
    if target is None:
        notices.append(Reply((Text("command.unknown"),)))
        return _enter(flows, state, MENU_STATE, ctx, notices, None)
    if target == LANGUAGE_STATE and event.arg:
        lang = event.arg.split()[0].lower()[:2]
        if lang in ctx.labels:
            return _set_locale(flows, state, lang, ctx, notices)
    if target == START_STATE and event.arg and f"{event.arg}.start" in flows:
        target = f"{event.arg}.start"
    return _enter(flows, state, target, ctx, notices, None)


def _set_locale(
    flows: Flows,
    state: ConversationState,
    locale: str,
    ctx: TurnContext,
    notices: list[Reply],
) -> TurnResult:
    state = replace(state, locale=locale, locale_chosen=True)
    notices.append(Reply((Text("language.changed"),)))
    return _enter(flows, state, MENU_STATE, ctx, notices, None)


def _enter(
    flows: Flows,
    state: ConversationState,
    target: str,
    ctx: TurnContext,
    notices: list[Reply],
    understood: Understood | None,
) -> TurnResult:
    entered = flows.states[target]
    effects: list[Effect] = []
    status = state.status
    if "queue_for_agent" in entered.do:
        if status == "bot":
            effects.append(QueueForAgent(reason=state.state))
            status = "waiting_agent"
    elif status == "waiting_agent":
        effects.append(LeaveAgentQueue())
        status = "bot"
    new_state = replace(
        state,
        state=target,
        flows_version=flows.versions[entered.flow],
        misses=0,
        status=status,
    )
    reply = render_state(entered, new_state.locale, ctx)
    return TurnResult(new_state, (*notices, reply), tuple(effects), understood)


def render_state(state: State, locale: str, ctx: TurnContext) -> Reply:
    """The message of a state in the current phase: its paragraphs and next steps."""
    phase = str(ctx.election.phase(ctx.now))
    params = ctx.election.params(ctx.now)
    paragraphs = tuple(
        Text(p.key, params) for p in state.say if p.phases is None or phase in p.phases
    )
    buttons: list[ReplyButton] = []
    for b in state.buttons:
        if b.phases is not None and phase not in b.phases:
            continue
        if b.action is not None:
            buttons.append(ReplyButton(Text(b.label), action=b.action))
            continue
        url = (
            b.link
            if b.link and b.link.startswith("https://")
            else ctx.election.links.get(b.link or "")
        )
        if url:
            buttons.append(ReplyButton(Text(b.label), url=url))
    if state.id == LANGUAGE_STATE:
        buttons += [
            ReplyButton(Text(f"language.name.{lang}"), action=f"{LANGUAGE_ACTION}{lang}")
            for lang in ctx.labels
        ]
    if state.nav:
        if state.id not in (MENU_STATE, START_STATE):
            buttons.append(ReplyButton(Text("nav.menu"), action=MENU_STATE))
        if state.id != AGENT_STATE:
            buttons.append(ReplyButton(Text("nav.agent"), action=AGENT_STATE))
    return Reply(paragraphs, tuple(buttons))


def _typed_button(current: State, text: str, locale: str, ctx: TurnContext) -> str | None:
    """The action of the current state's button whose label (or number) the voter typed."""
    reply = render_state(current, locale, ctx)
    actions = [b for b in reply.buttons if b.action is not None]
    typed = _fold(text)
    if typed.isdigit() and 1 <= int(typed) <= len(reply.buttons):
        return reply.buttons[int(typed) - 1].action
    labels = ctx.labels.get(locale, {})
    for button in actions:
        if _fold(str(labels.get(button.label.key, ""))) == typed:
            return button.action
    return None


def _fold(text: str) -> str:
    """Lowercase, no accents, no punctuation, single spaces: to compare what people type."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())
