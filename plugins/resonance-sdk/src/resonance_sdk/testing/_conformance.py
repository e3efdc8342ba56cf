"""The standard suite every connector passes: subclass `ConnectorConformance` in your own tests."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import msgspec
import pytest

from resonance_sdk import _http
from resonance_sdk._catalog import CanonicalMetric, built_in_metrics
from resonance_sdk._connector import Connector
from resonance_sdk._errors import AuthenticationError, BadResponseError
from resonance_sdk._records import AccountRef, Checkpoint, MetricPoint, Post, Record, Window
from resonance_sdk._validation import RecordRejected, RecordValidator
from resonance_sdk.testing._server import FixtureServer, RecordingTransport, Route, serving

CAPABILITIES = {"account_metrics", "posts", "mentions", "public_data"}
SECRET_NAME = re.compile(r"token|secret|password|passwd|key|jwt", re.IGNORECASE)
CONNECTOR_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


async def _no_wait(_seconds: float) -> None:
    return None


def _encoded(records: list[Record]) -> list[bytes]:
    return [type(record).__name__.encode() + b":" + msgspec.json.encode(record) for record in records]


class ConnectorConformance:
    """Set the class attributes and `routes()`; every `test_*` below then runs against your connector.

    The suite serves your recorded responses from a local server and injects the failures a real
    network produces (a 429 with Retry-After, a 503, a malformed body) on `paginated_path`.
    """

    connector: ClassVar[type[Connector]]
    account: ClassVar[AccountRef]
    window: ClassVar[Window]
    bad_credentials: ClassVar[Mapping[str, Any]]
    paginated_path: ClassVar[str]
    base_path: ClassVar[str] = ""
    """Appended to the local server's URL to make the base URL (e.g. "/v24.0" if your routes include it)."""
    extra_metrics: ClassVar[tuple[CanonicalMetric, ...]] = ()
    """Canonical metrics your plugin adds to the catalogue through `resonance_metric_definitions`."""

    def routes(self) -> list[Route]:
        """Every response one `check()` with the account's credentials and one full `fetch()` need."""
        raise NotImplementedError("define routes() with the recorded responses of one full fetch")

    def bad_credentials_routes(self) -> list[Route]:
        """What the network answers `check()` with `bad_credentials` (typically a 401 with its error body)."""
        raise NotImplementedError("define bad_credentials_routes() with the network's answer to bad credentials")

    # -- helpers -------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _instant_waits(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_http, "sleep_for", _no_wait)

    def make_connector(self, server: FixtureServer, transport: RecordingTransport | None = None) -> Connector:
        """Your connector, pointed at the local server."""
        return self.connector(base_url=server.base_url + self.base_path, transport=transport)

    def collect(
        self,
        server: FixtureServer,
        *,
        state: Mapping[str, Any] | None = None,
        transport: RecordingTransport | None = None,
    ) -> list[Record]:
        """Every record of one fetch of the account over the window."""

        async def run() -> list[Record]:
            connector = self.make_connector(server, transport)
            return [record async for record in connector.fetch(self.account, self.window, dict(state or {}))]

        return asyncio.run(run())

    def clean_run(self) -> list[Record]:
        with serving(self.routes()) as server:
            return self.collect(server)

    # -- metadata ------------------------------------------------------------------------------

    def test_metadata_is_complete(self) -> None:
        connector = self.connector
        assert CONNECTOR_ID.match(connector.id), f"id {connector.id!r} must be lower_snake_case"
        assert connector.name.strip(), "name must not be empty"
        assert re.match(r"^\d+\.\d+(\.\d+)?", connector.version), f"version {connector.version!r} is not semver"
        assert connector.capabilities <= CAPABILITIES, f"unknown capabilities {connector.capabilities - CAPABILITIES}"
        assert connector.capabilities, "declare what the connector can fetch"
        assert connector.default_base_url, "declare default_base_url, the network's API base"
        assert connector.default_base_url.startswith("https://"), "default_base_url must be an https URL"

    def test_declared_metrics_map_to_the_catalogue(self) -> None:
        catalogue = {**built_in_metrics(), **{metric.id: metric for metric in self.extra_metrics}}
        natives = [declaration.native for declaration in self.connector.metrics]
        assert len(natives) == len(set(natives)), "a native metric is declared twice"
        for declaration in self.connector.metrics:
            assert declaration.canonical in catalogue, f"{declaration.native} maps to unknown {declaration.canonical}"
            assert declaration.unit, f"{declaration.native} has no unit"
            if declaration.replaced_by is not None:
                assert declaration.replaced_by in natives, f"{declaration.native} is replaced by an undeclared metric"
            if declaration.valid_from and declaration.valid_until:
                assert declaration.valid_from <= declaration.valid_until

    def test_credentials_schema_is_valid_and_marks_secrets(self) -> None:
        import jsonschema

        schema = dict(self.connector.credentials_schema)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema.get("type") == "object", "the credentials schema must describe an object"
        assert schema.get("additionalProperties") is False, "refuse unknown credential fields"
        for name, spec in schema.get("properties", {}).items():
            if SECRET_NAME.search(name) and not name.endswith(("_url", "_id", "_type")):  # token_type is no secret
                assert spec.get("writeOnly") is True, f"credential {name!r} looks secret: mark it writeOnly"
        jsonschema.validate(dict(self.account.credentials), schema)

    # -- check ---------------------------------------------------------------------------------

    def test_check_refuses_bad_credentials_cleanly(self) -> None:
        with serving(self.bad_credentials_routes()) as server:
            connector = self.make_connector(server)
            with pytest.raises(AuthenticationError) as refused:
                asyncio.run(connector.check(dict(self.bad_credentials)))
        message = str(refused.value)
        properties = dict(self.connector.credentials_schema).get("properties", {})
        for name, value in self.bad_credentials.items():
            if properties.get(name, {}).get("writeOnly") and isinstance(value, str) and value:
                assert value not in message, f"the error message must not contain the secret {name!r}"

    def test_check_accepts_the_recorded_credentials(self) -> None:
        with serving(self.routes()) as server:
            asyncio.run(self.make_connector(server).check(dict(self.account.credentials)))

    # -- fetch ---------------------------------------------------------------------------------

    def test_fetch_yields_valid_records(self) -> None:
        records = self.clean_run()
        data = [record for record in records if not isinstance(record, Checkpoint)]
        assert data, "the recorded responses should produce at least one record"
        validator = RecordValidator(self.connector, self.window)
        for number, record in enumerate(records, start=1):
            try:
                validator.check(record)
            except RecordRejected as error:
                pytest.fail(f"record #{number} ({type(record).__name__}): field {error.field_name} {error}")

    def test_only_declared_metrics_are_yielded(self) -> None:
        declared = set(self.connector.declared())
        for record in self.clean_run():
            if isinstance(record, MetricPoint):
                assert record.native_metric in declared, f"undeclared metric {record.native_metric}"
            if isinstance(record, Post):
                assert set(record.metrics) <= declared, f"undeclared post metrics {set(record.metrics) - declared}"

    def test_fetch_follows_pagination(self) -> None:
        with serving(self.routes()) as server:
            self.collect(server)
            pages = server.requests_to(self.paginated_path)
        assert len(pages) >= 2, f"expected two or more requests to {self.paginated_path}, got {len(pages)}"

    def test_rerun_is_idempotent(self) -> None:
        assert _encoded(self.clean_run()) == _encoded(self.clean_run())

    def test_rate_limited_request_is_retried(self) -> None:
        expected = _encoded(self.clean_run())
        with serving(self.routes()) as server:
            server.prepend(
                Route(
                    "GET",
                    self.paginated_path,
                    status=429,
                    headers={"Retry-After": "1"},
                    json={"error": "rate limited"},
                    times=1,
                )
            )
            server.prepend(
                Route(
                    "POST",
                    self.paginated_path,
                    status=429,
                    headers={"Retry-After": "1"},
                    json={"error": "rate limited"},
                    times=1,
                )
            )
            records = self.collect(server)
            retried = [served for served in server.requests_to(self.paginated_path)]
        assert _encoded(records) == expected
        assert len(retried) >= 3, "the 429 should have been followed by a retry"

    def test_server_error_is_retried(self) -> None:
        expected = _encoded(self.clean_run())
        with serving(self.routes()) as server:
            for method in ("GET", "POST"):
                server.prepend(Route(method, self.paginated_path, status=503, json={"error": "unavailable"}, times=1))
            records = self.collect(server)
        assert _encoded(records) == expected

    def test_malformed_body_is_a_bad_response_naming_the_network(self) -> None:
        with serving(self.routes()) as server:
            for method in ("GET", "POST"):
                server.prepend(
                    Route(
                        method,
                        self.paginated_path,
                        body="{this is not json",
                        headers={"Content-Type": "application/json"},
                    )
                )
            with pytest.raises(BadResponseError) as failure:
                self.collect(server)
        assert self.connector.id in str(failure.value)

    def test_resume_from_a_checkpoint_yields_the_rest(self) -> None:
        records = self.clean_run()
        positions = [index for index, record in enumerate(records) if isinstance(record, Checkpoint)]
        assert positions, "yield Checkpoint records so an interrupted sync can resume"
        middle = next(
            (
                index
                for index in positions
                if any(not isinstance(record, Checkpoint) for record in records[index + 1 :])
            ),
            positions[-1],
        )
        checkpoint = records[middle]
        assert isinstance(checkpoint, Checkpoint)
        rest = {item for item in _encoded(records[middle + 1 :]) if not item.startswith(b"Checkpoint:")}
        everything = set(_encoded(records))
        with serving(self.routes()) as server:
            resumed = set(_encoded(self.collect(server, state=checkpoint.state)))
        missing = rest - resumed
        assert not missing, f"resuming lost {len(missing)} record(s) yielded after the checkpoint"
        assert resumed <= everything, "resuming yielded records a full run does not"

    def test_no_request_leaves_the_base_url(self) -> None:
        transport = RecordingTransport()
        with serving(self.routes()) as server:
            self.collect(server, transport=transport)
            base = server.base_url
        assert transport.urls, "the connector must use self.http() (the SDK client) for its requests"
        outside = [url for url in transport.urls if not url.startswith(base)]
        assert not outside, f"requests outside the base URL: {outside}"
