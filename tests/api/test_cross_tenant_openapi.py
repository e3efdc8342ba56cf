"""Every operation of the OpenAPI document, sent by one agency with another agency's ids: always a 404.

Agency B (the victim) gets a realistic data set through the API; agency A (the attacker) the same for itself.
For every documented operation but the public ones, A's key sends B's ids into each place the operation
names an object (path, query and body, read from the document by `tests/api/openapi_walk.py`):

* the answer is a 404, or, for an id in the query or the body only, a 422; either way exactly the answer a
  random uuid gets in the same place (ids and request id aside), so it never tells that B's object exists;
  never a 2xx, a 403 or a 5xx;
* the same request with A's own ids is accepted (not a 404, a 422 or a 5xx): the request was valid, and
  the refusal is about whose object it is;
* no answer contains B's ids, names or secrets, but for the ids the request itself sent;
* B's rows, in every table, read as the tables' owner, are the same after each operation as before the walk.
  No column is ignored: nothing in the walk is B's own request, so not even `api_keys.last_used_at` moves.

Creating POSTs also carry the Idempotency-Key B used for the same operation: A never gets B's replay.
Operations naming no object (A's own lists, A's new objects) are sent once: no B data in the answer, no 5xx.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, Engine, inspect, select
from sqlmodel import SQLModel

from api.app import create_app
from plugins.registry import load_registry
from tenants.database import sync_engine
from tests.api.conftest import PROBLEM_MEDIA_TYPE, create_key, list_all
from tests.api.openapi_walk import Document, Operation, Probe, Slot, probe, random_ids, unknown_id_names, variants
from tests.api.subscription_rows import set_subscription
from tests.api.test_brand_api import png
from tests.conftest import Agency, make_settings, run_syncs, sign_up
from tests.domain_dns import fake_dns
from tests.oauth_fixtures import oauth_connectors
from tests.portal.conftest import add_member, form_post, sign_in

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

PUBLIC_OPERATIONS = {
    "GET /health": "liveness: takes no credential and names no agency",
    "GET /ready": "readiness: takes no credential and names no agency",
    "POST /v1/signup": "creates a new agency from nothing: no credential, so no agency to attack from",
    "GET /v1/oauth/callback": "the network's redirect takes no API key; the agency comes from the one-time state, "
    "bound to its agency (test_oauth.py: test_the_state_is_bound_to_its_agency)",
    "POST /v1/stripe/webhook": "Stripe's signed events take no API key; test_cross_tenant_billing.py proves an "
    "event about one agency's customer never touches another",
}
"""Operations walked by no agency, with the reason. The served document itself (/docs) is not in the document."""

GLOBAL_TABLES = {
    "alembic_version": "the schema version: no agency's data",
    **{
        f"procrastinate_{name}": "the task engine's own (PostgreSQL): jobs name their tenant in their arguments and "
        "only workers read them"
        for name in ("jobs", "events", "periodic_defers", "workers")
    },
    "network_request_pacing": "the next turn of each rate-limited network's requests: the operator's quota, no "
    "agency's data",
}
"""Tables without a tenant_id (besides `tenants`, compared on its `id`)."""

EMPTY_FOR_THE_VICTIM = {
    "stripe_events": "only Stripe's webhook writes it (test_cross_tenant_billing.py)",
    "meter_event_deliveries": "the outbox to Stripe, filled only with Stripe keys configured",
}
"""Tables B's data set leaves empty, with the reason; every other table must hold some of B's rows."""

OAUTH_CLIENTS = json.dumps({"parley": {"client_id": "parley-client", "client_secret": "parley-app-secret"}})
"""An OAuth client for the test connector `parley`, so agencies can start authorizations (the token endpoint
is never called: no callback happens here)."""


@pytest.fixture
def app(database: TestDatabase) -> Litestar:
    """The application, knowing the OAuth test connectors so that an authorization can be started."""
    settings = make_settings(database, public_url="https://resonance.test", oauth_clients=OAUTH_CLIENTS)
    return create_app(settings, registry=load_registry(extra_plugins=[oauth_connectors]))


@dataclass
class DataSet:
    """One agency with one of everything, made through the API."""

    agency: Agency
    ids: dict[str, str]
    """One id per kind (client_id, account_id, …): what fills a slot of that kind."""
    markers: set[str] = field(default_factory=set)
    """Every id, name and secret of the agency's data: no other agency may ever read one."""
    idempotency_keys: dict[str, str] = field(default_factory=dict)
    """By operation (`POST /v1/clients`): the Idempotency-Key the agency created with."""


def _created(response: httpx.Response, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def build_data_set(client: TestClient[Litestar], agency: Agency, tag: str) -> DataSet:
    """A client with an owned and a competitor `demo` account synced over a week, their posts and mentions (one
    imported), a cost, a value, EMV rates, an objective, a silence rule and the alert it opened, a webhook
    endpoint and a test delivery, an OAuth authorization under way and a second API key."""
    made = DataSet(agency=agency, ids={})
    made.markers |= {agency.tenant_id, agency.key_id, agency.key, f"{tag.title()} Agency"}

    def post(operation: str, path: str, body: Any, status: int = 201) -> Any:
        key = f"{tag}-{len(made.idempotency_keys)}-{uuid.uuid4().hex[:8]}"
        made.idempotency_keys[operation] = key
        response = client.post(path, json=body, headers={**agency.headers, "Idempotency-Key": key})
        return _created(response, status)

    names = {
        "client": f"{tag} confidential client",
        "industry": f"{tag} secret industry",
        "handle": f"{tag}_private_handle",
        "rival": f"{tag}_rival_handle",
        "display": f"{tag} display name",
        "token": f"{tag}-api-token-0451",
        "cost": f"{tag} secret retainer",
        "campaign": f"{tag}-secret-campaign",
        "objective": f"{tag} secret objective",
        "rule": f"{tag} silence watch",
        "hook": f"/{tag}-private-hook",
        "hook_description": f"{tag} on-call channel",
        "key": f"{tag}-reporting-key",
        "mention": f"{tag} imported mention text",
        "oauth_handle": f"{tag}_oauth_handle",
        "oauth_new_handle": f"{tag}_oauth_new_handle",
    }
    made.markers |= set(names.values())
    owner = post("POST /v1/clients", "/v1/clients", {"name": names["client"], "industry": names["industry"]})
    base = f"/v1/clients/{owner['id']}"
    account = post(
        "POST /v1/clients/{client_id}/accounts",
        f"{base}/accounts",
        {
            "network": "demo",
            "handle": names["handle"],
            "display_name": names["display"],
            "credentials": {"api_token": names["token"]},
        },
    )
    rival = _created(
        client.post(
            f"{base}/accounts",
            json={"network": "demo", "handle": names["rival"], "kind": "competitor"},
            headers=agency.headers,
        )
    )
    # Reconnecting through OAuth (POST .../oauth/authorizations with account_id) takes an account on parley.
    parley = _created(
        client.post(
            f"{base}/accounts", json={"network": "parley", "handle": names["oauth_handle"]}, headers=agency.headers
        )
    )
    window = {"since": date(2026, 1, 5).isoformat(), "until": date(2026, 1, 11).isoformat()}
    run = post("POST /v1/accounts/{account_id}/syncs", f"/v1/accounts/{account['id']}/syncs", window, 202)
    rival_run = _created(client.post(f"/v1/accounts/{rival['id']}/syncs", json=window, headers=agency.headers), 202)
    run_syncs(client)
    for queued in (run, rival_run):
        finished = client.get(f"/v1/syncs/{queued['id']}", headers=agency.headers).json()
        assert finished["status"] == "succeeded", finished
    imported = post(
        "POST /v1/clients/{client_id}/mentions",
        f"{base}/mentions",
        [
            {
                "source": "reviews",
                "external_id": f"{tag}-review-1",
                "published_at": "2026-01-09T18:05:00+00:00",
                "text": names["mention"],
                "account_id": account["id"],
            }
        ],
        200,
    )
    assert imported["created"] == 1, imported
    posts = list_all(client, agency, f"/v1/accounts/{account['id']}/posts")
    mentions = list_all(client, agency, f"{base}/mentions")
    assert posts
    assert names["mention"] in {mention["text"] for mention in mentions}
    cost = post(
        "POST /v1/clients/{client_id}/costs",
        f"{base}/costs",
        {"type": "fees", "date": "2026-01-06", "amount": "4321.09", "note": names["cost"]},
    )
    value = post(
        "POST /v1/clients/{client_id}/values",
        f"{base}/values",
        {"type": "lead", "date": "2026-01-06", "count": 7, "unit_value": "13", "campaign": names["campaign"]},
    )
    _created(client.put(f"{base}/emv-rates", json={"cpm": {"demo": "7.77"}}, headers=agency.headers), 200)
    objective = post(
        "POST /v1/clients/{client_id}/objectives",
        f"{base}/objectives",
        {
            "metric": "impressions",
            "target": "5000",
            "start": "2026-01-05",
            "end": "2026-01-31",
            "name": names["objective"],
            "account_id": account["id"],
        },
    )
    rule = post(
        "POST /v1/alert-rules",
        "/v1/alert-rules",
        {"client_id": owner["id"], "kind": "silence", "name": names["rule"], "params": {"days": 1}},
    )
    report = post("POST /v1/clients/{client_id}/reports", f"{base}/reports", {"format": "json"}, status=202)
    evaluation = _created(client.post(f"{base}/alerts/evaluate", json={}, headers=agency.headers), 200)
    [alert] = evaluation["opened"]
    endpoint = post(
        "POST /v1/webhook-endpoints",
        "/v1/webhook-endpoints",
        {
            "url": f"http://93.184.215.14{names['hook']}",
            "event_types": ["sync.failed"],
            "description": names["hook_description"],
        },
    )
    delivery = _created(client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=agency.headers), 202)
    authorization = post(
        "POST /v1/clients/{client_id}/oauth/authorizations",
        f"{base}/oauth/authorizations",
        {"network": "parley", "handle": names["oauth_new_handle"]},
    )
    key = create_key(client, agency, ["read"], name=names["key"])
    # A member signed in to the portal, with a sign-in link sent: its session and link rows must stay untouched.
    member = add_member(client, agency.tenant_id, email=f"{tag}-member@{tag}.example")
    sign_in(client, member)
    form_post(client, "/portal/sign-in/link", {"email": member.email})
    client.cookies.clear()
    # White-label: colours, a logo and a custom domain of the agency's own.
    brand = {"primary_color": "#123456", "accent_color": "#654321", "display_name": f"{tag} brand name"}
    assert client.put("/v1/tenant/brand", json=brand, headers=agency.headers).status_code == 200
    logo = client.put("/v1/tenant/brand/logo", content=png(), headers={**agency.headers, "content-type": "image/png"})
    assert logo.status_code == 200, logo.text
    domain = post("POST /v1/tenant/domains", "/v1/tenant/domains", {"host": f"portal.{tag}.example"})
    host = domain["host"]
    fake_dns(client).publish(domain["verification_record"])  # so that A's own verify of its domain succeeds
    made.markers |= {host, brand["display_name"]}
    made.ids = {
        "client_id": owner["id"],
        "account_id": account["id"],
        "sync_id": run["id"],
        "key_id": key.id,
        "cost_id": cost["id"],
        "value_id": value["id"],
        "objective_id": objective["id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": delivery["id"],
        "rule_id": rule["id"],
        "alert_id": alert["id"],
        "mention_id": mentions[0]["id"],
        "post_id": posts[0]["id"],
        "authorization_id": authorization["id"],
        "report_id": report["id"],
        "parley_account_id": parley["id"],
        "host": host,
    }
    made.markers |= {
        *made.ids.values(),
        rival["id"],
        rival_run["id"],
        key.secret,
        key.prefix,
        member.email,
        endpoint["secret"],
        delivery["event_id"],
        parse_qs(urlsplit(authorization["authorization_url"]).query)["state"][0],
        *(item["id"] for item in posts),
        *(item["id"] for item in mentions),
        # Post texts are templates every demo handle shares; mention texts name the handle, a marker already.
    }
    return made


def _flush_api_calls(client: TestClient[Litestar]) -> None:
    """Write every API call counted so far to the usage ledger, so that no later flush adds a row of B's."""
    services = client.app.state.services

    async def flush() -> None:
        await services.rate_limits.flush(services.database, final=True)

    with client.portal() as portal:
        portal.call(flush)


STRIPE_IDS = {"stripe_customer_id": "cus_victim_private", "stripe_subscription_id": "sub_victim_private"}
"""B pays through Stripe: its subscription row (written as Stripe's webhook would) names its customer."""


@pytest.fixture
def victim(client: TestClient[Litestar], database: TestDatabase) -> DataSet:
    made = build_data_set(client, sign_up(client, "Victim Agency"), "victim")
    set_subscription(database, made.agency, plan="scale", status="active", **STRIPE_IDS)
    client.app.state.services.standings.invalidate(uuid.UUID(made.agency.tenant_id))
    made.markers |= set(STRIPE_IDS.values())
    _flush_api_calls(client)
    return made


@pytest.fixture
def attacker(client: TestClient[Litestar], victim: DataSet) -> DataSet:
    # A second key of A's own goes to DELETE /v1/api-keys/{key_id}: the key A walks with must outlive the walk.
    return build_data_set(client, sign_up(client, "Attacker Agency"), "attacker")


@pytest.fixture
def document(client: TestClient[Litestar]) -> Document:
    response = client.get("/docs/openapi.json")
    assert response.status_code == 200, response.text
    return Document(response.json())


# --- B's rows, as the tables' owner ------------------------------------------------------------------------


class TenantRows:
    """Snapshots of one agency's rows in every table, read as the tables' owner (RLS does not hide them)."""

    def __init__(self, database: TestDatabase, tenant_id: str) -> None:
        self.engine: Engine = sync_engine(database.owner_url)
        self.tenant_id = uuid.UUID(tenant_id)
        tables = set(inspect(self.engine).get_table_names())
        modelled = set(SQLModel.metadata.tables)
        missing = tables - modelled - set(GLOBAL_TABLES)
        assert not missing, f"tables {sorted(missing)} have no model: add them to GLOBAL_TABLES or to the models"
        self.tables = [SQLModel.metadata.tables[name] for name in sorted(tables & modelled)]
        for table in self.tables:
            assert table.name == "tenants" or "tenant_id" in table.c, f"{table.name} has no tenant_id column"

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        rows: dict[str, list[tuple[Any, ...]]] = {}
        with self.engine.connect() as connection:
            for table in self.tables:
                rows[table.name] = self._rows(connection, table)
        return rows

    def _rows(self, connection: Connection, table: Any) -> list[tuple[Any, ...]]:
        column = table.c.id if table.name == "tenants" else table.c.tenant_id
        statement = select(table).where(column == self.tenant_id).order_by(*table.primary_key.columns)
        return [tuple(row) for row in connection.execute(statement)]

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def victim_rows(database: TestDatabase, victim: DataSet) -> Iterator[TenantRows]:
    rows = TenantRows(database, victim.agency.tenant_id)
    yield rows
    rows.close()


def _changes(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    changed = []
    for name in before:
        gone = [row for row in before[name] if row not in after[name]]
        new = [row for row in after[name] if row not in before[name]]
        if gone or new:
            changed.append(f"{name}: {len(gone)} row(s) changed or gone, {len(new)} new or changed: {new[:2]}")
    return changed


# --- sending and judging --------------------------------------------------------------------------------


@dataclass
class Walk:
    """Sends the probes of the walk with A's key and checks every answer for B's data."""

    client: TestClient[Litestar]
    attacker: DataSet
    victim: DataSet
    walked: set[str] = field(default_factory=set)

    def send(self, operation: Operation, request: Probe, idempotency_key: str | None = None) -> httpx.Response:
        headers = dict(self.attacker.agency.headers)
        if request.media_type is not None:
            headers["Content-Type"] = request.media_type
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        response = self.client.request(
            request.method,
            request.url,
            params=request.params,
            headers=headers,
            json=request.json,
            content=request.content,
        )
        self.walked.add(operation.name)
        self.assert_no_leak(response, request)
        return response

    def assert_no_leak(self, response: httpx.Response, request: Probe) -> None:
        """Nothing of B's in the body or the headers, but the ids the request itself sent (echoed in `instance`)."""
        text = response.text + "\n" + "\n".join(f"{name}: {value}" for name, value in response.headers.items())
        leaked = sorted(marker for marker in self.victim.markers - request.sent if marker in text)
        assert not leaked, f"{request.method} {request.url} answered {response.status_code} with B's {leaked}"


def _normalised(response: httpx.Response, sent: dict[str, str]) -> tuple[int, Any]:
    """The answer with each id that was sent replaced by its slot's name and the request id left out."""
    text = response.text
    for value, name in sent.items():
        text = text.replace(value, f"<{name}>")
    try:
        body = json.loads(text)
    except ValueError:
        return response.status_code, text
    if isinstance(body, dict):
        body.pop("request_id", None)
    return response.status_code, body


def _assert_problem(response: httpx.Response, where: str) -> None:
    assert response.headers.get("content-type", "").startswith(PROBLEM_MEDIA_TYPE), f"{where}: {response.text}"
    assert "Traceback" not in response.text, where


def _fill(
    slots: frozenset[Slot], chosen: frozenset[Slot], own: DataSet, chosen_ids: dict[Slot, str]
) -> dict[Slot, str]:
    """The chosen slots filled from `chosen_ids`, every other one with the agency's own id of its kind."""
    return {slot: chosen_ids[slot] if slot in chosen else own.ids[slot.kind] for slot in slots}


def walk_operation(walk: Walk, operation: Operation) -> None:
    """Every variant of the operation with B's ids, its twin with random ids, and A's own request."""
    attacker, victim = walk.attacker, walk.victim
    every_slot = frozenset(operation.slots)
    replayed_key = victim.idempotency_keys.get(operation.name) if operation.method == "POST" else None
    if not operation.slots:
        request = probe(operation, frozenset(), {})
        response = walk.send(operation, request, replayed_key)
        assert response.status_code < 500, f"{operation.name}: {response.text}"
        if replayed_key is not None:
            assert "Idempotent-Replayed" not in response.headers, f"{operation.name} replayed B's answer"
            assert response.json().get("code") != "idempotency_key_reused", f"{operation.name}: {response.text}"
        return
    controls: list[Probe] = []
    for label, chosen in variants(operation):
        where = f"{operation.name} with B's id in {label}"
        theirs = _fill(every_slot, chosen, attacker, {slot: victim.ids[slot.kind] for slot in chosen})
        noise = random_ids(chosen)
        nowhere = _fill(every_slot, chosen, attacker, noise)
        response = walk.send(operation, probe(operation, chosen, theirs), replayed_key)
        twin = walk.send(
            operation, probe(operation, chosen, nowhere), None if replayed_key is None else replayed_key + "-twin"
        )
        allowed = {404} if any(slot.where == "path" for slot in chosen) else {404, 422}
        assert response.status_code in allowed, f"{where}: {response.status_code} {response.text}"
        if response.status_code >= 400:
            _assert_problem(response, where)
        victims = {victim.ids[slot.kind]: slot.name for slot in chosen}
        randoms = {noise[slot]: slot.name for slot in chosen}
        assert _normalised(response, victims) == _normalised(twin, randoms), (
            f"{where}: the answer differs from a random uuid's, so it tells B's object exists:\n"
            f"B's id:  {response.text}\nrandom: {twin.text}"
        )
        controls.append(probe(operation, chosen, _fill(every_slot, frozenset(), attacker, {})))
    # A DELETE's first control deletes A's object: the others would only find it gone.
    for control in controls[:1] if operation.method == "DELETE" else controls:
        own = walk.send(operation, control)
        refused = f"{operation.name} is refused even with A's own ids, so its refusal of B's ids proves nothing"
        assert own.status_code not in (404, 422), f"{refused} (a hint in openapi_walk.py?): {control} -> {own.text}"
        assert own.status_code < 500, f"{refused}: {control} -> {own.text}"


DELETED_WITH_EVERYTHING_UNDER_THEM = ("account_id", "client_id")
"""Deleting an account takes its syncs, content and objectives with it, deleting a client everything of it."""


def _walk_order(operations: list[Operation]) -> list[Operation]:
    """The document's order, but deletions last (A's own requests delete A's objects) and, of those, the deletion
    of an account then of a client last of all."""

    def rank(operation: Operation) -> tuple[bool, int]:
        if operation.method != "DELETE":
            return False, 0
        kinds = [slot.kind for slot in operation.slots]
        if len(kinds) == 1 and kinds[0] in DELETED_WITH_EVERYTHING_UNDER_THEM:
            return True, 1 + DELETED_WITH_EVERYTHING_UNDER_THEM.index(kinds[0])
        return True, 0

    return sorted(operations, key=rank)


def walked_operations(document: Document) -> list[Operation]:
    return [operation for operation in document.operations if operation.name not in PUBLIC_OPERATIONS]


# --- the tests ------------------------------------------------------------------------------------------


def test_every_id_the_document_takes_is_known_to_the_walk(document: Document) -> None:
    unknown = unknown_id_names(document)

    assert not unknown, (
        f"the document takes ids the cross-tenant walk cannot fill: {unknown}. Add their kind to ID_KINDS "
        "(and to build_data_set in test_cross_tenant_openapi.py), or a shared one to GLOBAL_PARAMETERS."
    )


def test_the_public_operations_are_exactly_those_the_document_declares_without_credentials(
    document: Document,
) -> None:
    declared = {operation.name for operation in document.operations if operation.public}

    assert declared == set(PUBLIC_OPERATIONS), (
        f"public in the document but not listed: {sorted(declared - set(PUBLIC_OPERATIONS))}; "
        f"listed but not public (or gone): {sorted(set(PUBLIC_OPERATIONS) - declared)}"
    )


def test_the_walk_names_objects_in_every_operation_that_takes_one(document: Document) -> None:
    """The document reading finds the ids in paths, queries and bodies (a guard on the reader itself)."""
    by_name = {operation.name: operation for operation in document.operations}

    assert {s.label for s in by_name["GET /v1/clients/{client_id}/costs/{cost_id}"].slots} == {
        "path client_id",
        "path cost_id",
    }
    assert {s.label for s in by_name["GET /v1/metrics"].slots} == {"query account_id", "query client_id"}
    assert {s.label for s in by_name["POST /v1/alert-rules"].slots} == {
        "body client_id",
        "body params.account_id",
        "body params.objective_id",
    }
    assert {s.label for s in by_name["POST /v1/clients/{client_id}/mentions"].slots} == {
        "path client_id",
        "body 0.account_id",
    }
    assert by_name["POST /v1/clients/{client_id}/costs/import"].media_type == "text/csv"
    assert not by_name["GET /v1/connectors/{connector_id}"].slots


def test_another_agencys_ids_are_a_404_in_every_operation_and_change_nothing(
    client: TestClient[Litestar],
    victim: DataSet,
    attacker: DataSet,
    victim_rows: TenantRows,
    document: Document,
    subtests: pytest.Subtests,
) -> None:
    original = victim_rows.snapshot()
    empty = sorted(name for name, rows in original.items() if not rows and name not in EMPTY_FOR_THE_VICTIM)
    assert not empty, f"B's data set leaves {empty} empty: fill them in build_data_set or list them with the reason"
    walk = Walk(client, attacker, victim)
    operations = _walk_order(walked_operations(document))
    before = original

    for operation in operations:
        with subtests.test(msg=operation.name):
            walk_operation(walk, operation)
            after = victim_rows.snapshot()
            changed, before = _changes(before, after), after
            assert not changed, f"{operation.name} by A changed B's rows: {changed}"

    assert victim_rows.snapshot() == original
    assert len(walk.walked) >= len(document.operations) - len(PUBLIC_OPERATIONS), (
        f"operations not walked: {sorted({op.name for op in operations} - walk.walked)}"
    )
    assert client.get("/v1/tenant", headers=victim.agency.headers).status_code == 200
