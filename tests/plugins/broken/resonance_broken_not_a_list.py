"""A plugin whose hook returns a bare connector class instead of a list of them."""

from plugins.sdk import Connector, hookimpl


class LonelyConnector(Connector):
    id = "lonely"
    name = "Lonely network"
    version = "1.0.0"


@hookimpl
def resonance_connectors() -> type[Connector]:
    return LonelyConnector  # should have been [LonelyConnector]
