"""Jobs seen from outside: counted and timed by outcome, their queues' depth, and one trace from the request that
deferred a job through the job to the connector's HTTP calls."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from api.observability import job_span
from api.tasks.background import SYNC_RUN
from tests.conftest import TestDatabase
from tests.plugins_fixtures import flaky_connectors
from tests.sync.conftest import SyncHarness
from tests.sync.test_worker import SINCE, UNTIL

ROOT = Path(__file__).resolve().parents[2]


def finished(job: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("resonance_jobs_finished_total", {"job": job, "outcome": outcome}) or 0.0


async def test_each_job_is_counted_by_outcome_and_its_queue_depth_is_a_gauge(harness: SyncHarness) -> None:
    owner = await harness.owner()
    good = await harness.account(owner, "flaky_counting", "counted", settings={"delay": 0})
    run_id = await harness.queue(owner, good, SINCE, UNTIL)
    background = harness.background(harness.worker())
    before = finished(SYNC_RUN, "succeeded")
    try:
        await background.defer_sync(owner.tenant_id, run_id)
        stop = asyncio.Event()
        stop.set()  # one reading, then out
        await background.watch_queues(stop)
        assert REGISTRY.get_sample_value("resonance_job_queue_depth", {"queue": "sync"}) == 1
        assert await background.engine.drain() == 1
        await background.watch_queues(stop)
        assert REGISTRY.get_sample_value("resonance_job_queue_depth", {"queue": "sync"}) == 0
    finally:
        await background.close()
    assert finished(SYNC_RUN, "succeeded") == before + 1


async def test_a_job_continues_the_trace_of_what_deferred_it_down_to_the_connectors_calls(
    harness: SyncHarness, spans: InMemorySpanExporter
) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_counting", "traced", settings={"delay": 0})
    run_id = await harness.queue(owner, account, SINCE, UNTIL)
    background = harness.background(harness.worker())
    try:
        with job_span("request") as request:  # stands for the API request that asked for the sync
            await background.defer_sync(owner.tenant_id, run_id)
        await background.engine.drain()
    finally:
        await background.close()
    assert (await harness.run(owner, run_id)).status == "succeeded"
    job = next(span for span in spans.get_finished_spans() if span.name == SYNC_RUN)
    assert job.kind == SpanKind.CONSUMER
    assert job.context is not None
    assert job.parent is not None
    assert job.context.trace_id == request.get_span_context().trace_id
    assert job.parent.span_id == request.get_span_context().span_id
    assert job.attributes is not None
    assert job.attributes["run_id"] == str(run_id)


def test_a_worker_serves_health_and_metrics_on_its_own_port_and_stops_on_sigterm(
    database: TestDatabase, unused_tcp_port: int
) -> None:
    environment = {
        **os.environ,
        "RESONANCE_ENV": "test",
        "RESONANCE_DATABASE_URL": database.url,
        "RESONANCE_SECRET_KEY": "worker-metrics-secret-" + "x" * 32,
        "RESONANCE_METRICS_PORT": str(unused_tcp_port),
        "RESONANCE_METRICS_HOST": "127.0.0.1",
        "RESONANCE_DISPATCH_SECONDS": "1",
        "RESONANCE_LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", "import api.cli; api.cli.main()", "worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and worker.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{unused_tcp_port}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None, worker.stdout.read().decode() if worker.stdout else "no output"
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        # The periodic dispatch ran in this worker: its job shows in the worker's own metrics.
        deadline = time.monotonic() + 15
        while 'resonance_jobs_finished_total{job="tasks.dispatch_tick",outcome="succeeded"}' not in (
            scrape := httpx.get(f"http://127.0.0.1:{unused_tcp_port}/metrics", timeout=2).text
        ):
            assert time.monotonic() < deadline, scrape[-2000:]
            time.sleep(0.2)
        assert 'resonance_job_queue_depth{queue="sync"}' in scrape
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert flaky_connectors.STATS.executions == {}
