"""Where webhooks may go: http(s) URLs of public addresses only, checked at creation and again at each delivery.

A host name is resolved and every address it resolves to is checked (IPv4, IPv6, IPv4-mapped IPv6):
loopback, private, link-local, multicast, reserved and other addresses not routable on the internet are
refused unless `RESONANCE_WEBHOOK_ALLOW_PRIVATE_URLS` allows them. Deliveries re-resolve and re-check
at each attempt and then connect to the checked address itself, so a name that later resolves
somewhere else (DNS rebinding) cannot turn a delivery against the service's own network. Which
addresses count as public is the connectors' rule too (`plugins/sdk/_egress.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx
from resonance_sdk._egress import IPAddress, Resolver, literal_address, refusal_reason, resolve_host, system_resolver

EXAMPLE = "https://hooks.example.com/resonance"


class UrlRefused(ValueError):
    """The URL cannot receive webhooks; the message says why and what to do, without any secret."""


@dataclass
class AddressPolicy:
    """The rules for webhook URLs of one deployment."""

    https_only: bool
    allow_private: bool
    resolver: Resolver = field(default=system_resolver)

    def parse(self, url: str) -> SplitResult:
        """The URL's parts, or `UrlRefused` when its form cannot be used (scheme, host, credentials)."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise UrlRefused(f"url is not a valid URL; send an absolute URL such as {EXAMPLE}.") from None
        allowed = ("https",) if self.https_only else ("https", "http")
        if parts.scheme not in allowed:
            need = "https://" if self.https_only else "http:// or https://"
            raise UrlRefused(f"url must start with {need}; send the full URL of your receiver.")
        if not parts.hostname:
            raise UrlRefused(f"url has no host name; send an absolute URL such as {EXAMPLE}.")
        if parts.username is not None or parts.password is not None:
            raise UrlRefused(
                "url must not contain a user name or password; check deliveries by their signature instead."
            )
        if port == 0:
            raise UrlRefused("url has port 0; use the port your receiver listens on.")
        return parts

    async def addresses(self, url: str) -> tuple[SplitResult, list[IPAddress]]:
        """The URL's parts and the addresses it may be delivered to; `UrlRefused` when there are none.

        Every address the name resolves to must be allowed: a name with one public and one private
        address is refused, since a connection could reach either.
        """
        parts = self.parse(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        literal = literal_address(host)
        resolved = await resolve_host(host, port, self.resolver)
        if not resolved:
            raise UrlRefused(f"url host {host!r} does not resolve to any address; check the host name.")
        if not self.allow_private:
            for address in resolved:
                reason = refusal_reason(address)
                if reason is not None:
                    where = "is" if literal is not None else f"resolves to {address}, which is"
                    raise UrlRefused(
                        f"url host {host!r} {where} a {reason} address; webhooks go only to public addresses. "
                        "Use a publicly reachable URL (or set RESONANCE_WEBHOOK_ALLOW_PRIVATE_URLS=true "
                        "on a private deployment)."
                    )
        return parts, resolved

    async def check(self, url: str) -> None:
        """Raise `UrlRefused` when webhooks may not be sent to `url` (at creation)."""
        if self.allow_private:
            self.parse(url)  # any address is allowed: no need to resolve the name now
            return
        await self.addresses(url)


def pinned_request(url: httpx.URL, address: IPAddress) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The request to send to `url` over a connection to `address`, an address just checked.

    Connecting to the checked address, rather than to whatever the name resolves to a moment later,
    defeats DNS rebinding; the host name still goes in the Host header and, for https, in SNI and the
    certificate check. Returns the URL to request, the headers and the request extensions to add.
    """
    headers = {"Host": url.netloc.decode("ascii")}
    extensions: dict[str, Any] = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return url.copy_with(host=str(address)), headers, extensions
