"""The agency's webhook endpoints: registering one (with the URL safety rules), listing, deleting, and their
latest deliveries.

Shared by the REST API (`/v1/webhook-endpoints`) and the portal's webhooks page. The signing secret cannot be
changed once made (there is no rotation of it in the API; `api/webhooks/rotation.py` re-encrypts the stored
secrets with a new vault key, the secret itself unchanged): to change it, register a new endpoint and delete
the old one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal
from api.errors import InvalidInput, NotFound
from api.services import Services
from api.webhooks.models import WebhookDelivery, WebhookEndpoint
from api.webhooks.signing import new_secret
from api.webhooks.urls import UrlRefused
from tenants.audit import Actor, record


async def get_endpoint(session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The tenant's endpoint, or a 404 (also for another tenant's endpoint)."""
    endpoint = await session.get(WebhookEndpoint, (principal.tenant_id, endpoint_id))
    if endpoint is None:
        raise NotFound(f"There is no webhook endpoint {endpoint_id} in this agency.", field="endpoint_id")
    return endpoint


async def list_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    """Every endpoint of the session's agency, oldest first."""
    statement = select(WebhookEndpoint).order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
    return list((await session.scalars(statement)).all())


async def create_endpoint(
    session: AsyncSession,
    services: Services,
    principal: Principal,
    actor: Actor,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint (recorded in the audit log) and its signing secret, stored encrypted and shown once.

    An `InvalidInput` on `url` when webhooks may not go there (scheme, credentials, an internal or private
    address: `api/webhooks/urls.py`), and the plan's `webhook_endpoints` quota is checked."""
    try:
        await services.webhook_policy.check(url)
    except UrlRefused as refused:
        raise InvalidInput(str(refused), field="url") from None
    await services.quotas.ensure_room(session, principal.tenant_id, "webhook_endpoints")
    secret = new_secret()
    kept_types = list(dict.fromkeys(event_types))
    endpoint = WebhookEndpoint(
        url=url.strip(),
        description=description,
        event_types=kept_types,
        secret_encrypted=services.vault.encrypt({"secret": secret}),
    )
    session.add(endpoint)
    await session.flush()
    record(
        session,
        actor,
        "webhook_endpoint.created",
        endpoint,
        changes={"url": endpoint.url, "event_types": kept_types, "description": description},
    )
    return endpoint, secret


async def delete_endpoint(session: AsyncSession, principal: Principal, actor: Actor, endpoint_id: uuid.UUID) -> None:
    """Delete the agency's endpoint with its deliveries (recorded in the audit log), or a 404."""
    endpoint = await get_endpoint(session, principal, endpoint_id)
    record(session, actor, "webhook_endpoint.deleted", endpoint, changes={"url": endpoint.url})
    await session.delete(endpoint)


async def recent_deliveries(session: AsyncSession, limit: int = 20) -> list[WebhookDelivery]:
    """The agency's latest deliveries, to any endpoint, newest first."""
    statement = select(WebhookDelivery).order_by(col(WebhookDelivery.id).desc()).limit(limit)
    return list((await session.scalars(statement)).all())


async def last_deliveries(
    session: AsyncSession, endpoints: Sequence[WebhookEndpoint]
) -> dict[uuid.UUID, WebhookDelivery]:
    """Each endpoint's latest delivery, by endpoint id (endpoints without any are absent).

    One indexed query per endpoint (ix_webhook_deliveries_endpoint): an agency has a handful of endpoints."""
    found: dict[uuid.UUID, WebhookDelivery] = {}
    for endpoint in endpoints:
        statement = (
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(col(WebhookDelivery.id).desc())
            .limit(1)
        )
        delivery = (await session.scalars(statement)).first()
        if delivery is not None:
            found[endpoint.id] = delivery
    return found
