"""The reference portal under `/portal/`: only the landing pages of hand-off and activation
links, for the demo and the end-to-end tests. It is not the voting platform and says so."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.models import Voter
from backend.db.time import utc
from backend.handoff import Handoff

Translate = Callable[[str, str], str]
"""(locale, key) -> text."""

KEYS = frozenset(
    {
        "refportal.title",
        "refportal.banner",
        "refportal.confirm",
        "refportal.continue",
        "refportal.accepted",
        "refportal.refused",
        "refportal.activated",
        "refportal.purpose.vote",
        "refportal.purpose.reassort",
        "refportal.purpose.password",
        "refportal.purpose.activate",
    }
)
"""The message keys of the reference portal's pages."""

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;"
    "line-height:1.5;color:#161616}.banner{border:2px solid #b34000;padding:.75rem;"
    "background:#fff4f0}button{font-size:1rem;padding:.75rem 1.5rem;min-height:44px;"
    "background:#000091;color:#fff;border:0;border-radius:4px}"
    "button:focus,a:focus{outline:3px solid #0a76f6;outline-offset:2px}"
)
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _page(locale: str, t: Callable[[str], str], body: str, status: int = 200) -> web.Response:
    e = html.escape
    text = (
        f'<!DOCTYPE html><html lang="{locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{e(t("refportal.title"))}</title>'
        f"<style>{STYLE}</style></head><body><main>"
        f"<h1>{e(t('refportal.title'))}</h1>"
        f'<p class="banner" role="note">{e(t("refportal.banner"))}</p>{body}</main></body></html>'
    )
    return web.Response(
        text=text,
        content_type="text/html",
        status=status,
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"},
    )


def add_portal_routes(
    app: web.Application,
    engine: AsyncEngine,
    handoff: Handoff,
    translate: Translate,
    negotiate: Callable[[web.Request], str],
    clock: Callable[[], datetime],
) -> None:
    """Mounts `/portal/handoff` and `/portal/activate` (GET shows, POST uses the link)."""
    e = html.escape

    async def landing(request: web.Request) -> web.Response:
        """GET: a page that asks to continue; the link is used only by the POST (a mail scanner
        that follows links does not spend it)."""
        locale = negotiate(request)

        def t(key: str) -> str:
            return translate(locale, key)

        token = request.query.get("token", "")
        form = (
            f'<p>{e(t("refportal.confirm"))}</p><form method="post">'
            f'<input type="hidden" name="token" value="{e(token, quote=True)}">'
            f'<input type="hidden" name="lang" value="{locale}">'
            f'<button type="submit">{e(t("refportal.continue"))}</button></form>'
        )
        return _page(locale, t, form)

    async def use(request: web.Request) -> web.Response:
        """POST: introspects and spends the token, then shows the step it opens."""
        form = await request.post()
        locale = negotiate(request) if "lang" not in form else str(form["lang"])[:2]

        def t(key: str) -> str:
            return translate(locale, key)

        activating = request.path.endswith("/activate")
        async with engine.begin() as connection:
            result = await handoff.introspect(
                connection,
                str(form.get("token", "")),
                now=clock(),
                purpose="activate" if activating else None,
            )
            if result.active and activating:
                await connection.execute(
                    update(Voter)
                    .where(Voter.id == result.voter_id, Voter.activated_at.is_(None))
                    .values(activated_at=utc(clock()))
                )
        if not result.active:
            return _page(locale, t, f'<p role="alert">{e(t("refportal.refused"))}</p>', 410)
        step = t(f"refportal.purpose.{result.purpose}")
        accepted = t("refportal.accepted").replace("{step}", step)
        accepted = accepted.replace("{email}", result.email or "")
        extra = f"<p>{e(t('refportal.activated'))}</p>" if activating else ""
        return _page(locale, t, f'<p role="status">{e(accepted)}</p>{extra}')

    for path in ("/portal/handoff", "/portal/activate"):
        app.router.add_get(path, landing)
        app.router.add_post(path, use)
