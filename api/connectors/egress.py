"""The deployment's egress policy for connectors, and the check of the hosts an account names.

Connectors reach the public internet only, plus what the operator allows (`RESONANCE_EGRESS_ALLOW`) and
the hosts of the operator's base-URL overrides; the SDK's HTTP client enforces it at every connection
(plugins/sdk/_egress.py). The check here runs when an account is created or changed, so a tenant who
names a host Resonance will not call hears it at once, with the field, rather than from a failed sync.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from api.errors import InvalidInput
from plugins.sdk import AccountRef, Connector, ConnectorError, EgressPolicy, EgressRefused
from tenants.settings import Settings, SettingsError


def egress_policy(settings: Settings) -> EgressPolicy:
    """The policy `RESONANCE_EGRESS_ALLOW` and the base-URL overrides describe; `SettingsError` when malformed."""
    try:
        policy = EgressPolicy.parse(settings.egress_allow)
    except ValueError as error:
        raise SettingsError(f"RESONANCE_EGRESS_ALLOW has {error}") from None
    return policy.trusting(settings.base_url_overrides().values())


async def check_account_hosts(
    connector: type[Connector], account: AccountRef, policy: EgressPolicy, *, overridden: bool
) -> None:
    """A 422 naming the field when the account names a host its connector may not connect to.

    With a base-URL override for the connector (`overridden`) the account's own hosts are never called,
    so there is nothing to check. Every refusal reads the same (a private address, a name that does not
    resolve), so the answer tells nothing about the service's own network.
    """
    if overridden:
        return
    try:
        urls = connector.account_urls(account)
    except ConnectorError as error:
        raise InvalidInput(f"{error}", field="handle") from None
    for field, url in urls.items():
        try:
            await policy.check_url(url)
        except EgressRefused:
            host = urlsplit(url).hostname or url
            raise InvalidInput(
                f"{field} names the host {host!r}, which is not a public internet host that Resonance may "
                "connect to. Check the host name and use the address of a public server; an operator can "
                "allow a self-hosted one on a private network with RESONANCE_EGRESS_ALLOW.",
                field=field,
            ) from None
