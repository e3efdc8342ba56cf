"""The installed connectors, and the plugins that failed to load."""

from __future__ import annotations

from litestar import Controller, get

from api.auth import require
from api.client_keys import OPEN_TO_CLIENT_KEYS
from api.connectors.schemas import ConnectorList, ConnectorMetric, ConnectorOut, PluginProblemOut
from api.errors import NotFound
from api.services import Services
from plugins.registry import Registry
from plugins.sdk import Connector


def connector_out(registry: Registry, connector: type[Connector]) -> ConnectorOut:
    """The API shape of a connector."""
    return ConnectorOut(
        id=connector.id,
        name=connector.name,
        version=connector.version,
        plugin=registry.connector_plugins.get(connector.id, ""),
        capabilities=sorted(connector.capabilities),
        base_url=connector.default_base_url,
        metrics=[
            ConnectorMetric(native=m.native, canonical=m.canonical, unit=m.unit, description=m.description)
            for m in connector.metrics
        ],
        credentials_schema=dict(connector.credentials_schema),
    )


class ConnectorController(Controller):
    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    path = "/v1/connectors"
    tags = ["connectors"]

    @get("/", guards=[require("read")], summary="List connectors")
    async def list_connectors(self, services: Services) -> ConnectorList:
        """Every installed connector, and every plugin that failed to load or register, with its error."""
        registry: Registry = services.registry
        return ConnectorList(
            data=[connector_out(registry, registry.connectors[key]) for key in sorted(registry.connectors)],
            problems=[
                PluginProblemOut(plugin=p.plugin, connector_id=p.connector_id, error=p.error) for p in registry.problems
            ],
        )

    @get("/{connector_id:str}", guards=[require("read")], summary="Get a connector")
    async def get_connector(self, connector_id: str, services: Services) -> ConnectorOut:
        """One connector: metrics it provides, credentials it needs, what it can fetch."""
        registry: Registry = services.registry
        connector = registry.connector(connector_id)
        if connector is None:
            raise NotFound(
                f"There is no installed connector {connector_id!r}; see GET /v1/connectors.", field="connector_id"
            )
        return connector_out(registry, connector)
