"""The hooks a Resonance plugin may implement. Arguments are passed by name, so a hook can gain one later."""

from __future__ import annotations

import pluggy

from resonance_sdk._catalog import CanonicalMetric
from resonance_sdk._connector import Connector
from resonance_sdk._sentiment import SentimentAnalyzer

PROJECT_NAME = "resonance"
ENTRY_POINT_GROUP = "resonance.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def resonance_connectors() -> list[type[Connector]]:  # type: ignore[empty-body]
    """Return the connector classes this plugin provides."""


@hookspec
def resonance_metric_definitions() -> list[CanonicalMetric]:  # type: ignore[empty-body]
    """Return canonical metrics that extend the built-in catalogue."""


@hookspec(firstresult=True)
def resonance_sentiment_analyzer() -> SentimentAnalyzer | None:
    """Return the analyser that labels every stored mention and comment, or None to leave it to others."""
