"""Request and response shapes of webhook endpoints and deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

EventType = Literal["alert.opened", "alert.resolved", "sync.failed", "account.needs_reauth"]
DeliveryStatus = Literal["pending", "succeeded", "failed"]

EndpointUrl = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=2000,
        examples=["https://hooks.agency.example/resonance"],
        description="Where deliveries are POSTed: https (http outside production), a public address.",
    ),
]
Description = Annotated[str, msgspec.Meta(max_length=500, examples=["Alerts to the on-call channel"])]
EventTypes = Annotated[
    list[EventType],
    msgspec.Meta(min_length=1, max_length=10, examples=[["alert.opened", "sync.failed"]]),
]


class WebhookEndpointIn(msgspec.Struct, forbid_unknown_fields=True):
    """A receiver of events. Its signing secret is generated and returned once, in the creation response."""

    url: EndpointUrl
    event_types: EventTypes
    description: Description | None = None


class WebhookEndpointOut(msgspec.Struct):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    created_at: datetime


class WebhookEndpointCreated(msgspec.Struct):
    """The new endpoint and its signing secret: store the secret now, it is never shown again."""

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    created_at: datetime
    secret: str | None
    """`whsec_…`: the HMAC-SHA256 key of the `Resonance-Signature` header (null in an Idempotency-Key replay)."""


class WebhookEndpointPage(msgspec.Struct):
    data: list[WebhookEndpointOut]
    next_cursor: str | None


class WebhookDeliveryOut(msgspec.Struct):
    """One event sent (or to send) to one endpoint, with its latest attempt."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    redelivery_of: uuid.UUID | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class WebhookDeliveryPage(msgspec.Struct):
    data: list[WebhookDeliveryOut]
    next_cursor: str | None
