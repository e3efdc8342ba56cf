"""Inputs at the longest the API accepts are stored, not a 500 (found by schemathesis on PostgreSQL)."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from tenants.database import sync_engine
from tenants.models import AuditEntry
from tests.conftest import TestDatabase

LONGEST_EMAIL = "0@0." + "0" * 316
"""320 characters, the most `email` may have."""


def test_signup_with_the_longest_email_is_accepted_and_audited(
    client: TestClient[Litestar], database: TestDatabase
) -> None:
    response = client.post("/v1/signup", json={"agency_name": "Acme Social", "email": LONGEST_EMAIL})
    assert response.status_code == 201, response.text
    engine = sync_engine(database.owner_url)
    try:
        with engine.connect() as connection:
            entry = connection.execute(
                select(AuditEntry.actor, AuditEntry.changes).where(AuditEntry.action == "tenant.created")  # type: ignore[call-overload]
            ).one()
    finally:
        engine.dispose()
    assert len(entry.actor) == 200
    assert entry.actor.startswith("signup:0@0.000")
    assert entry.changes["owner"] == LONGEST_EMAIL
