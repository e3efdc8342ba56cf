"""The portal in English and French: gettext catalogs (`locales/<lang>/LC_MESSAGES/portal.po`), read with Babel.

Templates call `_("English text")`; the French catalog translates it. The language is the member's choice,
else the browser's (`Accept-Language`), else English. Numbers and dates are formatted by Babel for the language.
"""

from __future__ import annotations

import gettext
import io
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")
LOCALES = Path(__file__).parent / "locales"


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The catalog of `language` (English: the texts as written)."""
    if language == "en":
        return gettext.NullTranslations()
    with (LOCALES / language / "LC_MESSAGES" / "portal.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def negotiate(chosen: str | None, accept_language: str | None) -> Language:
    """The member's language, else the first of the browser's that the portal speaks, else English."""
    for language in LANGUAGES:
        if chosen == language:
            return language
    preferred = []
    for part in (accept_language or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        if tag:
            preferred.append((weight, tag.replace("-", "_")))
    preferred.sort(key=lambda item: -item[0])
    found = Locale.negotiate([tag for _weight, tag in preferred], list(LANGUAGES))
    return "fr" if found is not None and found.language == "fr" else "en"


class Formats:
    """Numbers, shares and days written the way the page's language writes them (Babel)."""

    def __init__(self, language: Language) -> None:
        self.locale = Locale.parse(language)

    def number(self, value: float | int | str | None, digits: int = 0) -> str:
        if value is None or value == "":
            return "—"
        return format_decimal(float(value), format=f"#,##0{'.' + '0' * digits if digits else ''}", locale=self.locale)

    def percent(self, share: float | str | None, digits: int = 1) -> str:
        """`share` is a fraction (0.25 is 25 %)."""
        if share is None or share == "":
            return "—"
        return format_percent(float(share), format=f"#,##0.{'0' * digits}%", locale=self.locale)

    def day(self, value: date | None) -> str:
        return "—" if value is None else format_date(value, format="medium", locale=self.locale)

    def moment(self, value: datetime, timezone: str = "UTC") -> str:
        """A day and a time of day in `timezone` (a client's: when its mentions were published, as it lives them)."""
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(ZoneInfo(timezone))
        day = format_date(local, format="medium", locale=self.locale)
        return f"{day} {format_time(local, format='short', locale=self.locale)}"
