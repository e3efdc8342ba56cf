"""The real resolver (dnspython) behind `TxtResolver`: its answers and failures, with dnspython's lookup faked."""

from __future__ import annotations

from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver
import pytest

from tenants.domains import DnsResolver, TxtLookupError


class _Rdata:
    def __init__(self, *strings: bytes) -> None:
        self.strings = strings


def _answering(monkeypatch: pytest.MonkeyPatch, outcome: object) -> list[tuple[str, str, float]]:
    asked: list[tuple[str, str, float]] = []

    async def resolve(self: dns.asyncresolver.Resolver, name: str, kind: str, *args: Any, **kwargs: Any) -> object:
        asked.append((name, kind, self.lifetime))
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    monkeypatch.setattr(dns.asyncresolver.Resolver, "resolve", resolve)
    return asked


async def test_txt_strings_are_joined_per_record(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _answering(monkeypatch, [_Rdata(b"resonance-verification=", b"abc"), _Rdata(b"v=spf1 -all")])

    assert await DnsResolver(timeout=3).txt("_resonance-challenge.portal.example") == [
        "resonance-verification=abc",
        "v=spf1 -all",
    ]
    assert asked == [("_resonance-challenge.portal.example", "TXT", 3)]


async def test_a_name_without_txt_records_answers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _answering(monkeypatch, dns.resolver.NoAnswer())

    assert await DnsResolver().txt("_resonance-challenge.portal.example") == []


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (dns.resolver.NXDOMAIN(), "no such name (NXDOMAIN)"),
        (dns.resolver.LifetimeTimeout(timeout=5.0, errors={}), "did not answer within 5 seconds"),
        (dns.resolver.NoNameservers(), "could not be asked"),
    ],
)
async def test_dns_failures_become_a_reason(monkeypatch: pytest.MonkeyPatch, failure: Exception, said: str) -> None:
    _answering(monkeypatch, failure)

    with pytest.raises(TxtLookupError) as raised:
        await DnsResolver(timeout=5).txt("_resonance-challenge.portal.example")
    assert said in raised.value.reason
