"""The demo outbox page: the mails Assesseur would have sent, shown instead of being sent."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.mail_outbox import outbox, outbox_mail

"""The page's languages, the default first."""
PARIS = ZoneInfo("Europe/Paris")
LIMIT = 100
PAGE_ROUTE = "outbox.page"
HTML_ROUTE = "outbox.html"

KEYS = frozenset(
    {
        "outbox.title",
        "outbox.skip_link",
        "outbox.language_nav",
        "outbox.language_name",
        "outbox.banner_title",
        "outbox.banner",
        "outbox.filter_label",
        "outbox.filter_hint",
        "outbox.filter_submit",
        "outbox.filter_clear",
        "outbox.mails_heading",
        "outbox.count",
        "outbox.empty",
        "outbox.empty_for",
        "outbox.to",
        "outbox.date",
        "outbox.language",
        "outbox.no_subject",
        "outbox.view_html",
        "outbox.footer",
    }
)
"""Every message key the page uses; each catalogue must have them."""

Translate = Callable[[str, str], str]

STYLE = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f6; color: #161616; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
a { color: #000091; }
a:focus-visible, button:focus-visible, input:focus-visible {
  outline: 3px solid #0a76f6; outline-offset: 2px; }
.skip { position: absolute; left: 1rem; top: -10rem; background: #fff; padding: .5rem 1rem; }
.skip:focus { top: 1rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 1rem; }
header { display: flex; flex-wrap: wrap; gap: 1rem; justify-content: space-between;
  align-items: center; border-bottom: 1px solid #dddddd; }
.brand { margin: 0; font-weight: 700; font-size: 1.25rem; }
header nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
h1 { font-size: 1.75rem; margin: 0 0 1rem; }
h2 { font-size: 1.375rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1.125rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
.banner { background: #fff4e5; border-left: .5rem solid #b34000; padding: .75rem 1rem;
  margin: 0 0 1.5rem; }
.banner p { margin: 0; }
form { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; }
form div { display: flex; flex-direction: column; }
label { font-weight: 700; }
.hint { color: #3a3a3a; font-size: .875rem; }
input { font: inherit; padding: .5rem; border: 1px solid #666666; border-radius: .25rem;
  min-width: 18rem; max-width: 100%; }
button { font: inherit; padding: .5rem 1rem; border: 0; border-radius: .25rem;
  background: #000091; color: #ffffff; cursor: pointer; }
ol.mails { list-style: none; margin: 0; padding: 0; }
.mail { background: #ffffff; border: 1px solid #dddddd; border-radius: .25rem;
  padding: 1rem; margin: 0 0 1rem; }
.mail dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem;
  margin: 0 0 1rem; }
.mail dt { font-weight: 700; }
.mail dd { margin: 0; overflow-wrap: anywhere; }
.mail-text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0 0 1rem;
  padding: .75rem; background: #f6f6f6; border-radius: .25rem; }
footer { color: #3a3a3a; font-size: .875rem; }
"""
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_CSP = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""The page's policy: no script at all, only its own style block, forms to itself."""
MAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; sandbox"
)
"""A stored mail's HTML part: inline styles (as mail clients take them), nothing that runs."""

_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»"


def _headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex",
    }


def linkify(text: str) -> str:
    """The text HTML-escaped, its http and https addresses made into links (nothing else)."""
    out: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        out.append(html.escape(text[position : match.start()]))
        out.append(f'<a href="{html.escape(url)}" rel="noopener noreferrer">{html.escape(url)}</a>')
        position = match.start() + len(url)
    out.append(html.escape(text[position:]))
    return "".join(out)


def paris_time(instant: object) -> tuple[str, str]:
    """An instant as shown (`2026-12-05 10:00`, Paris time) and in ISO 8601 for `<time>`."""
    if not isinstance(instant, datetime):
        return "", ""
    local = instant.astimezone(PARIS)
    return local.strftime("%Y-%m-%d %H:%M"), local.isoformat(timespec="seconds")


def _mail_item(mail: dict[str, object], locale: str, t: Callable[[str], str], html_url: str) -> str:
    e = html.escape
    colon = " : " if locale == "fr" else ": "
    mail_id = int(str(mail["id"]))
    lang = e(str(mail["locale"]))
    subject = str(mail["subject"]).strip()
    title = (
        f'<h3 id="mail-{mail_id}" lang="{lang}">{e(subject)}</h3>'
        if subject
        else f'<h3 id="mail-{mail_id}">{e(t("outbox.no_subject"))}</h3>'
    )
    shown, iso = paris_time(mail["created_at"])
    return "\n".join(
        [
            f'<li><article class="mail" aria-labelledby="mail-{mail_id}">',
            title,
            "<dl>",
            f"<dt>{e(t('outbox.to'))}</dt><dd>{e(str(mail['to_address']))}</dd>",
            f'<dt>{e(t("outbox.date"))}</dt><dd><time datetime="{e(iso)}">{e(shown)}</time></dd>',
            f"<dt>{e(t('outbox.language'))}</dt><dd>{lang}</dd>",
            "</dl>",
            f'<div class="mail-text" lang="{lang}">{linkify(str(mail["text"]).rstrip())}</div>',
            f'<p><a href="{e(html_url)}">{e(t("outbox.view_html"))}'
            f'<span class="visually-hidden">{colon}{e(subject)}</span></a></p>',
            "</article></li>",
        ]
    )


def render_page(
    mails: Sequence[dict[str, object]],
    locale: str,
    translate: Translate,
    locales: Sequence[str],
    *,
    page_url: Callable[[str, str | None], str],
    html_url: Callable[[int], str],
    to: str | None = None,
) -> str:
    """The outbox page in `locale` (with links to the other `locales`): the banner, the
    recipient filter and the mails as given."""
    e = html.escape

    def t(key: str) -> str:
        return translate(locale, key)

    others = [
        f'<li><a href="{e(page_url(lang, to))}" lang="{lang}" hreflang="{lang}">'
        f"{e(translate(lang, 'outbox.language_name'))}</a></li>"
        for lang in locales
        if lang != locale
    ]
    if mails:
        count = t("outbox.count").replace("{count}", str(len(mails)))
        listing = [
            f'<p id="mail-count">{e(count)}</p>',
            '<ol class="mails" aria-describedby="mail-count">',
            *(_mail_item(m, locale, t, html_url(int(str(m["id"])))) for m in mails),
            "</ol>",
        ]
    elif to:
        listing = [f"<p>{e(t('outbox.empty_for').replace('{address}', to))}</p>"]
    else:
        listing = [f"<p>{e(t('outbox.empty'))}</p>"]
    clear = f'<p><a href="{e(page_url(locale, None))}">{e(t("outbox.filter_clear"))}</a></p>'
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{locale}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="robots" content="noindex">',
            f"<title>{e(t('outbox.title'))} – Assesseur</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            f'<a class="skip" href="#main">{e(t("outbox.skip_link"))}</a>',
            "<header>",
            '<p class="brand">Assesseur</p>',
            f'<nav aria-label="{e(t("outbox.language_nav"))}"><ul>{"".join(others)}</ul></nav>',
            "</header>",
            '<main id="main" tabindex="-1">',
            f"<h1>{e(t('outbox.title'))}</h1>",
            '<div class="banner" role="note">',
            f"<p><strong>{e(t('outbox.banner_title'))}</strong> {e(t('outbox.banner'))}</p>",
            "</div>",
            f'<form method="get" action="{e(page_url(locale, None).partition("?")[0])}">',
            f'<input type="hidden" name="lang" value="{locale}">',
            "<div>",
            f'<label for="to">{e(t("outbox.filter_label"))}</label>',
            f'<span class="hint" id="to-hint">{e(t("outbox.filter_hint"))}</span>',
            f'<input id="to" name="to" type="text" inputmode="email" autocomplete="off" '
            f'spellcheck="false" aria-describedby="to-hint" value="{e(to or "")}">',
            "</div>",
            f'<button type="submit">{e(t("outbox.filter_submit"))}</button>',
            "</form>",
            clear if to else "",
            f'<h2 id="mails-heading">{e(t("outbox.mails_heading"))}</h2>',
            *listing,
            "</main>",
            f"<footer><p>{e(t('outbox.footer'))}</p></footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


def add_outbox_routes(
    app: web.Application,
    engine: AsyncEngine,
    translate: Translate,
    negotiate: Callable[[web.Request], str],
    locales: Sequence[str],
) -> None:
    """Mounts `GET /outbox` (the page) and `GET /outbox/{id}/html` (a mail's HTML part);
    `negotiate` picks a request's language among `locales`."""

    def page_url(lang: str, to: str | None) -> str:
        query = {"lang": lang} if to is None else {"lang": lang, "to": to}
        return str(app.router[PAGE_ROUTE].url_for().with_query(query))

    def html_url(mail_id: int) -> str:
        return str(app.router[HTML_ROUTE].url_for(id=str(mail_id)))

    async def page(request: web.Request) -> web.Response:
        """`GET /outbox[?lang=en][&to=address]`: the stored mails, newest first."""
        locale = negotiate(request)
        to = request.query.get("to", "").strip()[:320] or None
        mails = await outbox(engine, LIMIT, to=to)
        body = render_page(
            mails, locale, translate, locales, page_url=page_url, html_url=html_url, to=to
        )
        return web.Response(
            text=body,
            content_type="text/html",
            charset="utf-8",
            headers={**_headers(PAGE_CSP), "Content-Language": locale, "Vary": "Accept-Language"},
        )

    async def mail_html(request: web.Request) -> web.Response:
        """`GET /outbox/{id}/html`: the mail's HTML part as it would have been sent."""
        mail = await outbox_mail(engine, int(request.match_info["id"]))
        if mail is None:
            raise web.HTTPNotFound(text="No such mail in the outbox.")
        return web.Response(
            text=str(mail["html"]),
            content_type="text/html",
            charset="utf-8",
            headers=_headers(MAIL_CSP),
        )

    app.router.add_get("/outbox", page, name=PAGE_ROUTE)
    app.router.add_get(r"/outbox/{id:\d{1,18}}/html", mail_html, name=HTML_ROUTE)
