"""Resonance's own analyser: lingua tells the language, VADER (English) or French VADER scores it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from importlib.metadata import version

from api.sentiment.english import english_vader
from api.sentiment.french import french_vader
from api.sentiment.language import detect_languages, normalise_language
from plugins.sdk import Sentiment, SentimentLabel

POSITIVE_THRESHOLD = 0.05
"""VADER's own convention: a compound score ≥ 0.05 is positive, ≤ -0.05 negative, neutral between."""

SCORED_LANGUAGES = ("en", "fr")
"""Languages the default analyser scores; a mention in any other is labelled neutral with score 0."""

_HASHTAG = re.compile(r"#(\w)")


def label_for(score: float) -> SentimentLabel:
    """The label of a compound score, with VADER's ±0.05 thresholds."""
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= -POSITIVE_THRESHOLD:
        return "negative"
    return "neutral"


def _scorer(language: str | None) -> Callable[[str], dict[str, float]] | None:
    """VADER's `polarity_scores` for a language the default analyser scores, else None."""
    scorer: Callable[[str], dict[str, float]] | None = None
    if language == "en":
        scorer = english_vader().polarity_scores
    elif language == "fr":
        scorer = french_vader().polarity_scores
    return scorer


class DefaultSentimentAnalyzer:
    """English and French sentiment from lexicons, every language detected; others are neutral, score 0."""

    name = "resonance-default"
    version = f"1 (vaderSentiment {version('vaderSentiment')}, lingua {version('lingua-language-detector')})"

    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        """Detect the language where no hint is given, then score English and French texts."""
        hints = [normalise_language(hint) for hint in (languages or [None] * len(texts))]
        if len(hints) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(hints)} language hints")
        unknown = [index for index, hint in enumerate(hints) if hint is None]
        for index, detected in zip(unknown, detect_languages([texts[i] for i in unknown]), strict=True):
            hints[index] = detected
        return [self._score(text, language) for text, language in zip(texts, hints, strict=True)]

    @staticmethod
    def _score(text: str, language: str | None) -> Sentiment:
        scorer = _scorer(language)
        if scorer is None:
            return Sentiment(language=language, label="neutral", score=0.0)
        # VADER ignores hashtags; their words often carry the sentiment (#fail, #merci).
        score = round(max(-1.0, min(1.0, scorer(_HASHTAG.sub(r"\1", text))["compound"])), 4)
        return Sentiment(language=language, label=label_for(score), score=score)
