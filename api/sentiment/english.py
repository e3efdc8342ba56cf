"""English sentiment: VADER, a lexicon and rules made for social media (emoji, slang, negation, capitals)."""

from __future__ import annotations

from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


@cache
def english_vader() -> SentimentIntensityAnalyzer:
    """VADER with its own English lexicon and emoji descriptions (loaded once per process)."""
    return SentimentIntensityAnalyzer()
