"""Social accounts: their lookup, their connector, and the check of their credentials."""

from __future__ import annotations

import uuid
from typing import Any

import jsonschema
from sqlalchemy.ext.asyncio import AsyncSession

from api.accounts.models import SocialAccount
from api.auth import Principal
from api.errors import InvalidInput, NotFound
from plugins.registry import Registry
from plugins.sdk import Connector


async def get_account(session: AsyncSession, principal: Principal, account_id: uuid.UUID) -> SocialAccount:
    """The tenant's account, or a 404 (also for another tenant's account, and another client's for a key limited to
    one client)."""
    account = await session.get(SocialAccount, (principal.tenant_id, account_id))
    if account is None or not principal.sees_client(account.client_id):
        raise NotFound(f"There is no account {account_id} in this agency.", field="account_id")
    return account


def connector_for(registry: Registry, network: str) -> type[Connector]:
    """The connector class for `network`, or a 422 listing the available ones."""
    connector = registry.connector(network)
    if connector is None:
        available = ", ".join(sorted(registry.connectors)) or "none"
        raise InvalidInput(
            f"network {network!r} has no installed connector; use one of: {available} (see GET /v1/connectors).",
            field="network",
        )
    return connector


def validate_credentials(connector: type[Connector], credentials: dict[str, Any]) -> None:
    """Check credentials against the connector's JSON Schema; a 422 names the offending field."""
    validator = jsonschema.Draft202012Validator(dict(connector.credentials_schema))
    error = jsonschema.exceptions.best_match(validator.iter_errors(credentials))
    if error is None:
        return
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        path = ".".join(filter(None, [path, missing[0] if missing else ""]))
    field = f"credentials.{path}" if path else "credentials"
    # The message names the rule, never the value: a credential may be a secret.
    rule = error.validator if error.validator != "required" else "required"
    raise InvalidInput(
        f"{field} does not match the {connector.id} connector's credentials schema (rule: {rule}). "
        f"See GET /v1/connectors/{connector.id} for the fields it expects.",
        field=field,
    )
