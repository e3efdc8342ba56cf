"""Every Prometheus metric Resonance exposes, and the small functions the rest of the code records them with.

One module holds them all so an operator finds every name, type and label in one place (and in
docs/operations/observability.md, which lists the same). Labels are bounded by construction: HTTP routes are
route templates, never paths; jobs, queues and networks are names from our own code and installed connectors;
outcomes are checked against a closed set. A tenant, client or account id is never a label: it would make one
series per agency, and a metric is no place for tenant data.

The metrics live in prometheus_client's default registry. With `PROMETHEUS_MULTIPROC_DIR` set (before the
process starts) prometheus_client keeps each value in a file of that directory instead, and the metrics endpoint
(`api/observability/endpoint.py`) aggregates every process's files: the mode for `resonance serve --workers N`.
"""

from __future__ import annotations

import os
from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

from plugins.sdk import AuthenticationError, BadResponseError, RateLimitedError, TransientError

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
JOB_OUTCOMES: Final = frozenset({"succeeded", "failed", "retried"})
HTTP_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE: Final = "unmatched"
"""The route label of a request no route matched (a 404 from the router): never the path the client sent."""

# Latency buckets from 5 ms to 10 s: API reads answer in milliseconds, exports and imports take seconds.
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Jobs run from milliseconds (a webhook) to minutes (a sync's backfill).
_JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

http_requests = Counter(
    "resonance_http_requests_total",
    "API requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
http_duration = Histogram(
    "resonance_http_request_duration_seconds",
    "Time from the request reaching the application to the last byte of its answer, by status class (2xx, 4xx...).",
    ["method", "route", "status_class"],
    buckets=_HTTP_BUCKETS,
)
jobs_started = Counter("resonance_jobs_started_total", "Background jobs started, by job name.", ["job"])
jobs_finished = Counter(
    "resonance_jobs_finished_total",
    "Background jobs finished, by job name and outcome (succeeded, failed, retried).",
    ["job", "outcome"],
)
job_duration = Histogram(
    "resonance_job_duration_seconds",
    "How long a job ran, by job name and outcome.",
    ["job", "outcome"],
    buckets=_JOB_BUCKETS,
)
jobs_in_progress = Gauge(
    "resonance_jobs_in_progress", "Jobs running now, by job name.", ["job"], multiprocess_mode="livesum"
)
queue_depth = Gauge(
    "resonance_job_queue_depth", "Jobs waiting in a queue, as last measured.", ["queue"], multiprocess_mode="mostrecent"
)
queue_oldest_age = Gauge(
    "resonance_job_queue_oldest_age_seconds",
    "Age of the oldest job waiting in a queue (0 when empty), as last measured.",
    ["queue"],
    multiprocess_mode="mostrecent",
)
connector_errors = Counter(
    "resonance_connector_errors_total",
    "Sync runs ended by a connector failure, by network and kind of failure.",
    ["network", "kind"],
)
stripe_reporting_lag = Gauge(
    "resonance_stripe_reporting_lag_seconds",
    "Age of the oldest usage event not yet reported to Stripe (0 when all is reported), after the last pass.",
    multiprocess_mode="mostrecent",
)
stripe_usage_events = Counter(
    "resonance_stripe_usage_events_total",
    "Usage events sent to Stripe, by outcome (sent, retrying, too_old, rejected).",
    ["outcome"],
)


def multiprocess_dir() -> str | None:
    """The directory of prometheus_client's multiprocess mode, or None (one process, one registry)."""
    return os.environ.get(MULTIPROC_ENV) or None


def scrape_registry() -> CollectorRegistry:
    """What a scrape reads: every process's files in multiprocess mode, else this process's registry."""
    directory = multiprocess_dir()
    if directory is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return registry


# ------------------------------------------------------------------------------------------------ jobs


def job_started(job: str) -> None:
    """A job began running (call once per attempt, before its work)."""
    jobs_started.labels(job).inc()
    jobs_in_progress.labels(job).inc()


def job_finished(job: str, seconds: float, outcome: str) -> None:
    """A job attempt ended after `seconds`; `outcome` is succeeded, failed (for good) or retried (will run again)."""
    if outcome not in JOB_OUTCOMES:
        raise ValueError(f"job outcome must be one of {', '.join(sorted(JOB_OUTCOMES))}, got {outcome!r}")
    jobs_finished.labels(job, outcome).inc()
    job_duration.labels(job, outcome).observe(max(seconds, 0.0))
    jobs_in_progress.labels(job).dec()


def set_queue_depth(queue: str, depth: int, oldest_age_seconds: float) -> None:
    """What a queue holds now: how many jobs wait, and how long the oldest has waited (0 when none)."""
    queue_depth.labels(queue).set(depth)
    queue_oldest_age.labels(queue).set(max(oldest_age_seconds, 0.0) if depth else 0.0)


# ------------------------------------------------------------------------------------------------ connectors


def connector_error_kind(error: BaseException) -> str:
    """A closed set of kinds, so a connector's own exception types never become label values."""
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, AuthenticationError):
        return "authentication"
    if isinstance(error, RateLimitedError):
        return "rate_limited"
    if isinstance(error, TransientError):
        return "transient"
    if isinstance(error, BadResponseError):
        return "bad_response"
    return "error"


def connector_failed(network: str, error: BaseException) -> None:
    """A sync run of `network` ended because its connector failed with `error`."""
    connector_errors.labels(network, connector_error_kind(error)).inc()


# ------------------------------------------------------------------------------------------------ Stripe


def usage_event_reported(outcome: str) -> None:
    """One usage event's attempt at Stripe ended with `outcome` (sent, retrying, too_old, rejected)."""
    stripe_usage_events.labels(outcome).inc()


def set_stripe_reporting_lag(seconds: float) -> None:
    """After a reporting pass: the age of the oldest usage event still waiting for Stripe (0: none)."""
    stripe_reporting_lag.set(max(seconds, 0.0))
