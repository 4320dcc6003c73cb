"""A chat driver for tests: talks to the real chat API over HTTP, with a frozen clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.channels.webchat.api import CONVERSATIONS
from bot.clock import FrozenClock, parse_instant
from bot.server import SERVICES, create_app
from bot.settings import Settings
from bot.wiring import Services


@dataclass
class ChatReply:
    """What the assistant answered to one step."""

    status: int
    body: dict[str, Any]
    state: str | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def text(self) -> str:
        return "\n\n".join(m["text"] for m in self.messages)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for m in self.messages for b in m["buttons"]]

    @property
    def labels(self) -> list[str]:
        return [b["label"] for b in self.buttons]

    @property
    def intent(self) -> str | None:
        understood = self.body.get("understood")
        return None if understood is None else str(understood["intent"])


@dataclass
class ChatDriver:
    """One voter's conversation through the chat API."""

    client: TestClient[Any, Any]
    clock: FrozenClock
    conversation_id: str | None = None
    last: ChatReply | None = None
    replies: list[ChatReply] = field(default_factory=list)

    async def at(self, instant: str | datetime) -> None:
        """Moves the clock."""
        self.clock.set(parse_instant(instant) if isinstance(instant, str) else instant)

    async def start(self, locale: str | None = None) -> ChatReply:
        """Opens the conversation: the welcome."""
        body = {} if locale is None else {"locale": locale}
        response = await self.client.post("/api/v1/conversations", json=body)
        reply = await self._reply(response)
        self.conversation_id = reply.body["conversation_id"]
        return await self._track(reply)

    async def say(self, text: str, **extra: Any) -> ChatReply:
        """Types a message."""
        return await self.send({"text": text, **extra})

    async def action(self, action: str) -> ChatReply:
        """Sends a button's action as is."""
        return await self.send({"action": action})

    async def click(self, label: str) -> ChatReply:
        """Presses a button of the previous answer, found by its label."""
        assert self.last is not None, "nothing to click on yet"
        wanted = label.casefold()
        for button in self.last.buttons:
            if button["label"].casefold() == wanted:
                assert "action" in button, f"{label!r} is a link, not an action"
                return await self.action(button["action"])
        raise AssertionError(f"no button {label!r} among {self.last.labels}")

    async def send(self, body: dict[str, Any]) -> ChatReply:
        """Posts a message body and returns the reply."""
        assert self.conversation_id is not None, "start the conversation first"
        response = await self.client.post(
            f"/api/v1/conversations/{self.conversation_id}/messages", json=body
        )
        return await self._track(await self._reply(response))

    async def _reply(self, response: Any) -> ChatReply:
        return ChatReply(response.status, await response.json())

    async def _track(self, reply: ChatReply) -> ChatReply:
        if reply.status < 300:
            snapshot, _ = await self.client.app[CONVERSATIONS].history(self.conversation_id or "")
            reply.state = str(snapshot["state"])
            self.last = reply
        self.replies.append(reply)
        return reply


class ChatServers:
    """One test server per election calendar, on one SQLite file each, sharing a test session."""

    def __init__(self, directory: Path, database_url: str | None = None) -> None:
        self.directory = directory
        self.database_url = database_url
        self._clients: dict[str, tuple[TestClient[Any, Any], FrozenClock]] = {}

    async def services(self, election: str = "2022") -> Services:
        """The services behind the server of `election` (its database, its backend)."""
        await self.driver(election)
        return self._clients[election][0].app[SERVICES]

    async def driver(self, election: str = "2022", at: str | None = None) -> ChatDriver:
        """A new conversation's driver on the server of `election`."""
        if election not in self._clients:
            clock = FrozenClock(parse_instant("2022-11-20T10:00+01:00"))
            url = self.database_url or f"sqlite+aiosqlite:///{self.directory}/{election}.db"
            settings = Settings(database_url=url, election=election, secret_key="test")
            client = TestClient(TestServer(create_app(settings, clock=clock)))
            await client.start_server()
            self._clients[election] = (client, clock)
        client, clock = self._clients[election]
        driver = ChatDriver(client, clock)
        if at is not None:
            await driver.at(at)
        return driver

    async def close(self) -> None:
        """Stops every server."""
        for client, _ in self._clients.values():
            await client.close()
        self._clients.clear()
