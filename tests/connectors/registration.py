"""How a connector test checks that its module registers the connector like a third-party plugin."""

from __future__ import annotations

from types import ModuleType

from plugins.registry import load_registry
from plugins.sdk import Connector


def assert_registers(module: ModuleType, connector: type[Connector]) -> None:
    """Loading `module` as a plugin registers `connector` under its id, with no problem reported for it."""
    registry = load_registry(extra_plugins=[module])
    assert registry.connector(connector.id) is connector
    assert not [problem for problem in registry.problems if problem.connector_id == connector.id]
