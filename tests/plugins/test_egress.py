"""The SDK's egress policy: connectors reach public addresses and the operator's allowed hosts only."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterator

import httpx
import pytest
from resonance_sdk._egress import IPAddress

from plugins.sdk import (
    AccountRef,
    Connector,
    ConnectorHttp,
    EgressPolicy,
    EgressRefused,
    HttpPolicy,
    TransientError,
    Window,
)
from plugins.sdk.testing import FixtureServer, Route, serving

NAME = "api.chirp.test"
"""A name no real resolver knows (the .test domain is reserved): reaching the server through it proves the
connection went to the address the policy's own resolver returned and checked."""

QUICK = HttpPolicy(max_attempts=2, backoff_initial_seconds=0.001, timeout_seconds=5)


async def no_sleep(_seconds: float) -> None:
    return None


class Resolver:
    """A resolver answering from a table, counting the look-ups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, _port: int) -> list[IPAddress]:
        self.calls.append(host)
        return [ipaddress.ip_address(address) for address in self.table.get(host, [])]


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with serving([Route("GET", "/v1/me", json={"id": "42"})]) as running:
        yield running


def port_of(server: FixtureServer) -> int:
    port = httpx.URL(server.base_url).port
    assert port is not None
    return port


def http(base_url: str, egress: EgressPolicy | None = None) -> ConnectorHttp:
    return ConnectorHttp(network="chirp", base_url=base_url, egress=egress, policy=QUICK, sleep=no_sleep)


async def get_me(client: ConnectorHttp) -> object:
    async with client:
        return await client.get_json("me")


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address refused, not bound
        ("100.64.0.1", "not publicly routable"),  # carrier-grade NAT
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("224.0.0.1", "multicast"),
    ],
)
def test_non_public_addresses_are_refused(host: str, kind: str) -> None:
    with pytest.raises(EgressRefused) as refused:
        asyncio.run(EgressPolicy().addresses(host, 443))
    assert kind in refused.value.reason


def test_public_addresses_are_allowed() -> None:
    for host in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"):
        assert asyncio.run(EgressPolicy().addresses(host, 443)) == [ipaddress.ip_address(host)]


def test_a_name_is_refused_when_any_address_it_resolves_to_is_not_public() -> None:
    resolver = Resolver({"mixed.example": ["93.184.216.34", "10.0.0.7"], "gone.example": []})
    policy = EgressPolicy(resolver=resolver)
    with pytest.raises(EgressRefused, match=r"10\.0\.0\.7 is a private address"):
        asyncio.run(policy.addresses("mixed.example", 443))
    with pytest.raises(EgressRefused, match="does not resolve"):
        asyncio.run(policy.addresses("gone.example", 443))


def test_the_default_client_never_reaches_a_loopback_server(server: FixtureServer) -> None:
    with pytest.raises(TransientError) as failed:
        asyncio.run(get_me(http(server.base_url + "/v1")))
    assert server.log == []
    assert "chirp GET /v1/me: no answer" in str(failed.value)


def test_a_refused_address_reads_exactly_like_a_closed_port(server: FixtureServer) -> None:
    """The tenant cannot tell the policy's refusal from a port nobody listens on, nor learn the address."""
    refused_host = http(f"http://127.0.0.1:{port_of(server)}/v1")
    closed_port = http("http://127.0.0.1:9/v1", EgressPolicy.parse("127.0.0.0/8"))
    messages = []
    for client in (refused_host, closed_port):
        with pytest.raises(TransientError) as failed:
            asyncio.run(get_me(client))
        messages.append(str(failed.value))
    assert messages[0] == messages[1] == "chirp GET /v1/me: no answer (the connection failed or timed out)"
    assert server.log == []


def test_the_connection_goes_to_the_address_that_was_checked(server: FixtureServer) -> None:
    resolver = Resolver({NAME: ["127.0.0.1"]})
    policy = EgressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),), resolver=resolver)
    base = f"http://{NAME}:{port_of(server)}/v1"
    assert asyncio.run(get_me(http(base, policy))) == {"id": "42"}
    assert server.log[0].headers["host"] == f"{NAME}:{port_of(server)}"  # the name still goes in Host
    assert resolver.calls == [NAME]  # resolved once, by the policy, never again by the system


def test_a_name_resolving_to_loopback_is_refused_unless_allowed(server: FixtureServer) -> None:
    resolver = Resolver({NAME: ["127.0.0.1"]})
    base = f"http://{NAME}:{port_of(server)}/v1"
    with pytest.raises(TransientError):
        asyncio.run(get_me(http(base, EgressPolicy(resolver=resolver))))
    assert server.log == []
    by_name = EgressPolicy(allowed_hosts=frozenset({NAME}), resolver=resolver)
    assert asyncio.run(get_me(http(base, by_name))) == {"id": "42"}
    by_pattern = EgressPolicy.parse("*.chirp.test")
    assert asyncio.run(get_me(http(base, EgressPolicy(by_pattern.allowed_hosts, resolver=resolver)))) == {"id": "42"}


def test_every_redirect_is_checked_again(server: FixtureServer) -> None:
    """Even a client that follows redirects cannot be bounced to a host the policy refuses."""
    port = port_of(server)
    server.routes.append(
        Route("GET", "/v1/hop", status=302, headers={"Location": f"http://localhost:{port}/v1/me"}, body="")
    )
    resolver = Resolver({NAME: ["127.0.0.1"], "localhost": ["127.0.0.1"]})
    policy = EgressPolicy(allowed_hosts=frozenset({NAME}), resolver=resolver)

    async def follow() -> None:
        async with httpx.AsyncClient(transport=policy.transport(), follow_redirects=True) as client:
            await client.get(f"http://{NAME}:{port}/v1/hop")

    with pytest.raises(httpx.ConnectError, match="refused by the egress policy"):
        asyncio.run(follow())
    assert [request.path for request in server.log] == ["/v1/hop"]


def test_the_operator_list_is_parsed_and_bad_items_are_named() -> None:
    policy = EgressPolicy.parse(" mastodon.corp.example, *.pds.example ,10.20.0.0/16, [fd00::]/8, 192.168.7.7 ")
    assert policy.allowed_hosts == {"mastodon.corp.example", "*.pds.example"}
    assert policy.allowed_networks == (
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("fd00::/8"),
        ipaddress.ip_network("192.168.7.7/32"),
    )
    assert policy.host_allowed("Mastodon.Corp.Example.")
    assert policy.host_allowed("eu.pds.example")
    assert not policy.host_allowed("pds.example")
    assert not policy.host_allowed("mastodon.corp.example.evil.example")
    assert asyncio.run(policy.addresses("10.20.3.4", 443)) == [ipaddress.ip_address("10.20.3.4")]
    with pytest.raises(EgressRefused):
        asyncio.run(policy.addresses("10.21.0.1", 443))
    with pytest.raises(ValueError, match=r"'http://x/y' is neither a host name"):
        EgressPolicy.parse("ok.example, http://x/y")


class Chirp(Connector):
    id = "chirp"
    name = "Chirp"
    version = "1.0.0"
    default_base_url = "https://api.chirp.example/v1"

    async def check(self, credentials: object) -> None:
        async with self.http() as client:
            await client.get_json("me")

    def fetch(self, account: AccountRef, window: Window, state: object) -> object:  # type: ignore[override]
        raise AssertionError("not used")


def test_a_base_url_given_to_the_connector_is_trusted_but_a_tenants_host_is_not(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's (or a test's) base URL override is reachable; the same host chosen per account is not."""
    monkeypatch.setattr("resonance_sdk._http.sleep_for", no_sleep)  # the retries of the refused host, at once
    overridden = Chirp(base_url=server.base_url + "/v1")
    asyncio.run(overridden.check({}))
    assert [request.path for request in server.log] == ["/v1/me"]

    scoped = Chirp()
    scoped.base_url = server.base_url + "/v1"  # what a connector does with a host named by the account
    with pytest.raises(TransientError, match="no answer"):
        asyncio.run(scoped.check({}))
    assert len(server.log) == 1


def test_every_connector_client_shares_one_verifying_tls_context() -> None:
    """Building a TLS context loads the CA bundle (tens of milliseconds): a sync makes a client, so they share one."""
    first, second = EgressPolicy().transport(), EgressPolicy().transport()
    first_context = first._pool._ssl_context  # type: ignore[attr-defined]
    assert first_context is second._pool._ssl_context  # type: ignore[attr-defined]
    assert first_context.verify_mode == ssl.CERT_REQUIRED
    assert first_context.check_hostname is True
