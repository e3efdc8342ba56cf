"""The shape every analysis of one client shares, declared once: `GET /v1/clients/{client_id}/<name>`, the read
scope, open to keys limited to that client, and its range of days as the `days` dependency (api/parameters.py).

    class PresenceController(ClientAnalysis):
        @analysis("presence", summary="Read a client's presence", days=local_days(DEFAULT_DAYS))
        async def read_presence(self, client_id: uuid.UUID, ..., days: AskedDays) -> PresenceOut: ...
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import Provide

from api.auth import require
from api.client_keys import OPEN_TO_CLIENT_KEYS


class ClientAnalysis(Controller):
    """A controller of analyses of one client, listed under `analytics` in the API's documentation."""

    opt = {OPEN_TO_CLIENT_KEYS: True}  # every object reached through a client's lookup (api/client_keys.py)
    tags = ["analytics"]


def analysis(name: str, *, summary: str, days: Provide, **options: Any) -> get:
    """The route `GET /v1/clients/{client_id:uuid}/<name>` for the read scope, its `from`/`to` given as `days`;
    `options` are the route's other settings (`responses`…)."""
    return get(
        f"/v1/clients/{{client_id:uuid}}/{name}",
        guards=[require("read")],
        summary=summary,
        dependencies={"days": days},
        **options,
    )
