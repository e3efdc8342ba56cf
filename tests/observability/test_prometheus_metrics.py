"""The API's request metrics: labelled by route template and status, never by a path, an id or a tenant."""

from __future__ import annotations

import re
import uuid

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from prometheus_client import REGISTRY

from api.observability import job_finished, job_started, set_queue_depth
from tests.conftest import Agency
from tests.observability.conftest import scrape

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def requests_counted(method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("resonance_http_requests_total", labels) or 0.0


def test_requests_are_counted_by_route_template_and_no_id_reaches_a_label(
    client: TestClient[Litestar], agency: Agency
) -> None:
    missing = uuid.uuid4()
    before_404 = requests_counted("GET", "/v1/clients/{client_id}", 404)
    before_list = requests_counted("GET", "/v1/clients", 200)
    before_401 = requests_counted("GET", "/v1/clients", 401)
    before_unmatched = requests_counted("GET", "unmatched", 404)

    assert client.get(f"/v1/clients/{missing}", headers=agency.headers).status_code == 404
    assert client.get("/v1/clients", headers=agency.headers).status_code == 200
    assert client.get("/v1/clients").status_code == 401  # refused by the key middleware, still counted as a 401
    assert client.get(f"/no/such/route/{missing}").status_code == 404

    assert requests_counted("GET", "/v1/clients/{client_id}", 404) == before_404 + 1
    assert requests_counted("GET", "/v1/clients", 200) == before_list + 1
    assert requests_counted("GET", "/v1/clients", 401) == before_401 + 1
    assert requests_counted("GET", "unmatched", 404) == before_unmatched + 1
    text = scrape()
    assert 'resonance_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/clients",' in text
    assert str(missing) not in text
    assert agency.tenant_id not in text
    assert agency.key not in text
    assert not UUID.search(text), "an id reached a metric label"


def test_a_method_nobody_routes_is_counted_as_other(client: TestClient[Litestar]) -> None:
    before = requests_counted("other", "unmatched", 405)
    assert client.request("BREW", "/health").status_code == 405  # the router refuses it before matching a route
    assert requests_counted("other", "unmatched", 405) == before + 1


def test_the_api_does_not_serve_metrics(client: TestClient[Litestar], agency: Agency) -> None:
    assert client.get("/metrics").status_code in {401, 404}
    assert client.get("/metrics", headers=agency.headers).status_code == 404


def test_job_metrics_record_starts_outcomes_durations_and_jobs_running() -> None:
    job = f"test_job_{uuid.uuid4().hex[:6]}"
    job_started(job)
    assert REGISTRY.get_sample_value("resonance_jobs_in_progress", {"job": job}) == 1
    job_finished(job, 0.2, "succeeded")
    job_started(job)
    job_finished(job, 1.5, "retried")
    job_started(job)
    job_finished(job, 3.0, "failed")

    def finished(outcome: str) -> float | None:
        return REGISTRY.get_sample_value("resonance_jobs_finished_total", {"job": job, "outcome": outcome})

    assert REGISTRY.get_sample_value("resonance_jobs_started_total", {"job": job}) == 3
    assert (finished("succeeded"), finished("retried"), finished("failed")) == (1, 1, 1)
    assert REGISTRY.get_sample_value("resonance_jobs_in_progress", {"job": job}) == 0
    duration = {"job": job, "outcome": "failed"}
    assert REGISTRY.get_sample_value("resonance_job_duration_seconds_sum", duration) == 3.0
    assert REGISTRY.get_sample_value("resonance_job_duration_seconds_bucket", {**duration, "le": "2.5"}) == 0
    assert REGISTRY.get_sample_value("resonance_job_duration_seconds_bucket", {**duration, "le": "5.0"}) == 1
    assert f'resonance_jobs_finished_total{{job="{job}",outcome="failed"}} 1.0' in scrape()


def test_a_job_outcome_outside_the_known_ones_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must be one of failed, retried, succeeded, got 'exploded'"):
        job_finished("sync", 1.0, "exploded")


def test_queue_depth_and_age_are_gauges_that_reset_when_the_queue_empties() -> None:
    queue = f"test_queue_{uuid.uuid4().hex[:6]}"
    set_queue_depth(queue, 42, 17.5)
    assert REGISTRY.get_sample_value("resonance_job_queue_depth", {"queue": queue}) == 42
    assert REGISTRY.get_sample_value("resonance_job_queue_oldest_age_seconds", {"queue": queue}) == 17.5
    set_queue_depth(queue, 0, 99.0)  # an empty queue has no oldest job, whatever the caller measured
    assert REGISTRY.get_sample_value("resonance_job_queue_depth", {"queue": queue}) == 0
    assert REGISTRY.get_sample_value("resonance_job_queue_oldest_age_seconds", {"queue": queue}) == 0
