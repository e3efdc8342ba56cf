"""A fake DNS for custom-domain verification: TXT records the test publishes, behind the real resolver's interface."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tenants.domains import TxtLookupError
from tests.conftest import Agency


class FakeResolver:
    """TXT records by name; a name never published is NXDOMAIN, one in `timeouts` does not answer."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.timeouts: set[str] = set()
        self.asked: list[str] = []

    async def txt(self, name: str) -> list[str]:
        self.asked.append(name)
        if name in self.timeouts:
            raise TxtLookupError("the DNS did not answer within 5 seconds")
        if name not in self.records:
            raise TxtLookupError("the DNS says there is no such name (NXDOMAIN)")
        return list(self.records[name])

    def publish(self, record: dict[str, Any]) -> None:
        """Publish a domain's `verification_record` as the API shows it."""
        self.records.setdefault(record["name"], []).append(record["value"])


def fake_dns(client: TestClient[Litestar]) -> FakeResolver:
    """The application's fake resolver, put in place on first use."""
    services = client.app.state.services
    if not isinstance(services.domain_resolver, FakeResolver):
        services.domain_resolver = FakeResolver()
    resolver: FakeResolver = services.domain_resolver
    return resolver


def domain_of(client: TestClient[Litestar], agency: Agency, host: str) -> dict[str, Any]:
    """The agency's domain `host` as GET /v1/tenant/domains lists it."""
    listed = client.get("/v1/tenant/domains", headers=agency.headers).json()["data"]
    [domain] = [row for row in listed if row["host"] == host]
    return domain


def verify(client: TestClient[Litestar], agency: Agency, host: str) -> dict[str, Any]:
    """Publish the agency's TXT record for `host` in the fake DNS and verify the domain through the API."""
    fake_dns(client).publish(domain_of(client, agency, host)["verification_record"])
    response = client.post(f"/v1/tenant/domains/{host}/verify", headers=agency.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
