"""The crash test: `resonance worker` killed with SIGKILL over and over while it syncs and reports usage to Stripe.

The real worker runs as a child process against the test database and the fake Stripe started here. It
is killed at random points at least 20 times, each time once it has visibly started working (a run claimed,
a ledger row or a delivery written) plus a random delay, and restarted. Between lives the test does what
time would do for a dead worker: its sync heartbeats and its claims on meter events are aged past their
leases, so the next life takes them over at once instead of minutes later; and a few more syncs are queued.
Then one last life finishes everything and stops on SIGTERM.

The proof, per agency, against the stored facts (not constants): the ledger holds one `syncs` fact per
completed run, one `tracked_accounts` fact per account and day a run completed on, one
`mentions_analysed` fact per stored mention; every ledger row was sent once (the fake Stripe accepted
exactly one event per row, with its deterministic identifier, and nothing else); and Stripe's totals per
customer and event equal the ledger's.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from stripe_fake.server import FakeStripe, running_fake

from api.accounts.models import SocialAccount
from api.billing.meter_events import MeterEventDelivery, meter_event_identifier
from api.billing.metering import UsageEvent
from api.billing.stripe_backend import METER_EVENT_NAMES
from api.clients.models import Client
from api.content.models import StoredMention
from api.sync.models import SyncRun
from tenants.database import Database, sync_engine
from tenants.ids import utcnow
from tests.billing.billing_helpers import BilledAgency, add_meters, billed_agency
from tests.conftest import BACKENDS, TestDatabase

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("CRASH_KILLS", "20"))
HANDLES = ("crash_alpha", "crash_beta", "crash_gamma")
TODAY = datetime.now(UTC).date()


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    for fake in running_fake():
        fake.latency = 0.01  # a little network time, so that kills land while events are in flight
        yield fake


def _snapshot(owner: Engine) -> dict[str, int]:
    """Where things stand in the database (as its owner, across agencies)."""
    with owner.connect() as connection:
        runs = dict(connection.execute(text("SELECT status, count(*) FROM sync_runs GROUP BY status")).all())
        # Claimed by the current life (a dead life's runs had their heartbeat aged an hour back).
        runs_now = connection.execute(
            text("SELECT count(*) FROM sync_runs WHERE status = 'running' AND heartbeat_at > :recent"),
            {"recent": utcnow() - timedelta(minutes=10)},
        ).scalar_one()
        ledger = connection.execute(text("SELECT count(*) FROM usage_events")).scalar_one()
        sent = connection.execute(
            text("SELECT count(*) FROM meter_event_deliveries WHERE status = 'sent'")
        ).scalar_one()
        # Claimed by the current life and not recorded yet (older claims were aged past their lease).
        deliveries = MeterEventDelivery.__table__  # type: ignore[attr-defined]
        claimed = connection.execute(
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.status == "retrying", deliveries.c.next_attempt_at > utcnow())
        ).scalar_one()
    return {
        "done": runs.get("succeeded", 0) + runs.get("partial", 0),
        "failed": runs.get("failed", 0),
        "running": runs.get("running", 0),
        "running_now": runs_now,
        "queued": runs.get("queued", 0),
        "ledger": ledger,
        "sent": sent,
        "in_flight": claimed,
    }


def _age_leases(owner: Engine) -> None:
    """What time does for a dead worker: its runs' heartbeats go stale, its meter event claims run out."""
    past = utcnow() - timedelta(hours=1)
    with owner.begin() as connection:
        connection.execute(text("UPDATE sync_runs SET heartbeat_at = :p WHERE status = 'running'"), {"p": past})
        connection.execute(
            text("UPDATE meter_event_deliveries SET next_attempt_at = :p WHERE status = 'retrying'"), {"p": past}
        )


async def _queue_syncs(
    db: Database, accounts: list[tuple[uuid.UUID, uuid.UUID]], count: int, rng: random.Random
) -> None:
    """`count` more syncs of random accounts over random, overlapping windows of the last 40 days."""
    for _ in range(count):
        tenant_id, account_id = rng.choice(accounts)
        since = TODAY - timedelta(days=rng.randint(8, 40))
        async with db.tenant_session(tenant_id) as session:
            until = since + timedelta(days=rng.randint(4, 8))
            session.add(SyncRun(account_id=account_id, window_since=since, window_until=until))


PRELOAD = (
    "import sys; import api.cli, api.app; from plugins.registry import load_registry; load_registry(); "
    "sys.stdin.readline(); sys.argv = ['resonance', 'worker']; api.cli.main()"
)
"""`resonance worker`, with its imports done before the go: the next life loads while the current one runs."""


def _spawn(database: TestDatabase, fake: FakeStripe, log: Path) -> subprocess.Popen[bytes]:
    """A worker process, loaded and waiting for `_go`."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RESONANCE_ENV": "test",
        "RESONANCE_DATABASE_URL": database.url,
        "RESONANCE_SECRET_KEY": "crash-test-secret-key-" + "x" * 32,
        "RESONANCE_STRIPE_API_KEY": fake.api_key,
        "RESONANCE_STRIPE_API_BASE": fake.url,
        "RESONANCE_DISPATCH_SECONDS": "1",
        "RESONANCE_SYNC_CONCURRENCY": "2",
        "RESONANCE_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-c", PRELOAD], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def _go(worker: subprocess.Popen[bytes]) -> None:
    assert worker.stdin is not None
    worker.stdin.write(b"go\n")
    worker.stdin.flush()


def _wait_for_sync(owner: Engine, timeout: float) -> bool:
    """Wait until the current life is running a sync; False when it did not within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _snapshot(owner)["running_now"]:
            return True
        time.sleep(0.01)
    return False


def _wait_for_activity(owner: Engine, before: dict[str, int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _snapshot(owner)
        if any(now[key] != before[key] for key in ("done", "running", "ledger", "sent", "in_flight")):
            return True
        time.sleep(0.03)
    return False


# On PostgreSQL when it is configured (the scaled mode, with row-level security), else on SQLite: once is
# enough, and each run takes about a minute.
@pytest.mark.parametrize("database", BACKENDS[-1:], indirect=True)
async def test_the_worker_killed_twenty_times_leaves_exact_ledger_and_stripe_totals(
    database: TestDatabase, fake: FakeStripe, tmp_path: Path
) -> None:
    started = time.monotonic()
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    print(f"\ncrash test on {database.backend}, seed {seed}")
    add_meters(fake)
    db = Database(database.url)
    owner = sync_engine(database.owner_url)
    log = tmp_path / "worker.log"
    try:
        agencies = [await billed_agency(db, fake, name) for name in ("Crash Alpha", "Crash Beta")]
        accounts: list[tuple[uuid.UUID, uuid.UUID]] = []
        for agency in agencies:
            async with db.tenant_session(agency.tenant_id) as session:
                client = Client(name="Client of " + str(agency.tenant_id)[:8])
                session.add(client)
                await session.flush()
                for handle in HANDLES:
                    # Not scheduled: every sync is one the test queued, so each life has work to be killed in.
                    account = SocialAccount(client_id=client.id, network="demo", handle=handle, sync_enabled=False)
                    session.add(account)
                    await session.flush()
                    accounts.append((agency.tenant_id, account.id))
        await _queue_syncs(db, accounts, 8, rng)

        landed: list[dict[str, int]] = []
        worker = _spawn(database, fake, log)
        for kill in range(1, KILLS + 1):
            before = _snapshot(owner)
            _go(worker)
            started_life = time.monotonic()
            following = _spawn(database, fake, log)  # loads while this life works
            active = _wait_for_activity(owner, before, timeout=10)
            # Every other kill aims at a sync under way (syncs can be short on a fast machine); the others land
            # anywhere in the first second of work, which on this fake Stripe is mostly while events are in flight.
            if kill % 2 == 0 and _wait_for_sync(owner, timeout=10):
                await asyncio.sleep(rng.uniform(0.0, 0.1))
            else:
                await asyncio.sleep(rng.uniform(0.0, 1.0))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            at = _snapshot(owner)
            landed.append(at)
            print(
                f"kill {kill:2d} after {time.monotonic() - started_life:4.2f} s{'' if active else ' (idle)'}: "
                f"runs {at['done']} done, {at['running']} running, {at['queued']} queued; "
                f"ledger {at['ledger']} rows, {at['sent']} sent, {at['in_flight']} in flight",
                flush=True,
            )
            _age_leases(owner)
            await _queue_syncs(db, accounts, rng.randint(1, 2), rng)  # the next life has a sync to be killed in
            worker = following

        print(f"{KILLS} kills in {time.monotonic() - started:.1f} s; letting a last worker finish", flush=True)
        _go(worker)
        deadline = time.monotonic() + 60
        while True:
            state = _snapshot(owner)
            if state["running"] == state["queued"] == 0 and state["sent"] == state["ledger"]:
                break
            assert time.monotonic() < deadline, f"the last worker did not finish: {state}"
            await asyncio.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0, log.read_text()[-3000:]
        final = _snapshot(owner)
        print(f"finished in {time.monotonic() - started:.1f} s: {final}", flush=True)

        assert sum(1 for at in landed if at["running"]) >= 3, "too few kills landed during a sync"
        assert sum(1 for at in landed if at["in_flight"]) >= 3, "too few kills landed while events were in flight"
        assert final["failed"] == 0, log.read_text()[-3000:]
        for agency in agencies:
            _assert_exact(owner, fake, agency)
        assert len(fake.meter_events) == final["ledger"]
    finally:
        owner.dispose()
        await db.dispose()


def _assert_exact(owner: Engine, fake: FakeStripe, agency: BilledAgency) -> None:
    runs, stored, usage = SyncRun.__table__, StoredMention.__table__, UsageEvent.__table__  # type: ignore[attr-defined]
    with owner.connect() as connection:
        completed = connection.execute(
            select(runs.c.id, runs.c.account_id, runs.c.finished_at).where(
                runs.c.tenant_id == agency.tenant_id, runs.c.status.in_(["succeeded", "partial"])
            )
        ).all()
        mentions = connection.execute(
            select(func.count()).select_from(stored).where(stored.c.tenant_id == agency.tenant_id)
        ).scalar_one()
        ledger = connection.execute(
            select(usage.c.meter, usage.c.quantity, usage.c.idempotency_key).where(
                usage.c.tenant_id == agency.tenant_id
            )
        ).all()
    account_days = {(account_id, finished.date()) for _id, account_id, finished in completed}
    by_meter = Counter[str]()
    for meter, quantity, _key in ledger:
        by_meter[meter] += quantity
    assert dict(by_meter) == {
        "syncs": len(completed),
        "tracked_accounts": len(account_days),
        "mentions_analysed": mentions,
    }
    assert {key for meter, _q, key in ledger if meter == "syncs"} == {f"sync_run:{run_id}" for run_id, *_ in completed}

    customer = agency.customer or ""
    accepted = fake.accepted_meter_events(customer=customer)
    identifiers = [event["identifier"] for event in accepted]
    assert len(identifiers) == len(set(identifiers)), "Stripe counted a fact twice"
    assert set(identifiers) == {meter_event_identifier(agency.tenant_id, key) for _m, _q, key in ledger}
    stripe_totals = {name: total for (who, name), total in fake.meter_totals().items() if who == customer}
    assert stripe_totals == {METER_EVENT_NAMES[meter]: Decimal(total) for meter, total in by_meter.items()}
