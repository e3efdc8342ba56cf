"""Which addresses webhooks may reach: every kind of non-public IPv4 and IPv6 address is named and refused."""

from __future__ import annotations

import ipaddress

import pytest

from api.webhooks.urls import AddressPolicy, IPAddress, UrlRefused, refusal_reason

REASONS = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "10.0.0.1": "private",
    "172.31.255.255": "private",
    "192.168.0.1": "private",
    "fc00::1": "private",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "0.0.0.0": "unspecified",  # noqa: S104 - an address under test
    "::": "unspecified",
    "224.0.0.251": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "100.64.0.1": "not publicly routable",
    "192.0.2.1": "private",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:192.168.1.1": "private",
    "::ffff:169.254.1.1": "link-local",
    "2002:7f00:1::": "loopback",  # 6to4 around 127.0.0.1
    "8.8.8.8": None,
    "93.184.215.14": None,
    "2606:4700:4700::1111": None,
    "::ffff:8.8.8.8": None,
}


@pytest.mark.parametrize(("address", "reason"), REASONS.items(), ids=list(REASONS))
def test_each_address_is_public_or_refused_with_its_reason(address: str, reason: str | None) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) == reason


async def test_every_address_of_a_name_must_be_public() -> None:
    answers = {"public.example": ["8.8.8.8", "2606:4700:4700::1111"], "split.example": ["8.8.8.8", "::1"]}

    async def resolver(host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(value) for value in answers[host]]

    policy = AddressPolicy(https_only=True, allow_private=False, resolver=resolver)

    _parts, addresses = await policy.addresses("https://public.example/hook")
    assert [str(address) for address in addresses] == answers["public.example"]
    with pytest.raises(UrlRefused, match=r"'split\.example' resolves to ::1, which is a loopback address"):
        await policy.check("https://split.example/hook")
    allowed = AddressPolicy(https_only=True, allow_private=True, resolver=resolver)
    await allowed.check("https://split.example/hook")
    with pytest.raises(UrlRefused, match="url must start with https://"):
        await allowed.check("http://public.example/hook")
