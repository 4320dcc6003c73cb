"""Mail: built in the voter's language, sent to a real SMTP server on loopback, or kept in the outbox."""

from __future__ import annotations

import asyncio
import email
import logging
import threading
import traceback
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.mail import (
    BackgroundMailer,
    Mail,
    MailError,
    SmtpMailer,
    build_mail,
    parse_smtp_url,
)
from backend.mail_outbox import OutboxMailer, outbox, outbox_mail
from tests.smtp_server import Recorder, SmtpServer, free_port, run_server

PARIS = ZoneInfo("Europe/Paris")
CODE = "482913"
ADDRESS = "camille.durand@ac-exemple.fr"
SUBJECT = "Votre code de vérification – élections professionnelles"
PARAGRAPHS = [
    "Bonjour Camille,",
    f"Votre code à usage unique est {CODE}. Il est valable 10 minutes.",
    "Ne le communiquez à personne : <script>alert('pwned')</script> & cie.",
]
LINK = ("Accéder au portail élections", "https://portail.example/activer?jeton=abc&etape=1")
FOOTER = "Assesseur, l'assistant des électeurs. Ce courriel est envoyé automatiquement."


def french_mail(to: str = ADDRESS) -> Mail:
    return build_mail(to, SUBJECT, PARAGRAPHS, "fr", link=LINK, footer=FOOTER)


@pytest.fixture
def refusing_smtp() -> Iterator[SmtpServer]:
    """A real SMTP server that answers 550 to every recipient."""
    yield from run_server(Recorder(refuse=True))


# --- Building a mail ---------------------------------------------------------------------------


def test_plain_text_has_paragraphs_link_and_footer_separated_by_blank_lines() -> None:
    mail = french_mail()
    assert mail.text == (
        "Bonjour Camille,\n\n"
        f"Votre code à usage unique est {CODE}. Il est valable 10 minutes.\n\n"
        "Ne le communiquez à personne : <script>alert('pwned')</script> & cie.\n\n"
        "Accéder au portail élections: https://portail.example/activer?jeton=abc&etape=1\n\n"
        f"{FOOTER}\n"
    )
    assert (mail.to, mail.subject, mail.locale) == (ADDRESS, SUBJECT, "fr")


def test_html_is_a_small_accessible_document_with_every_text_escaped() -> None:
    page = french_mail().html
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page
    assert f"<title>{SUBJECT}</title>" in page
    assert (
        "Ne le communiquez à personne : &lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; &amp; cie."
        in page
    )
    assert "<script" not in page
    assert '<a href="https://portail.example/activer?jeton=abc&amp;etape=1"' in page
    assert ">Accéder au portail élections</a>" in page
    assert FOOTER.replace("'", "&#x27;") in page
    for external in ("src=", "<link", "<img", "<style", "@import", "url("):
        assert external not in page


def test_html_keeps_line_breaks_inside_a_paragraph() -> None:
    mail = build_mail(ADDRESS, "Sujet", ["ligne un\nligne <deux>"], "en")
    assert "ligne un<br>\nligne &lt;deux&gt;" in mail.html
    assert '<html lang="en">' in mail.html


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://files.example/x", "/relative/path", "https://a b.example"]
)
def test_a_link_must_be_an_absolute_web_address(url: str) -> None:
    with pytest.raises(ValueError, match="link"):
        build_mail(ADDRESS, SUBJECT, PARAGRAPHS, "fr", link=("Ouvrir", url))


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        (ADDRESS, "Sujet\r\nBcc: victime@example.org"),
        ("a@example.org\nBcc: victime@example.org", "Sujet"),
        ("pas-une-adresse", "Sujet"),
    ],
)
def test_headers_cannot_be_injected(to: str, subject: str) -> None:
    with pytest.raises(ValueError, match=r"recipient|subject"):
        build_mail(to, subject, ["Bonjour"], "fr")


# --- The SMTP URL ------------------------------------------------------------------------------


def test_smtp_urls_are_read() -> None:
    plain = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (plain.host, plain.port, plain.username, plain.password) == (
        "127.0.0.1",
        2525,
        None,
        None,
    )
    assert (plain.implicit_tls, plain.start_tls) == (False, None)
    submission = parse_smtp_url("smtp://us%40er:p%3Ass@mail.example:587?starttls=true")
    assert (submission.username, submission.password, submission.start_tls) == (
        "us@er",
        "p:ss",
        True,
    )
    assert parse_smtp_url("smtp://mail.example?starttls=false").start_tls is False
    implicit = parse_smtp_url("smtps://mail.example")
    assert (implicit.port, implicit.implicit_tls, implicit.start_tls) == (465, True, False)
    assert parse_smtp_url("smtp://mail.example").port == 25


@pytest.mark.parametrize(
    "url",
    [
        "http://user:s3cretPass@mail.example:25",
        "smtp://",
        "smtp://user:s3cretPass@",
        "smtp://user:s3cretPass@mail.example:notaport",
        "smtp://user:s3cretPass@mail.example:99999",
        "smtp://user:s3cretPass@mail.example:25?starttls=maybe",
        "smtp://user:s3cretPass@mail.example:25?verify=no",
        "smtps://user:s3cretPass@mail.example?starttls=true",
        "smtp://user:s3cretPass@mail.example:25/path",
        "smtp://:s3cretPass@mail.example:25",
    ],
)
def test_a_bad_smtp_url_is_refused_without_showing_the_password(url: str) -> None:
    with pytest.raises(ValueError, match=r"SMTP URL|smtps://") as refused:
        SmtpMailer(url)
    shown = "".join(traceback.format_exception(refused.value))
    assert "s3cretPass" not in shown


def test_a_bad_sender_is_refused() -> None:
    with pytest.raises(ValueError, match="sender"):
        SmtpMailer("smtp://127.0.0.1:25", sender="Assesseur")


def test_the_mailer_shows_its_server_but_never_the_password() -> None:
    mailer = SmtpMailer("smtp://user:s3cretPass@mail.example:587")
    assert repr(mailer) == "SmtpMailer(mail.example:587)"
    assert "s3cretPass" not in repr(mailer.settings)


# --- Sending through a real SMTP server ---------------------------------------------------------


async def test_a_french_mail_reaches_the_server_with_both_parts(smtp: SmtpServer) -> None:
    await SmtpMailer(smtp.url).send(french_mail())

    envelope = smtp.recorder.envelopes[0]
    assert envelope.mail_from == "assesseur@localhost"
    assert envelope.rcpt_tos == [ADDRESS]
    assert isinstance(envelope.content, bytes) and envelope.content.isascii()
    message = smtp.recorder.received()
    assert message["From"] == "Assesseur <assesseur@localhost>"
    assert message["To"] == ADDRESS
    assert message["Subject"] == SUBJECT
    assert message["Content-Language"] == "fr"
    sent_at = parsedate_to_datetime(message["Date"])
    assert abs(sent_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@localhost>")

    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = message.iter_parts()
    assert isinstance(text_part, EmailMessage) and isinstance(html_part, EmailMessage)
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    assert text_part.get_content_charset() == html_part.get_content_charset() == "utf-8"
    text, page = text_part.get_content(), html_part.get_content()
    for paragraph in PARAGRAPHS[:2]:
        assert paragraph in text and paragraph in page
    assert PARAGRAPHS[2] in text
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "<script" not in page
    assert "Accéder au portail élections: https://portail.example/activer?jeton=abc&etape=1" in text
    assert '<a href="https://portail.example/activer?jeton=abc&amp;etape=1"' in page


async def test_each_mail_gets_its_own_message_id(smtp: SmtpServer) -> None:
    mailer = SmtpMailer(smtp.url, sender="Élections <elections@ac-exemple.fr>")
    await mailer.send(french_mail())
    await mailer.send(french_mail())
    ids = {
        email.message_from_bytes(e.content, policy=default_policy)["Message-ID"]  # type: ignore[arg-type]
        for e in smtp.recorder.envelopes
    }
    assert len(ids) == 2
    assert all(i.endswith("@ac-exemple.fr>") for i in ids)
    first = email.message_from_bytes(smtp.recorder.envelopes[0].content, policy=default_policy)  # type: ignore[arg-type]
    assert first["From"] == "Élections <elections@ac-exemple.fr>"


async def test_credentials_in_the_url_log_in_to_the_server() -> None:
    recorder = Recorder()
    for server in run_server(recorder, authenticator=recorder.authenticate, auth_require_tls=False):
        await SmtpMailer(f"smtp://camille%40ac:p%3Ass%20w%C3%B6rd@127.0.0.1:{server.port}").send(
            french_mail()
        )
    assert recorder.logins == [(b"camille@ac", "p:ss wörd".encode())]
    assert len(recorder.envelopes) == 1


async def test_a_refused_recipient_raises_a_mail_error_without_the_body(
    refusing_smtp: SmtpServer,
) -> None:
    with pytest.raises(MailError) as refused:
        await SmtpMailer(refusing_smtp.url).send(french_mail())
    message = str(refused.value)
    assert "ac-exemple.fr" in message and "550" in message
    for secret in (CODE, "Camille", "camille.durand", "vérification", "portail.example"):
        assert secret not in message
    assert refused.value.__cause__ is None
    assert refusing_smtp.recorder.envelopes == []


async def test_a_closed_port_raises_a_mail_error() -> None:
    port = free_port()
    with pytest.raises(
        MailError, match=f"could not connect to the SMTP server 127.0.0.1:{port}"
    ) as e:
        await SmtpMailer(f"smtp://127.0.0.1:{port}", timeout=2).send(french_mail())
    assert CODE not in str(e.value)


async def test_a_silent_server_times_out_into_a_mail_error() -> None:
    async def never_greets(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(never_greets, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(MailError) as e:
            await SmtpMailer(f"smtp://127.0.0.1:{port}", timeout=0.3).send(french_mail())
        assert CODE not in str(e.value)
    finally:
        server.close()
        await server.wait_closed()


# --- Sending in the background -----------------------------------------------------------------


@dataclass
class FlakyMailer:
    """Fails its first `failures` sends (with `error`), then keeps what it is given."""

    failures: int = 0
    error: type[Exception] = MailError
    calls: int = 0
    sent: list[Mail] = field(default_factory=list)
    gate: threading.Event | None = None
    """Holds deliveries until set (from the test's thread: the mailer runs in its own)."""

    async def send(self, mail: Mail) -> None:
        self.calls += 1
        if self.gate is not None:
            await asyncio.to_thread(self.gate.wait, 5)
        if self.calls <= self.failures:
            # A careless inner mailer might quote the mail: the log must not repeat it.
            raise self.error(f"refused {mail.to}: {mail.subject} {mail.text}")
        self.sent.append(mail)


async def test_background_send_returns_before_delivery_and_drain_waits(smtp: SmtpServer) -> None:
    mailer = BackgroundMailer(SmtpMailer(smtp.url))
    await mailer.send(french_mail())
    assert smtp.recorder.envelopes == []
    assert mailer.pending == 1
    await mailer.drain()
    assert mailer.pending == 0
    assert smtp.recorder.received()["Subject"] == SUBJECT


async def test_background_send_does_not_wait_for_a_slow_server() -> None:
    inner = FlakyMailer(gate=threading.Event())
    mailer = BackgroundMailer(inner)
    await asyncio.wait_for(mailer.send(french_mail()), timeout=0.5)
    for _ in range(200):  # delivery runs in the mailer's thread, after its short delay
        if inner.calls:
            break
        await asyncio.sleep(0.01)
    assert inner.calls == 1 and inner.sent == []
    inner.gate.set()  # type: ignore[union-attr]
    await mailer.drain()
    assert inner.sent == [french_mail()]


async def test_background_send_retries_after_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="backend.mail")
    inner = FlakyMailer(failures=1)
    mailer = BackgroundMailer(inner, attempts=3, backoff=0)
    await mailer.send(french_mail())
    await mailer.drain()
    assert inner.calls == 2
    assert inner.sent == [french_mail()]
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "ac-exemple.fr" in caplog.text and "attempt 1 of 3" in caplog.text


async def test_background_send_waits_longer_between_each_attempt() -> None:
    inner = FlakyMailer(failures=2)
    mailer = BackgroundMailer(inner, attempts=3, backoff=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await mailer.send(french_mail())
    await mailer.drain()
    assert loop.time() - started >= 0.05 + 0.10 - 0.01
    assert inner.sent == [french_mail()]


@pytest.mark.parametrize("error", [MailError, RuntimeError])
async def test_background_send_gives_up_and_logs_only_the_domain(
    caplog: pytest.LogCaptureFixture, error: type[Exception]
) -> None:
    caplog.set_level(logging.DEBUG, logger="backend.mail")
    inner = FlakyMailer(failures=99, error=error)
    mailer = BackgroundMailer(inner, attempts=3, backoff=0)
    await mailer.send(french_mail())
    await mailer.drain()
    assert inner.calls == 3 and inner.sent == []
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING", "ERROR"]
    final = caplog.records[-1].getMessage()
    assert "ac-exemple.fr" in final and "given up after 3 attempts" in final
    assert all(r.exc_info is None for r in caplog.records)
    for secret in (CODE, "camille.durand", SUBJECT, "Bonjour", "portail.example", FOOTER):
        assert secret not in caplog.text


async def test_drain_waits_for_many_mails() -> None:
    inner = FlakyMailer()
    mailer = BackgroundMailer(inner, backoff=0)
    mails = [french_mail(f"voter{i}@ac-exemple.fr") for i in range(20)]
    for mail in mails:
        await mailer.send(mail)
    await mailer.drain()
    assert sorted(m.to for m in inner.sent) == sorted(m.to for m in mails)
    await mailer.drain()


def test_background_mailer_needs_an_attempt() -> None:
    with pytest.raises(ValueError, match="attempt"):
        BackgroundMailer(FlakyMailer(), attempts=0)


async def test_a_refusal_in_the_background_logs_the_reply_code_not_the_mail(
    refusing_smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="backend.mail")
    mailer = BackgroundMailer(SmtpMailer(refusing_smtp.url), attempts=2, backoff=0)
    await mailer.send(french_mail())
    await mailer.drain()
    final = caplog.records[-1].getMessage()
    assert "given up after 2 attempts" in final
    assert "SMTPRecipientsRefused 550" in final and "ac-exemple.fr" in final
    for secret in (CODE, "camille.durand", SUBJECT, "Bonjour"):
        assert secret not in caplog.text


# --- The demo outbox ---------------------------------------------------------------------------


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A SQLite database in a temporary folder, its schema brought up to date."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


async def test_the_outbox_keeps_mails_newest_first(engine: AsyncEngine) -> None:
    instants = iter(
        [
            datetime(2026, 12, 3, 9, 0, tzinfo=PARIS),
            datetime(2026, 12, 5, 18, 45, tzinfo=PARIS),
            datetime(2026, 12, 4, 10, 30, tzinfo=PARIS),
        ]
    )
    mailer = OutboxMailer(engine, lambda: next(instants))
    first = french_mail()
    second = build_mail("Alex.Martin@ac-exemple.fr", "Your new link", ["Hello"], "en")
    third = build_mail(ADDRESS, "Nouveau lien", ["Bonjour"], "fr", link=LINK)
    for mail in (first, second, third):
        await mailer.send(mail)

    mails = await outbox(engine)
    assert [m["subject"] for m in mails] == ["Your new link", "Nouveau lien", SUBJECT]
    newest = mails[0]
    assert newest["to_address"] == "Alex.Martin@ac-exemple.fr"
    assert newest["locale"] == "en"
    assert newest["text"] == second.text and newest["html"] == second.html
    assert newest["created_at"] == datetime(2026, 12, 5, 18, 45, tzinfo=PARIS)
    assert isinstance(newest["created_at"], datetime) and newest["created_at"].tzinfo is not None

    assert [m["subject"] for m in await outbox(engine, limit=1)] == ["Your new link"]
    assert [m["subject"] for m in await outbox(engine, to="CAMILLE.durand@ac-exemple.fr ")] == [
        "Nouveau lien",
        SUBJECT,
    ]
    assert await outbox(engine, to="personne@ac-exemple.fr") == []
    one = await outbox_mail(engine, int(str(newest["id"])))
    assert one == newest
    assert await outbox_mail(engine, 999_999) is None


async def test_outbox_mails_at_the_same_instant_keep_their_order(engine: AsyncEngine) -> None:
    instant = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    mailer = OutboxMailer(engine, lambda: instant)
    for n in range(3):
        await mailer.send(build_mail(ADDRESS, f"Code {n}", ["…"], "fr"))
    assert [m["subject"] for m in await outbox(engine)] == ["Code 2", "Code 1", "Code 0"]


async def test_the_outbox_mailer_sends_in_the_background_too(engine: AsyncEngine) -> None:
    mailer = BackgroundMailer(OutboxMailer(engine, lambda: datetime.now(UTC)))
    await mailer.send(french_mail())
    await mailer.drain()
    assert [m["subject"] for m in await outbox(engine)] == [SUBJECT]
