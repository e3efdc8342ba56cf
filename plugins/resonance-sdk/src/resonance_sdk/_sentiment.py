"""What a sentiment analyser plugin returns: one `Sentiment` per text, in the order given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import msgspec

SentimentLabel = Literal["positive", "negative", "neutral"]
"""The three labels every analyser speaks."""

SENTIMENT_LABELS: tuple[str, ...] = ("positive", "negative", "neutral")


class Sentiment(msgspec.Struct, frozen=True, kw_only=True):
    """The language and sentiment of one text.

    `language` is an ISO 639-1 code (`fr`, `en`) or None when it could not be told; `score` runs from
    -1 (most negative) to 1 (most positive), and `label` is the analyser's verdict on it.
    """

    language: str | None
    label: SentimentLabel
    score: float

    def __post_init__(self) -> None:
        if self.label not in SENTIMENT_LABELS:
            raise ValueError(f"label must be one of {', '.join(SENTIMENT_LABELS)}, not {self.label!r}")
        if not -1.0 <= self.score <= 1.0:  # also refuses NaN
            raise ValueError(f"score must be between -1 and 1, not {self.score!r}")


@runtime_checkable
class SentimentAnalyzer(Protocol):
    """Analyses texts in batches; `name` and `version` are published with every sentiment answer."""

    name: str
    version: str

    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        """One `Sentiment` per text, in order. `languages` holds hints (ISO 639-1 or None), one per text."""
        ...
