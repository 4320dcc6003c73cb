"""The demo outbox page: the stored mails, newest first, in the visitor's language, safely shown."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from babel.messages.pofile import read_po
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.mail import Mail, build_mail
from backend.mail_outbox import OutboxMailer, outbox
from backend.web.outbox import KEYS, add_outbox_routes, render_page
from bot.i18n.catalog import Catalogs
from tests.helpers import ROOT

PARIS = ZoneInfo("Europe/Paris")
CATALOGS = Catalogs.load()
CAMILLE = "camille.durand@ac-exemple.fr"
ALEX = "alex.martin@ac-exemple.fr"

OLDEST = build_mail(
    CAMILLE,
    "Votre code de vérification",
    [
        "Votre code à usage unique est 482913.",
        "Ouvrir : https://assesseur.example/portal/activate?t=abc&x=1, puis suivez les étapes.",
    ],
    "fr",
)
MIDDLE = build_mail(
    ALEX,
    "Your <b>new</b> link & more",
    [
        "Hello <script>alert(1)</script>",
        "Not links: javascript:alert(2) and ftp://files.example/x and data:text/html,hi.",
        "A link: https://portal.example/vote.",
    ],
    "en",
    link=("Open the portal", "https://portal.example/open?a=1&b=2"),
)
NEWEST = build_mail(
    CAMILLE.upper(), "Nouveau lien d'activation", ["Bonjour,", "Voici un nouveau lien."], "fr"
)
TIMES = [
    datetime(2026, 12, 3, 9, 0, tzinfo=PARIS),
    datetime(2026, 12, 4, 10, 30, tzinfo=PARIS),
    datetime(2026, 12, 5, 18, 45, tzinfo=PARIS),
]


def translate(locale: str, key: str) -> str:
    """What the lead passes: the French or English catalogue's gettext."""
    return CATALOGS.translator(locale).gettext(key)


def negotiate(request: web.Request) -> str:
    """What the server passes: `?lang=`, else the browser's best, among the catalogues."""
    return CATALOGS.choose(request.query.get("lang"), request.headers.get("Accept-Language"))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    instants: Iterator[datetime] = iter(TIMES)
    mailer = OutboxMailer(engine, lambda: next(instants))
    for mail in (OLDEST, MIDDLE, NEWEST):
        await mailer.send(mail)
    yield engine
    await engine.dispose()


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    add_outbox_routes(app, engine, translate, negotiate, CATALOGS.locales)
    async with TestClient(TestServer(app)) as client:
        yield client


async def page(
    client: TestClient[web.Request, web.Application], path: str = "/outbox", **headers: str
) -> str:
    response = await client.get(path, headers=headers)
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.charset == "utf-8"
    return await response.text()


def position(html: str, *texts: str) -> list[int]:
    return [html.index(t) for t in texts]


def csp(header: str) -> dict[str, list[str]]:
    directives = (d.strip().split() for d in header.split(";") if d.strip())
    return {d[0]: d[1:] for d in directives}


async def test_the_page_lists_mails_newest_first_in_french(
    client: TestClient[web.Request, web.Application],
) -> None:
    html = await page(client)
    assert '<html lang="fr">' in html
    assert "<title>Boîte d&#x27;envoi de démonstration – Assesseur</title>" in html
    assert "ces courriels n&#x27;ont pas été envoyés" in html
    assert "Courriels affichés : 3, du plus récent au plus ancien." in html
    newest, middle, oldest = position(
        html, "Nouveau lien d&#x27;activation", "Your &lt;b&gt;new", "Votre code de vérification"
    )
    assert newest < middle < oldest
    assert '<time datetime="2026-12-05T18:45:00+01:00">2026-12-05 18:45</time>' in html
    assert "Date (heure de Paris)" in html


async def test_the_page_speaks_english_when_asked(
    client: TestClient[web.Request, web.Application],
) -> None:
    for html in (
        await page(client, "/outbox?lang=en"),
        await page(client, **{"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}),
        await page(client, "/outbox?lang=xx", **{"Accept-Language": "en"}),
    ):
        assert '<html lang="en">' in html
        assert "<title>Demo outbox – Assesseur</title>" in html
        assert "these mails were not sent" in html
        assert "Mails shown: 3, newest first." in html
        assert "Date (Paris time)" in html
        assert 'lang="fr" hreflang="fr">Français</a>' in html


async def test_the_page_is_french_by_default(
    client: TestClient[web.Request, web.Application],
) -> None:
    for headers in ({}, {"Accept-Language": "de-DE,de;q=0.9"}, {"Accept-Language": "en;q=0"}):
        html = await page(client, **headers)
        assert '<html lang="fr">' in html
        assert 'lang="en" hreflang="en">English</a>' in html
    assert '<html lang="fr">' in await page(client, "/outbox?lang=fr", **{"Accept-Language": "en"})


async def test_subjects_and_texts_are_escaped(
    client: TestClient[web.Request, web.Application],
) -> None:
    html = await page(client)
    assert "Your &lt;b&gt;new&lt;/b&gt; link &amp; more" in html
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>new</b>" not in html
    assert "<script" not in html


async def test_only_web_addresses_become_links(
    client: TestClient[web.Request, web.Application],
) -> None:
    html = await page(client)
    assert '<a href="https://portal.example/vote" rel="noopener noreferrer">' in html
    assert (
        '<a href="https://assesseur.example/portal/activate?t=abc&amp;x=1" '
        'rel="noopener noreferrer">https://assesseur.example/portal/activate?t=abc&amp;x=1</a>,'
    ) in html
    assert '<a href="https://portal.example/open?a=1&amp;b=2"' in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs
    assert all(h.startswith(("https://", "/outbox", "#main")) for h in hrefs), hrefs
    assert "javascript:alert(2)" in html and "ftp://files.example/x" in html


async def test_the_page_is_accessible_and_runs_nothing(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/outbox")
    html = await response.text()
    for landmark in ("<header>", '<main id="main"', "<footer>", "<nav aria-label=", "<h1>", "<h2"):
        assert landmark in html
    assert '<a class="skip" href="#main">Aller au contenu</a>' in html
    assert '<label for="to">Destinataire</label>' in html and 'id="to"' in html
    assert 'class="mail-text" lang="en"' in html and '<h3 id="mail-2" lang="en">' in html
    assert html.count("<article") == 3
    assert "Voir la version HTML" in html
    for forbidden in ("<script", "src=", "<link", "<iframe", "onclick", "style="):
        assert forbidden not in html
    assert not re.search(r"outbox\.[a-z_]+", html), "an untranslated key"

    policy = csp(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest}'"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_recipient_filter_ignores_case(
    client: TestClient[web.Request, web.Application],
) -> None:
    html = await page(client, "/outbox?to=Camille.Durand@AC-exemple.fr")
    assert html.count("<article") == 2
    assert ALEX not in html
    assert position(html, "Nouveau lien", "Votre code") == sorted(
        position(html, "Nouveau lien", "Votre code")
    )
    assert 'value="Camille.Durand@AC-exemple.fr"' in html
    assert "Afficher tous les courriels" in html


async def test_an_unknown_recipient_shows_an_escaped_empty_list(
    client: TestClient[web.Request, web.Application],
) -> None:
    html = await page(client, "/outbox?lang=en&to=<b>x</b>@example.org")
    assert "<article" not in html
    assert "No mail for &lt;b&gt;x&lt;/b&gt;@example.org." in html
    assert "<b>x</b>" not in html


async def test_an_empty_outbox_says_so(engine: AsyncEngine) -> None:
    html = render_page(
        [], "fr", translate, CATALOGS.locales, page_url=lambda lang, to: "/outbox", html_url=str
    )
    assert "Aucun courriel pour le moment." in html
    assert "<article" not in html


async def test_the_html_part_is_served_as_is_without_scripts(
    client: TestClient[web.Request, web.Application], engine: AsyncEngine
) -> None:
    mails = await outbox(engine)
    middle = next(m for m in mails if m["to_address"] == ALEX)
    response = await client.get(f"/outbox/{middle['id']}/html")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert await response.text() == MIDDLE.html
    policy = csp(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy and "sandbox" in policy
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["Cache-Control"] == "no-store"

    listing = await page(client)
    assert f'href="/outbox/{middle["id"]}/html"' in listing


@pytest.mark.parametrize("path", ["/outbox/999999/html", "/outbox/abc/html", "/outbox/-1/html"])
async def test_an_unknown_mail_is_not_found(
    client: TestClient[web.Request, web.Application], path: str
) -> None:
    response = await client.get(path)
    assert response.status == 404


def test_every_key_is_in_every_catalogue() -> None:
    for locale in ("fr", "en"):
        path = ROOT / "locales" / locale / "LC_MESSAGES" / "assesseur.po"
        with path.open("rb") as fh:
            texts = {m.id: m.string for m in read_po(fh) if m.id}
        assert sorted(k for k in KEYS if not texts.get(k)) == [], locale
        assert sorted(k for k in texts if str(k).startswith("outbox.") and k not in KEYS) == []


def test_keys_are_exactly_those_the_page_uses() -> None:
    used: set[str] = set()

    def recording(locale: str, key: str) -> str:
        used.add(key)
        return f"[{key}]"

    untitled = Mail(to=CAMILLE, subject="", text="…", html="", locale="fr")
    mails = [
        {
            "id": 1,
            "to_address": CAMILLE,
            "locale": "fr",
            "subject": m.subject,
            "text": m.text,
            "html": m.html,
            "created_at": TIMES[0],
        }
        for m in (OLDEST, untitled)
    ]
    for listing, to in ((mails, None), ([], None), ([], CAMILLE)):
        render_page(
            listing,
            "fr",
            recording,
            CATALOGS.locales,
            page_url=lambda lang, to: "/outbox",
            html_url=str,
            to=to,
        )
    assert used == KEYS
