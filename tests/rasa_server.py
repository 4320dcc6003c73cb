"""Helpers of the Rasa action server tests: the real server in a subprocess, Rasa's requests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import ROOT
from tests.smtp_server import free_port

DOCS = ROOT / "docs" / "rasa.md"
RASA_VERSION = "3.6.21"
"""The version Rasa Open Source writes in its requests (rasa-sdk only warns on a mismatch)."""


def documented_yaml(name: str) -> dict[str, Any]:
    """The YAML block of docs/rasa.md whose first line is `# <name>...`."""
    for block in re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S):
        if block.startswith(f"# {name}"):
            loaded = yaml.safe_load(block)
            assert isinstance(loaded, dict)
            return loaded
    raise AssertionError(f"no {name} block in {DOCS}")


DOMAIN = documented_yaml("domain.yml")


def webhook_request(
    action: str,
    sender: str,
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "",
) -> dict[str, Any]:
    """The body Rasa POSTs to /webhook to run `action` in conversation `sender`."""
    all_slots: dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    all_slots |= {"language": "fr", "identity_verified": False, "requested_slot": None}
    all_slots |= slots or {}
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.97} if intent else {},
        "entities": [],
        "intent_ranking": [],
        "message_id": "m1",
        "metadata": {},
    }
    events = [
        {"event": "action", "timestamp": 1669971600.0, "name": "action_session_start"},
        {"event": "session_started", "timestamp": 1669971600.1},
        {"event": "action", "timestamp": 1669971600.2, "name": "action_listen"},
        {"event": "user", "timestamp": 1669971601.0, "text": text, "parse_data": message},
    ]
    return {
        "next_action": action,
        "sender_id": sender,
        "version": RASA_VERSION,
        "domain": DOMAIN,
        "tracker": {
            "sender_id": sender,
            "slots": all_slots,
            "latest_message": message,
            "latest_event_time": 1669971601.0,
            "followup_action": None,
            "paused": False,
            "events": events,
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
    }


@dataclass(frozen=True)
class Answer:
    """An HTTP answer of the action server."""

    status: int
    body: Any
    raw: str

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events of a 200 answer."""
        assert self.status == 200, self.raw
        events: list[dict[str, Any]] = self.body["events"]
        return events

    @property
    def responses(self) -> list[dict[str, Any]]:
        """The responses of a 200 answer."""
        assert self.status == 200, self.raw
        responses: list[dict[str, Any]] = self.body["responses"]
        return responses

    @property
    def text(self) -> str:
        """The texts of the responses, one paragraph each."""
        return "\n\n".join(str(r["text"]) for r in self.responses)

    def slots(self) -> dict[str, Any]:
        """The slots the events set."""
        return {e["name"]: e["value"] for e in self.events if e["event"] == "slot"}


@dataclass(frozen=True)
class ActionServer:
    """`assesseur rasa-actions` running on a loopback port."""

    url: str

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Answer:
        """One HTTP request; an error status is an answer too."""
        headers = {"Content-Type": content_type} if content_type else {}
        request = urllib.request.Request(self.url + path, body, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read().decode()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return Answer(status, body, raw)

    def post(self, payload: bytes) -> Answer:
        """POST /webhook with a JSON body, as Rasa sends it."""
        return self.request("POST", "/webhook", payload, "application/json")


@contextmanager
def run_action_server(directory: Path, database_url: str) -> Iterator[ActionServer]:
    """Starts `assesseur rasa-actions` on a free port and waits for its health route."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSESSEUR_")}
    env |= {
        "ASSESSEUR_DATABASE_URL": database_url,
        "ASSESSEUR_SECRET_KEY": "rasa-test-secret-key",
        "ASSESSEUR_ELECTION": "2022",
        "ASSESSEUR_NOW": "2022-12-02T10:00+01:00",
    }
    command = [str(Path(sys.executable).parent / "assesseur"), "rasa-actions", "--port", str(port)]
    log = (directory / "rasa-actions.log").open("wb")
    process = subprocess.Popen(command, cwd=directory, env=env, stdout=log, stderr=log)
    server = ActionServer(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"the server stopped: {(directory / 'rasa-actions.log').read_text()}"
                )
            try:
                if server.request("GET", "/health").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not answer /health within 15 s")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
