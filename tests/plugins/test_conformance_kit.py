"""The conformance kit: a correct connector passes every standard test, and each kind of mistake fails one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from typing import Any

import pytest

from plugins.sdk import AccountRef, Checkpoint, MetricPoint, Record, Window
from plugins.sdk.testing import ConnectorConformance, Route
from tests.plugins_fixtures.chirp_connector import ChirpConnector

POSTS_PAGE_1 = {
    "posts": [{"id": "p1", "at": "2026-03-02T09:00:00+00:00", "text": "hello", "likes": 3}],
    "next": "c2",
}
POSTS_PAGE_2 = {"posts": [{"id": "p2", "at": "2026-03-03T10:30:00+00:00", "text": "again", "likes": 5}]}


class ChirpSuite(ConnectorConformance):
    connector = ChirpConnector
    account = AccountRef(handle="chirpy", credentials={"token": "good-token-123"})
    window = Window(since=date(2026, 3, 1), until=date(2026, 3, 31))
    bad_credentials = {"token": "revoked-token-456"}
    paginated_path = "/posts"

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/me", json={"fans": 120, "as_of": "2026-03-31"}),
            Route("GET", "/posts", query={"cursor": "c2"}, json=POSTS_PAGE_2),
            Route("GET", "/posts", json=POSTS_PAGE_1),
        ]

    def bad_credentials_routes(self) -> list[Route]:
        return [Route("GET", "/me", status=401, json={"error": "invalid_token"})]


class TestChirpConformance(ChirpSuite):
    """The kit runs on the sample connector: every standard test passes."""


STANDARD_TESTS = sorted(name for name in dir(ConnectorConformance) if name.startswith("test_"))


def _run(suite: ConnectorConformance, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from resonance_sdk import _http
    from resonance_sdk.testing._conformance import _no_wait

    monkeypatch.setattr(_http, "sleep_for", _no_wait)
    getattr(suite, name)()


def test_the_kit_has_the_standard_tests_the_guide_lists() -> None:
    assert STANDARD_TESTS == [
        "test_check_accepts_the_recorded_credentials",
        "test_check_refuses_bad_credentials_cleanly",
        "test_credentials_schema_is_valid_and_marks_secrets",
        "test_declared_metrics_map_to_the_catalogue",
        "test_fetch_follows_pagination",
        "test_fetch_yields_valid_records",
        "test_malformed_body_is_a_bad_response_naming_the_network",
        "test_metadata_is_complete",
        "test_no_request_leaves_the_base_url",
        "test_only_declared_metrics_are_yielded",
        "test_rate_limited_request_is_retried",
        "test_rerun_is_idempotent",
        "test_resume_from_a_checkpoint_yields_the_rest",
        "test_server_error_is_retried",
    ]


class UnmarkedSecret(ChirpConnector):
    credentials_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {"token": {"type": "string"}},
        "additionalProperties": False,
    }


class UndeclaredMetric(ChirpConnector):
    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        async for record in super().fetch(account, window, state):
            yield record
        yield MetricPoint(native_metric="mystery", day=window.since, value=1)


class NoCheckpoints(ChirpConnector):
    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        async for record in super().fetch(account, window, state):
            if not isinstance(record, Checkpoint):
                yield record


class FirstPageOnly(ChirpConnector):
    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        async for record in super().fetch(account, window, state):
            if isinstance(record, Checkpoint):
                return
            yield record


class IgnoresResumeState(ChirpConnector):
    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        async for record in super().fetch(account, window, {}):
            yield record
        if state:
            yield MetricPoint(native_metric="likes", day=window.until, value=999)


@pytest.mark.parametrize(
    ("broken", "failing_test"),
    [
        (UnmarkedSecret, "test_credentials_schema_is_valid_and_marks_secrets"),
        (UndeclaredMetric, "test_only_declared_metrics_are_yielded"),
        (UndeclaredMetric, "test_fetch_yields_valid_records"),
        (NoCheckpoints, "test_resume_from_a_checkpoint_yields_the_rest"),
        (FirstPageOnly, "test_fetch_follows_pagination"),
        (IgnoresResumeState, "test_resume_from_a_checkpoint_yields_the_rest"),
    ],
)
def test_each_kind_of_mistake_fails_its_standard_test(
    broken: type[ChirpConnector], failing_test: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = ChirpSuite()
    monkeypatch.setattr(ChirpSuite, "connector", broken)
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        _run(suite, failing_test, monkeypatch)


def test_a_connector_that_does_not_retry_fails_the_rate_limit_test(monkeypatch: pytest.MonkeyPatch) -> None:
    from plugins.sdk import HttpPolicy

    class Impatient(ChirpConnector):
        def http(self, **options: Any) -> Any:
            return super().http(policy=HttpPolicy(max_attempts=1), **options)

    suite = ChirpSuite()
    monkeypatch.setattr(ChirpSuite, "connector", Impatient)
    with pytest.raises(Exception, match=r"rate-limiting|answered 503"):
        _run(suite, "test_rate_limited_request_is_retried", monkeypatch)
