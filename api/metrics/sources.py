"""What each installed connector says about its native metrics: which canonical metric each one feeds."""

from __future__ import annotations

from plugins.registry import Registry


def native_to_canonical(registry: Registry, network: str) -> dict[str, str]:
    """The network connector's native metric names and the canonical metric each feeds (empty if not installed)."""
    connector = registry.connectors.get(network)
    return {declaration.native: declaration.canonical for declaration in connector.metrics} if connector else {}


def reports(registry: Registry, network: str, canonical: str) -> bool:
    """Whether the network's connector maps any native metric to `canonical`."""
    return canonical in native_to_canonical(registry, network).values()
