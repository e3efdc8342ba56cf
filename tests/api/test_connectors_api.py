"""The connector listing: what each installed connector provides and needs."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import assert_problem, create_key
from tests.conftest import Agency


def test_list_connectors_includes_the_demo_connector(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.get("/v1/connectors", headers=agency.headers)

    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["problems"], list)
    ids = [c["id"] for c in body["data"]]
    assert ids == sorted(ids)
    demo = next(c for c in body["data"] if c["id"] == "demo")
    assert demo["name"] == "Demo network"
    assert demo["plugin"] == "demo"
    assert {"account_metrics", "posts", "mentions", "public_data"} <= set(demo["capabilities"])
    native = {m["native"]: m["canonical"] for m in demo["metrics"]}
    assert native["page_fans"] == "followers"
    assert native["page_impressions"] == "impressions"
    assert demo["credentials_schema"]["additionalProperties"] is False
    assert set(demo["credentials_schema"]["properties"]) == {"api_token"}


def test_get_one_connector_matches_the_listing(client: TestClient[Litestar], agency: Agency) -> None:
    listed = next(c for c in client.get("/v1/connectors", headers=agency.headers).json()["data"] if c["id"] == "demo")

    response = client.get("/v1/connectors/demo", headers=agency.headers)

    assert response.status_code == 200
    assert response.json() == listed


def test_unknown_connector_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.get("/v1/connectors/friendster", headers=agency.headers)

    problem = assert_problem(response, 404, code="not_found", field="connector_id")
    assert "friendster" in problem["detail"]


def test_every_connector_metric_is_in_the_catalogue(client: TestClient[Litestar], agency: Agency) -> None:
    catalogue = {m["id"]: m for m in client.get("/v1/metrics/catalog", headers=agency.headers).json()["metrics"]}

    for connector in client.get("/v1/connectors", headers=agency.headers).json()["data"]:
        for metric in connector["metrics"]:
            assert metric["canonical"] in catalogue, (connector["id"], metric)


def test_a_read_only_key_can_list_connectors(client: TestClient[Litestar], agency: Agency) -> None:
    reader = create_key(client, agency, ["read"])

    assert client.get("/v1/connectors", headers=reader.headers).status_code == 200
    assert client.get("/v1/connectors/demo", headers=reader.headers).status_code == 200


def test_connectors_need_a_key(client: TestClient[Litestar]) -> None:
    assert_problem(client.get("/v1/connectors"), 401, code="unauthorized")
    assert_problem(client.get("/v1/connectors/demo"), 401, code="unauthorized")
