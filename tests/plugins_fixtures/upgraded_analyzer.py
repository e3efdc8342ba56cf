"""A sentiment analyser standing for the one after an upgrade, for the tests of labels' history."""

from __future__ import annotations

from collections.abc import Sequence

from plugins.sdk import Sentiment


class UpgradedAnalyzer:
    """Calls everything negative (score -0.75, English), and keeps every text it is asked to analyse."""

    name = "upgraded-model"
    version = "2.0"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        self.texts.extend(texts)
        return [Sentiment(language="en", label="negative", score=-0.75) for _ in texts]
