"""A deployment's pace for a network's requests: the hook that keeps N workers inside one network quota."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class RequestPacer(Protocol):
    """Admits one network's requests at the deployment's pace, shared by every worker.

    A network's quota belongs to the operator's application, not to one worker, so the pace is kept outside
    the connector: Resonance sets `Connector.pacer` before a sync and `ConnectorHttp` asks it before every
    attempt (retries included). Connectors never call it themselves.
    """

    async def admit(self, network: str) -> float:
        """0 when a request to `network` may be sent now (its turn is taken), else the seconds until it may
        ask again (nothing taken): the client sleeps that long and asks again."""
        ...
