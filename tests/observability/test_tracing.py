"""Traces across API → job → connector HTTP call, and tracing off (no spans, no network) by default."""

from __future__ import annotations

import uuid

import pytest
from litestar import get
from litestar.testing import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from api.app import create_app
from api.observability import configure_tracing, job_span, metrics_endpoint, trace_carrier
from api.observability.tracing import name_server_span, tracing_mode
from plugins.sdk import ConnectorHttp, EgressPolicy
from tenants.settings import Settings, SettingsError
from tests.conftest import TestDatabase, make_settings, sign_up


@get("/test/carrier", exclude_from_auth=True, sync_to_thread=False)
def carrier_route() -> dict[str, str]:
    """What a controller deferring a job would put in its payload."""
    return trace_carrier()


def server_spans(exporter: InMemorySpanExporter, route: str) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.kind == SpanKind.SERVER and span.attributes and span.attributes.get("http.route") == route
    ]


def status_of(span: ReadableSpan) -> object:
    """The HTTP status, under its stable name or the older one (OTEL_SEMCONV_STABILITY_OPT_IN decides)."""
    assert span.attributes is not None
    return span.attributes.get("http.response.status_code", span.attributes.get("http.status_code"))


def ancestors(span: ReadableSpan, exporter: InMemorySpanExporter) -> list[int]:
    """The span ids above `span`, nearest first."""
    by_id = {item.context.span_id: item for item in exporter.get_finished_spans() if item.context}
    found: list[int] = []
    parent = span.parent
    while parent is not None:
        found.append(parent.span_id)
        above = by_id.get(parent.span_id)
        parent = above.parent if above else None
    return found


def test_an_api_request_is_a_server_span_named_after_its_route_template(
    spans: InMemorySpanExporter, database: TestDatabase
) -> None:
    missing = uuid.uuid4()
    app = create_app(make_settings(database))
    assert name_server_span in app.before_send
    with TestClient(app) as client:
        agency = sign_up(client)
        assert client.get(f"/v1/clients/{missing}", headers=agency.headers).status_code == 404
    (span,) = server_spans(spans, "/v1/clients/{client_id}")
    assert span.name == "GET /v1/clients/{client_id}"
    assert str(missing) not in span.name
    assert span.attributes is not None
    assert status_of(span) == 404


def test_a_job_deferred_in_a_request_runs_in_the_requests_trace(
    spans: InMemorySpanExporter, database: TestDatabase
) -> None:
    app = create_app(make_settings(database))
    app.register(carrier_route)
    with TestClient(app) as client:
        carrier = client.get("/test/carrier").json()
    assert set(carrier) == {"traceparent"}
    (request,) = server_spans(spans, "/test/carrier")

    with job_span("sync", carrier, job="sync", attempt=1):  # later, in a worker process
        pass

    (job,) = [span for span in spans.get_finished_spans() if span.name == "sync"]
    assert job.kind == SpanKind.CONSUMER
    assert job.context is not None
    assert request.context is not None
    assert job.context.trace_id == request.context.trace_id
    assert request.context.span_id in ancestors(job, spans)
    assert job.attributes == {"job": "sync", "attempt": 1}


async def test_a_connector_call_inside_a_job_is_a_client_span_under_the_job(spans: InMemorySpanExporter) -> None:
    # A real local server (the metrics endpoint's /health): httpx's own transport is what is instrumented.
    async with metrics_endpoint(0, host="127.0.0.1") as endpoint:
        assert endpoint is not None
        base_url = f"http://127.0.0.1:{endpoint.port}/"
        http = ConnectorHttp(network="demo", base_url=base_url, egress=EgressPolicy.parse("127.0.0.1/32"))
        async with http:
            with job_span("sync", None) as job:
                assert (await http.get_json("health")) == {"status": "ok"}
    (client_span,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.CLIENT]
    assert client_span.parent is not None
    assert client_span.parent.span_id == job.get_span_context().span_id
    assert client_span.context is not None
    assert client_span.context.trace_id == job.get_span_context().trace_id
    assert client_span.attributes is not None
    assert status_of(client_span) == 200


async def test_no_query_string_reaches_a_span(spans: InMemorySpanExporter, database: TestDatabase) -> None:
    with TestClient(create_app(make_settings(database))) as client:
        client.get("/v1/oauth/callback?code=the-secret-code&state=the-state")
    async with metrics_endpoint(0, host="127.0.0.1") as endpoint:
        assert endpoint is not None
        base_url = f"http://127.0.0.1:{endpoint.port}/"
        async with ConnectorHttp(network="demo", base_url=base_url, egress=EgressPolicy.parse("127.0.0.1/32")) as http:
            await http.get_json("health", params={"access_token": "the-secret-token"})
    recorded = spans.get_finished_spans()
    assert {span.kind for span in recorded} >= {SpanKind.SERVER, SpanKind.CLIENT}
    for span in recorded:
        text = repr(dict(span.attributes or {})) + span.name
        assert "the-secret" not in text, f"a query string reached span {span.name}"


def test_a_job_that_raises_leaves_an_error_span(spans: InMemorySpanExporter) -> None:
    with pytest.raises(RuntimeError), job_span("deliver_webhook", {}):
        raise RuntimeError("the endpoint went away")
    (span,) = spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.parent is None  # an empty carrier starts a trace of its own


def test_tracing_is_off_without_an_exporter_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(environment="test")
    assert tracing_mode(settings) == "off"
    assert configure_tracing(settings) is None
    assert trace_carrier() == {}
    with job_span("sync", None) as span:
        assert not span.is_recording()


def test_an_app_without_tracing_has_no_tracing_middleware(
    monkeypatch: pytest.MonkeyPatch, database: TestDatabase
) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(make_settings(database))
    assert not [plugin for plugin in app.plugins if type(plugin).__name__ == "OpenTelemetryPlugin"]
    assert name_server_span not in app.before_send


def test_the_standard_otlp_endpoint_turns_tracing_on_unless_told_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.invalid:4318")
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    assert tracing_mode(Settings(environment="test")) == "otlp"
    assert tracing_mode(Settings(environment="test", tracing="off")) == "off"
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert tracing_mode(Settings(environment="test", tracing="console")) == "off"


def test_an_unknown_tracing_mode_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="RESONANCE_TRACING must be off, otlp or console"):
        Settings(environment="test", tracing="jaeger").validate()
