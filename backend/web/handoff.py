"""`POST /api/v1/handoff/introspect`: the voting platform checks a hand-off token (RFC 7662)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.handoff import PURPOSES, Handoff


def _error(code: str, message: str, status: int) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}},
        status=status,
        headers={"Cache-Control": "no-store"},
    )


def add_introspection_route(
    app: web.Application,
    engine: AsyncEngine,
    handoff: Handoff,
    bearer: str,
    clock: Callable[[], datetime],
) -> None:
    """Mounts the introspection endpoint; callers present `Authorization: Bearer <bearer>`."""

    async def introspect(request: web.Request) -> web.Response:
        """`{"active": true, "sub", "purpose", "exp", ...}` once, then `{"active": false}`."""
        given = request.headers.get("Authorization", "")
        scheme, _, credentials = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credentials.strip().encode(), bearer.encode()
        ):
            return _error("unauthorized", "Present the platform's bearer token.", 401)
        if request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            fields = {k: str(v) for k, v in form.items()}
        elif request.content_type == "application/json":
            try:
                body = json.loads(await request.read())
            except ValueError:
                return _error("invalid_json", "The body is not valid JSON.", 400)
            if not isinstance(body, dict):
                return _error("invalid_request", "The body must be an object.", 400)
            fields = {k: v for k, v in body.items() if isinstance(v, str)}
        else:
            return _error(
                "unsupported_media_type",
                "Send application/x-www-form-urlencoded (or JSON).",
                415,
            )
        token = fields.get("token", "").strip()
        if not token:
            return _error("invalid_request", "The 'token' parameter is missing.", 400)
        purpose = fields.get("purpose") or None
        if purpose is not None and purpose not in PURPOSES:
            return _error("invalid_request", f"'purpose' is one of {', '.join(PURPOSES)}.", 400)
        async with engine.begin() as connection:
            result = await handoff.introspect(connection, token, now=clock(), purpose=purpose)
        return web.json_response(result.as_json(), headers={"Cache-Control": "no-store"})

    app.router.add_post("/api/v1/handoff/introspect", introspect)
