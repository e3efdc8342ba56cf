"""The example third-party plugin, `resonance-feed`, used exactly as an installed third-party package is.

Nothing here imports the plugin to register it: it is found through the `resonance.plugins` entry
point of the installed distribution (the README's test command installs plugins/examples/feed), then
listed by the API and the CLI, and an account on its `feed` network syncs through the API against a
local server that stands in for the feed's site (the operator's `connector_base_urls` override).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import distribution, entry_points, version
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from packaging.requirements import Requirement
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from plugins.registry import load_registry
from plugins.sdk import ENTRY_POINT_GROUP
from plugins.sdk.testing import FixtureServer, Route, serving
from tests.conftest import Agency, TestDatabase, make_settings, run_syncs, sign_up

FIXTURES = Path(__file__).resolve().parents[1] / "plugins" / "examples" / "feed" / "tests" / "fixtures"
BLOG_URL = "https://blog.boulangerie-martin.example/feed.xml"
PRESS_URL = "https://press.fournil-co.example/releases/feed.atom"
RSS = {"Content-Type": "application/rss+xml; charset=UTF-8"}
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}

BLOG_POSTS_IN_MARCH = [  # newest first, as the API lists them
    "https://blog.boulangerie-martin.example/?p=207",
    "https://blog.boulangerie-martin.example/?p=198",
    "https://blog.boulangerie-martin.example/?p=201",
    "https://blog.boulangerie-martin.example/?p=190",
    "https://blog.boulangerie-martin.example/?p=185",
]


@pytest.fixture(autouse=True)
def _every_installed_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESONANCE_PLUGINS", raising=False)


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def feed_routes() -> list[Route]:
    """The blog's and the press room's recorded pages, as their sites serve them."""
    return [
        Route("GET", "/feed.xml", query={"page": "2"}, body=recorded("blog-page-2.rss.xml"), headers=RSS),
        Route("GET", "/feed.xml", body=recorded("blog-page-1.rss.xml"), headers=RSS),
        Route("GET", "/releases/feed.atom", query={"page": "2"}, body=recorded("press-page-2.atom.xml"), headers=ATOM),
        Route("GET", "/releases/feed.atom", body=recorded("press-page-1.atom.xml"), headers=ATOM),
    ]


# --- discovery ------------------------------------------------------------------------------------


def test_the_installed_package_registers_feed_through_its_entry_point() -> None:
    (entry_point,) = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == "feed"]
    assert entry_point.value == "resonance_feed"
    assert entry_point.dist is not None
    assert entry_point.dist.name == "resonance-feed"

    registry = load_registry()

    connector = registry.connector("feed")
    assert connector is not None
    assert connector.__module__ == "resonance_feed"
    assert registry.connector_plugins["feed"] == "feed"
    assert [problem for problem in registry.problems if problem.plugin == "feed"] == []
    assert {"posts", "account_metrics", "public_data"} <= connector.capabilities
    assert [(m.native, m.canonical) for m in connector.metrics] == [("entries_published", "posts_published")]


def test_the_package_declares_an_sdk_range_that_the_installed_sdk_satisfies() -> None:
    # Since SDK 0.3 a plugin depends on the SDK's own distribution, never on the service.
    requirements = {Requirement(line).name: Requirement(line) for line in distribution("resonance-feed").requires or []}
    assert set(requirements) >= {"resonance-sdk", "feedparser"}
    assert "resonance" not in requirements
    assert requirements["resonance-sdk"].specifier.contains(version("resonance-sdk"))
    assert str(requirements["resonance-sdk"].specifier), "a plugin names the SDK versions it works with"


def test_the_plugin_imports_nothing_of_resonance_but_the_sdk() -> None:
    (entry_point,) = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == "feed"]
    module = entry_point.load()
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    ours = {"api", "plugins", "tenants", "migrations", "resonance_sdk"}
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert {name for name in imported if name.split(".")[0] in ours} == {"resonance_sdk"}


def test_get_connectors_lists_feed(client: TestClient[Litestar], agency: Agency) -> None:
    listed = client.get("/v1/connectors", headers=agency.headers)
    assert listed.status_code == 200, listed.text
    feed = next(item for item in listed.json()["data"] if item["id"] == "feed")
    assert feed["plugin"] == "feed"
    assert feed["name"] == "RSS and Atom feeds"
    assert feed["credentials_schema"]["properties"]["password"]["writeOnly"] is True
    assert client.get("/v1/connectors/feed", headers=agency.headers).json()["version"] == version("resonance-feed")


def test_connector_list_command_lists_feed() -> None:
    result = CliRunner().invoke(cli, ["connector", "list"])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.split()[:1] == ["feed"]]
    assert f"RSS and Atom feeds {version('resonance-feed')}" in line
    assert line.split()[-2:] == ["(plugin", "feed)"]


def test_connector_run_prints_the_feed_entries_against_a_local_server() -> None:
    with serving(feed_routes()) as server:
        result = CliRunner().invoke(
            cli,
            [
                *("connector", "run", "feed", "--account", BLOG_URL),
                *("--since", "2026-03-01", "--until", "2026-03-31"),
                *("--kind", "competitor", "--base-url", server.base_url),
            ],
        )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [record["external_id"] for record in records if record["type"] == "Post"] == [
        BLOG_POSTS_IN_MARCH[i]
        for i in (0, 2, 1, 3, 4)  # in feed order
    ]
    assert sum(record["value"] for record in records if record["type"] == "MetricPoint") == 5


# --- syncing through the API ----------------------------------------------------------------------


@contextmanager
def feed_app(database: TestDatabase) -> Iterator[tuple[TestClient[Litestar], FixtureServer, Agency, str]]:
    """The app with the operator's override sending `feed` to a local server; an agency and a client."""
    with serving(feed_routes()) as server:
        app = create_app(make_settings(database, connector_base_urls="feed=" + server.base_url))
        with TestClient(app, raise_server_exceptions=False) as client:
            agency = sign_up(client, "Agency Feed")
            made = client.post("/v1/clients", json={"name": "Boulangerie Martin"}, headers=agency.headers)
            assert made.status_code == 201, made.text
            yield client, server, agency, made.json()["id"]


def sync_march(client: TestClient[Litestar], agency: Agency, account_id: str) -> dict[str, object]:
    started = client.post(
        f"/v1/accounts/{account_id}/syncs", json={"since": "2026-03-01", "until": "2026-03-31"}, headers=agency.headers
    )
    assert started.status_code == 202, started.text
    run_syncs(client)
    finished: dict[str, object] = client.get(f"/v1/syncs/{started.json()['id']}", headers=agency.headers).json()
    return finished


def test_a_competitors_feed_syncs_through_the_api(database: TestDatabase) -> None:
    with feed_app(database) as (client, server, agency, client_id):
        created = client.post(
            f"/v1/clients/{client_id}/accounts",
            json={"network": "feed", "handle": BLOG_URL, "kind": "competitor"},
            headers=agency.headers,
        )
        assert created.status_code == 201, created.text
        account_id = created.json()["id"]

        finished = sync_march(client, agency, account_id)
        assert finished["status"] == "succeeded", finished

        posts = client.get(f"/v1/accounts/{account_id}/posts", params={"limit": 50}, headers=agency.headers).json()
        assert [post["external_id"] for post in posts["data"]] == BLOG_POSTS_IN_MARCH
        levain = posts["data"][0]
        assert levain["published_at"].startswith("2026-03-24T17:05:00")
        assert levain["text"].startswith("Notre pain au levain primé au concours régional\n\nMédaille d'or")
        assert levain["url"] == "https://blog.boulangerie-martin.example/2026/03/levain-prime/"

        metrics = client.get(
            "/v1/metrics",
            params={
                "account_id": account_id,
                "metric": "posts_published",
                "from": "2026-03-01",
                "to": "2026-03-31",
                "granularity": "day",
            },
            headers=agency.headers,
        ).json()
        (series,) = metrics["series"]
        assert series["native_metrics"] == ["entries_published"]
        assert series["quality"] == ["exact"]
        by_day = {point["period"]: point["value"] for point in series["points"]}
        assert by_day["2026-03-16"] == 2
        assert sum(by_day.values()) == 5
        assert len(server.requests_to("/feed.xml")) == 2  # paging stopped once it reached February


def test_a_protected_feed_syncs_with_its_stored_credentials(database: TestDatabase) -> None:
    login = {"username": "journalistes", "password": "levain-2026-presse", "feed_url": PRESS_URL}
    with feed_app(database) as (client, server, agency, client_id):
        created = client.post(
            f"/v1/clients/{client_id}/accounts",
            json={
                "network": "feed",
                "handle": "fournil-presse",
                "settings": {"feed_url": PRESS_URL},
                "credentials": login,
            },
            headers=agency.headers,
        )
        assert created.status_code == 201, created.text
        assert created.json()["has_credentials"] is True
        account_id = created.json()["id"]

        finished = sync_march(client, agency, account_id)
        assert finished["status"] == "succeeded", finished

        posts = client.get(f"/v1/accounts/{account_id}/posts", headers=agency.headers).json()["data"]
        assert len(posts) == 4
        sent = {served.headers.get("authorization") for served in server.requests_to("/releases/feed.atom")}
        assert sent == {"Basic am91cm5hbGlzdGVzOmxldmFpbi0yMDI2LXByZXNzZQ=="}


def test_a_feed_account_without_an_https_url_is_refused_with_its_reason(database: TestDatabase) -> None:
    with feed_app(database) as (client, _server, agency, client_id):
        created = client.post(
            f"/v1/clients/{client_id}/accounts",
            json={"network": "feed", "handle": "http://blog.boulangerie-martin.example/feed.xml"},
            headers=agency.headers,
        )
        finished = sync_march(client, agency, created.json()["id"])
        assert finished["status"] == "failed"
        assert "must be an https URL" in str(finished["error"])
