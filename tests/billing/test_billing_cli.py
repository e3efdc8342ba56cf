"""`resonance billing report` and `resonance billing reconcile`, against the fake Stripe."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from stripe_fake.server import FakeStripe, running_fake
from typer.testing import CliRunner

from api.billing.meter_events import meter_event_identifier
from api.cli import app
from tenants.database import Database
from tenants.ids import utcnow
from tests.billing.billing_helpers import BilledAgency, add_meters, billed_agency, fake_totals, ledger
from tests.conftest import TestDatabase

runner = CliRunner()
NOW = utcnow()
PERIOD = f"{NOW:%Y-%m}"


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    yield from running_fake()


@pytest.fixture
def env(database: TestDatabase, fake: FakeStripe, monkeypatch: pytest.MonkeyPatch) -> TestDatabase:
    monkeypatch.setenv("RESONANCE_DATABASE_URL", database.url)
    monkeypatch.setenv("RESONANCE_ENV", "test")
    monkeypatch.setenv("RESONANCE_STRIPE_API_KEY", fake.api_key)
    monkeypatch.setenv("RESONANCE_STRIPE_API_BASE", fake.url)
    add_meters(fake)
    return database


def run(database: TestDatabase, make: object) -> object:
    """Run `make(db)` (a coroutine function) on a fresh Database, outside the CLI's own event loop."""

    async def main() -> object:
        db = Database(database.url)
        try:
            return await make(db)  # type: ignore[operator]
        finally:
            await db.dispose()

    return asyncio.run(main())


def agency_with_usage(database: TestDatabase, fake: FakeStripe, name: str, syncs: int) -> BilledAgency:
    async def make(db: Database) -> BilledAgency:
        agency = await billed_agency(db, fake, name)
        await ledger(db, agency.tenant_id, "syncs", syncs)
        await ledger(db, agency.tenant_id, "mentions_analysed", 2, quantity=5)
        return agency

    made = run(database, make)
    assert isinstance(made, BilledAgency)
    return made


def test_billing_commands_have_help() -> None:
    for command in (["billing", "report"], ["billing", "reconcile"], ["billing", "retry-rejected"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, result.output


def test_report_sends_the_waiting_usage_and_says_what_it_did(env: TestDatabase, fake: FakeStripe) -> None:
    agency = agency_with_usage(env, fake, "Alpha", 3)

    result = runner.invoke(app, ["billing", "report"])

    assert result.exit_code == 0, result.output
    assert "sent 5 usage event(s) for 1 agency(ies) (0 already counted by Stripe)" in result.output
    assert fake_totals(fake, agency.customer or "") == {
        "resonance_syncs": Decimal(3),
        "resonance_mentions_analysed": Decimal(10),
    }
    again = runner.invoke(app, ["billing", "report"])
    assert "sent 0 usage event(s)" in again.output
    assert len(fake.meter_events) == 5


def test_reconcile_after_a_report_matches_and_exits_0(env: TestDatabase, fake: FakeStripe) -> None:
    agency_with_usage(env, fake, "Alpha", 3)
    agency_with_usage(env, fake, "Beta", 4)
    assert runner.invoke(app, ["billing", "report"]).exit_code == 0

    result = runner.invoke(app, ["billing", "reconcile", "--period", PERIOD])

    assert result.exit_code == 0, result.output
    assert f"Stripe's totals for {PERIOD} match the ledger for 8 agency-meter(s)." in result.output
    assert "Alpha" in result.output
    assert "Beta" in result.output


def test_reconcile_shows_usage_not_sent_yet_and_exits_1_with_a_sentence(env: TestDatabase, fake: FakeStripe) -> None:
    agency_with_usage(env, fake, "Alpha", 3)

    result = runner.invoke(app, ["billing", "reconcile"])

    assert result.exit_code == 1
    assert "differ from the ledger for 2 agency-meter(s): all of it usage not sent yet" in " ".join(
        result.output.split()
    )
    assert "Traceback" not in result.output


def test_reconcile_counts_too_old_usage_as_explained(env: TestDatabase, fake: FakeStripe) -> None:
    old = NOW - timedelta(days=40)

    async def make(db: Database) -> None:
        agency = await billed_agency(db, fake, "Alpha")
        await ledger(db, agency.tenant_id, "tracked_accounts", 1, quantity=2, at=old)

    run(env, make)
    assert runner.invoke(app, ["billing", "report"]).exit_code == 0

    result = runner.invoke(app, ["billing", "reconcile", "--period", f"{old:%Y-%m}"])

    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "all of it usage not sent yet, too old for Stripe or rejected by it" in flat
    row = next(line for line in result.output.splitlines() if "tracked_accounts" in line)
    # ledger, stripe, not sent, too old, rejected
    assert [cell.strip() for cell in row.split("│")[4:9]] == ["2", "0", "0", "2", "0"]


def test_reconcile_flags_a_difference_that_nothing_local_explains(env: TestDatabase, fake: FakeStripe) -> None:
    agency = agency_with_usage(env, fake, "Alpha", 1)
    assert runner.invoke(app, ["billing", "report"]).exit_code == 0
    # Another system sent a second sync for the same customer: Stripe now counts more than the ledger holds.
    fake.client().v1.billing.meter_events.create(
        params={
            "event_name": "resonance_syncs",
            "payload": {"stripe_customer_id": agency.customer or "", "value": "1"},
            "identifier": meter_event_identifier(agency.tenant_id, "elsewhere"),
        }
    )

    result = runner.invoke(app, ["billing", "reconcile", "--tenant", str(agency.tenant_id)])

    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "1 of them by more than the usage not sent, too old or rejected" in flat
    assert "-1" in result.output


def test_reconcile_of_one_agency_shows_only_it(env: TestDatabase, fake: FakeStripe) -> None:
    alpha = agency_with_usage(env, fake, "Alpha", 1)
    agency_with_usage(env, fake, "Beta", 1)
    assert runner.invoke(app, ["billing", "report"]).exit_code == 0

    result = runner.invoke(app, ["billing", "reconcile", "--tenant", str(alpha.tenant_id)])

    assert result.exit_code == 0, result.output
    assert "Alpha" in result.output
    assert "Beta" not in result.output
    assert "match the ledger for 4 agency-meter(s)" in result.output


def test_retry_rejected_sends_again_what_stripe_refused_once_fixed(env: TestDatabase, fake: FakeStripe) -> None:
    agency = agency_with_usage(env, fake, "Alpha", 3)
    customer = fake.customers.pop(agency.customer or "")  # deleted in Stripe's dashboard by mistake
    assert "5 rejected" in runner.invoke(app, ["billing", "report"]).output
    fake.customers[agency.customer or ""] = customer  # restored

    result = runner.invoke(app, ["billing", "retry-rejected", "--tenant", str(agency.tenant_id)])

    assert result.exit_code == 0, result.output
    assert "put 5 rejected usage event(s) back in line" in " ".join(result.output.split())
    assert "sent 5 usage event(s)" in runner.invoke(app, ["billing", "report"]).output
    assert fake_totals(fake, agency.customer or "") == {
        "resonance_syncs": Decimal(3),
        "resonance_mentions_analysed": Decimal(10),
    }
    assert "put 0 rejected" in runner.invoke(app, ["billing", "retry-rejected"]).output
    refused = runner.invoke(app, ["billing", "retry-rejected", "--tenant", "nope"])
    assert refused.exit_code == 1
    assert "--tenant must be an agency id (a UUID), got 'nope'." in " ".join(refused.output.split())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--period", "2026-13"], "--period must be a month like 2026-11, got '2026-13'."),
        (["--tenant", "nope"], "--tenant must be an agency id (a UUID), got 'nope'."),
        (["--tenant", "01234567-89ab-cdef-0123-456789abcdef"], "has no Stripe customer"),
    ],
)
def test_reconcile_refuses_bad_options_with_a_sentence(
    env: TestDatabase, fake: FakeStripe, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["billing", "reconcile", *arguments])

    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_billing_commands_in_local_mode_say_so(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_DATABASE_URL", database.url)
    monkeypatch.setenv("RESONANCE_ENV", "test")
    monkeypatch.delenv("RESONANCE_STRIPE_API_KEY", raising=False)

    for command in ("report", "reconcile", "retry-rejected"):
        result = runner.invoke(app, ["billing", command])
        assert result.exit_code == 1
        assert "billing runs in local mode (RESONANCE_STRIPE_API_KEY is not set)" in " ".join(result.output.split())
