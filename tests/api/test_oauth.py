"""OAuth onboarding: authorization links, the callback, reconnection, and token refresh before a sync.

A local `FixtureServer` plays the network's token endpoint (and its API); the test-only connectors of
`tests/oauth_fixtures` declare the OAuth configuration (and "chorus" makes its own credentials from the
token). The last tests connect a real connector, `x`, end to end and sync it against X's recorded answers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select, update

from api.accounts.models import SocialAccount
from api.app import create_app
from api.idempotency import IdempotencyRecord
from api.oauth import flow
from api.oauth.models import OAuthState
from api.oauth.renewal import renew_for_sync
from plugins.connectors import x as x_connector
from plugins.connectors.x import XConnector
from plugins.registry import load_registry
from plugins.sdk import AuthenticationError, TransientError
from plugins.sdk.testing import FixtureServer, Route, serving
from tenants.audit import AuditEntry
from tenants.settings import Settings, SettingsError
from tests.api.conftest import (
    assert_problem,
    count_rows,
    create_client,
    owner_connection,
    parse_time,
    table,
)
from tests.conftest import Agency, make_settings, run_syncs, sign_up
from tests.connectors import test_x_conformance
from tests.oauth_fixtures import oauth_connectors
from tests.oauth_fixtures.oauth_connectors import MurmurConnector, ParleyConnector

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

PUBLIC_URL = "https://resonance.test"
REDIRECT_URI = f"{PUBLIC_URL}/v1/oauth/callback"
CLIENT_SECRET = "parley-app-s3cret-value"
CODE = "auth-code-Zx81-one-time"
ACCESS_TOKEN = "at-1-Vq9sEcReT-access"
REFRESH_TOKEN = "rt-1-Lm4sEcReT-refresh"
NEW_ACCESS_TOKEN = "at-2-Rf7sEcReT-renewed"
PARLEY_SCOPES = "profile.read insights.read offline_access"
CHORUS_SECRET = "chorus-app-s3cret-value"
SECRETS = (CLIENT_SECRET, CODE, ACCESS_TOKEN, REFRESH_TOKEN, NEW_ACCESS_TOKEN, CHORUS_SECRET)


def token_answer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "expires_in": 3600,
        "token_type": "bearer",
        "scope": PARLEY_SCOPES,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def clients_setting(server: FixtureServer, **parley: Any) -> str:
    """RESONANCE_OAUTH_CLIENTS: parley's token endpoint and murmur's two endpoints on the local server."""
    return json.dumps(
        {
            "parley": {
                "client_id": "parley-client",
                "client_secret": CLIENT_SECRET,
                "token_url": f"{server.base_url}/oauth/token",
                **parley,
            },
            "murmur": {
                "client_id": "murmur-client",
                "client_secret": "murmur-secret",
                "authorize_url": f"{server.base_url}/dialog/oauth",
                "token_url": f"{server.base_url}/murmur/token",
            },
            "chorus": {
                "client_id": "chorus-app",
                "client_secret": CHORUS_SECRET,
                "token_url": f"{server.base_url}/chorus/token",
            },
        }
    )


def oauth_app(database: TestDatabase, server: FixtureServer, **settings: Any) -> Litestar:
    values: dict[str, Any] = {
        "public_url": PUBLIC_URL,
        "oauth_clients": clients_setting(server),
        "connector_base_urls": f"parley={server.base_url}/api,chorus={server.base_url}/chorus-api",
    }
    values.update(settings)
    return create_app(make_settings(database, **values), registry=load_registry(extra_plugins=[oauth_connectors]))


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with serving([]) as running:
        yield running


@pytest.fixture
def client(database: TestDatabase, server: FixtureServer) -> Iterator[TestClient[Litestar]]:
    """An API client whose app knows the OAuth test connectors and has OAuth clients for parley and murmur."""
    with TestClient(oauth_app(database, server), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Started:
    """An authorization as the API returned it, with the state taken out of its URL."""

    body: dict[str, Any]
    query: dict[str, str]

    @property
    def state(self) -> str:
        return self.query["state"]


def query_of(url: str) -> dict[str, str]:
    parsed = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in parsed.values()), parsed
    return {name: values[0] for name, values in parsed.items()}


def start(
    client: TestClient[Litestar], agency: Agency, client_id: str, *, headers: dict[str, str] | None = None, **body: Any
) -> Started:
    payload = {"network": "parley", "handle": "martin_bakery", **body}
    response = client.post(
        f"/v1/clients/{client_id}/oauth/authorizations", json=payload, headers={**agency.headers, **(headers or {})}
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    return Started(body=answer, query=query_of(answer["authorization_url"]))


def call_back(client: TestClient[Litestar], **params: str) -> Any:
    """The network sending the user's browser back (no API key)."""
    return client.get("/v1/oauth/callback", params=params, follow_redirects=False)


def form_of(served: Any) -> dict[str, str]:
    assert served.headers["content-type"].startswith("application/x-www-form-urlencoded")
    return {name: values[0] for name, values in parse_qs(served.body.decode()).items()}


def state_row(database: TestDatabase, state_id: str) -> Any:
    states = table(OAuthState)
    with owner_connection(database) as connection:
        return connection.execute(select(states).where(states.c.id == uuid.UUID(state_id))).one()


def account_row(database: TestDatabase, account_id: str) -> Any:
    accounts = table(SocialAccount)
    with owner_connection(database) as connection:
        return connection.execute(select(accounts).where(accounts.c.id == uuid.UUID(account_id))).one()


def audit_rows(database: TestDatabase, tenant_id: str) -> list[Any]:
    audit = table(AuditEntry)
    with owner_connection(database) as connection:
        return list(connection.execute(select(audit).where(audit.c.tenant_id == uuid.UUID(tenant_id))).all())


def decrypt(client: TestClient[Litestar], ciphertext: str) -> dict[str, Any]:
    result: dict[str, Any] = client.app.state.services.vault.decrypt(ciphertext)
    return result


def connect(
    client: TestClient[Litestar], server: FixtureServer, agency: Agency, client_id: str, **body: Any
) -> dict[str, Any]:
    """Run the whole flow with a token endpoint that grants `token_answer()`; returns the callback's body."""
    server.prepend(Route("POST", "/oauth/token", json=token_answer(**body.pop("token", {})), times=1))
    started = start(client, agency, client_id, **body)
    response = call_back(client, code=CODE, state=started.state)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def owner(client: TestClient[Litestar], agency: Agency) -> str:
    """A client company of the agency; its id."""
    made: str = create_client(client, agency)["id"]
    return made


# --- the authorization link ---------------------------------------------------------------------------


def test_the_authorization_url_carries_every_parameter_and_the_s256_challenge_of_the_stored_verifier(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency, owner: str
) -> None:
    before = datetime.now(UTC)
    started = start(client, agency, owner)

    url = urlsplit(started.body["authorization_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "auth.parley.example", "/oauth/authorize")
    query = started.query
    assert query.pop("audience") == "api"  # the connector's own query is kept
    state = query.pop("state")
    challenge = query.pop("code_challenge")
    assert query == {
        "response_type": "code",
        "client_id": "parley-client",
        "redirect_uri": REDIRECT_URI,
        "scope": PARLEY_SCOPES,
        "code_challenge_method": "S256",
        "prompt": "consent",
        "access_type": "offline",
    }
    assert "%20" in started.body["authorization_url"]  # scopes are space-separated, percent-encoded
    assert len(state) >= 43
    assert started.body["network"] == "parley"
    assert started.body["redirect_uri"] == REDIRECT_URI

    row = state_row(database, started.body["id"])
    verifier = decrypt(client, row.code_verifier_encrypted)["code_verifier"]
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == expected
    assert verifier not in row.code_verifier_encrypted
    assert row.state_hash == hashlib.sha256(state.encode()).hexdigest()
    assert state not in " ".join(str(value) for value in row)  # the state itself is stored nowhere
    assert (row.network, row.handle, row.kind, row.used_at, str(row.account_id)) == (
        "parley",
        "martin_bakery",
        "owned",
        None,
        "None",
    )
    expires = parse_time(started.body["state_expires_at"])
    assert before + timedelta(minutes=9) < expires <= datetime.now(UTC) + timedelta(minutes=10)


def test_two_authorizations_get_different_states_and_verifiers(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency, owner: str
) -> None:
    first = start(client, agency, owner)
    second = start(client, agency, owner)

    assert first.state != second.state
    assert first.query["code_challenge"] != second.query["code_challenge"]


def test_a_network_without_pkce_gets_no_challenge_and_its_own_scope_separator(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    started = start(client, agency, owner, network="murmur", handle="martin_page")

    assert started.body["authorization_url"].startswith(f"{server.base_url}/dialog/oauth?")  # the operator's URL
    assert started.query["scope"] == "pages_show_list,read_insights"
    assert started.query["client_id"] == "murmur-client"
    assert "code_challenge" not in started.query
    assert "code_challenge_method" not in started.query
    assert state_row(database, started.body["id"]).code_verifier_encrypted is None


def test_the_operator_can_narrow_the_scopes(database: TestDatabase, server: FixtureServer) -> None:
    app = oauth_app(database, server, oauth_clients=clients_setting(server, scopes=["profile.read"]))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        agency = sign_up(test_client)
        started = start(test_client, agency, create_client(test_client, agency)["id"])

    assert started.query["scope"] == "profile.read"


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        ("plain", "does not connect accounts through OAuth"),
        ("nowhere", "has no installed connector"),
    ],
)
def test_a_network_without_an_oauth_flow_is_a_422_on_network(
    client: TestClient[Litestar], agency: Agency, owner: str, network: str, expected: str
) -> None:
    response = client.post(
        f"/v1/clients/{owner}/oauth/authorizations", json={"network": network, "handle": "x"}, headers=agency.headers
    )

    assert expected in assert_problem(response, 422, code="validation_error", field="network")["detail"]


def test_a_network_without_a_configured_client_is_a_422_naming_the_setting(
    database: TestDatabase, server: FixtureServer
) -> None:
    app = oauth_app(database, server, oauth_clients="")
    with TestClient(app, raise_server_exceptions=False) as test_client:
        agency = sign_up(test_client)
        owner = create_client(test_client, agency)["id"]
        response = test_client.post(
            f"/v1/clients/{owner}/oauth/authorizations",
            json={"network": "parley", "handle": "x"},
            headers=agency.headers,
        )

    detail = assert_problem(response, 422, code="validation_error", field="network")["detail"]
    assert "RESONANCE_OAUTH_CLIENTS" in detail
    assert '"parley"' in detail


def test_a_new_account_needs_a_handle(client: TestClient[Litestar], agency: Agency, owner: str) -> None:
    response = client.post(
        f"/v1/clients/{owner}/oauth/authorizations", json={"network": "parley"}, headers=agency.headers
    )

    assert_problem(response, 422, code="validation_error", field="handle")


def test_a_handle_the_client_already_tracks_is_a_409_pointing_at_reconnection(
    client: TestClient[Litestar], server: FixtureServer, agency: Agency, owner: str
) -> None:
    connected = connect(client, server, agency, owner)

    response = client.post(
        f"/v1/clients/{owner}/oauth/authorizations",
        json={"network": "parley", "handle": "martin_bakery"},
        headers=agency.headers,
    )

    problem = assert_problem(response, 409, code="conflict", field="handle")
    assert connected["account_id"] in problem["detail"]
    assert "account_id" in problem["detail"]


@pytest.mark.parametrize(
    "redirect_after", ["javascript:alert(1)", "/relative/path", "ftp://files.example/x", "http:///no-host"]
)
def test_redirect_after_must_be_an_absolute_web_url(
    client: TestClient[Litestar], agency: Agency, owner: str, redirect_after: str
) -> None:
    response = client.post(
        f"/v1/clients/{owner}/oauth/authorizations",
        json={"network": "parley", "handle": "x", "redirect_after": redirect_after},
        headers=agency.headers,
    )

    assert_problem(response, 422, code="validation_error", field="redirect_after")


def test_starting_an_authorization_needs_the_write_scope(
    client: TestClient[Litestar], agency: Agency, owner: str
) -> None:
    from tests.api.conftest import create_key

    reader = create_key(client, agency, ["read"])
    response = client.post(
        f"/v1/clients/{owner}/oauth/authorizations",
        json={"network": "parley", "handle": "x"},
        headers=reader.headers,
    )

    assert_problem(response, 403, code="forbidden")


def test_an_idempotent_replay_returns_the_same_authorization_with_a_fresh_state(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    key = {"Idempotency-Key": "connect-martin-1"}
    first = start(client, agency, owner, headers=key)
    replay = client.post(
        f"/v1/clients/{owner}/oauth/authorizations",
        json={"network": "parley", "handle": "martin_bakery"},
        headers={**agency.headers, **key},
    )

    assert replay.status_code == 201, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    again = replay.json()
    assert (again["id"], again["state_expires_at"]) == (first.body["id"], first.body["state_expires_at"])
    fresh = query_of(again["authorization_url"])["state"]
    assert fresh != first.state
    assert count_rows(database, OAuthState) == 1
    records = table(IdempotencyRecord)
    with owner_connection(database) as connection:
        stored = json.dumps(connection.execute(select(records.c.response_body)).scalar_one())
    assert first.state not in stored
    assert fresh not in stored

    assert_problem(call_back(client, code=CODE, state=first.state), 400, code="oauth_state_unknown")
    server.prepend(Route("POST", "/oauth/token", json=token_answer(), times=1))
    assert call_back(client, code=CODE, state=fresh).status_code == 200
    replay_after_use = client.post(
        f"/v1/clients/{owner}/oauth/authorizations",
        json={"network": "parley", "handle": "martin_bakery"},
        headers={**agency.headers, **key},
    )
    assert_problem(replay_after_use, 409, code="conflict", field="Idempotency-Key")


# --- the callback -------------------------------------------------------------------------------------


def test_the_callback_connects_the_account_with_its_tokens_encrypted_and_never_returned(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    server.prepend(Route("POST", "/oauth/token", json=token_answer(), times=1))
    started = start(client, agency, owner)
    verifier = decrypt(client, state_row(database, started.body["id"]).code_verifier_encrypted)["code_verifier"]
    before = datetime.now(UTC)

    response = call_back(client, code=CODE, state=started.state)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"account_id", "network", "status"}
    assert (body["network"], body["status"]) == ("parley", "connected")

    (exchange,) = server.requests_to("/oauth/token")
    assert exchange.method == "POST"
    assert form_of(exchange) == {
        "grant_type": "authorization_code",
        "code": CODE,
        "redirect_uri": REDIRECT_URI,
        "client_id": "parley-client",
        "code_verifier": verifier,
    }
    basic = base64.b64encode(f"parley-client:{CLIENT_SECRET}".encode()).decode()
    assert exchange.headers["authorization"] == f"Basic {basic}"

    shown = client.get(f"/v1/accounts/{body['account_id']}", headers=agency.headers)
    assert shown.status_code == 200
    account = shown.json()
    assert (account["client_id"], account["network"], account["handle"], account["kind"]) == (
        owner,
        "parley",
        "martin_bakery",
        "owned",
    )
    assert (account["status"], account["has_credentials"], account["status_reason"]) == ("active", True, None)
    listed = client.get(f"/v1/clients/{owner}/accounts", headers=agency.headers).text
    for secret in SECRETS:
        assert secret not in shown.text
        assert secret not in listed

    row = account_row(database, body["account_id"])
    assert ACCESS_TOKEN not in row.credentials_encrypted
    assert REFRESH_TOKEN not in row.credentials_encrypted
    credentials = decrypt(client, row.credentials_encrypted)
    expires_at = datetime.fromisoformat(credentials.pop("expires_at"))
    assert expires_at.utcoffset() == timedelta(0)
    assert before + timedelta(seconds=3590) <= expires_at <= datetime.now(UTC) + timedelta(seconds=3600)
    assert credentials == {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "scope": PARLEY_SCOPES,
        "token_type": "bearer",
    }
    assert state_row(database, started.body["id"]).used_at is not None

    entries = audit_rows(database, agency.tenant_id)
    created = [entry for entry in entries if entry.action == "account.created"]
    assert len(created) == 1
    assert created[0].entity_id == body["account_id"]
    assert created[0].api_key_id == uuid.UUID(agency.key_id)
    assert created[0].actor == "oauth:parley"
    assert created[0].changes["via"] == "oauth"
    assert created[0].changes["credentials"] == "set"
    everything = json.dumps([entry.changes for entry in entries])
    for secret in (*SECRETS, verifier, started.state):
        assert secret not in everything


def test_a_token_answer_without_scope_or_refresh_token_keeps_what_was_asked(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    connected = connect(client, server, agency, owner, token={"scope": None, "refresh_token": None, "expires_in": None})

    credentials = decrypt(client, account_row(database, connected["account_id"]).credentials_encrypted)
    assert credentials == {"access_token": ACCESS_TOKEN, "scope": PARLEY_SCOPES, "token_type": "bearer"}


@pytest.mark.parametrize(
    ("parley", "in_body", "basic"),
    [
        ({"token_endpoint_auth_method": "client_secret_post"}, {"client_secret": CLIENT_SECRET}, False),
        ({"client_secret": None}, {}, False),  # a public client: PKCE and its client_id only
    ],
)
def test_the_client_authenticates_as_configured(
    database: TestDatabase,
    server: FixtureServer,
    parley: dict[str, Any],
    in_body: dict[str, str],
    basic: bool,
) -> None:
    setting = json.loads(clients_setting(server, **parley))
    setting["parley"] = {key: value for key, value in setting["parley"].items() if value is not None}
    app = oauth_app(database, server, oauth_clients=json.dumps(setting))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        agency = sign_up(test_client)
        connect(test_client, server, agency, create_client(test_client, agency)["id"])

    (exchange,) = server.requests_to("/oauth/token")
    form = form_of(exchange)
    assert form["client_id"] == "parley-client"
    assert {key: form[key] for key in in_body} == in_body
    assert ("client_secret" in form) == bool(in_body)
    assert ("authorization" in exchange.headers) == basic


def test_the_callback_sends_the_user_back_to_redirect_after(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    server.prepend(Route("POST", "/oauth/token", json=token_answer(), times=1))
    started = start(client, agency, owner, redirect_after="https://portal.agency.example/done?tab=social")

    response = call_back(client, code=CODE, state=started.state)

    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "portal.agency.example", "/done")
    query = query_of(response.headers["location"])
    assert query["tab"] == "social"
    assert query["status"] == "connected"
    assert count_rows(database, SocialAccount, id=query["account_id"]) == 1
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_used_state_cannot_be_replayed(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    server.prepend(Route("POST", "/oauth/token", json=token_answer()))
    started = start(client, agency, owner)
    assert call_back(client, code=CODE, state=started.state).status_code == 200

    replay = call_back(client, code=CODE, state=started.state)

    problem = assert_problem(replay, 400, code="oauth_state_used", field="state")
    assert "once" in problem["detail"]
    assert len(server.requests_to("/oauth/token")) == 1
    assert count_rows(database, SocialAccount) == 1


@pytest.mark.parametrize("state", [None, "", "not-a-state-we-made", "x" * 100])
def test_a_missing_or_unknown_state_is_a_400(
    client: TestClient[Litestar], server: FixtureServer, agency: Agency, owner: str, state: str | None
) -> None:
    start(client, agency, owner)  # a real one exists, and is not what is sent
    params = {"code": CODE, **({"state": state} if state is not None else {})}

    problem = assert_problem(call_back(client, **params), 400, code="oauth_state_unknown", field="state")

    assert "POST /v1/clients/{client_id}/oauth/authorizations" in problem["detail"]
    assert server.requests_to("/oauth/token") == []


def test_an_expired_state_is_a_400(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    started = start(client, agency, owner)
    states = table(OAuthState)
    with owner_connection(database) as connection:
        connection.execute(
            update(states)
            .where(states.c.id == uuid.UUID(started.body["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    problem = assert_problem(call_back(client, code=CODE, state=started.state), 400, code="oauth_state_expired")

    assert "expired" in problem["detail"]
    assert server.requests_to("/oauth/token") == []
    assert count_rows(database, SocialAccount) == 0


def test_access_denied_is_a_400_with_the_networks_description_and_uses_up_the_state(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    started = start(client, agency, owner)

    response = call_back(
        client, error="access_denied", error_description="The user declined the request.", state=started.state
    )

    problem = assert_problem(response, 400, code="oauth_denied", field="error")
    assert "parley" in problem["detail"]
    assert "access_denied" in problem["detail"]
    assert "The user declined the request." in problem["detail"]
    assert (problem["network"], problem["oauth_error"]) == ("parley", "access_denied")
    assert server.requests_to("/oauth/token") == []
    assert count_rows(database, SocialAccount) == 0
    assert_problem(call_back(client, code=CODE, state=started.state), 400, code="oauth_state_used")
    assert [e.action for e in audit_rows(database, agency.tenant_id) if e.action.startswith("oauth.")] == [
        "oauth.authorization_started",
        "oauth.authorization_denied",
    ]


def test_access_denied_with_redirect_after_sends_the_user_back_with_the_error(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency, owner: str
) -> None:
    started = start(client, agency, owner, redirect_after="https://portal.agency.example/done")

    response = call_back(client, error="access_denied", error_description="Nope", state=started.state)

    assert response.status_code == 303
    assert query_of(response.headers["location"]) == {
        "status": "error",
        "error": "access_denied",
        "error_description": "Nope",
    }
    assert count_rows(database, SocialAccount) == 0


def test_a_callback_without_code_or_error_is_a_400(
    client: TestClient[Litestar], database: TestDatabase, agency: Agency, owner: str
) -> None:
    started = start(client, agency, owner)

    assert_problem(call_back(client, state=started.state), 400, code="oauth_denied", field="code")
    assert count_rows(database, SocialAccount) == 0


def test_a_token_endpoint_refusal_is_a_502_naming_the_network_and_error_without_secrets(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    server.prepend(
        Route(
            "POST",
            "/oauth/token",
            status=400,
            json={"error": "invalid_grant", "error_description": f"Authorization code {CODE} was already redeemed"},
        )
    )
    started = start(client, agency, owner)
    verifier = decrypt(client, state_row(database, started.body["id"]).code_verifier_encrypted)["code_verifier"]

    response = call_back(client, code=CODE, state=started.state)

    problem = assert_problem(response, 502, code="oauth_token_error")
    assert "parley" in problem["detail"]
    assert "invalid_grant" in problem["detail"]
    assert "already redeemed" in problem["detail"]
    assert (problem["network"], problem["oauth_error"]) == ("parley", "invalid_grant")
    for secret in (CODE, CLIENT_SECRET, verifier, started.state):
        assert secret not in response.text
    assert count_rows(database, SocialAccount) == 0
    assert state_row(database, started.body["id"]).used_at is not None  # marked with the outcome
    assert_problem(call_back(client, code=CODE, state=started.state), 400, code="oauth_state_used")


def test_an_unreachable_token_endpoint_is_a_502(database: TestDatabase, server: FixtureServer) -> None:
    app = oauth_app(database, server, oauth_clients=clients_setting(server, token_url="http://127.0.0.1:9/token"))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        agency = sign_up(test_client)
        started = start(test_client, agency, create_client(test_client, agency)["id"])
        response = call_back(test_client, code=CODE, state=started.state)

    problem = assert_problem(response, 502, code="oauth_token_error")
    assert problem["oauth_error"] == "unreachable"
    assert count_rows(database, SocialAccount) == 0


def test_the_whole_flow_logs_no_secret(
    client: TestClient[Litestar],
    database: TestDatabase,
    server: FixtureServer,
    agency: Agency,
    owner: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server.prepend(Route("POST", "/oauth/token", status=400, json={"error": "invalid_grant"}, times=1))
    failed = start(client, agency, owner)
    call_back(client, code=CODE, state=failed.state)
    connected = connect(client, server, agency, owner)
    assert connected["status"] == "connected"

    ours = [record for record in caplog.records if record.name.startswith("resonance")]
    assert any(record.name == "resonance.oauth" for record in ours)  # the refusal was logged, without secrets
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in ours)
    for secret in (*SECRETS, failed.state):
        assert secret not in logged


# --- reconnecting -------------------------------------------------------------------------------------


def test_reconnecting_a_needs_reauth_account_clears_its_status_and_replaces_its_tokens(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    account_id = connect(client, server, agency, owner)["account_id"]
    accounts = table(SocialAccount)
    with owner_connection(database) as connection:
        connection.execute(
            update(accounts)
            .where(accounts.c.id == uuid.UUID(account_id))
            .values(status="needs_reauth", status_reason="parley refused the credentials")
        )

    server.prepend(Route("POST", "/oauth/token", json=token_answer(access_token=NEW_ACCESS_TOKEN), times=1))
    started = start(client, agency, owner, handle=None, account_id=account_id)
    assert started.body["network"] == "parley"
    response = call_back(client, code=CODE, state=started.state)

    assert response.status_code == 200, response.text
    assert response.json()["account_id"] == account_id
    account = client.get(f"/v1/accounts/{account_id}", headers=agency.headers).json()
    assert (account["status"], account["status_reason"]) == ("active", None)
    assert count_rows(database, SocialAccount) == 1
    assert decrypt(client, account_row(database, account_id).credentials_encrypted)["access_token"] == NEW_ACCESS_TOKEN
    assert "account.reconnected" in [entry.action for entry in audit_rows(database, agency.tenant_id)]


def test_reconnecting_checks_the_account(
    client: TestClient[Litestar], server: FixtureServer, agency: Agency, owner: str
) -> None:
    account_id = connect(client, server, agency, owner)["account_id"]
    other_client = create_client(client, agency, "Other client")["id"]

    def attempt(client_id: str, **body: Any) -> Any:
        return client.post(
            f"/v1/clients/{client_id}/oauth/authorizations",
            json={"network": "parley", "account_id": account_id, **body},
            headers=agency.headers,
        )

    assert "another client" in assert_problem(attempt(other_client), 422, field="account_id")["detail"]
    assert "murmur" in assert_problem(attempt(owner, network="murmur"), 422, field="account_id")["detail"]
    assert_problem(attempt(owner, handle="someone_else"), 422, field="handle")
    assert_problem(attempt(owner, account_id=str(uuid.uuid4())), 404, code="not_found", field="account_id")


# --- tenancy ------------------------------------------------------------------------------------------


def test_another_agency_cannot_start_an_authorization_for_this_agencys_client_or_account(
    client: TestClient[Litestar], server: FixtureServer, agency: Agency, other_agency: Agency, owner: str
) -> None:
    account_id = connect(client, server, agency, owner)["account_id"]
    their_client = create_client(client, other_agency, "Their client")["id"]

    on_our_client = client.post(
        f"/v1/clients/{owner}/oauth/authorizations",
        json={"network": "parley", "handle": "intruder"},
        headers=other_agency.headers,
    )
    on_our_account = client.post(
        f"/v1/clients/{their_client}/oauth/authorizations",
        json={"network": "parley", "account_id": account_id},
        headers=other_agency.headers,
    )

    assert_problem(on_our_client, 404, code="not_found", field="client_id")
    assert_problem(on_our_account, 404, code="not_found", field="account_id")


def test_the_state_is_bound_to_its_agency(
    client: TestClient[Litestar],
    database: TestDatabase,
    server: FixtureServer,
    agency: Agency,
    other_agency: Agency,
    owner: str,
) -> None:
    their_client = create_client(client, other_agency, "Their client")["id"]
    server.prepend(Route("POST", "/oauth/token", json=token_answer()))
    ours = start(client, agency, owner, handle="ours")
    theirs = start(client, other_agency, their_client, handle="theirs")

    our_account = call_back(client, code=CODE, state=ours.state).json()["account_id"]
    their_account = call_back(client, code=CODE, state=theirs.state).json()["account_id"]

    assert account_row(database, our_account).tenant_id == uuid.UUID(agency.tenant_id)
    assert account_row(database, their_account).tenant_id == uuid.UUID(other_agency.tenant_id)
    assert client.get(f"/v1/accounts/{our_account}", headers=other_agency.headers).status_code == 404
    assert client.get(f"/v1/accounts/{their_account}", headers=agency.headers).status_code == 404
    assert [
        a["handle"] for a in client.get(f"/v1/clients/{owner}/accounts", headers=agency.headers).json()["data"]
    ] == ["ours"]


# --- refresh before a sync ----------------------------------------------------------------------------


def settings_for(server: FixtureServer, **parley: Any) -> Settings:
    return Settings(environment="test", public_url=PUBLIC_URL, oauth_clients=clients_setting(server, **parley))


async def test_refresh_if_expiring_renews_only_a_token_about_to_expire(server: FixtureServer) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    settings = settings_for(server)
    server.prepend(Route("POST", "/oauth/token", json=token_answer(access_token=NEW_ACCESS_TOKEN, refresh_token=None)))
    stored = {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "scope": PARLEY_SCOPES,
        "token_type": "bearer",
    }

    later = {**stored, "expires_at": (now + timedelta(minutes=6)).isoformat()}
    assert await flow.refresh_if_expiring(later, ParleyConnector, settings, now) == later
    without_refresh = {"access_token": ACCESS_TOKEN, "expires_at": now.isoformat()}
    assert await flow.refresh_if_expiring(without_refresh, ParleyConnector, settings, now) == without_refresh
    unknown_expiry = dict(stored)
    assert await flow.refresh_if_expiring(unknown_expiry, ParleyConnector, settings, now) == unknown_expiry
    unconfigured = {**stored, "expires_at": now.isoformat()}
    assert await flow.refresh_if_expiring(unconfigured, MurmurConnector, Settings(environment="test"), now) == (
        unconfigured
    )
    assert server.requests_to("/oauth/token") == []

    soon = {**stored, "expires_at": (now + timedelta(minutes=4)).isoformat()}
    renewed = await flow.refresh_if_expiring(soon, ParleyConnector, settings, now)

    assert renewed == {
        **stored,
        "access_token": NEW_ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,  # kept: the answer had none
        "expires_at": (now + timedelta(hours=1)).isoformat(),
    }
    (refresh,) = server.requests_to("/oauth/token")
    assert form_of(refresh) == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": "parley-client",
    }
    assert refresh.headers["authorization"].startswith("Basic ")


async def test_refresh_if_expiring_turns_refusals_into_connector_errors(server: FixtureServer) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    expired = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "expires_at": now.isoformat()}
    server.prepend(Route("POST", "/oauth/token", status=400, json={"error": "invalid_grant"}, times=1))
    with pytest.raises(AuthenticationError, match="invalid_grant") as refused:
        await flow.refresh_if_expiring(expired, ParleyConnector, settings_for(server), now)
    assert REFRESH_TOKEN not in str(refused.value)

    server.prepend(Route("POST", "/oauth/token", status=503, body="<html>down</html>", times=1))
    with pytest.raises(TransientError, match="http_503"):
        await flow.refresh_if_expiring(expired, ParleyConnector, settings_for(server), now)


def queue_sync(client: TestClient[Litestar], agency: Agency, account_id: str) -> str:
    today = datetime.now(UTC).date()
    response = client.post(
        f"/v1/accounts/{account_id}/syncs",
        json={"since": (today - timedelta(days=1)).isoformat(), "until": today.isoformat()},
        headers=agency.headers,
    )
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    return run_id


def test_a_sync_renews_an_expiring_token_first_and_stores_it_encrypted(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    account_id = connect(client, server, agency, owner, token={"expires_in": 120})["account_id"]
    today = datetime.now(UTC).date().isoformat()
    server.prepend(Route("GET", "/api/me", json={"as_of": today, "fans": 1234}))
    server.prepend(
        Route("POST", "/oauth/token", json=token_answer(access_token=NEW_ACCESS_TOKEN, refresh_token=None), times=1)
    )

    run_id = queue_sync(client, agency, account_id)
    run_syncs(client)

    run = client.get(f"/v1/syncs/{run_id}", headers=agency.headers).json()
    assert run["status"] == "succeeded", run
    assert run["metrics_count"] == 1
    refresh = server.requests_to("/oauth/token")[-1]
    assert form_of(refresh)["grant_type"] == "refresh_token"
    assert form_of(refresh)["refresh_token"] == REFRESH_TOKEN
    (call,) = server.requests_to("/api/me")
    assert call.headers["authorization"] == f"Bearer {NEW_ACCESS_TOKEN}"
    stored = account_row(database, account_id).credentials_encrypted
    assert NEW_ACCESS_TOKEN not in stored
    credentials = decrypt(client, stored)
    assert (credentials["access_token"], credentials["refresh_token"]) == (NEW_ACCESS_TOKEN, REFRESH_TOKEN)
    assert datetime.fromisoformat(credentials["expires_at"]) > datetime.now(UTC) + timedelta(minutes=55)


def test_a_sync_with_a_fresh_token_does_not_refresh(
    client: TestClient[Litestar], server: FixtureServer, agency: Agency, owner: str
) -> None:
    account_id = connect(client, server, agency, owner)["account_id"]
    server.prepend(Route("GET", "/api/me", json={"as_of": datetime.now(UTC).date().isoformat(), "fans": 1}))

    run_id = queue_sync(client, agency, account_id)
    run_syncs(client)

    assert client.get(f"/v1/syncs/{run_id}", headers=agency.headers).json()["status"] == "succeeded"
    assert len(server.requests_to("/oauth/token")) == 1  # the code exchange only
    assert server.requests_to("/api/me")[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_a_refused_refresh_marks_the_account_needs_reauth_and_reconnecting_clears_it(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    account_id = connect(client, server, agency, owner, token={"expires_in": 60})["account_id"]
    stored_before = account_row(database, account_id).credentials_encrypted
    server.prepend(
        Route(
            "POST",
            "/oauth/token",
            status=400,
            json={"error": "invalid_grant", "error_description": "Refresh token revoked by the user"},
            times=1,
        )
    )

    run_id = queue_sync(client, agency, account_id)
    run_syncs(client)

    run = client.get(f"/v1/syncs/{run_id}", headers=agency.headers).json()
    assert run["status"] == "failed"
    assert "invalid_grant" in run["error"]
    account = client.get(f"/v1/accounts/{account_id}", headers=agency.headers).json()
    assert account["status"] == "needs_reauth"
    assert "invalid_grant" in account["status_reason"]
    assert "reconnect" in account["status_reason"]
    assert REFRESH_TOKEN not in account["status_reason"]
    assert server.requests_to("/api/me") == []
    assert account_row(database, account_id).credentials_encrypted == stored_before

    server.prepend(Route("POST", "/oauth/token", json=token_answer(access_token=NEW_ACCESS_TOKEN), times=1))
    started = start(client, agency, owner, handle=None, account_id=account_id)
    assert call_back(client, code=CODE, state=started.state).status_code == 200
    account = client.get(f"/v1/accounts/{account_id}", headers=agency.headers).json()
    assert (account["status"], account["status_reason"]) == ("active", None)


def test_a_refresh_refused_because_another_run_renewed_first_uses_the_tokens_it_stored(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    """Networks that rotate refresh tokens refuse the old one: a slower concurrent run must not flag the account."""
    account_id = connect(client, server, agency, owner, token={"expires_in": 60})["account_id"]
    stale = decrypt(client, account_row(database, account_id).credentials_encrypted)
    expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    fresh = {**stale, "access_token": NEW_ACCESS_TOKEN, "refresh_token": "rt-2-rotated", "expires_at": expires}
    accounts = table(SocialAccount)
    with owner_connection(database) as connection:  # what the faster run stored
        connection.execute(
            update(accounts)
            .where(accounts.c.id == uuid.UUID(account_id))
            .values(credentials_encrypted=client.app.state.services.vault.encrypt(fresh))
        )
    server.prepend(Route("POST", "/oauth/token", status=400, json={"error": "invalid_grant"}))
    services = client.app.state.services

    def renew(credentials: dict[str, Any]) -> Any:
        call = functools.partial(
            renew_for_sync,
            services.database,
            services.vault,
            services.settings,
            tenant_id=uuid.UUID(agency.tenant_id),
            account_id=uuid.UUID(account_id),
            connector=ParleyConnector,
            credentials=credentials,
        )
        with client.portal() as portal:
            return portal.call(call)

    assert renew(stale) == fresh
    with pytest.raises(AuthenticationError, match="invalid_grant"):
        renew({**fresh, "expires_at": stale["expires_at"]})  # the stored refresh token itself is refused


# --- settings and documentation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ('["parley"]', "must be a JSON object"),
        ('{"parley": "id"}', "must be an object"),
        ('{"parley": {"client_secret": "hunter2-secret"}}', "has no client_id"),
        ('{"parley": {"client_id": ""}}', "has no client_id"),
        ('{"parley": {"client_id": "a", "clientsecret": "hunter2-secret"}}', "unknown key(s) clientsecret"),
        ('{"parley": {"client_id": "a", "token_url": "ftp://x"}}', "token_url that is not"),
        ('{"parley": {"client_id": "a", "token_endpoint_auth_method": "jwt"}}', "token_endpoint_auth_method"),
        ('{"parley": {"client_id": "a", "scopes": "read"}}', "scopes"),
    ],
)
def test_a_bad_oauth_clients_setting_is_a_settings_error_naming_it(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        create_app(make_settings(database, oauth_clients=value))
    message = str(raised.value)
    assert "RESONANCE_OAUTH_CLIENTS" in message
    assert expected in message
    assert "hunter2-secret" not in message

    monkeypatch.setenv("RESONANCE_OAUTH_CLIENTS", value)
    with pytest.raises(SettingsError, match="RESONANCE_OAUTH_CLIENTS"):
        Settings().validate()


def test_the_oauth_settings_are_read_from_the_environment_and_keep_secrets_out_of_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RESONANCE_PUBLIC_URL", "https://api.agency.example/")
    monkeypatch.setenv("RESONANCE_OAUTH_CLIENTS", '{"x": {"client_id": "x-app", "client_secret": "hunter2-secret"}}')

    settings = Settings()
    settings.validate()

    assert flow.redirect_uri(settings) == "https://api.agency.example/v1/oauth/callback"
    client = settings.oauth_client_configs()["x"]
    assert (client.client_id, client.client_secret, client.token_endpoint_auth_method) == (
        "x-app",
        "hunter2-secret",
        "client_secret_basic",
    )
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in repr(client)
    monkeypatch.delenv("RESONANCE_PUBLIC_URL")
    assert flow.redirect_uri(Settings()) == "http://127.0.0.1:8000/v1/oauth/callback"


def test_a_bad_public_url_is_a_settings_error(database: TestDatabase) -> None:
    with pytest.raises(SettingsError, match="RESONANCE_PUBLIC_URL"):
        create_app(make_settings(database, public_url="resonance.example.com"))


def test_the_callback_is_documented_as_public(client: TestClient[Litestar]) -> None:
    document = client.get("/docs/openapi.json").json()

    callback = document["paths"]["/v1/oauth/callback"]["get"]
    assert callback["security"] == []
    assert {"200", "303", "400", "502"} <= set(callback["responses"])
    assert "401" not in callback["responses"]
    start_op = document["paths"]["/v1/clients/{client_id}/oauth/authorizations"]["post"]
    assert "201" in start_op["responses"]


# --- the connector makes the credentials ------------------------------------------------------------


def whoami(server: FixtureServer, **answer: Any) -> None:
    """Chorus's `GET /whoami` (under its base URL override) answers `answer` once."""
    server.prepend(Route("GET", "/chorus-api/whoami", json=answer, times=1))


def start_chorus(
    client: TestClient[Litestar], server: FixtureServer, agency: Agency, owner: str, **body: Any
) -> Started:
    server.prepend(Route("POST", "/chorus/token", json=token_answer(scope="read"), times=1))
    return start(client, agency, owner, network="chorus", **body)


def test_the_connector_turns_the_token_into_its_own_credentials_with_the_operators_app_and_base_url(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    whoami(server, handle="martin_bakery", user_id=4242)
    started = start_chorus(client, server, agency, owner)
    assert "app_key" in started.query  # the network's name for the client
    assert "client_id" not in started.query

    response = call_back(client, code=CODE, state=started.state)

    assert response.status_code == 200, response.text
    credentials = decrypt(client, account_row(database, response.json()["account_id"]).credentials_encrypted)
    assert datetime.fromisoformat(credentials.pop("expires_at")) > datetime.now(UTC) + timedelta(minutes=59)
    assert credentials == {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "scope": "read",
        "token_type": "bearer",
        "user_id": "4242",
    }, "what the connector made, never the operator's app"
    (exchange,) = server.requests_to("/chorus/token")
    form = form_of(exchange)
    assert (form["app_key"], form["client_secret"]) == ("chorus-app", CHORUS_SECRET)  # client_auth="body"
    assert "client_id" not in form
    assert "authorization" not in exchange.headers
    (asked,) = server.requests_to("/chorus-api/whoami")  # the operator's base URL override
    assert asked.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert asked.query == {"app": ["chorus-app"], "external_id": [""]}  # the operator's app, the new account


def test_a_connector_that_cannot_set_the_account_up_is_a_502_naming_the_network_without_secrets(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    whoami(server, handle="someone_else", user_id=7)
    started = start_chorus(client, server, agency, owner)

    response = call_back(client, code=CODE, state=started.state)

    problem = assert_problem(response, 502, code="oauth_account_setup_failed")
    assert (problem["network"], problem["error"]) == ("chorus", "account_setup_failed")
    assert problem["detail"].startswith("chorus granted access, but the account could not be set up: chorus: token")
    assert "belongs to @someone_else, not @martin_bakery" in problem["detail"]
    assert "[redacted]" in problem["detail"]  # the connector quoted the token; the API did not
    assert response.headers["cache-control"] == "no-store"
    for secret in (*SECRETS, started.state):
        assert secret not in response.text
    assert count_rows(database, SocialAccount) == 0
    assert state_row(database, started.body["id"]).used_at is not None
    assert_problem(call_back(client, code=CODE, state=started.state), 400, code="oauth_state_used")
    failed = [entry for entry in audit_rows(database, agency.tenant_id) if entry.action == "oauth.account_setup_failed"]
    assert [entry.changes for entry in failed] == [{"network": "chorus", "error": "ConnectorError"}]


def test_a_setup_failure_sends_the_user_back_to_redirect_after_with_the_reason(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    whoami(server, handle="someone_else", user_id=7)
    started = start_chorus(client, server, agency, owner, redirect_after="https://portal.agency.example/done")

    response = call_back(client, code=CODE, state=started.state)

    assert response.status_code == 303
    outcome = query_of(response.headers["location"])
    assert (outcome["status"], outcome["error"]) == ("error", "account_setup_failed")
    assert "not @martin_bakery" in outcome["error_description"]
    assert ACCESS_TOKEN not in response.headers["location"]
    assert count_rows(database, SocialAccount) == 0


@pytest.mark.parametrize(
    ("answer", "said", "error"),
    [
        (
            {"handle": "martin_bakery", "user_id": "not-a-number"},
            "schema refuses (credentials.user_id)",
            "InvalidCredentials",
        ),
        ({"handle": "martin_bakery", "explode": True}, "failed unexpectedly (RuntimeError)", "RuntimeError"),
    ],
    ids=["credentials its schema refuses", "an unexpected exception"],
)
def test_a_connector_bug_is_a_502_too_and_uses_up_the_state(
    client: TestClient[Litestar],
    database: TestDatabase,
    server: FixtureServer,
    agency: Agency,
    owner: str,
    caplog: pytest.LogCaptureFixture,
    answer: dict[str, Any],
    said: str,
    error: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    whoami(server, **answer)
    started = start_chorus(client, server, agency, owner)

    response = call_back(client, code=CODE, state=started.state)

    problem = assert_problem(response, 502, code="oauth_account_setup_failed")
    assert said in problem["detail"]
    assert count_rows(database, SocialAccount) == 0
    assert state_row(database, started.body["id"]).used_at is not None
    audited = [entry.changes for entry in audit_rows(database, agency.tenant_id)]
    assert {"network": "chorus", "error": error} in audited
    ours = [record for record in caplog.records if record.name.startswith("resonance")]
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in ours)
    for secret in SECRETS:
        assert secret not in logged


def test_reconnecting_gives_the_connector_the_accounts_external_id(
    client: TestClient[Litestar], database: TestDatabase, server: FixtureServer, agency: Agency, owner: str
) -> None:
    created = client.post(
        f"/v1/clients/{owner}/accounts",
        json={
            "network": "chorus",
            "handle": "martin_bakery",
            "external_id": "4242",
            "credentials": {"access_token": "typed-in-token", "user_id": "4242"},
        },
        headers=agency.headers,
    )
    assert created.status_code == 201, created.text
    whoami(server, handle="martin_bakery", user_id=4242)
    started = start_chorus(client, server, agency, owner, handle=None, account_id=created.json()["id"])

    response = call_back(client, code=CODE, state=started.state)

    assert response.status_code == 200, response.text
    (asked,) = server.requests_to("/chorus-api/whoami")
    assert asked.query["external_id"] == ["4242"]
    stored = decrypt(client, account_row(database, created.json()["id"]).credentials_encrypted)
    assert (stored["access_token"], stored["user_id"]) == (ACCESS_TOKEN, "4242")


# --- end to end: an X account, from the consent page to a sync -------------------------------------

X_CLIENT_SECRET = "x-app-s3cret-value"
X_ACCESS_TOKEN = "x-user-access-VGhpcyBpcyBhIHRva2Vu"
X_REFRESH_TOKEN = "x-user-refresh-cmVmcmVzaA"
X_WINDOW = {"since": "2025-03-10", "until": "2025-03-12"}


def x_routes() -> list[Route]:
    """X's token endpoint (the code exchange) and the recorded X API v2 answers of the conformance suite."""
    exchange = {
        "token_type": "bearer",
        "expires_in": 7200,
        "access_token": X_ACCESS_TOKEN,
        "scope": "tweet.read users.read offline.access",
        "refresh_token": X_REFRESH_TOKEN,
    }
    recorded = test_x_conformance.TestXConformance().routes()
    return [Route("POST", "/oauth2/token", json=exchange, times=1), *recorded]


@pytest.fixture
def x_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FixtureServer]:
    """A local X: the token endpoint and the API, both under the operator's override; "today" in the window."""
    monkeypatch.setattr(x_connector, "today", lambda: date(2025, 3, 12))
    with serving(x_routes()) as running:
        yield running


def x_app(database: TestDatabase, server: FixtureServer) -> Litestar:
    clients = {
        "x": {"client_id": "x-client", "client_secret": X_CLIENT_SECRET, "token_url": f"{server.base_url}/oauth2/token"}
    }
    settings = make_settings(
        database, public_url=PUBLIC_URL, oauth_clients=json.dumps(clients), connector_base_urls=f"x={server.base_url}"
    )
    return create_app(settings)


def onboard_and_sync_x(client: TestClient[Litestar], agency: Agency) -> tuple[str, dict[str, Any]]:
    """Connect @XDevelopers through X's consent page and the callback, then sync X_WINDOW: (account id, run)."""
    owner = create_client(client, agency)["id"]
    started = start(client, agency, owner, network="x", handle="XDevelopers")
    assert started.query["code_challenge_method"] == "S256"
    connected = call_back(client, code=CODE, state=started.state)
    assert connected.status_code == 200, connected.text
    account_id: str = connected.json()["account_id"]

    sync = client.post(f"/v1/accounts/{account_id}/syncs", json=X_WINDOW, headers=agency.headers)
    assert sync.status_code == 202, sync.text
    assert run_syncs(client) == 1
    run: dict[str, Any] = client.get(f"/v1/syncs/{sync.json()['id']}", headers=agency.headers).json()
    return account_id, run


def test_an_x_account_connected_through_oauth_syncs_through_the_api(
    database: TestDatabase, x_server: FixtureServer
) -> None:
    with TestClient(x_app(database, x_server), raise_server_exceptions=False) as client:
        agency = sign_up(client)
        account_id, run = onboard_and_sync_x(client, agency)
        posts = client.get(f"/v1/accounts/{account_id}/posts", params={"limit": 200}, headers=agency.headers).json()
        stored = decrypt(client, account_row(database, account_id).credentials_encrypted)
        echoed = client.patch(f"/v1/accounts/{account_id}", json={"credentials": stored}, headers=agency.headers)

    assert (run["status"], run["error"], run["rejected_count"]) == ("succeeded", None, 0), run
    assert run["posts_count"] == 5
    assert run["metrics_count"] > 0
    assert len(posts["data"]) == 5
    assert set(stored) == {"access_token", "refresh_token", "expires_at", "scope", "token_type"}
    jsonschema.validate(stored, dict(XConnector.credentials_schema))
    assert echoed.status_code == 200, echoed.text  # the stored shape is what the connector's schema accepts
    api_calls = [served for served in x_server.log if served.path != "/oauth2/token"]
    assert api_calls
    assert all(served.headers["authorization"] == f"Bearer {X_ACCESS_TOKEN}" for served in api_calls)
    (exchange,) = x_server.requests_to("/oauth2/token")
    assert form_of(exchange)["code"] == CODE


def test_an_x_token_refused_mid_sync_is_refreshed_with_the_operators_app_which_is_never_stored(
    database: TestDatabase, x_server: FixtureServer
) -> None:
    refreshed = test_x_conformance.fixture("token_refreshed.json")
    x_server.routes.insert(1, Route("POST", "/oauth2/token", json=refreshed, times=1))  # after the code exchange
    x_server.prepend(
        Route(
            "GET",
            "/users/by/username/XDevelopers",
            status=401,
            json=test_x_conformance.fixture("error_unauthorized.json"),
            times=1,
        )
    )
    with TestClient(x_app(database, x_server), raise_server_exceptions=False) as client:
        agency = sign_up(client)
        account_id, run = onboard_and_sync_x(client, agency)
        stored = decrypt(client, account_row(database, account_id).credentials_encrypted)

    assert run["status"] == "succeeded", run
    exchange, refresh = x_server.requests_to("/oauth2/token")
    assert form_of(exchange)["grant_type"] == "authorization_code"
    assert form_of(refresh) == {
        "grant_type": "refresh_token",
        "refresh_token": X_REFRESH_TOKEN,
        "client_id": "x-client",
    }
    basic = base64.b64encode(f"x-client:{X_CLIENT_SECRET}".encode()).decode()
    assert refresh.headers["authorization"] == f"Basic {basic}"
    assert (stored["access_token"], stored["refresh_token"]) == (refreshed["access_token"], refreshed["refresh_token"])
    assert not {"client_id", "client_secret"} & set(stored)
    assert X_CLIENT_SECRET not in json.dumps(stored)
    jsonschema.validate(stored, dict(XConnector.credentials_schema))


# --- the plan's tracked-account quota ---------------------------------------------------------------------

ONE_ACCOUNT_PLAN = json.dumps({"solo": {"name": "Solo", "quotas": {"tracked_accounts": 1}}})


@pytest.fixture
def solo(database: TestDatabase, server: FixtureServer) -> Iterator[TestClient[Litestar]]:
    """The OAuth app on a plan that tracks one account."""
    app = oauth_app(database, server, plans_config=ONE_ACCOUNT_PLAN, default_plan="solo")
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_starting_to_connect_an_account_past_the_quota_is_402_before_the_user_consents(
    solo: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(solo)
    owner = create_client(solo, agency)["id"]
    solo.post(f"/v1/clients/{owner}/accounts", json={"network": "demo", "handle": "one"}, headers=agency.headers)

    response = solo.post(
        f"/v1/clients/{owner}/oauth/authorizations",
        json={"network": "parley", "handle": "martin_bakery"},
        headers=agency.headers,
    )

    body = assert_problem(response, 402, code="quota_exceeded", field="tracked_accounts")
    assert (body["usage"], body["limit"], body["plan"]) == (1, 1, "solo")
    assert count_rows(database, OAuthState) == 0


@pytest.mark.parametrize("redirect", [False, True])
def test_a_callback_finding_the_quota_full_connects_nothing_and_says_why(
    solo: TestClient[Litestar], database: TestDatabase, server: FixtureServer, redirect: bool
) -> None:
    agency = sign_up(solo)
    owner = create_client(solo, agency)["id"]
    server.prepend(Route("POST", "/oauth/token", json=token_answer(), times=1))
    extra = {"redirect_after": "https://portal.agency.example/done"} if redirect else {}
    started = start(solo, agency, owner, **extra)
    # The slot is taken while the user is at the network's consent page.
    solo.post(f"/v1/clients/{owner}/accounts", json={"network": "demo", "handle": "one"}, headers=agency.headers)

    response = call_back(solo, code=CODE, state=started.state)

    if redirect:
        assert response.status_code == 303
        query = query_of(response.headers["location"])
        assert (query["status"], query["error"]) == ("error", "quota_exceeded")
        assert "Solo plan allows 1 tracked account" in query["error_description"]
    else:
        body = assert_problem(response, 402, code="quota_exceeded", field="tracked_accounts")
        assert response.headers["cache-control"] == "no-store"
        assert body["usage"] == 1
    assert count_rows(database, SocialAccount, network="parley") == 0
    assert state_row(database, started.body["id"]).used_at is not None
    assert "oauth.quota_exceeded" in {row.action for row in audit_rows(database, agency.tenant_id)}
