"""Webhook endpoints of an agency, and the deliveries made to them."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from api.auth import Principal, require
from api.errors import InvalidInput, NotFound
from api.idempotency import idempotent
from api.pagination import PAGE, PageRequest, fetch_requested_page
from api.services import Services
from api.webhooks.events import ping, queue
from api.webhooks.models import WebhookDelivery, WebhookEndpoint
from api.webhooks.schemas import (
    DeliveryStatus,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPage,
)
from api.webhooks.service import create_endpoint, delete_endpoint, get_endpoint
from tenants.audit import Actor, record
from tenants.ids import utcnow


def endpoint_out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    """The API shape of an endpoint (never its secret)."""
    return WebhookEndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        enabled=endpoint.enabled,
        created_at=endpoint.created_at,
    )


def delivery_out(delivery: WebhookDelivery) -> WebhookDeliveryOut:
    """The API shape of a delivery."""
    return WebhookDeliveryOut(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_attempt_at=delivery.last_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        redelivery_of=delivery.redelivery_of,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        payload=dict(delivery.payload),
    )


def _without_secret(body: dict[str, Any]) -> dict[str, Any]:
    """A created endpoint as kept for Idempotency-Key replays: the secret is shown once and never stored in clear."""
    return {**body, "secret": None}


async def get_delivery(
    session: AsyncSession, principal: Principal, endpoint: WebhookEndpoint, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """The endpoint's delivery, or a 404."""
    delivery = await session.get(WebhookDelivery, (principal.tenant_id, delivery_id))
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(
            f"There is no delivery {delivery_id} to webhook endpoint {endpoint.id} in this agency.",
            field="delivery_id",
        )
    return delivery


MANAGE = require("webhooks")
"""Changing the agency's endpoints (or making them receive anything) needs `webhooks` or `admin`, not just `write`:
an endpoint receives every alert and sync failure of the agency, signed with a secret its receiver trusts."""


def _wake(services: Services) -> BackgroundTask:
    """Queue a dispatch once the response (and so the transaction) is done: the delivery goes out at once."""
    return BackgroundTask(services.background.kick)


class WebhookController(Controller):
    path = "/v1/webhook-endpoints"
    tags = ["webhooks"]

    @post("/", guards=[MANAGE], status_code=201, summary="Register a webhook endpoint")
    async def create_endpoint(
        self,
        data: WebhookEndpointIn,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[WebhookEndpointCreated]:
        """Send the chosen events to a URL, each delivery signed with the endpoint's own secret.

        The secret (`whsec_…`) is in this response only; store it now. A replay of this request (same
        `Idempotency-Key`) returns the same endpoint with `secret` null. The URL must be https in
        production and reach a public address; see the README's Webhooks section for receivers. A 402
        `quota_exceeded` when the plan's webhook endpoints are all used. Needs the `webhooks` or `admin` scope.
        """

        async def create() -> Response[WebhookEndpointCreated]:
            endpoint, secret = await create_endpoint(
                session,
                services,
                principal,
                actor,
                url=data.url,
                event_types=data.event_types,
                description=data.description,
            )
            out = endpoint_out(endpoint)
            return Response(
                WebhookEndpointCreated(**{name: getattr(out, name) for name in out.__struct_fields__}, secret=secret),
                status_code=201,
            )

        return await idempotent(request, session, create, redact=_without_secret)

    @get("/", guards=[require("read")], summary="List webhook endpoints", dependencies={"page": PAGE})
    async def list_endpoints(
        self,
        session: AsyncSession,
        page: PageRequest,
    ) -> WebhookEndpointPage:
        """The agency's webhook endpoints, oldest first; secrets are never shown."""
        rows, next_cursor = await fetch_requested_page(
            session, select(WebhookEndpoint), [col(WebhookEndpoint.id)], page
        )
        return WebhookEndpointPage(data=[endpoint_out(row) for row in rows], next_cursor=next_cursor)

    @get("/{endpoint_id:uuid}", guards=[require("read")], summary="Get a webhook endpoint")
    async def get_one(self, endpoint_id: uuid.UUID, session: AsyncSession, principal: Principal) -> WebhookEndpointOut:
        """One webhook endpoint (without its secret)."""
        return endpoint_out(await get_endpoint(session, principal, endpoint_id))

    @delete("/{endpoint_id:uuid}", guards=[MANAGE], summary="Delete a webhook endpoint")
    async def delete_endpoint(
        self, endpoint_id: uuid.UUID, session: AsyncSession, principal: Principal, actor: Actor
    ) -> None:
        """Stop sending events to this endpoint; its deliveries, pending ones included, are deleted with it.

        Needs the `webhooks` or `admin` scope."""
        await delete_endpoint(session, principal, actor, endpoint_id)

    @get(
        "/{endpoint_id:uuid}/deliveries",
        guards=[require("read")],
        summary="List an endpoint's deliveries",
        dependencies={"page": PAGE},
    )
    async def list_deliveries(
        self,
        endpoint_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        status: DeliveryStatus | None = Parameter(default=None, description="Only deliveries in this status."),
        event_type: str | None = Parameter(default=None, description="Only deliveries of this event type."),
        *,  # the page parameters come last in the document, as before
        page: PageRequest,
    ) -> WebhookDeliveryPage:
        """Deliveries to the endpoint, newest first, with their attempts, last answer and payload."""
        await get_endpoint(session, principal, endpoint_id)
        statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if status is not None:
            statement = statement.where(WebhookDelivery.status == status)
        if event_type is not None:
            statement = statement.where(WebhookDelivery.event_type == event_type)
        rows, next_cursor = await fetch_requested_page(
            session, statement, [col(WebhookDelivery.id)], page, descending=True
        )
        return WebhookDeliveryPage(data=[delivery_out(row) for row in rows], next_cursor=next_cursor)

    @post(
        "/{endpoint_id:uuid}/deliveries/{delivery_id:uuid}/redeliver",
        guards=[MANAGE],
        status_code=202,
        summary="Deliver an event again",
    )
    async def redeliver(
        self,
        endpoint_id: uuid.UUID,
        delivery_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[WebhookDeliveryOut]:
        """Queue the delivery's event again, now, as a new delivery with a fresh retry schedule.

        The event keeps its id, so a receiver that already processed it can recognise the repeat. Needs the
        `webhooks` or `admin` scope.
        """

        async def create() -> Response[WebhookDeliveryOut]:
            endpoint = await get_endpoint(session, principal, endpoint_id)
            original = await get_delivery(session, principal, endpoint, delivery_id)
            if not endpoint.enabled:
                raise InvalidInput(
                    "This webhook endpoint is disabled; nothing can be delivered to it.", field="endpoint_id"
                )
            again = queue(session, endpoint, dict(original.payload), now=utcnow())
            again.redelivery_of = original.id
            await session.flush()
            record(
                session,
                actor,
                "webhook_delivery.redelivered",
                again,
                changes={"redelivery_of": str(original.id), "event_id": str(original.event_id)},
            )
            return Response(delivery_out(again), status_code=202)

        response = await idempotent(request, session, create)
        response.background = _wake(services)
        return response

    @post("/{endpoint_id:uuid}/test", guards=[MANAGE], status_code=202, summary="Send a test event")
    async def send_test(
        self,
        endpoint_id: uuid.UUID,
        session: AsyncSession,
        principal: Principal,
        actor: Actor,
        services: Services,
        request: Request[Any, Any, Any],
    ) -> Response[WebhookDeliveryOut]:
        """Queue a `ping` event to this endpoint (whatever it subscribes to), to check the receiver end to end.

        Needs the `webhooks` or `admin` scope."""

        async def create() -> Response[WebhookDeliveryOut]:
            endpoint = await get_endpoint(session, principal, endpoint_id)
            delivery = ping(session, endpoint)
            await session.flush()
            record(session, actor, "webhook_delivery.test_sent", delivery, changes={"endpoint_id": str(endpoint.id)})
            return Response(delivery_out(delivery), status_code=202)

        response = await idempotent(request, session, create)
        response.background = _wake(services)
        return response
