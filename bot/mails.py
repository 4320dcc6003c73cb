"""The mails the assistant sends, written in the voter's language from the catalogues."""

from __future__ import annotations

from backend.mail import Mail, Mailer, build_mail
from backend.platform import Platform, VoterRecord
from bot.i18n.catalog import Catalogs

KEYS = frozenset(
    {
        "mail.code.subject",
        "mail.code.body",
        "mail.code.use",
        "mail.code.not_secret",
        "mail.activation.subject",
        "mail.activation.body",
        "mail.activation.link",
        "mail.activation.steps",
        "mail.footer",
    }
)
"""The message keys of the mails."""


class Mails:
    """Writes and sends the identity code and activation link mails."""

    def __init__(self, catalogs: Catalogs, mailer: Mailer) -> None:
        self.catalogs = catalogs
        self.mailer = mailer
        self.platform: Platform | None = None

    def identity_code(self, address: str, code: str, locale: str) -> Mail:
        """The mail carrying a one-time code to prove an address."""
        t = self.catalogs.translator(locale)
        return build_mail(
            address,
            t.gettext("mail.code.subject"),
            [
                t.gettext("mail.code.body").format(code=code),
                t.gettext("mail.code.use"),
                t.gettext("mail.code.not_secret"),
            ],
            locale,
            footer=t.gettext("mail.footer"),
        )

    def activation_link(self, voter: VoterRecord, link: str, locale: str) -> Mail:
        """The mail carrying a new single-use activation link."""
        t = self.catalogs.translator(locale)
        return build_mail(
            voter.email,
            t.gettext("mail.activation.subject"),
            [
                t.gettext("mail.activation.body").format(first_name=voter.first_name),
                t.gettext("mail.activation.steps"),
            ],
            locale,
            link=(t.gettext("mail.activation.link"), link),
            footer=t.gettext("mail.footer"),
        )

    async def send_identity_code(self, address: str, code: str, locale: str) -> None:
        """Sends a one-time code (the mailer may send it in the background)."""
        await self.mailer.send(self.identity_code(address, code, locale))

    async def send_activation_link(self, voter_id: int, locale: str) -> None:
        """Asks the platform to mail the voter a new activation link."""
        if self.platform is None:
            raise RuntimeError("no platform to send activation links through")
        await self.platform.send_activation_link(voter_id, locale)
