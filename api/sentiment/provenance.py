"""Which analyser gave a mention its sentiment: the name and version stored with every label.

A label is history: it is kept until the mention's text changes or an operator asks for a re-analysis
(`resonance sentiment reanalyse`), so each stored label says which analyser, in which version, gave it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

STORED_LENGTH = 64
"""The longest name or version stored (`mentions.sentiment_analyzer`, `mentions.sentiment_version`)."""

_HASH_LENGTH = 8


def stored_form(value: str) -> str:
    """`value` as stored: as it is up to 64 characters, else its first 55, `~` and 8 hex digits of its SHA-256.

    The hash keeps two long versions that share their first 55 characters apart, so a re-analysis still sees that
    they differ.
    """
    if len(value) <= STORED_LENGTH:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:_HASH_LENGTH]
    return f"{value[: STORED_LENGTH - _HASH_LENGTH - 1]}~{digest}"


@dataclass(frozen=True)
class Provenance:
    """The analyser that labelled a batch of mentions, in its stored form."""

    analyzer: str
    version: str

    @classmethod
    def of(cls, name: object, version: object) -> Provenance:
        """The provenance of an analyser called `name` in `version` (plugins' attributes are made strings)."""
        return cls(analyzer=stored_form(str(name)), version=stored_form(str(version)))
