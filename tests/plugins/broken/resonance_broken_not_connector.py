"""A plugin that registers a class that does not subclass `plugins.sdk.Connector`."""

from plugins.sdk import hookimpl


class LooksLikeAConnector:
    id = "lookalike"
    name = "Look-alike network"
    version = "1.0.0"


@hookimpl
def resonance_connectors() -> list[type]:
    return [LooksLikeAConnector]
