"""Helpers shared by the tests: small catalogues and flow folders written on the fly."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from backend.telegram_emulator import TelegramEmulator

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_FLOWS = Path(__file__).resolve().parent / "bot" / "fixtures" / "flows"

FIXTURE_TEXTS = {
    "menu.welcome": "Bienvenue.",
    "menu.welcome.countdown": "Ouverture du vote dans {countdown}.",
    "menu.start": "Menu.",
    "btn.topic": "Le sujet",
    "btn.next": "Suite",
    "btn.portal": "Portail",
    "topic.start": "Le début du sujet.",
    "topic.next": "La suite du sujet.",
    "help.start": "Aide.",
    "language.choose": "Langue ?",
    "agent.start": "Une personne va vous répondre.",
    "fallback.not_understood": "Pardon ?",
    "fallback.offer_agent": "Voulez-vous parler à une personne ?",
    "identity.ask_email": "Votre adresse professionnelle ?",
    "identity.code_sent": "Si l'adresse est inscrite, un code lui a été envoyé.",
    "identity.code_wrong": "Code erroné ; essais restants : {attempts_left}.",
    "identity.code_format": "Tapez les 6 chiffres.",
    "identity.code_expired": "Code expiré.",
    "identity.locked": "Trop d'essais.",
    "identity.rate_limited": "Trop de demandes.",
    "identity.email_invalid": "Ce n'est pas une adresse.",
    "identity.verified": "Adresse vérifiée, {first_name}.",
    "guard.warning": "Ne partagez jamais vos secrets.",
    "activation.ask_email": "Votre adresse pour un nouveau lien ?",
    "activation.link_requested": "Si l'adresse est inscrite, un lien lui a été envoyé.",
    "account.start": "Vos scrutins :\n{ballots}",
    "account.activated": "Compte activé.",
    "account.not_activated": "Compte pas encore activé.",
    "btn.account": "Mon compte",
    "btn.vote": "Aller voter",
    "btn.new_link": "Nouveau lien",
    "fallback.clarify": "Voulez-vous dire… ?",
    "topic.label.start": "Le sujet",
    "topic.label.next": "La suite",
}


def write_catalogs(directory: Path, texts: dict[str, dict[str, str]]) -> Path:
    """Writes `<dir>/<lang>/LC_MESSAGES/assesseur.po` for each language: key to text."""
    for lang, entries in texts.items():
        catalog = Catalog(locale=lang)
        for key, text in entries.items():
            catalog.add(key, text)
        path = directory / lang / "LC_MESSAGES" / "assesseur.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog)
    return directory


def fixture_catalogs(directory: Path, **extra: str) -> Path:
    """Catalogues for the fixture flows, in French and English, with the engine's own keys."""
    base = _engine_keys()
    fr = {**base, **FIXTURE_TEXTS, **extra}
    en = {key: f"[en] {text}" for key, text in fr.items()}
    return write_catalogs(directory, {"fr": fr, "en": en})


def _engine_keys() -> dict[str, str]:
    from bot.i18n.catalog import read_texts

    texts = read_texts(ROOT / "locales" / "fr" / "LC_MESSAGES" / "assesseur.po")
    engine = (
        "nav.",
        "language.changed",
        "language.name.",
        "session.",
        "command.",
        "agent.waiting",
        "account.ballot",
        "identity.offer_address",
        "identity.btn.use_address",
    )
    return {k: v for k, v in texts.items() if isinstance(v, str) and k.startswith(engine)}


def copy_flows(directory: Path) -> Path:
    """A writable copy of the fixture flows."""
    shutil.copytree(FIXTURE_FLOWS, directory)
    return directory


def record_calls(emulator: TelegramEmulator) -> list[tuple[str, bool, Any]]:
    """Records each call the emulator receives: its method, whether it came as a form, and
    its `reply_markup` as received."""
    calls: list[tuple[str, bool, Any]] = []
    original = emulator.call

    async def recorded(token: str, method: str, raw: Any, *, form: bool) -> Any:
        calls.append((method, form, raw.get("reply_markup")))
        return await original(token, method, raw, form=form)

    emulator.call = recorded  # type: ignore[method-assign]
    return calls


async def send_then_edit(emulator: TelegramEmulator, sender: Any) -> None:
    """A driver's sender sends a reply with a keyboard, edits it in place into a menu, and
    finds an edit of a message that is not there refused; checked on what the emulator saw."""
    keyboard = {"inline_keyboard": [[{"text": "Oui", "callback_data": "topic.yes"}]]}
    menu = {"inline_keyboard": [[{"text": "Menu", "callback_data": "menu.start"}]]}
    emulator.user_says(7, "bonjour")
    await sender.send(7, "Voulez-vous que je vous guide ?", keyboard)
    (sent,) = emulator.bot_messages(7)
    assert await sender.edit(7, sent.message_id, "Que voulez-vous faire ?", menu)
    assert not await sender.edit(7, sent.message_id + 99, "Gone", None)
    (edited,) = emulator.bot_messages(7)
    assert (edited.text, edited.edits) == ("Que voulez-vous faire ?", 1)
    assert edited.callback_data == ["menu.start"]
