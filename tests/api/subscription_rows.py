"""The agency's subscription row written straight to the database, as Stripe's webhooks or the operator would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from api.billing.subscriptions import Subscription
from tests.api.conftest import owner_connection, table
from tests.conftest import Agency, TestDatabase


def set_subscription(database: TestDatabase, agency: Agency, **values: Any) -> None:
    """Write the agency's subscription row as the owner (as Stripe's webhooks or the operator would)."""
    tenant_id = uuid.UUID(agency.tenant_id)
    target = table(Subscription)
    with owner_connection(database) as connection:
        exists = connection.execute(target.select().where(target.c.tenant_id == tenant_id)).first()
        if exists is None:
            connection.execute(
                target.insert().values(
                    tenant_id=tenant_id,
                    id=uuid.uuid4(),
                    plan=values.pop("plan", "tiny"),
                    status=values.pop("status", "local"),
                    cancel_at_period_end=values.pop("cancel_at_period_end", False),
                    stripe_state_at=0,
                    updated_at=datetime.now(UTC),
                    **values,
                )
            )
        else:
            connection.execute(update(target).where(target.c.tenant_id == tenant_id).values(**values))
