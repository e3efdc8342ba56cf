"""OpenTelemetry tracing: API request → job → connector HTTP call, as one trace.

Off unless asked for, and then with the standard OpenTelemetry variables: `RESONANCE_TRACING=otlp` (or just
`OTEL_EXPORTER_OTLP_ENDPOINT` set) sends spans to an OTLP/HTTP collector configured by `OTEL_EXPORTER_OTLP_*`,
sampled by `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG`, named by `OTEL_SERVICE_NAME` (default `resonance`);
`console` prints them. Off, nothing is installed: no middleware, no exporter, no network.

- API requests get a server span from Litestar's OpenTelemetry plugin, named after the route template once the
  router has matched it (`GET /v1/clients/{client_id}`), so traces group by route like the metrics do.
- Every outgoing httpx call (connectors, webhooks, OAuth, logos) gets a client span from
  opentelemetry-instrumentation-httpx, which patches httpx's transports for the whole process.
- A job deferred during a request carries `trace_carrier()` in its payload; the worker runs it inside
  `job_span(name, carrier)`, a consumer span in the request's trace, under which the connector's calls nest.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from litestar.types import Message, Scope
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from tenants.settings import Settings

if TYPE_CHECKING:
    from litestar.plugins.opentelemetry import OpenTelemetryPlugin

TRACER_NAME: Final = "resonance"
_OTLP_ENDPOINT_ENVS: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# W3C Trace Context only, whatever OTEL_PROPAGATORS says: a job payload carries `traceparent` (and `tracestate`),
# never baggage, which could hold anything a caller put in it.
_W3C = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def tracing_mode(settings: Settings) -> str:
    """`otlp`, `console` or `off`: `RESONANCE_TRACING`, else `otlp` when an OTLP endpoint is configured."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return "off"
    if settings.tracing:
        return settings.tracing
    return "otlp" if any(os.environ.get(name) for name in _OTLP_ENDPOINT_ENVS) else "off"


def configure_tracing(settings: Settings, *, exporter: SpanExporter | None = None) -> TracerProvider | None:
    """Install this process's tracer provider and the httpx instrumentation, once; None when tracing is off.

    `exporter` replaces the configured one (tests pass an in-memory exporter). Later calls return the provider
    the first one installed: OpenTelemetry's global provider can be set only once per process.
    """
    global _provider
    if _provider is not None:
        return _provider
    mode = tracing_mode(settings)
    if exporter is None and mode == "off":
        return None
    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; without them the service is `resonance`.
    resource = Resource.create({} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: TRACER_NAME})
    provider = TracerProvider(resource=resource)  # the sampler comes from OTEL_TRACES_SAMPLER (default: parent, on)
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif mode == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # endpoint, headers: OTEL_EXPORTER_OTLP_*
    # Imported here: the instrumentations cost a tenth of a second to import, for processes that trace.
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    if exporter is None:  # the process's own tracing: other instrumentation finds it as the global provider
        trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument(
        tracer_provider=provider, request_hook=_scrub_client_span, async_request_hook=_scrub_client_span_async
    )
    _provider = provider
    return provider


def flush_tracing() -> None:
    """Send the spans still buffered (when a process stops; the provider also flushes at exit)."""
    if _provider is not None:
        _provider.force_flush()


def shutdown_tracing() -> None:
    """Flush and stop this process's tracing and take the httpx instrumentation off (tests configure it anew)."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().uninstrument()
    _provider.shutdown()
    _provider = None


_URL_ATTRIBUTES: Final = ("http.url", "url.full", "http.target")
_QUERY_ATTRIBUTES: Final = ("url.query",)


def scrub_query(span: Span) -> None:
    """Drop the query string from the span's URL attributes: a query may hold a secret (an access token some
    networks take as a parameter, an OAuth code, a sign-in link's token), and traces leave the process."""
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
    for key in _QUERY_ATTRIBUTES:
        if attributes.get(key):
            span.set_attribute(key, "[redacted]")


def _scrub_client_span(span: Span, _request: Any) -> None:
    scrub_query(span)


async def _scrub_client_span_async(span: Span, _request: Any) -> None:
    scrub_query(span)


def _scrub_server_span(span: Span, _scope: dict[str, Any]) -> None:
    scrub_query(span)


def _tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME, tracer_provider=_provider)


# ------------------------------------------------------------------------------------------------ API requests


def _span_details(scope: Any) -> tuple[str, dict[str, Any]]:
    """The server span's name before routing: the method alone (a raw path would name one span per object)."""
    return str(scope.get("method") or scope.get("type", "request")), {}


def tracing_plugin(provider: TracerProvider) -> OpenTelemetryPlugin:
    """Litestar's OpenTelemetry plugin: one server span per request (probes excluded), no send/receive spans."""
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

    return OpenTelemetryPlugin(
        OpenTelemetryConfig(
            tracer_provider=provider,
            scope_span_details_extractor=_span_details,
            exclude=["^/health$", "^/ready$"],
            exclude_spans=["receive", "send"],
            server_request_hook_handler=_scrub_server_span,
        )
    )


async def name_server_span(message: Message, scope: Scope) -> None:
    """`before_send` hook: name the request's server span after the route template the router matched.

    The plugin's middleware wraps the router, so the span starts before the route is known; this runs inside it,
    where the server span is the current one.
    """
    if message["type"] != "http.response.start":
        return
    template = scope.get("path_template")
    span = trace.get_current_span()
    if template and span.is_recording():
        span.update_name(f"{scope.get('method', '')} {template}".strip())
        span.set_attribute("http.route", str(template))


# ------------------------------------------------------------------------------------------------ jobs


def trace_carrier() -> dict[str, str]:
    """The current span's W3C trace context (`traceparent`, maybe `tracestate`), to store in a deferred job's
    payload; empty when no span is being recorded (tracing off)."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier


@contextlib.contextmanager
def job_span(name: str, carrier: Mapping[str, str] | None = None, **attributes: AttributeValue) -> Iterator[Span]:
    """Run a job inside a consumer span, a child of the trace in `carrier` (from `trace_carrier()` when the job
    was deferred), else of the current span; an exception leaving the block marks the span as an error."""
    parent = _W3C.extract(dict(carrier)) if carrier else None
    with _tracer().start_as_current_span(name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes) as span:
        yield span
