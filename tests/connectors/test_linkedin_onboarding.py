"""LinkedIn accounts connected through OAuth learn which page they sync at onboarding."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from plugins.connectors.linkedin import LinkedInConnector
from plugins.sdk import AccountRef, ConnectorError
from plugins.sdk.testing import Route, serving

ACLS = json.loads((Path(__file__).parent / "fixtures" / "linkedin" / "organization_acls.json").read_text())
TOKEN = {"access_token": "AQV-onboarded-token", "expires_in": 5183999, "scope": "r_organization_social"}


def acls(*organizations: str) -> dict[str, Any]:
    element = ACLS["elements"][0]
    return {**ACLS, "elements": [{**element, "organization": f"urn:li:organization:{o}"} for o in organizations]}


def onboard(answer: dict[str, Any], account: AccountRef) -> dict[str, Any]:
    with serving([Route("GET", "/organizationAcls", json=answer)]) as server:
        connector = LinkedInConnector(base_url=server.base_url)
        return asyncio.run(connector.credentials_from_oauth(TOKEN, account=account))


def test_the_only_administered_page_is_remembered_and_makes_the_account_syncable() -> None:
    credentials = onboard(acls("2414183"), AccountRef(handle="Acme"))
    assert credentials["organization_id"] == "2414183"
    assert credentials["access_token"] == "AQV-onboarded-token"
    jsonschema.validate(credentials, dict(LinkedInConnector.credentials_schema))
    urn = LinkedInConnector()._organization_urn(AccountRef(handle="Acme", credentials=credentials))
    assert urn == "urn:li:organization:2414183"


def test_the_accounts_external_id_must_be_a_page_the_member_administers() -> None:
    chosen = onboard(acls("111", "2414183"), AccountRef(handle="Acme", external_id="2414183"))
    assert chosen["organization_id"] == "2414183"
    with pytest.raises(ConnectorError, match="does not administer organization 999"):
        onboard(acls("111", "2414183"), AccountRef(handle="Acme", external_id="999"))


def test_several_pages_without_an_external_id_ask_the_agency_to_name_one() -> None:
    with pytest.raises(ConnectorError, match=r"administers 2 pages \(111, 2414183\)") as refused:
        onboard(acls("111", "2414183"), AccountRef(handle="Acme"))
    assert "AQV-onboarded-token" not in str(refused.value)


def test_external_id_wins_over_the_onboarded_organization() -> None:
    account = AccountRef(handle="Acme", external_id="777", credentials={"organization_id": "2414183"})
    assert LinkedInConnector()._organization_urn(account) == "urn:li:organization:777"
