"""A plugin whose connector maps a native metric onto a canonical metric that does not exist."""

from plugins.sdk import Connector, MetricDeclaration, hookimpl


class VibesConnector(Connector):
    id = "vibes"
    name = "Vibes network"
    version = "1.0.0"
    metrics = (
        MetricDeclaration(native="fans", canonical="followers", unit="accounts"),
        MetricDeclaration(native="good_vibes", canonical="vibes_felt", unit="vibes"),
    )


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    return [VibesConnector]
