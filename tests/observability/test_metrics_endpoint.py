"""The metrics endpoint: its own port, `/metrics` and `/health`, started by the API's lifespan."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.observability.endpoint import metrics_endpoint, start_metrics_endpoint
from tests.conftest import TestDatabase, make_settings


async def test_health_answers_while_the_loop_runs_and_503_once_the_worker_says_it_stopped() -> None:
    running = True
    async with metrics_endpoint(0, host="127.0.0.1", ready=lambda: running) as endpoint:
        assert endpoint is not None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{endpoint.port}") as http:
            alive = await http.get("/health")
            running = False
            stopped = await http.get("/health")
            unknown = await http.get("/v1/clients")
            posted = await http.post("/metrics")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert (stopped.status_code, stopped.json()) == (503, {"status": "stopped"})
    assert unknown.status_code == 404
    assert posted.status_code == 405


async def test_no_port_means_no_endpoint() -> None:
    async with metrics_endpoint(None) as endpoint:
        assert endpoint is None


async def test_a_port_already_taken_leaves_the_process_without_metrics_not_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="resonance.metrics"):
            assert await start_metrics_endpoint(port, host="127.0.0.1") is None
    assert f"metrics port {port} is in use" in caplog.text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_api_lifespan_serves_metrics_on_the_metrics_port_only(database: TestDatabase) -> None:
    port = free_port()
    app = create_app(make_settings(database, metrics_port=port, metrics_host="127.0.0.1"))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics")
        health = httpx.get(f"http://127.0.0.1:{port}/health")
        assert client.get("/metrics").status_code in {401, 404}  # the public API has no such route
    assert scraped.status_code == 200
    assert 'resonance_http_requests_total{method="GET",route="/health",status="200"}' in scraped.text
    assert health.json() == {"status": "ok"}
    with pytest.raises(httpx.ConnectError):  # closed with the app
        httpx.get(f"http://127.0.0.1:{port}/health")


PROCESS = textwrap.dedent(
    """
    import sys
    from api.observability import job_finished, job_started
    for _ in range(int(sys.argv[1])):
        job_started("sync")
        job_finished("sync", 0.1, "succeeded")
    """
)


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": os.getcwd()}
    for count in (2, 3):
        subprocess.run([sys.executable, "-c", PROCESS, str(count)], env=env, check=True, timeout=60)
    scrape = textwrap.dedent(
        """
        from prometheus_client import generate_latest
        from api.observability.metrics import scrape_registry
        print(generate_latest(scrape_registry()).decode())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, timeout=60, capture_output=True, text=True
    )
    assert 'resonance_jobs_finished_total{job="sync",outcome="succeeded"} 5.0' in result.stdout
