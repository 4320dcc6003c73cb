"""What a state shows now: its paragraphs and buttons for this phase and this voter."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine.model import (
    AGENT_STATE,
    LANGUAGE_STATE,
    MENU_STATE,
    START_STATE,
    State,
    When,
)
from bot.engine.turn import BallotList, Reply, ReplyButton, Text, TurnContext, VoterView

LANGUAGE_ACTION = "lang:"


def voter_params(voter: VoterView | None) -> dict[str, object]:
    """The placeholders about the verified voter: first name, address, ballots."""
    if voter is None:
        return {}
    return {
        "first_name": voter.first_name,
        "email": voter.email,
        "ballots": BallotList(tuple((b.name, b.elsewhere) for b in voter.ballots)),
    }


def render_state(
    state: State,
    locale: str,
    ctx: TurnContext,
    extra: dict[str, object] | None = None,
    first: tuple[ReplyButton, ...] = (),
) -> Reply:
    """The message of a state now: its paragraphs and next steps, for this phase and voter."""
    shown = _shown(ctx)
    params = {**ctx.election.params(ctx.now), **voter_params(ctx.voter), **(extra or {})}
    paragraphs = tuple(Text(p.key, params) for p in state.say if shown(p.when))
    return Reply(paragraphs, (*first, *_buttons(state, ctx, shown)))


def shown_buttons(state: State, ctx: TurnContext) -> tuple[ReplyButton, ...]:
    """The buttons a state shows now (its message without the paragraphs)."""
    return _buttons(state, ctx, _shown(ctx))


def _shown(ctx: TurnContext) -> Callable[[When | None], bool]:
    """Whether an item shows now, for this phase and this voter."""
    phase = str(ctx.election.phase(ctx.now))
    voter = ctx.voter
    account = None if voter is None else "activated" if voter.activated else "not_activated"

    def shown(when: When | None) -> bool:
        return when is None or when.holds(phase, voter is not None, account)

    return shown


def _buttons(
    state: State, ctx: TurnContext, shown: Callable[[When | None], bool]
) -> tuple[ReplyButton, ...]:
    buttons: list[ReplyButton] = []
    for b in state.buttons:
        if not shown(b.when):
            continue
        if b.action is not None:
            buttons.append(ReplyButton(Text(b.label), action=b.action))
        elif b.handoff is not None:
            if ctx.voter is not None:
                buttons.append(ReplyButton(Text(b.label), handoff=b.handoff))
        else:
            link = b.link or ""
            url = link if link.startswith("https://") else ctx.election.links.get(link)
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
    return tuple(buttons)
