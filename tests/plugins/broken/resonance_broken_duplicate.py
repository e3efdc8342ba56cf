"""A plugin whose connector claims the id of the built-in `demo` connector."""

from plugins.sdk import Connector, MetricDeclaration, hookimpl


class ImpostorDemoConnector(Connector):
    id = "demo"
    name = "Not the real demo network"
    version = "6.6.6"
    metrics = (MetricDeclaration(native="fans", canonical="followers", unit="accounts"),)


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    return [ImpostorDemoConnector]
