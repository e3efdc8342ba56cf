"""The Resonance connector SDK: the only module a third-party plugin imports.

Everything here is stable within a major version of `SDK_VERSION`; names not listed in `__all__`
are private and may change at any time.
"""

from resonance_sdk._catalog import CATALOG_VERSION, Aggregation, CanonicalMetric, built_in_metrics
from resonance_sdk._clock import utc_now, utc_today
from resonance_sdk._connector import (
    OAUTH_TOKEN_FIELDS,
    Capability,
    Connector,
    MetricDeclaration,
    OAuthClient,
    OAuthConfig,
)
from resonance_sdk._egress import EgressPolicy, EgressRefused
from resonance_sdk._errors import (
    AuthenticationError,
    BadResponseError,
    ConnectorError,
    RateLimitedError,
    TransientError,
)
from resonance_sdk._hookspecs import ENTRY_POINT_GROUP, PROJECT_NAME, hookimpl, hookspec
from resonance_sdk._http import (
    BearerToken,
    ConnectorHttp,
    ErrorClassifier,
    ForbiddenUrlError,
    HttpPolicy,
    cursor_param,
    link_header,
    next_link,
    rate_limit_wait,
)
from resonance_sdk._pacing import RequestPacer
from resonance_sdk._records import (
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
from resonance_sdk._resume import resume_checkpoint, resume_state, state_int, state_text, window_key
from resonance_sdk._sentiment import SENTIMENT_LABELS, Sentiment, SentimentAnalyzer, SentimentLabel
from resonance_sdk._sums import DailySums
from resonance_sdk._tokens import TokenRefresh
from resonance_sdk._validation import MENTION_KINDS, RecordRejected, RecordValidator

SDK_VERSION = "0.5.0"

__all__ = [
    "CATALOG_VERSION",
    "ENTRY_POINT_GROUP",
    "MENTION_KINDS",
    "OAUTH_TOKEN_FIELDS",
    "PROJECT_NAME",
    "QUALITIES",
    "SDK_VERSION",
    "SENTIMENT_LABELS",
    "AccountRef",
    "Aggregation",
    "AuthenticationError",
    "BadResponseError",
    "BearerToken",
    "CanonicalMetric",
    "Capability",
    "Checkpoint",
    "Connector",
    "ConnectorError",
    "ConnectorHttp",
    "DailySums",
    "EgressPolicy",
    "EgressRefused",
    "ErrorClassifier",
    "ForbiddenUrlError",
    "HttpPolicy",
    "Mention",
    "MetricDeclaration",
    "MetricPoint",
    "OAuthClient",
    "OAuthConfig",
    "Post",
    "Quality",
    "RateLimitedError",
    "Record",
    "RecordRejected",
    "RecordValidator",
    "RequestPacer",
    "Sentiment",
    "SentimentAnalyzer",
    "SentimentLabel",
    "TokenRefresh",
    "TransientError",
    "Window",
    "built_in_metrics",
    "cursor_param",
    "hookimpl",
    "hookspec",
    "link_header",
    "next_link",
    "rate_limit_wait",
    "resume_checkpoint",
    "resume_state",
    "state_int",
    "state_text",
    "utc_now",
    "utc_today",
    "window_key",
]
