"""Which analyser labels mentions: a plugin's (first result wins), guarded by the default one."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

from api.sentiment.aspects import tag_aspects_batch
from api.sentiment.default import DefaultSentimentAnalyzer
from api.sentiment.provenance import Provenance
from plugins.registry import Registry
from plugins.sdk import Sentiment, SentimentAnalyzer

logger = logging.getLogger("resonance.sentiment")


@cache
def default_analyzer() -> DefaultSentimentAnalyzer:
    """The built-in analyser, shared by the process (its lexicons and language models load once)."""
    return DefaultSentimentAnalyzer()


class GuardedAnalyzer:
    """A plugin's analyser whose failures (an exception, the wrong number or type of results) fall back,
    for that batch, to the default analyser: a broken plugin never fails a sync or an import."""

    def __init__(self, plugin: SentimentAnalyzer, plugin_name: str) -> None:
        self.plugin = plugin
        self.plugin_name = plugin_name
        self.name = plugin.name
        self.version = plugin.version

    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        """The plugin's results, or the default analyser's when the plugin fails on this batch."""
        return self.label(texts, languages)[0]

    def label(
        self, texts: Sequence[str], languages: Sequence[str | None] | None = None
    ) -> tuple[list[Sentiment], Provenance]:
        """The results and the analyser that really gave them: the plugin, or the default one when it failed."""
        try:
            results: Any = self.plugin.analyse(texts, languages)
            if not isinstance(results, list) or len(results) != len(texts):
                raise TypeError(f"returned {type(results).__name__} instead of a list of {len(texts)} Sentiment")
            if not all(isinstance(result, Sentiment) for result in results):
                raise TypeError("returned something other than plugins.sdk.Sentiment")
            return results, Provenance.of(self.name, self.version)
        except Exception as error:  # a plugin's bug costs that batch its plugin labels, nothing more
            logger.warning(
                "sentiment plugin %s failed on %d texts (%s: %s); the default analyser labelled them",
                self.plugin_name,
                len(texts),
                type(error).__name__,
                error,
            )
            fallback = default_analyzer()
            return fallback.analyse(texts, languages), Provenance.of(fallback.name, fallback.version)


def analyzer_for(registry: Registry) -> SentimentAnalyzer:
    """The plugin analyser the registry chose, guarded; the default analyser when no plugin offered one."""
    if registry.sentiment_analyzer is None:
        return default_analyzer()
    return GuardedAnalyzer(registry.sentiment_analyzer, registry.sentiment_plugin or "?")


def labelled(
    analyzer: SentimentAnalyzer, texts: Sequence[str], languages: Sequence[str | None] | None = None
) -> tuple[list[Sentiment], Provenance]:
    """`analyzer`'s results for `texts` and the provenance of the analyser that gave them."""
    if isinstance(analyzer, GuardedAnalyzer):
        return analyzer.label(texts, languages)
    return analyzer.analyse(texts, languages), Provenance.of(analyzer.name, analyzer.version)


WARM_UP_TEXTS = ("Great service, thank you!", "Livraison en retard, très déçu.")
"""An English and a French text: analysing them loads every model the default analyser uses."""


def warm_up(analyzer: SentimentAnalyzer) -> None:
    """Load the analyser's models now, once per process (lingua's and VADER's take about a second).

    Call it off the event loop (in a thread) when a worker starts, so that the first sync does not hold the GIL
    for that second while the loop serves requests and heartbeats. A failure is logged, never raised: the first
    batch then loads the models, or falls back, as it would have.
    """
    try:
        labelled(analyzer, WARM_UP_TEXTS)
    except Exception:  # a plugin's bug must not stop a worker from starting
        logger.warning("warming the sentiment analyser up failed; the first batch loads it", exc_info=True)


def analyse_mention_rows(analyzer: SentimentAnalyzer, rows: Sequence[dict[str, Any]]) -> None:
    """Give mention rows (dicts with `text` and `language`) their language, sentiment, its provenance and their
    aspects (api/sentiment/aspects.py), in place.

    A language the row already has (given by the connector or the importer) is kept; the analyser's
    detected language fills only the missing ones.
    """
    if not rows:
        return
    results, provenance = labelled(analyzer, [row["text"] for row in rows], [row.get("language") for row in rows])
    for row, result in zip(rows, results, strict=True):
        row["language"] = row.get("language") or result.language
        row["sentiment_label"] = result.label
        row["sentiment_score"] = result.score
        row["sentiment_analyzer"] = provenance.analyzer
        row["sentiment_version"] = provenance.version
    for row, aspects in zip(
        rows, tag_aspects_batch([row["text"] for row in rows], [row["language"] for row in rows]), strict=True
    ):
        row["aspects"] = aspects
