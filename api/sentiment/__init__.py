"""Sentiment of mentions and comments: the default analyser, the plugin choice, and the sentiment report."""

from api.sentiment.default import DefaultSentimentAnalyzer
from api.sentiment.selection import GuardedAnalyzer, analyse_mention_rows, analyzer_for, default_analyzer, warm_up

__all__ = [
    "DefaultSentimentAnalyzer",
    "GuardedAnalyzer",
    "analyse_mention_rows",
    "analyzer_for",
    "default_analyzer",
    "warm_up",
]
