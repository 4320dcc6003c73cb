"""The aiohttp application: the Bot API under /bot<token>/<method>, the control routes beside."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from backend.telegram_emulator.emulator import TelegramEmulator
from backend.telegram_emulator.errors import BotApiError, bad_request, not_emulated

EMULATOR = web.AppKey("telegram_emulator", TelegramEmulator)
"""The application's emulator."""
MAX_REQUEST_BYTES = 50 * 1024 * 1024
"""Telegram accepts uploads of up to 50 MB through the Bot API."""
_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _answer(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(
        body, status=status, dumps=lambda data: json.dumps(data, ensure_ascii=False)
    )


def _error(error: BotApiError) -> web.Response:
    return _answer(error.envelope(), status=error.error_code)


async def _params(request: web.Request) -> tuple[dict[str, Any], bool]:
    """The call's parameters, and whether they came as strings (query or form)."""
    if request.method == "POST" and request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body", violation=True) from None
        if not isinstance(body, dict):
            raise bad_request("the JSON request body must be an object", violation=True)
        return body, False
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.content_type in _FORMS:
        params.update(await request.post())
    return params, True


async def bot_api(request: web.Request) -> web.Response:
    """Any Bot API method: GET query, POST JSON, urlencoded or multipart, as Telegram takes."""
    emulator = request.app[EMULATOR]
    token, method = request.match_info["token"], request.match_info["method"]
    try:
        try:
            params, form = await _params(request)
        except BotApiError as error:
            emulator.violations.append(f"{method}: {error.description}")
            emulator.errors.append(f"{method}: {error.error_code} {error.description}")
            raise
        result = await emulator.call(token, method, params, form=form)
    except BotApiError as error:
        return _error(error)
    return _answer({"ok": True, "result": result})


async def file_download(request: web.Request) -> web.Response:
    """File downloads (getFile's paths) are not emulated."""
    return _error(not_emulated("downloading files"))


def create_app(emulator: TelegramEmulator, *, control: bool = True) -> web.Application:
    """The local Bot API server; with `control`, the /emulator routes to act as users."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[EMULATOR] = emulator
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_route("*", "/file/bot{token}/{path:.*}", file_download)
    if control:
        from backend.telegram_emulator.control import add_control_routes

        add_control_routes(app)

    async def close_emulator(app: web.Application) -> None:
        await app[EMULATOR].close()

    app.on_cleanup.append(close_emulator)
    return app


@dataclass(slots=True)
class RunningEmulator:
    """An emulator served on a local port (for tests, benchmarks and demos)."""

    emulator: TelegramEmulator
    runner: web.AppRunner
    base_url: str

    @property
    def api_url(self) -> str:
        """The bot's method URL prefix, e.g. http://127.0.0.1:8081/bot123456:TEST/."""
        return f"{self.base_url}/bot{self.emulator.token}/"

    async def close(self) -> None:
        """Stops serving (and webhook delivery)."""
        await self.runner.cleanup()


async def start_server(
    emulator: TelegramEmulator, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Serves the emulator on host:port (0: a free port) and returns where."""
    runner = web.AppRunner(create_app(emulator), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    if ":" in bound_host:
        bound_host = f"[{bound_host}]"
    return RunningEmulator(emulator, runner, f"http://{bound_host}:{bound_port}")
