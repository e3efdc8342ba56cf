"""Fixtures of the observability tests: recorded spans, a metrics scrape, the fake Stripe, the sync harness."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from stripe_fake.plugin import fake_stripe

from api.observability.endpoint import metrics_endpoint
from api.observability.tracing import configure_tracing, shutdown_tracing
from tenants.settings import Settings
from tests.sync.conftest import _reset_flaky_state, harness

__all__ = ["_reset_flaky_state", "fake_stripe", "harness"]  # the sync tests' harness and flaky connectors


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for this test, every finished span kept in memory; off again afterwards."""
    exporter = InMemorySpanExporter()
    shutdown_tracing()
    assert configure_tracing(Settings(environment="test"), exporter=exporter) is not None
    yield exporter
    shutdown_tracing()


def scrape() -> str:
    """`GET /metrics` from a metrics endpoint on a free port, as Prometheus would."""

    async def fetch() -> str:
        async with metrics_endpoint(0, host="127.0.0.1") as endpoint:
            assert endpoint is not None
            async with httpx.AsyncClient() as http:
                response = await http.get(f"http://127.0.0.1:{endpoint.port}/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=")
        return response.text

    return asyncio.run(fetch())
