"""The action server: the backend's side of the actions over the database, the executor with
every action registered by name, and rasa-sdk's Sanic app served in this process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from rasa_sdk.endpoint import create_app as create_rasa_app  # type: ignore[import-untyped]
from rasa_sdk.executor import ActionExecutor  # type: ignore[import-untyped]
from sanic import Sanic
from sanic.config import Config
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.background import BackgroundWork, Work
from backend.db.models import AuditEvent, IdentityChallenge
from backend.db.time import aware, utc
from backend.rasa_actions import CodeCheck, Ports, Proof, Status
from backend.rasa_actions.actions import build_actions
from backend.rasa_actions.turn import CHANNEL
from backend.turn import Backend, TurnBackend

log = logging.getLogger(__name__)

RasaApp = Sanic[Config, SimpleNamespace]
"""rasa-sdk's Sanic app."""

SendCode = Callable[[str, str, str], Awaitable[None]]
"""(address, code, locale): mails a one-time code."""

SendLink = Callable[[int, str], Awaitable[None]]
"""(voter id, locale): mails a new activation link."""


class SqlBackend:
    """The backend's side of the actions: one transaction per call, mails after the commit."""

    def __init__(
        self,
        engine: AsyncEngine,
        backend: Backend,
        *,
        send_code: SendCode,
        send_link: SendLink,
        binding_ttl: timedelta | None = None,
    ) -> None:
        self.engine = engine
        self.backend = backend
        self.send_code = send_code
        self.send_link = send_link
        self.binding_ttl = binding_ttl or backend.identity.limits.binding_ttl
        self._background = BackgroundWork("rasa actions")

    async def start_identity(
        self, conversation_id: str, address: str, locale: str, now: datetime
    ) -> Status:
        """Starts a code challenge; the code is mailed once committed, if the address is known."""
        async with self.engine.begin() as connection:
            started = await TurnBackend(self.backend, connection).start_identity(
                conversation_id, address, CHANNEL, now
            )
        code = started.code
        if code is not None:
            self._after_commit(lambda: self.send_code(address, code, locale))
        return started.status

    async def request_activation_link(
        self, conversation_id: str, address: str, locale: str, now: datetime
    ) -> Status:
        """Counts the request; the link is mailed once committed, if the address is known."""
        async with self.engine.begin() as connection:
            request = await TurnBackend(self.backend, connection).request_activation_link(
                conversation_id, address, CHANNEL, now
            )
        voter = request.voter
        if voter is not None:
            self._after_commit(lambda: self.send_link(voter.id, locale))
        return request.status

    async def check_code(self, conversation_id: str, code: str, now: datetime) -> CodeCheck:
        """Checks a typed code; a verified voter's proof holds `binding_ttl` from now."""
        async with self.engine.begin() as connection:
            turn = TurnBackend(self.backend, connection)
            checked = await turn.check_code(conversation_id, code, CHANNEL, now)
            if checked.status != "verified" or checked.voter_id is None:
                return CodeCheck(checked.status, attempts_left=checked.attempts_left)
            voter = await turn.voter(checked.voter_id)
        if voter is None:
            return CodeCheck("expired")
        return CodeCheck(
            "verified",
            first_name=voter.first_name,
            activated=voter.activated,
            verified_until=utc(now) + self.binding_ttl,
        )

    async def proof(self, conversation_id: str, now: datetime) -> Proof | None:
        """The voter of the conversation's latest challenge, if it was verified within the
        binding time (a newer challenge, even unanswered, ends the proof)."""
        async with self.engine.connect() as connection:
            latest = (
                await connection.execute(
                    select(IdentityChallenge.status, IdentityChallenge.voter_id)
                    .where(IdentityChallenge.conversation_id == conversation_id)
                    .order_by(IdentityChallenge.created_at.desc())
                    .limit(1)
                )
            ).first()
            if latest is None or latest.status != "verified" or latest.voter_id is None:
                return None
            voter_id = int(latest.voter_id)
            verified_at = await connection.scalar(
                select(AuditEvent.at)
                .where(
                    AuditEvent.event == "identity.verified",
                    AuditEvent.actor == f"conversation:{conversation_id}",
                    AuditEvent.subject == f"voter:{voter_id}",
                    AuditEvent.at > utc(now) - self.binding_ttl,
                )
                .order_by(AuditEvent.at.desc())
                .limit(1)
            )
        if verified_at is None:
            return None
        voter = await self.backend.platform.voter(voter_id)
        if voter is None:
            return None
        return Proof(voter_id, voter.activated, aware(verified_at) + self.binding_ttl)

    async def handoff_url(
        self, proof: Proof, purpose: str, conversation_id: str, now: datetime
    ) -> str:
        """A fresh single-use link for the proved voter."""
        async with self.engine.begin() as connection:
            return await TurnBackend(self.backend, connection).handoff_url(
                proof.voter_id, purpose, conversation_id, CHANNEL, now
            )

    async def request_human(self, conversation_id: str, now: datetime) -> None:
        """Logs the request (the Rasa side pauses the conversation for its hand-over tool)."""
        log.info("Rasa conversation %s asks for a person", conversation_id)

    def _after_commit(self, work: Work) -> None:
        """Runs `work` in the background: the answer does not wait for (nor reveal) a mail."""
        self._background.start(work)

    async def drain(self) -> None:
        """Waits for the mails in flight: at shutdown and in tests."""
        await self._background.drain()


def build_executor(ports: Ports) -> ActionExecutor:
    """rasa-sdk's executor with every action registered explicitly, nothing scanned."""
    executor = ActionExecutor()
    for action in build_actions(ports):
        executor.register_action(action)
    return executor


def create_app(ports: Ports) -> RasaApp:
    """rasa-sdk's own Sanic app (`/health`, `/actions`, `/webhook`), without CORS."""
    app: RasaApp = create_rasa_app(build_executor(ports), cors_origins="")
    return app


async def serve(app: RasaApp, host: str, port: int, stop: asyncio.Event) -> None:
    """Serves `app` in this process and event loop until `stop` is set."""
    server: Any = await app.create_server(host=host, port=port, access_log=False)  # untyped
    if server is None:
        raise RuntimeError("Sanic did not create a server")
    await server.startup()
    await server.before_start()
    await server.after_start()
    log.info("Rasa action server on http://%s:%s/webhook", host, port)
    try:
        await stop.wait()
    finally:
        await server.before_stop()
        closing = server.close()
        if closing is not None:
            await closing
        await server.after_stop()
