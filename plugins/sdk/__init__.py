"""The Resonance connector SDK: the only module a third-party plugin imports.

Everything here is stable within a major version of `SDK_VERSION`; names not listed in `__all__`
are private and may change at any time.
"""

from plugins.sdk._catalog import CATALOG_VERSION, Aggregation, CanonicalMetric, built_in_metrics
from plugins.sdk._connector import Capability, Connector, MetricDeclaration
from plugins.sdk._errors import (
    AuthenticationError,
    BadResponseError,
    ConnectorError,
    RateLimitedError,
    TransientError,
)
from plugins.sdk._hookspecs import ENTRY_POINT_GROUP, PROJECT_NAME, hookimpl, hookspec
from plugins.sdk._records import (
    QUALITIES,
    AccountRef,
    Checkpoint,
    Mention,
    MetricPoint,
    Post,
    Quality,
    Record,
    Window,
)

SDK_VERSION = "0.1.0"

__all__ = [
    "CATALOG_VERSION",
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "QUALITIES",
    "SDK_VERSION",
    "AccountRef",
    "Aggregation",
    "AuthenticationError",
    "BadResponseError",
    "CanonicalMetric",
    "Capability",
    "Checkpoint",
    "Connector",
    "ConnectorError",
    "Mention",
    "MetricDeclaration",
    "MetricPoint",
    "Post",
    "Quality",
    "RateLimitedError",
    "Record",
    "TransientError",
    "Window",
    "built_in_metrics",
    "hookimpl",
    "hookspec",
]
