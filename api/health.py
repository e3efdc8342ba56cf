"""Liveness and readiness probes."""

from __future__ import annotations

import logging

import msgspec
from litestar import get

from api.errors import Unavailable
from api.services import Services

logger = logging.getLogger("resonance.api")


class HealthOut(msgspec.Struct):
    status: str


@get("/health", tags=["operations"], exclude_from_auth=True, summary="Liveness")
async def health() -> HealthOut:
    """The process is up."""
    return HealthOut(status="ok")


@get("/ready", tags=["operations"], exclude_from_auth=True, summary="Readiness")
async def ready(services: Services) -> HealthOut:
    """The database answers; a 503 problem otherwise."""
    try:
        await services.database.ping()
    except Exception as error:
        logger.warning("readiness check failed: %s", type(error).__name__)
        raise Unavailable("The database does not answer; the service is not ready.") from None
    return HealthOut(status="ready")
