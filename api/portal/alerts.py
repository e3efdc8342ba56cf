"""The agency's alerts in the portal: open or acknowledged ones, and acknowledging one (with htmx or a plain form).

The lookups are the API's (`api/alerts/service.py`): a client viewer sees its client's alerts only, another
agency's alert is a 404, and acknowledging needs the write scope, refused with a 403 as the API refuses a
read-only key.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Template
from sqlmodel import col, select

from api.alerts.models import Alert
from api.alerts.service import acknowledge_alert, get_alert, list_alerts
from api.clients.models import Client
from api.errors import Conflict
from api.portal.pages import page
from api.portal.viewer import Viewer, provide_viewer
from api.services import Services

PAGE_SIZE = 200
"""Alerts shown at once (newest first): more than a desk handles in a day."""

Shown = Literal["open", "acknowledged"]


def summary(alert: Alert) -> dict[str, Any]:
    """The few figures of the evidence worth a glance: the observed value, the threshold, the z-score."""
    evidence = alert.evidence or {}
    return {name: evidence.get(name) for name in ("observed", "threshold", "z_score") if evidence.get(name) is not None}


class AlertsController(Controller):
    """The alerts page of a signed-in member."""

    path = "/portal/alerts"
    include_in_schema = False
    opt = {"exclude_from_auth": True}
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/")
    async def alerts(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, status: Shown = "open"
    ) -> Template:
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            rows, _next = await list_alerts(session, viewer.principal, limit=PAGE_SIZE, status=status)
            clients = await _client_names(session, viewer)
        return page(
            request,
            "alerts.html",
            viewer,
            alerts=rows,
            clients=clients,
            status=status,
            summary=summary,
            may_acknowledge=viewer.may("write"),
        )

    @post("/{alert_id:uuid}/acknowledge", status_code=303)
    async def acknowledge(
        self, request: Request[Any, Any, Any], services: Services, viewer: Viewer, alert_id: uuid.UUID
    ) -> Response[Any]:
        if not viewer.may("write"):
            raise PermissionDeniedException()
        async with services.database.tenant_session(viewer.principal.tenant_id) as session:
            try:
                alert = await acknowledge_alert(session, viewer.principal, alert_id, viewer.principal.actor())
            except Conflict:
                # Someone was quicker (or it was resolved meanwhile): show the alert as it now is.
                alert = await get_alert(session, viewer.principal, alert_id)
            clients = await _client_names(session, viewer)
        if request.headers.get("hx-request"):
            return page(
                request,
                "alert_row.html",
                viewer,
                alert=alert,
                clients=clients,
                summary=summary,
                may_acknowledge=True,
            )
        return Redirect("/portal/alerts", status_code=303)


async def _client_names(session: Any, viewer: Viewer) -> dict[uuid.UUID, str]:
    statement = select(Client.id, Client.name)
    if viewer.principal.client_id is not None:
        statement = statement.where(col(Client.id) == viewer.principal.client_id)
    return {client_id: name for client_id, name in (await session.execute(statement)).all()}
