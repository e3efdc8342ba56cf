"""Where connectors may connect: public internet addresses, and the hosts an operator allows.

A tenant chooses some of the hosts a connector calls (a Mastodon instance, a Bluesky PDS, a feed's site).
Without a rule, a tenant could aim the sync worker at the service's own network: loopback, the private
ranges, the cloud metadata address. The rule lives here, under the SDK's HTTP client, so every connector
(ours and third parties') obeys it without knowing it exists:

* Each new connection resolves the host name once, checks every address it resolves to, and connects to
  an address just checked. A name that resolves elsewhere a moment later (DNS rebinding) cannot move the
  connection; TLS still verifies the certificate for the host name.
* Every connection is checked, so a redirect or a next-page link to another host is checked too.
* An address is allowed when it is publicly routable, or inside a network the operator allows; a host
  is allowed whatever it resolves to when the operator names it (self-hosted instances on a private
  network). Hosts the operator configured as a connector's base URL are trusted the same way.
* A refused address fails exactly like a connection that could not be made, so the tenant learns nothing
  about the service's network from the sync's error text; the operator's log says what was refused.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import httpcore
import httpx

logger = logging.getLogger("resonance.connectors.egress")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
"""Every address a host name resolves to, for a port (the system resolver, or a test's)."""

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
"""httpx's own defaults."""
ALLOW_EXAMPLE = "mastodon.internal.example, *.corp.example, 10.20.0.0/16"


class EgressRefused(httpcore.ConnectError):
    """A connection the egress policy refused. It is a connection error on purpose: callers see a failed
    connection, the same as any other, and the reason stays in the operator's log."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"connection to {host} refused by the egress policy: {reason}")
        self.host = host
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, through the system's resolver (off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def refusal_reason(address: IPAddress) -> str | None:
    """Why `address` is not a public internet address (`loopback`, `private`…), or None when it is one.

    IPv4-mapped (`::ffff:127.0.0.1`) and 6to4 IPv6 addresses are judged by the IPv4 address they carry.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return refusal_reason(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    )
    for reason, matches in checks:
        if matches:
            return reason
    return None if address.is_global else "not publicly routable"


def literal_address(host: str) -> IPAddress | None:
    """`host` as an IP address when it is written as one (brackets of an IPv6 URL host allowed)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve_host(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """The addresses to check for `host`: itself when written as an address, else what it resolves to
    (nothing when it does not resolve)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        return await resolver(host, port)
    except (OSError, UnicodeError):
        return []


def _host_pattern(item: str) -> str:
    pattern = item.lower().rstrip(".")
    name = pattern.removeprefix("*.")
    if not name or "*" in name or "/" in name or ":" in name or " " in name:
        raise ValueError(
            f"{item!r} is neither a host name, a *.domain pattern nor an IP network; "
            f"list them separated by commas, e.g. {ALLOW_EXAMPLE}"
        )
    return pattern


@dataclass(frozen=True)
class EgressPolicy:
    """The hosts and networks a deployment's connectors may reach beyond the public internet."""

    allowed_hosts: frozenset[str] = frozenset()
    """Host names allowed whatever they resolve to: exact names, or `*.domain` for every name under it."""
    allowed_networks: tuple[IPNetwork, ...] = ()
    """Address ranges allowed besides the public internet, e.g. a private network of self-hosted instances."""
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def parse(cls, text: str) -> EgressPolicy:
        """A policy from an operator's list: host names, `*.domain` patterns and networks, comma-separated.

        `ValueError` with a sentence naming the item when one is neither.
        """
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]").replace("]/", "/"), strict=False))
            except ValueError:
                hosts.add(_host_pattern(item))
        return cls(allowed_hosts=frozenset(hosts), allowed_networks=tuple(networks))

    def trusting(self, urls: Iterable[str | None]) -> EgressPolicy:
        """This policy with the hosts of `urls` allowed too (an operator's base-URL overrides)."""
        hosts = {host.lower() for url in urls if url and (host := urlsplit(url).hostname)}
        if not hosts:
            return self
        literals = tuple(ipaddress.ip_network(address) for host in hosts if (address := literal_address(host)))
        return replace(
            self, allowed_hosts=self.allowed_hosts | hosts, allowed_networks=self.allowed_networks + literals
        )

    def host_allowed(self, host: str) -> bool:
        """Whether the operator allowed `host` by name (exactly, or under a `*.domain` pattern)."""
        name = host.lower().rstrip(".")
        return name in self.allowed_hosts or any(
            pattern.startswith("*.") and name.endswith(pattern[1:]) for pattern in self.allowed_hosts
        )

    def address_refusal(self, address: IPAddress) -> str | None:
        """Why a connection to `address` is refused, or None when it is allowed."""
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        if any(candidate in network for candidate in candidates for network in self.allowed_networks):
            return None
        reason = refusal_reason(address)
        return None if reason is None else f"{address} is a {reason} address"

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses a connection to `host` may use; `EgressRefused` when there are none.

        Every address the name resolves to must be allowed: a name with one public and one private
        address is refused, since the connection could reach either.
        """
        resolved = await resolve_host(host, port, self.resolver)
        if not resolved:
            raise EgressRefused(host, "the name does not resolve")
        if literal_address(host) is None and self.host_allowed(host):
            return resolved
        for address in resolved:
            reason = self.address_refusal(address)
            if reason is not None:
                raise EgressRefused(host, reason)
        return resolved

    async def check_url(self, url: str) -> None:
        """`EgressRefused` when a connector could not connect to `url`'s host under this policy."""
        parts = urlsplit(url)
        host = parts.hostname
        if not host:
            raise EgressRefused(url, "the URL has no host")
        try:
            port = parts.port or (80 if parts.scheme == "http" else 443)
        except ValueError:
            raise EgressRefused(host, "the URL's port is not a number") from None
        await self.addresses(host, port)

    def transport(self, *, verify: ssl.SSLContext | bool = True) -> httpx.AsyncHTTPTransport:
        """An httpx transport whose every connection obeys this policy."""
        return _GuardedTransport(self, verify=verify)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the policy in front: resolve once, check, connect to that address."""

    def __init__(self, policy: EgressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._policy.addresses(host, port)
        except EgressRefused as refused:
            logger.warning("egress refused: %s (port %d): %s", refused.host, port, refused.reason)
            raise
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # addresses is never empty
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused(path, "connectors do not connect to local sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """The one certificate-verifying TLS context of the process, shared by every connector's client.

    Loading the CA bundle into a new context costs tens of milliseconds of CPU, and every sync makes a client:
    building two per client took about half of a sync's CPU. A context only reads its settings once built, so
    sharing it between clients and event loops is safe."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over the guarded network layer.

    httpx has no parameter for httpcore's network backend, so the connection pool that its constructor
    built is replaced by one with the same settings and ours. No proxy from the environment is used: the
    policy judges the addresses connected to, which a proxy would hide.
    """

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        http2: bool = False,
    ) -> None:
        context = _verifying_context() if verify is True else httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=context, limits=limits, http2=http2, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=_GuardedBackend(policy),
        )
