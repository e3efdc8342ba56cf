"""Which language a mention is written in, told by lingua from a fixed set of likely languages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

DETECTED_LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "nl")
"""The languages detection chooses from (ISO 639-1). A short list is both more accurate on short posts and
cheaper. lingua's low-accuracy mode (trigram models only) over these seven takes under 30 MB and 0.1 to
0.5 ms a text on one core; its high-accuracy mode took 150 to 200 MB and several times longer, for a gain
this project's posts do not need (tests/bench/sentiment.py measures 97 to 99 % right on tweets)."""

_NOISE = re.compile(r"https?://\S+|\bhttp\b|[@#]\w*|\bRT\b")
"""Links, handles and hashtags say little about the language of the text around them."""


@cache
def _detector() -> LanguageDetector:
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in DETECTED_LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def normalise_language(code: str | None) -> str | None:
    """A connector's or importer's language tag as an ISO 639-1 code (`fr-CA` → `fr`), None if empty."""
    if not code:
        return None
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return primary or None


def detect_languages(texts: Sequence[str]) -> list[str | None]:
    """The ISO 639-1 code of each text's language, or None when the text is too short or unclear to tell."""
    detector = _detector()
    found: list[str | None] = []
    for text in texts:
        cleaned = _NOISE.sub(" ", text).strip()
        language = detector.detect_language_of(cleaned) if cleaned else None
        found.append(language.iso_code_639_1.name.lower() if language is not None else None)
    return found
