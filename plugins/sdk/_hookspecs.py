"""The hooks a Resonance plugin may implement. Arguments are passed by name, so a hook can gain one later."""

from __future__ import annotations

import pluggy

from plugins.sdk._catalog import CanonicalMetric
from plugins.sdk._connector import Connector

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
