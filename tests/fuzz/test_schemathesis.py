"""Schemathesis against the app's own OpenAPI document: every phase, a fixed seed, no server error, no lie.

The app runs in process (ASGI) on the test database, with one agency signed up through the API and its key
sent with every request. Each phase runs: `examples` (the documented examples), `coverage` (boundary and
negative values of every parameter), `fuzzing` (Hypothesis-generated requests) and `stateful` (chains of
calls following the document's OpenAPI links, so the routes behind ids get real ids). The checks are that
no answer is a 5xx, that every answer matches its documented schema, status code and media type.

What is set aside, and why:
* `DELETE /v1/tenant` erases the agency and its key: every later request would be a 401, so nothing else
  would be tested. It is covered by tests/api/test_data_rights.py.
* rate limits: the agency's plan has no quota, so requests are not answered 429 by the hundred.
* the Stripe webhook has a signing secret, so an unsigned call is the documented 400, not a 503.

A webhook endpoint with one test delivery is made before the run, and the operations under
`/v1/webhook-endpoints/{endpoint_id}/deliveries` and `…/test` are given their ids in every phase: an endpoint
made by the stateful phase cannot get deliveries (its generated URL would need DNS), so without them those
routes would only ever answer 404. The endpoint itself can still be deleted by `DELETE
/v1/webhook-endpoints/{endpoint_id}`, whose id is never the seeded one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from litestar import Litestar
from litestar.testing import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.python import asgi

from api.app import create_app
from tests.conftest import TestDatabase, make_settings, sign_up

SEED = 20261207
MAX_EXAMPLES = {"sqlite": 10, "postgres": 4}
"""Examples per operation and phase: enough to find what is wrong, few enough for `pytest -n 2` on 2 cores."""

CHECKS = ["not_a_server_error", "response_schema_conformance", "status_code_conformance", "content_type_conformance"]
PHASES = ["examples", "coverage", "fuzzing", "stateful"]
REACHED = [
    "GET /v1/webhook-endpoints/{endpoint_id}/deliveries",
    "POST /v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    "POST /v1/webhook-endpoints/{endpoint_id}/test",
    "GET /v1/clients",
    "GET /v1/tenant/export",
]
"""Operations behind ids (or seeded objects) that must answer 2xx at least once, so the run really tests them."""
UNLIMITED_PLANS = {"fuzz": {"name": "Fuzz", "price": "0.00", "currency": "eur", "quotas": {}}}


@dataclass(frozen=True)
class Finding:
    """One failed check: where, what, and the request that shows it."""

    phase: str
    operation: str
    title: str
    message: str
    curl: str

    def __str__(self) -> str:
        message = self.message.strip().replace("\n", "\n      ")
        return f"[{self.phase}] {self.operation}: {self.title}\n      {message}\n    $ {self.curl}"


@dataclass
class Outcome:
    """What a run found: failed checks (one per phase, operation and kind), errors, statuses by operation."""

    findings: list[Finding]
    errors: list[str]
    statuses: dict[str, set[int]]


def _outcome(stream: Iterator[events.EngineEvent]) -> Outcome:
    findings: dict[tuple[str, str, str], Finding] = {}
    errors: list[str] = []
    statuses: dict[str, set[int]] = {}
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            if event.phase.value != "stateful":  # a stateful scenario's label names a chain, not an operation
                for interaction in event.recorder.interactions.values():
                    if interaction.response is not None:
                        statuses.setdefault(event.recorder.label, set()).add(interaction.response.status_code)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (event.phase.value, failure.operation or event.recorder.label, failure.title)
                    findings.setdefault(
                        key, Finding(*key, message=failure.message, curl=check.failure_info.code_sample)
                    )
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
    return Outcome(list(findings.values()), errors, statuses)


@dataclass(frozen=True)
class Seeded:
    """What the run starts with: the agency's key, and a webhook endpoint with one delivery."""

    headers: dict[str, str]
    endpoint_id: str
    delivery_id: str


def _seed(client: TestClient[Litestar]) -> Seeded:
    agency = sign_up(client, "Agency Fuzz")
    # a literal public address needs no DNS, which tests have not; nothing is sent (no scheduler runs)
    body = {"url": "http://93.184.215.14/fuzz-hook", "event_types": ["alert.opened"]}
    endpoint = client.post("/v1/webhook-endpoints", json=body, headers=agency.headers)
    assert endpoint.status_code == 201, endpoint.text
    delivery = client.post(f"/v1/webhook-endpoints/{endpoint.json()['id']}/test", headers=agency.headers)
    assert delivery.status_code == 202, delivery.text
    return Seeded(agency.headers, endpoint.json()["id"], delivery.json()["id"])


def _config(seeded: Seeded, max_examples: int) -> SchemathesisConfig:
    deliveries = {
        "include-path-regex": r"^/v1/webhook-endpoints/\{endpoint_id\}/(deliveries|test)",
        "parameters": {"endpoint_id": seeded.endpoint_id, "delivery_id": seeded.delivery_id},
    }
    config = SchemathesisConfig.from_dict({"operations": [deliveries]})
    config.update(seed=SEED, max_failures=None)
    project = config.projects.override
    project.update(headers=seeded.headers)
    project.phases.update(phases=PHASES)
    project.checks.update(included_check_names=CHECKS)
    # deterministic generation and no example database: the same requests on every run and every machine
    project.generation.update(max_examples=max_examples, deterministic=True, database="none")
    return config


@pytest.mark.timeout(420)
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(database: TestDatabase) -> None:
    settings = make_settings(
        database,
        plans_config=json.dumps(UNLIMITED_PLANS),
        default_plan="fuzz",
        stripe_webhook_secret="whsec_schemathesis",
    )
    app = create_app(settings)
    with TestClient(app) as client:
        seeded = _seed(client)
    config = _config(seeded, MAX_EXAMPLES[database.backend])
    try:
        schema = schemathesis.openapi.from_asgi("/docs/openapi.json", app, config=config)
        schema = schema.exclude(method="DELETE", path="/v1/tenant")
        outcome = _outcome(from_schema(schema).execute())
    finally:
        asgi.shutdown_lifespans()  # the app's lifespan was started by schemathesis, once per process
    findings, errors = outcome.findings, outcome.errors
    summary = "\n".join(map(str, findings)) + "\n" + "\n".join(errors)
    assert (len(findings), len(errors)) == (0, 0), f"{len(findings)} failed checks, {len(errors)} errors:\n{summary}"
    for operation in REACHED:
        assert any(200 <= status < 300 for status in outcome.statuses.get(operation, ())), (
            f"{operation} never succeeded: {sorted(outcome.statuses.get(operation, ()))}"
        )
