"""Response shapes of the connector listing."""

from __future__ import annotations

from typing import Any

import msgspec


class ConnectorMetric(msgspec.Struct):
    native: str
    canonical: str
    unit: str
    description: str


class ConnectorOut(msgspec.Struct):
    id: str
    name: str
    version: str
    plugin: str
    capabilities: list[str]
    base_url: str | None
    metrics: list[ConnectorMetric]
    credentials_schema: dict[str, Any]


class PluginProblemOut(msgspec.Struct):
    """A plugin, or one of its connectors, that failed to load, with its error."""

    plugin: str
    connector_id: str | None
    error: str


class ConnectorList(msgspec.Struct):
    data: list[ConnectorOut]
    problems: list[PluginProblemOut]
