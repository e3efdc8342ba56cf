"""A small, correct connector for the kit's own tests: "Chirp", a made-up network with cursor paging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date, datetime
from typing import Any

import httpx

from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BearerToken,
    Checkpoint,
    Connector,
    ConnectorError,
    MetricDeclaration,
    MetricPoint,
    Post,
    Record,
    Window,
    hookimpl,
)


def classify(response: httpx.Response, body: Any) -> ConnectorError | None:
    if isinstance(body, dict) and body.get("error") == "invalid_token":
        return AuthenticationError("chirp refused the token")
    return None


class ChirpConnector(Connector):
    id = "chirp"
    name = "Chirp"
    version = "1.0.0"
    default_base_url = "https://api.chirp.example/v1"
    capabilities = frozenset({"account_metrics", "posts"})
    metrics = (
        MetricDeclaration(native="fans", canonical="followers", unit="accounts"),
        MetricDeclaration(native="likes", canonical="reactions", unit="actions"),
    )
    credentials_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {"token": {"type": "string", "writeOnly": True, "minLength": 1}},
        "required": ["token"],
        "additionalProperties": False,
    }

    async def check(self, credentials: Mapping[str, Any]) -> None:
        async with self.http(token=BearerToken(str(credentials.get("token", ""))), classify_error=classify) as http:
            await http.get_json("me")

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        token = BearerToken(str(account.credentials["token"]))
        async with self.http(token=token, classify_error=classify) as http:
            profile = await http.get_json("me")
            if window.since <= date.fromisoformat(profile["as_of"]) <= window.until:
                yield MetricPoint(native_metric="fans", day=date.fromisoformat(profile["as_of"]), value=profile["fans"])
            params: dict[str, Any] = {"since": window.since.isoformat(), "until": window.until.isoformat()}
            if state.get("cursor"):
                params["cursor"] = state["cursor"]
            while True:
                body = await http.get_json("posts", params=params)
                for item in body["posts"]:
                    yield Post(
                        external_id=item["id"],
                        published_at=datetime.fromisoformat(item["at"]),
                        text=item["text"],
                        metrics={"likes": float(item["likes"])},
                    )
                if not body.get("next"):
                    break
                params["cursor"] = body["next"]
                yield Checkpoint(state={"cursor": body["next"]})


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    return [ChirpConnector]
