"""`resonance_connector_errors_total`: one per sync run a connector's failure ended, by network and kind."""

from __future__ import annotations

from datetime import date

import pytest
from prometheus_client import REGISTRY

from tests.sync.conftest import SyncHarness


def connector_errors(network: str, kind: str) -> float:
    return REGISTRY.get_sample_value("resonance_connector_errors_total", {"network": network, "kind": kind}) or 0.0


@pytest.mark.parametrize(
    ("network", "kind"),
    [("flaky_crash", "error"), ("flaky_auth", "authentication"), ("flaky_ratelimited", "rate_limited")],
)
async def test_a_failing_connector_counts_one_error_of_its_kind(harness: SyncHarness, network: str, kind: str) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, network, "failing", settings={"crash_after": 1})
    before = connector_errors(network, kind)

    run = await harness.sync(owner, account, date(2026, 1, 1), date(2026, 1, 5))

    assert run.status == "failed"
    assert connector_errors(network, kind) == before + 1


async def test_a_run_with_rejected_records_is_no_connector_error(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_invalid", "sloppy")
    before = sum(connector_errors("flaky_invalid", kind) for kind in ("error", "bad_response"))

    run = await harness.sync(owner, account, date(2026, 1, 1), date(2026, 1, 5))

    assert run.status == "partial"
    assert sum(connector_errors("flaky_invalid", kind) for kind in ("error", "bad_response")) == before
