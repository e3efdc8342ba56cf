"""What an operator sees of a running Resonance: logs with request ids, Prometheus metrics, OpenTelemetry traces.

- `logs`: request ids and structured JSON (or readable) logs;
- `metrics`: every Prometheus metric and the functions that record them (jobs, queues, connectors, Stripe);
- `http_metrics`: API request counts and latencies by route template;
- `endpoint`: the `/metrics` and `/health` server on its own port;
- `tracing`: tracer set-up, server spans, `trace_carrier` and `job_span` for API → job → connector traces.
"""

from api.observability.endpoint import MetricsEndpoint, metrics_endpoint, metrics_endpoint_for, start_metrics_endpoint
from api.observability.logs import (
    REQUEST_ID_HEADER,
    ConsoleFormatter,
    JsonFormatter,
    configure_logging,
    echo_request_id,
    ensure_request_id,
    extra_fields,
    log_access,
    new_request_id,
    request_id_middleware,
)
from api.observability.metrics import connector_failed, job_finished, job_started, set_queue_depth
from api.observability.tracing import configure_tracing, flush_tracing, job_span, shutdown_tracing, trace_carrier

__all__ = [
    "REQUEST_ID_HEADER",
    "ConsoleFormatter",
    "JsonFormatter",
    "MetricsEndpoint",
    "configure_logging",
    "configure_tracing",
    "connector_failed",
    "echo_request_id",
    "ensure_request_id",
    "extra_fields",
    "flush_tracing",
    "job_finished",
    "job_span",
    "job_started",
    "log_access",
    "metrics_endpoint",
    "metrics_endpoint_for",
    "new_request_id",
    "request_id_middleware",
    "set_queue_depth",
    "shutdown_tracing",
    "start_metrics_endpoint",
    "trace_carrier",
]
