"""The sync engine: idempotent writes, checkpoint resume, isolation of failures, validation of records."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from api.billing.metering import UsageEvent
from api.metrics.models import StoredMetricPoint
from api.sync.engine import SyncEngine
from tenants.ids import utcnow
from tests.conftest import Agency, run_syncs, sign_up
from tests.plugins_fixtures import flaky_connectors
from tests.plugins_fixtures.flaky_connectors import INVALID_RECORDS, Gate, views
from tests.sync.conftest import Owner, SyncHarness

DEMO_METRICS_PER_DAY = 14
JAN_1 = date(2026, 1, 1)


def day(n: int) -> date:
    """The n-th day of January 2026 (1-based)."""
    return JAN_1 + timedelta(days=n - 1)


def metric_values(points: dict[tuple[str, date], StoredMetricPoint]) -> dict[tuple[str, date], tuple[Any, ...]]:
    return {key: (row.value, row.native_metric, row.quality) for key, row in points.items()}


async def content(harness: SyncHarness, owner: Owner, account_id: Any) -> dict[str, Any]:
    """Everything stored for the account, without provenance (fetch times, run ids, row ids)."""
    posts = await harness.posts(owner, account_id)
    mentions = await harness.mentions(owner, account_id)
    return {
        "metrics": metric_values(await harness.metric_points(owner, account_id)),
        "posts": {
            key: (row.published_at, row.text, row.url, row.media_type, row.metrics, row.tags)
            for key, row in posts.items()
        },
        "mentions": {
            key: (row.published_at, row.text, row.author, row.url, row.language, row.kind, row.post_external_id)
            for key, row in mentions.items()
        },
    }


# --- idempotency -------------------------------------------------------------------------------------


async def test_syncing_the_same_window_twice_leaves_every_row_and_its_fetch_time_unchanged(
    harness: SyncHarness,
) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "demo", "idempotent-bakery")
    first = await harness.sync(owner, account, day(1), day(10))
    assert first.status == "succeeded", first.error
    points_before = await harness.metric_points(owner, account)
    posts_before = await harness.posts(owner, account)
    mentions_before = await harness.mentions(owner, account)
    assert len(points_before) == 10 * DEMO_METRICS_PER_DAY
    assert posts_before
    assert mentions_before

    second = await harness.sync(owner, account, day(1), day(10))
    assert second.status == "succeeded", second.error
    points_after = await harness.metric_points(owner, account)
    posts_after = await harness.posts(owner, account)
    mentions_after = await harness.mentions(owner, account)

    assert metric_values(points_after) == metric_values(points_before)
    assert {key: row.fetched_at for key, row in points_after.items()} == {
        key: row.fetched_at for key, row in points_before.items()
    }
    assert {row.sync_run_id for row in points_after.values()} == {first.id}
    assert {key: (row.id, row.fetched_at, row.text, row.metrics) for key, row in posts_after.items()} == {
        key: (row.id, row.fetched_at, row.text, row.metrics) for key, row in posts_before.items()
    }
    assert {key: (row.id, row.fetched_at, row.text) for key, row in mentions_after.items()} == {
        key: (row.id, row.fetched_at, row.text) for key, row in mentions_before.items()
    }
    # The second run still reports what it received.
    assert (second.metrics_count, second.posts_count, second.mentions_count) == (
        first.metrics_count,
        first.posts_count,
        first.mentions_count,
    )


async def test_a_resync_rewrites_only_the_rows_whose_content_changed(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_revision", "revised")
    first = await harness.sync(owner, account, day(1), day(5))
    assert first.status == "succeeded", first.error
    points_before = await harness.metric_points(owner, account)
    posts_before = await harness.posts(owner, account)
    mentions_before = await harness.mentions(owner, account)
    assert (len(points_before), len(posts_before), len(mentions_before)) == (5, 5, 5)

    await harness.update_account(owner, account, sync_settings={"revision": 7})
    second = await harness.sync(owner, account, day(1), day(5))
    assert second.status == "succeeded", second.error
    points_after = await harness.metric_points(owner, account)
    posts_after = await harness.posts(owner, account)
    mentions_after = await harness.mentions(owner, account)
    assert (len(points_after), len(posts_after), len(mentions_after)) == (5, 5, 5)

    changed_point = ("impressions", day(1))
    assert points_after[changed_point].value == views(day(1)) + 7
    assert points_after[changed_point].fetched_at > points_before[changed_point].fetched_at
    assert points_after[changed_point].sync_run_id == second.id
    changed_post, changed_mention = f"post-{day(1)}", f"mention-{day(1)}"
    assert posts_after[changed_post].text.endswith("(edit 7)")
    assert posts_after[changed_post].metrics == {"views": views(day(1)) + 7}
    assert posts_after[changed_post].fetched_at > posts_before[changed_post].fetched_at
    assert posts_after[changed_post].id == posts_before[changed_post].id
    assert mentions_after[changed_mention].text.endswith("(edit 7)")
    assert mentions_after[changed_mention].fetched_at > mentions_before[changed_mention].fetched_at

    for key, row in points_after.items():
        if key != changed_point:
            assert (row.value, row.fetched_at, row.sync_run_id) == (
                points_before[key].value,
                points_before[key].fetched_at,
                first.id,
            ), key
    for key, row in posts_after.items():
        if key != changed_post:
            assert (row.text, row.fetched_at) == (posts_before[key].text, posts_before[key].fetched_at), key
    for key, row in mentions_after.items():
        if key != changed_mention:
            assert (row.text, row.fetched_at) == (mentions_before[key].text, mentions_before[key].fetched_at), key


async def test_overlapping_windows_store_each_day_once_with_the_values_of_a_single_sync(
    harness: SyncHarness,
) -> None:
    owner, reference_owner = await harness.owner(), await harness.owner()
    account = await harness.account(owner, "demo", "overlapping-cafe")
    reference = await harness.account(reference_owner, "demo", "overlapping-cafe")
    for since, until in [(day(1), day(10)), (day(5), day(14)), (day(3), day(8))]:
        run = await harness.sync(owner, account, since, until)
        assert run.status == "succeeded", run.error
    clean = await harness.sync(reference_owner, reference, day(1), day(14))
    assert clean.status == "succeeded", clean.error

    stored = await content(harness, owner, account)
    expected = await content(harness, reference_owner, reference)
    assert len(stored["metrics"]) == 14 * DEMO_METRICS_PER_DAY
    assert (len(stored["posts"]), len(stored["mentions"])) == (clean.posts_count, clean.mentions_count)
    assert stored == expected


# --- checkpoints ---------------------------------------------------------------------------------------


async def test_a_crashed_default_run_keeps_its_checkpointed_days_and_the_next_run_resumes_from_there(
    harness: SyncHarness,
) -> None:
    today = utcnow().date()
    since = today - timedelta(days=9)  # a ten-day default window
    owner, reference_owner = await harness.owner("Crashing agency"), await harness.owner("Clean agency")
    account = await harness.account(
        owner, "demo", "resume-bistro", settings={"backfill_days": 10, "fail_after_days": 3}
    )
    reference = await harness.account(reference_owner, "demo", "resume-bistro", settings={"backfill_days": 10})

    crashed = await harness.sync(owner, account)
    assert crashed.status == "failed"
    assert crashed.error is not None
    assert "connector demo" in crashed.error
    assert "TransientError" in crashed.error
    assert (crashed.window_since, crashed.window_until) == (since, today)
    checkpointed = [since + timedelta(days=n) for n in range(3)]
    assert {key[1] for key in await harness.metric_points(owner, account)} == set(checkpointed)
    assert crashed.metrics_count == 3 * DEMO_METRICS_PER_DAY
    crashed_account = await harness.get_account(owner, account)
    assert crashed_account.sync_state == {"last_day": checkpointed[-1].isoformat()}
    assert crashed_account.last_synced_at is None

    await harness.update_account(owner, account, sync_settings={"backfill_days": 10})
    resumed = await harness.sync(owner, account)
    assert resumed.status == "succeeded", resumed.error
    assert (resumed.window_since, resumed.window_until) == (checkpointed[-1], today)
    assert resumed.metrics_count == 7 * DEMO_METRICS_PER_DAY  # only the days after the checkpoint were fetched
    resumed_account = await harness.get_account(owner, account)
    assert resumed_account.sync_state == {"last_day": today.isoformat()}
    assert resumed_account.last_synced_at is not None

    clean = await harness.sync(reference_owner, reference)
    assert clean.status == "succeeded", clean.error
    assert (clean.window_since, clean.window_until) == (since, today)
    stored = await content(harness, owner, account)
    assert len(stored["metrics"]) == 10 * DEMO_METRICS_PER_DAY
    assert stored == await content(harness, reference_owner, reference)


async def test_an_explicit_window_ignores_the_resume_point_and_fetches_every_day(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "demo", "explicit-window", sync_state={"last_day": day(5).isoformat()})
    run = await harness.sync(owner, account, day(1), day(7))
    assert run.status == "succeeded", run.error
    assert (run.window_since, run.window_until) == (day(1), day(7))
    assert {key[1] for key in await harness.metric_points(owner, account)} == {day(n) for n in range(1, 8)}


async def test_an_explicit_window_does_not_move_the_resume_point_of_default_runs(harness: SyncHarness) -> None:
    owner = await harness.owner()
    resume_point = {"last_day": day(20).isoformat()}
    account = await harness.account(owner, "demo", "backfilled", sync_state=resume_point)
    backfill = await harness.sync(owner, account, day(1), day(5))
    assert backfill.status == "succeeded", backfill.error
    # Otherwise the next default run would resume from Jan 5 (re-fetching days already stored) or, had the
    # explicit window been later than the resume point, skip every day in between for good.
    assert (await harness.get_account(owner, account)).sync_state == resume_point


# --- failures stay in their own run ------------------------------------------------------------------


async def test_a_connector_that_raises_fails_its_own_run_only(harness: SyncHarness) -> None:
    owner = await harness.owner()
    crashing = await harness.account(owner, "flaky_crash", "crashes", settings={"crash_after": 2, "backfill_days": 5})
    healthy = await harness.account(owner, "demo", "healthy")
    crash_run = await harness.queue(owner, crashing)  # the default window: the last five days
    healthy_run = await harness.queue(owner, healthy, day(1), day(5))

    assert await harness.worker(concurrency=2).run_pending() == 2

    crashed = await harness.run(owner, crash_run)
    assert crashed.status == "failed"
    assert crashed.error == "connector flaky_crash raised RuntimeError: the network went away after 2 day(s)"
    assert crashed.finished_at is not None
    assert crashed.window_since is not None
    # Both checkpointed days and the day yielded after the last checkpoint were stored, nothing more.
    first_days = [crashed.window_since + timedelta(days=n) for n in range(3)]
    stored = await harness.metric_points(owner, crashing)
    assert {key: row.value for key, row in stored.items()} == {("impressions", d): views(d) for d in first_days}
    assert crashed.metrics_count == 3
    assert (await harness.get_account(owner, crashing)).sync_state == {"last_day": first_days[1].isoformat()}

    succeeded = await harness.run(owner, healthy_run)
    assert succeeded.status == "succeeded", succeeded.error
    assert succeeded.error is None
    assert len(await harness.metric_points(owner, healthy)) == 5 * DEMO_METRICS_PER_DAY


async def test_a_run_that_loses_the_database_is_not_failed_but_left_to_the_next_claim(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart of PostgreSQL under a run is not the run's failure: it stays claimed, like a run whose worker
    died, counts nothing, and is completed by whoever takes it over once its heartbeat is stale."""
    owner = await harness.owner()
    account = await harness.account(owner, "demo", "restarted-database")
    run_id = await harness.queue(owner, account, day(1), day(3))

    async def unreachable(*_args: Any) -> None:
        raise OperationalError("INSERT", {}, ConnectionError("server closed the connection unexpectedly"))

    with monkeypatch.context() as patched:
        patched.setattr(SyncEngine, "_write", unreachable)
        await harness.worker().run_one(owner.tenant_id, run_id)
    cut_short = await harness.run(owner, run_id)
    assert (cut_short.status, cut_short.finished_at, cut_short.error) == ("running", None, None)

    assert await harness.worker(stale_after=timedelta(0)).run_one(owner.tenant_id, run_id) == "succeeded"
    assert (await harness.run(owner, run_id)).status == "succeeded"
    async with harness.database.tenant_session(owner.tenant_id) as session:
        keys = (await session.scalars(select(UsageEvent.idempotency_key).where(UsageEvent.meter == "syncs"))).all()
    assert keys == [f"sync_run:{run_id}"]


async def test_a_hanging_connector_is_stopped_at_the_timeout_while_another_run_succeeds(
    harness: SyncHarness,
) -> None:
    owner = await harness.owner()
    hanging = await harness.account(owner, "flaky_hang", "hangs")
    healthy = await harness.account(owner, "demo", "still-fine")
    hang_run = await harness.queue(owner, hanging, day(1), day(3))
    healthy_run = await harness.queue(owner, healthy, day(1), day(3))
    worker = harness.worker(harness.engine(timeout_seconds=1), concurrency=2)

    started = time.monotonic()
    assert await asyncio.wait_for(worker.run_pending(), timeout=15) == 2
    elapsed = time.monotonic() - started

    assert elapsed < 10, f"the hanging run was not stopped at the timeout ({elapsed:.1f} s)"
    stopped = await harness.run(owner, hang_run)
    assert stopped.status == "failed"
    assert stopped.error is not None
    assert "connector flaky_hang did not finish within 1 s" in stopped.error
    assert stopped.duration_ms is not None
    assert 900 <= stopped.duration_ms < 10_000
    # The point yielded before it hung is kept.
    assert set(await harness.metric_points(owner, hanging)) == {("impressions", day(1))}
    succeeded = await harness.run(owner, healthy_run)
    assert succeeded.status == "succeeded", succeeded.error


# --- records without checkpoints ---------------------------------------------------------------------


async def test_records_without_checkpoints_are_stored_when_the_run_ends(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_nocheckpoint", "no-checkpoints", settings={"count": 25})
    run = await harness.sync(owner, account, day(1), day(13))
    assert run.status == "succeeded", run.error
    assert run.metrics_count == 25
    stored = await harness.metric_points(owner, account)
    assert len(stored) == 25
    assert stored["followers", day(1)].value == views(day(1))
    assert stored["impressions", day(12)].value == views(day(12))
    assert stored["followers", day(13)].value == views(day(13))
    assert (await harness.get_account(owner, account)).sync_state == {}


async def test_records_without_checkpoints_are_written_in_batches_while_the_run_goes_on(
    harness: SyncHarness,
) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_nocheckpoint", "batched", settings={"count": 25})
    run_id = await harness.queue(owner, account, day(1), day(13))
    gate = flaky_connectors.GATES["batched"] = Gate(after=15)
    worker = harness.worker(harness.engine(batch_size=10))
    assert await worker._claim(owner.tenant_id, run_id)
    task = asyncio.create_task(worker.engine.execute(owner.tenant_id, run_id))
    try:
        await asyncio.wait_for(gate.reached.wait(), timeout=10)
        # 15 records yielded: one full batch of 10 is stored, the other 5 wait for the next batch.
        assert len(await harness.metric_points(owner, account)) == 10
        in_progress = await harness.run(owner, run_id)
        assert (in_progress.status, in_progress.metrics_count) == ("running", 10)
    finally:
        gate.release.set()
    assert await asyncio.wait_for(task, timeout=10) == "succeeded"
    run = await harness.run(owner, run_id)
    assert run.metrics_count == 25
    assert len(await harness.metric_points(owner, account)) == 25


# --- through the API: bad records, refused credentials, rate limits -----------------------------------


def add_account(
    client: TestClient[Litestar], agency: Agency, network: str, handle: str, **fields: Any
) -> tuple[str, str]:
    created = client.post("/v1/clients", json={"name": f"Client {handle}"}, headers=agency.headers)
    assert created.status_code == 201, created.text
    client_id = created.json()["id"]
    account = client.post(
        f"/v1/clients/{client_id}/accounts",
        json={"network": network, "handle": handle, **fields},
        headers=agency.headers,
    )
    assert account.status_code == 201, account.text
    return client_id, account.json()["id"]


def start_sync(client: TestClient[Litestar], agency: Agency, account_id: str, **window: str) -> str:
    response = client.post(f"/v1/accounts/{account_id}/syncs", json=window or None, headers=agency.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def test_invalid_records_are_each_rejected_with_the_connector_record_and_field_and_the_rest_stored(
    flaky_client: TestClient[Litestar],
) -> None:
    agency = sign_up(flaky_client)
    client_id, account_id = add_account(flaky_client, agency, "flaky_invalid", "sloppy")
    sync_id = start_sync(flaky_client, agency, account_id, since="2026-01-01", until="2026-01-03")
    assert run_syncs(flaky_client) == 1

    run = flaky_client.get(f"/v1/syncs/{sync_id}", headers=agency.headers).json()
    assert run["status"] == "partial", run
    assert run["rejected_count"] == len(INVALID_RECORDS)
    assert (run["metrics_count"], run["posts_count"], run["mentions_count"]) == (2, 1, 1)
    # Nothing silently dropped: eleven records were yielded (plus a checkpoint); four stored, seven rejected.
    assert run["metrics_count"] + run["posts_count"] + run["mentions_count"] + run["rejected_count"] == 11
    assert run["error"] == "7 record(s) rejected; see rejections"
    rejections = {rejection["record"]: rejection for rejection in run["rejections"]}
    assert {number: rejection["field"] for number, rejection in rejections.items()} == INVALID_RECORDS
    for number, field in INVALID_RECORDS.items():
        message = rejections[number]["message"]
        assert message.startswith(f"connector flaky_invalid: record #{number} ("), message
        assert f"field {field} " in message, message
    assert rejections[2]["type"] == "MetricPoint"
    assert "'page_secret_metric' is not one of the metrics the connector declares" in rejections[2]["message"]
    assert "finite number" in rejections[3]["message"]
    assert rejections[4]["type"] == "Post"
    assert "timezone-aware" in rejections[4]["message"]
    assert rejections[5]["type"] == "Mention"
    assert "must not be empty" in rejections[5]["message"]
    assert "2026-01-04 is outside the window 2026-01-01..2026-01-03" in rejections[6]["message"]
    assert "must be a datetime" in rejections[10]["message"]
    assert "'retweet'" in rejections[11]["message"]

    metrics = flaky_client.get(
        "/v1/metrics",
        params={
            "account_id": account_id,
            "metric": ["impressions", "followers"],
            "from": "2026-01-01",
            "to": "2026-01-31",
        },
        headers=agency.headers,
    )
    assert metrics.status_code == 200, metrics.text
    series = {item["metric"]: item["points"] for item in metrics.json()["series"]}
    assert [point["value"] for point in series["impressions"]] == [101.0, 102.0]
    assert not series.get("followers")
    posts = flaky_client.get(f"/v1/accounts/{account_id}/posts", headers=agency.headers).json()["data"]
    assert [post["external_id"] for post in posts] == ["post-ok"]
    mentions = flaky_client.get(f"/v1/clients/{client_id}/mentions", headers=agency.headers).json()["data"]
    assert [mention["external_id"] for mention in mentions] == ["mention-ok"]


def test_refused_credentials_fail_the_run_and_ask_for_reauthentication(flaky_client: TestClient[Litestar]) -> None:
    agency = sign_up(flaky_client)
    _client_id, account_id = add_account(flaky_client, agency, "flaky_auth", "expired-token")
    sync_id = start_sync(flaky_client, agency, account_id)
    assert run_syncs(flaky_client) == 1

    run = flaky_client.get(f"/v1/syncs/{sync_id}", headers=agency.headers).json()
    assert run["status"] == "failed"
    assert run["error"] == "connector flaky_auth raised AuthenticationError: the token of expired-token has expired"
    account = flaky_client.get(f"/v1/accounts/{account_id}", headers=agency.headers).json()
    assert account["status"] == "needs_reauth"
    assert account["status_reason"] == "flaky_auth refused the credentials: the token of expired-token has expired"
    assert account["last_synced_at"] is None


def test_a_rate_limited_run_schedules_the_next_sync_after_retry_after(flaky_client: TestClient[Litestar]) -> None:
    agency = sign_up(flaky_client)
    _client_id, account_id = add_account(flaky_client, agency, "flaky_ratelimited", "busy")
    sync_id = start_sync(flaky_client, agency, account_id, since="2026-01-01", until="2026-01-05")
    before = datetime.now(UTC)
    assert run_syncs(flaky_client) == 1
    after = datetime.now(UTC)

    run = flaky_client.get(f"/v1/syncs/{sync_id}", headers=agency.headers).json()
    assert run["status"] == "failed"
    assert "connector flaky_ratelimited raised RateLimitedError: 429 Too Many Requests" in run["error"]
    assert run["metrics_count"] == 1  # the checkpointed day before the 429 is kept
    account = flaky_client.get(f"/v1/accounts/{account_id}", headers=agency.headers).json()
    assert account["status"] == "active"
    next_sync_at = datetime.fromisoformat(account["next_sync_at"])
    assert before + timedelta(seconds=120) - timedelta(seconds=1) <= next_sync_at
    assert next_sync_at <= after + timedelta(seconds=120) + timedelta(seconds=1)
