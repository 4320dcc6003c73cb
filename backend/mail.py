"""Mail to voters: written in their language, sent by SMTP (the demo keeps them in its outbox
instead: `backend.mail_outbox`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import aiosmtplib

log = logging.getLogger(__name__)

DEFAULT_SENDER = "Assesseur <assesseur@localhost>"
LINK_SCHEMES = frozenset({"http", "https"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Inline styles only: many mail clients drop <style> blocks. Colours: "bleu France" #000091 on white
# (contrast 15.9:1), body text #161616 (17.7:1), footer #3a3a3a (11.4:1).
_BODY = "margin:0;padding:0;background-color:#f6f6f6;"
_CARD = (
    "max-width:600px;margin:0 auto;padding:24px;background-color:#ffffff;color:#161616;"
    "font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;"
)
_HEADING = "margin:0 0 16px 0;font-size:20px;line-height:1.3;color:#000091;"
_PARAGRAPH = "margin:0 0 16px 0;"
_BUTTON = (
    "display:inline-block;padding:12px 24px;background-color:#000091;color:#ffffff;"
    "font-weight:bold;text-decoration:underline;border-radius:4px;"
)
_RULE = "border:0;border-top:1px solid #dddddd;margin:24px 0 16px 0;"
_FOOTER = "margin:0;font-size:14px;color:#3a3a3a;"


@dataclass(frozen=True, slots=True)
class Mail:
    """A mail ready to go: recipient, subject, plain-text and HTML bodies, language."""

    to: str
    subject: str
    text: str
    html: str
    locale: str


class MailError(Exception):
    """A mail could not be sent; the message names the recipient's domain, never the body."""


class Mailer(Protocol):
    """Sends a mail (SMTP, the demo outbox, or in the background through another mailer)."""

    async def send(self, mail: Mail) -> None:
        """Sends `mail`, or raises `MailError`."""
        ...


def recipient_domain(address: str) -> str:
    """The domain of an address, the only part of it that logs and errors show."""
    domain = address.rpartition("@")[2].strip().lower()
    return _CONTROL.sub("", domain)[:255] or "?"


def _single_line(name: str, value: str) -> str:
    if _CONTROL.search(value.replace("\t", " ")):
        raise ValueError(f"the {name} of a mail must be one line without control characters")
    return value.strip()


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        raise ValueError("a mail's link must be an absolute http or https URL")
    if _CONTROL.search(url) or " " in url:
        raise ValueError("a mail's link must not contain spaces or control characters")
    return url


def _html_paragraph(text: str, style: str) -> str:
    lines = "<br>\n".join(html.escape(line) for line in text.splitlines())
    return f'<p style="{style}">{lines}</p>'


def build_mail(
    to: str,
    subject: str,
    paragraphs: Sequence[str],
    locale: str,
    *,
    link: tuple[str, str] | None = None,
    footer: str | None = None,
) -> Mail:
    """A mail with a plain-text and an accessible HTML body, every text escaped in the HTML."""
    to = _single_line("recipient", to)
    if "@" not in to:
        raise ValueError("a mail's recipient must be an e-mail address")
    subject = _single_line("subject", subject)
    locale = _single_line("locale", locale) or "fr"
    kept = [p.strip() for p in paragraphs if p.strip()]
    text_parts = list(kept)
    lang = html.escape(locale)
    title = html.escape(subject)
    body = [f'<h1 style="{_HEADING}">{title}</h1>']
    body += [_html_paragraph(p, _PARAGRAPH) for p in kept]
    if link is not None:
        label, url = _single_line("link label", link[0]), _check_url(link[1])
        text_parts.append(f"{label}: {url}")
        body.append(
            f'<p style="margin:24px 0;"><a href="{html.escape(url)}" style="{_BUTTON}">'
            f"{html.escape(label)}</a></p>"
        )
    if footer is not None and footer.strip():
        text_parts.append(footer.strip())
        body.append(f'<hr style="{_RULE}">')
        body.append(_html_paragraph(footer.strip(), _FOOTER))
    document = "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{lang}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="color-scheme" content="light">',
            f"<title>{title}</title>",
            "</head>",
            f'<body style="{_BODY}">',
            f'<div role="article" aria-label="{title}" lang="{lang}" style="{_CARD}">',
            *body,
            "</div>",
            "</body>",
            "</html>",
            "",
        ]
    )
    return Mail(
        to=to,
        subject=subject,
        text="\n\n".join(text_parts) + "\n",
        html=document,
        locale=locale,
    )


def email_message(mail: Mail, sender: str = DEFAULT_SENDER) -> EmailMessage:
    """The MIME form of a mail: multipart/alternative, text/plain then text/html, UTF-8."""
    _name, sender_address = parseaddr(sender)
    domain = recipient_domain(sender_address) if "@" in sender_address else "localhost"
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = mail.locale  # after the bodies: set_content drops Content-*
    return message


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to reach the SMTP server, read from an `smtp://` or `smtps://` URL."""

    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    implicit_tls: bool
    start_tls: bool | None
    """True: STARTTLS required; False: never; None: when the server offers it."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_smtp_url(url: str) -> SmtpSettings:
    """Reads `smtp://[user:pass@]host[:port][?starttls=true|false]` or `smtps://host[:465]`."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("the SMTP URL is malformed (expected smtp://host:port)") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError("the SMTP URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("the SMTP URL has no host (expected smtp://host:port)")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("the SMTP URL must not have a path or a fragment")
    start_tls: bool | None = None
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name != "starttls":
            raise ValueError(f"the SMTP URL has an unknown option {name!r} (known: starttls)")
        if value.lower() in _TRUE:
            start_tls = True
        elif value.lower() in _FALSE:
            start_tls = False
        else:
            raise ValueError("the SMTP URL's starttls option must be true or false")
    implicit_tls = scheme == "smtps"
    if implicit_tls and start_tls:
        raise ValueError("smtps:// is already TLS: starttls=true does not apply to it")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        raise ValueError("the SMTP URL has a password but no user name")
    return SmtpSettings(
        host=parts.hostname,
        port=port if port is not None else (465 if implicit_tls else 25),
        username=username,
        password=password,
        implicit_tls=implicit_tls,
        start_tls=False if implicit_tls else start_tls,
    )


def _reason(exc: BaseException) -> str:
    """The exception's type and the server's reply codes, never its text (it may quote a mail)."""
    refusals = getattr(exc, "recipients", None)
    errors = refusals if isinstance(refusals, list) and refusals else [exc]
    codes = {getattr(e, "code", None) for e in errors}
    return " ".join([type(exc).__name__, *sorted(str(c) for c in codes if isinstance(c, int))])


class SmtpMailer:
    """Sends mail through an SMTP server with aiosmtplib."""

    def __init__(self, url: str, sender: str = DEFAULT_SENDER, timeout: float = 10.0) -> None:
        """Checks the URL and the sender now, so that a bad configuration fails at start."""
        self.settings = parse_smtp_url(url)
        if "@" not in parseaddr(sender)[1] or _CONTROL.search(sender):
            raise ValueError("the mail sender must be an address such as 'Name <name@domain>'")
        self.sender = sender
        self.timeout = timeout

    def __repr__(self) -> str:
        """The server's address, never the password."""
        return f"SmtpMailer({self.settings.host}:{self.settings.port})"

    async def send(self, mail: Mail) -> None:
        """Sends one mail; `MailError` (never quoting the mail) when refused or unreachable."""
        settings = self.settings
        message = email_message(mail, self.sender)
        where = f"{settings.host}:{settings.port}"
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.implicit_tls,
                start_tls=settings.start_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPConnectError as exc:
            raise MailError(
                f"could not connect to the SMTP server {where} ({_reason(exc)})"
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(
                f"the SMTP server {where} did not accept a mail to {recipient_domain(mail.to)} "
                f"({_reason(exc)})"
            ) from None


_TOKEN_EDGES = ".,;:!?()[]{}<>\"'«»"


def _loggable(exc: Exception, mail: Mail) -> str:
    """What a log may say of a failure: a `MailError`'s message unless it quotes the mail.

    Any other error might quote the mail (a database error quotes its parameters), and a careless
    `MailError` too, so the message is checked against the mail's address, subject and words.
    """
    kind = type(exc).__name__
    if not isinstance(exc, MailError):
        return kind
    message = str(exc)
    local_part = mail.to.rpartition("@")[0]
    words = {w.strip(_TOKEN_EDGES) for w in f"{mail.subject} {mail.text}".split()}
    quoted = [local_part, mail.subject, *(w for w in words if len(w) >= 6)]
    if any(q and q in message for q in quoted):
        return f"{kind} (message withheld: it quotes the mail)"
    return message


class BackgroundMailer:
    """Sends through another mailer from a thread with its own event loop: no request waits for
    SMTP, and delivery never competes with requests on the server's loop (so that the answer to
    "send me a code" takes the same time whether a mail goes out or not)."""

    def __init__(
        self, inner: Mailer, attempts: int = 3, backoff: float = 1.0, delay: float = 0.05
    ) -> None:
        """`attempts` tries per mail; waits `backoff` seconds, then doubles it, between them.
        Delivery starts `delay` seconds after `send`, once the answer to the voter has gone."""
        if attempts < 1:
            raise ValueError("a mail needs at least one attempt")
        if backoff < 0 or delay < 0:
            raise ValueError("the backoff and the delay cannot be negative")
        self.inner = inner
        self.attempts = attempts
        self.backoff = backoff
        self.delay = delay
        self._futures: set[concurrent.futures.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        """How many mails are still being sent or retried."""
        return len(self._futures)

    def _worker_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="mailer", daemon=True).start()
                self._loop = loop
            return self._loop

    async def send(self, mail: Mail) -> None:
        """Hands the mail to the delivery thread and returns at once."""
        future = asyncio.run_coroutine_threadsafe(self._deliver(mail), self._worker_loop())
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    async def drain(self) -> None:
        """Waits until every pending mail is sent or given up."""
        while self._futures:
            waiting = [asyncio.wrap_future(f) for f in list(self._futures)]
            await asyncio.gather(*waiting, return_exceptions=True)

    async def aclose(self) -> None:
        """Drains, then stops the delivery thread."""
        await self.drain()
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)

    async def _deliver(self, mail: Mail) -> None:
        domain = recipient_domain(mail.to)
        await asyncio.sleep(self.delay)
        for attempt in range(1, self.attempts + 1):
            try:
                await self.inner.send(mail)
                return
            except Exception as exc:
                reason = _loggable(exc, mail)
                if attempt == self.attempts:
                    log.error(
                        "mail to a %s address given up after %d attempts: %s",
                        domain,
                        attempt,
                        reason,
                    )
                    return
                delay = self.backoff * 2 ** (attempt - 1)
                log.warning(
                    "mail to a %s address failed (attempt %d of %d), retrying in %.1f s: %s",
                    domain,
                    attempt,
                    self.attempts,
                    delay,
                    reason,
                )
                await asyncio.sleep(delay)
