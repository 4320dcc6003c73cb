"""The gettext catalogues of `locales/`: loading, compiling with Babel, and choosing a language."""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "assesseur"
DEFAULT_LOCALE = "fr"


def po_path(directory: Path, locale: str) -> Path:
    """Where the catalogue of `locale` is written."""
    return directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_texts(path: Path) -> dict[str, str | tuple[str, ...]]:
    """The keys and texts of one `.po` file (a plural entry gives a tuple of forms)."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    texts: dict[str, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        string = message.string
        texts[key] = tuple(string) if isinstance(string, tuple | list) else str(string or "")
    return texts


def _translations(directory: Path, locale: str) -> gettext.GNUTranslations:
    po = po_path(directory, locale)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True, slots=True)
class Catalogs:
    """The translations of every language, French first."""

    translations: Mapping[str, gettext.GNUTranslations]
    texts: Mapping[str, Mapping[str, str | tuple[str, ...]]]

    @classmethod
    def load(cls, directory: Path = DEFAULT_LOCALES_DIR) -> Catalogs:
        """Loads every `locales/<lang>/LC_MESSAGES/assesseur.po` (compiled `.mo` when fresh)."""
        found = sorted(
            (p.parent.parent.name for p in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")),
            key=lambda lang: (lang != DEFAULT_LOCALE, lang),
        )
        if DEFAULT_LOCALE not in found:
            raise FileNotFoundError(f"no French catalogue in {directory}")
        return cls(
            translations={lang: _translations(directory, lang) for lang in found},
            texts={lang: read_texts(po_path(directory, lang)) for lang in found},
        )

    @property
    def locales(self) -> tuple[str, ...]:
        """The languages, French first."""
        return tuple(self.translations)

    def translator(self, locale: str) -> gettext.GNUTranslations:
        """The translations of `locale`, French for an unknown one."""
        return self.translations.get(locale) or self.translations[DEFAULT_LOCALE]

    def supported(self, tag: str | None) -> str | None:
        """The language of a tag such as `en-GB` if there is a catalogue for it."""
        if not tag:
            return None
        lang = tag.strip().replace("_", "-").split("-")[0].lower()
        return lang if lang in self.translations else None

    def choose(self, asked: str | None, accept_language: str | None) -> str:
        """A page's language: the one asked for (`?lang=`), else the browser's best."""
        return self.supported(asked) or self.negotiate(accept_language)

    def negotiate(self, accept_language: str | None) -> str:
        """The best language for an Accept-Language header; French by default."""
        if not accept_language:
            return DEFAULT_LOCALE
        weighted: list[tuple[float, int, str]] = []
        for i, part in enumerate(accept_language.split(",")):
            tag, _, params = part.partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            lang = self.supported(tag)
            if lang is not None and quality > 0:
                weighted.append((-quality, i, lang))
        return min(weighted)[2] if weighted else DEFAULT_LOCALE
