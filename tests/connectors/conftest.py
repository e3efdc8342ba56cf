"""Fixtures the connector tests share: the SDK's waits made instant, and a local Graph API."""

from __future__ import annotations

import pytest
import resonance_sdk._http
from pytest_httpserver import HTTPServer

from tests.connectors.graph_api import Graph


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries and rate-limit waits are instant; the waits the connector asked for are recorded, in order."""
    asked: list[float] = []

    async def no_wait(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(resonance_sdk._http, "sleep_for", no_wait)
    return asked


@pytest.fixture
def graph(httpserver: HTTPServer) -> Graph:
    """A local Graph API (Facebook Pages, Instagram) answering from the routes a test adds."""
    return Graph(httpserver)
