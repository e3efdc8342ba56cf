"""A plugin whose `resonance_connectors` hook raises."""

from plugins.sdk import Connector, hookimpl


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    raise RuntimeError("the Frobnicate SDK is not configured")
