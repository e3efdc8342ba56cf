"""A post's numbers in canonical terms.

Connectors report each post's metrics under the network's own names (`post_impressions`,
`like_count`, …). The connector's metric declarations say which canonical metric each native name
feeds, so the same mapping reads posts: a native name declared for `reach` counts as reach. A key
that already is a canonical id counts as itself. When a network gives no `engagements` total, it is
the sum of the interactions it does give; when it gives no `reach`, analytics fall back to
`impressions` and say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from plugins.sdk import MetricDeclaration

INTERACTIONS = ("reactions", "comments", "shares", "saves", "clicks")
"""Canonical interaction metrics whose sum is a post's engagements when the network gives no total."""


def native_to_canonical(declarations: Iterable[MetricDeclaration]) -> dict[str, str]:
    """Native metric name → canonical id, from a connector's declarations."""
    return {declaration.native: declaration.canonical for declaration in declarations}


def canonical_post_metrics(metrics: Mapping[str, float], mapping: Mapping[str, str]) -> dict[str, float]:
    """The post's metrics summed per canonical id, with `engagements` filled from interactions if absent."""
    canonical: dict[str, float] = {}
    for name, value in metrics.items():
        target = mapping.get(name, name)
        canonical[target] = canonical.get(target, 0.0) + float(value)
    if "engagements" not in canonical:
        parts = [canonical[name] for name in INTERACTIONS if name in canonical]
        if parts:
            canonical["engagements"] = sum(parts)
    return canonical
