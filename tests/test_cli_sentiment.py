"""`resonance sentiment reanalyse`: relabel a client's mentions after an analyser upgrade, from the terminal."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import and_, select, update
from typer.testing import CliRunner

from api.cli import app
from api.content.models import StoredMention
from api.sentiment import default_analyzer
from tests.api.conftest import create_client, owner_connection, table
from tests.conftest import Agency, TestDatabase

runner = CliRunner()
MENTIONS_TABLE = table(StoredMention)

MENTIONS = [
    {"source": "reviews", "external_id": "r-1", "published_at": "2026-11-02T09:30:00Z", "text": "I love it, amazing!"},
    {
        "source": "reviews",
        "external_id": "r-2",
        "published_at": "2026-11-10T09:30:00Z",
        "text": "Livraison nulle, très déçu.",
    },
    {"source": "forum", "external_id": "f-1", "published_at": "2026-11-20T08:00:00Z", "text": "Opens at 9."},
]


@pytest.fixture
def cli_env(database: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI over the test database: the app's role, and the owner's for finding a client's agency."""
    monkeypatch.setenv("RESONANCE_DATABASE_URL", database.url)
    monkeypatch.setenv("RESONANCE_MIGRATION_DATABASE_URL", database.owner_url)
    monkeypatch.setenv("RESONANCE_SECRET_KEY", "test-secret-key-" + "x" * 32)
    monkeypatch.delenv("RESONANCE_ENV", raising=False)


def labelled_by_an_old_analyser(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> str:
    """A client with three imported mentions, marked as labelled neutral by an older lexicon."""
    owner = create_client(client, agency)
    response = client.post(f"/v1/clients/{owner['id']}/mentions", json=MENTIONS, headers=agency.headers)
    assert response.status_code == 200, response.text
    with owner_connection(database) as connection:
        connection.execute(
            update(MENTIONS_TABLE)
            .where(MENTIONS_TABLE.c.client_id == uuid.UUID(owner["id"]))
            .values(
                sentiment_label="neutral", sentiment_score=0, sentiment_analyzer="old-lexicon", sentiment_version="0.9"
            )
        )
    return str(owner["id"])


def stored(database: TestDatabase, client_id: str) -> dict[str, tuple[str, str, str]]:
    with owner_connection(database) as connection:
        columns = MENTIONS_TABLE.c
        rows = connection.execute(
            select(
                columns.external_id, columns.sentiment_label, columns.sentiment_analyzer, columns.sentiment_version
            ).where(columns.client_id == uuid.UUID(client_id))
        ).all()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def words(output: str) -> str:
    return " ".join(output.split())


def test_a_dry_run_counts_what_would_change_and_writes_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, cli_env: None
) -> None:
    client_id = labelled_by_an_old_analyser(client, agency, database)
    before = stored(database, client_id)

    result = runner.invoke(app, ["sentiment", "reanalyse", "--client", client_id, "--dry-run"])

    assert result.exit_code == 0, result.output
    output = words(result.output)
    assert "3 mention(s) to analyse with resonance-default" in output
    assert "labelled until now by old-lexicon 0.9: 3" in output
    assert "dry run: 3 mention(s) would be relabelled" in output
    assert "2 label(s) would change (neutral → negative 1, neutral → positive 1)" in output
    assert "Nothing was written." in output
    assert stored(database, client_id) == before


def test_reanalyse_relabels_with_todays_analyser_then_has_nothing_left(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, cli_env: None
) -> None:
    client_id = labelled_by_an_old_analyser(client, agency, database)
    default = default_analyzer()

    result = runner.invoke(app, ["sentiment", "reanalyse", "--client", client_id, "--tenant", agency.tenant_id])

    assert result.exit_code == 0, result.output
    assert f"relabelled 3 mention(s) of client {client_id}" in words(result.output)
    assert stored(database, client_id) == {
        "r-1": ("positive", default.name, default.version),
        "r-2": ("negative", default.name, default.version),
        "f-1": ("neutral", default.name, default.version),
    }
    again = runner.invoke(app, ["sentiment", "reanalyse", "--client", client_id])
    assert again.exit_code == 0, again.output
    assert "is already labelled by resonance-default" in words(again.output)
    assert "nothing to do" in again.output


def test_since_limits_the_run_to_mentions_published_from_that_day(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, cli_env: None
) -> None:
    client_id = labelled_by_an_old_analyser(client, agency, database)

    result = runner.invoke(app, ["sentiment", "reanalyse", "--client", client_id, "--since", "2026-11-10"])

    assert result.exit_code == 0, result.output
    assert "relabelled 2 mention(s)" in words(result.output)
    assert stored(database, client_id)["r-1"] == ("neutral", "old-lexicon", "0.9")


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (["--client", "nope"], "--client must be a client id (a UUID), got 'nope'."),
        (["--client", str(uuid.UUID(int=7))], f"there is no client {uuid.UUID(int=7)}."),
        (["--client", str(uuid.UUID(int=7)), "--since", "31/01/2026"], "--since must be a day like 2026-01-31"),
    ],
)
def test_bad_arguments_are_one_sentence_and_exit_code_1(
    database: TestDatabase, cli_env: None, arguments: list[str], sentence: str
) -> None:
    result = runner.invoke(app, ["sentiment", "reanalyse", *arguments])

    assert result.exit_code == 1
    assert sentence in words(result.output)
    assert "Traceback" not in result.output


def test_another_agencys_client_is_not_found_under_the_wrong_agency(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase, cli_env: None
) -> None:
    client_id = labelled_by_an_old_analyser(client, agency, database)

    result = runner.invoke(app, ["sentiment", "reanalyse", "--client", client_id, "--tenant", other_agency.tenant_id])

    assert result.exit_code == 1
    assert f"tenant {other_agency.tenant_id} has no client {client_id}." in words(result.output)
    assert stored(database, client_id)["r-1"] == ("neutral", "old-lexicon", "0.9")


def test_all_relabels_even_what_todays_analyser_labelled_and_tags_aspects_again(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, cli_env: None
) -> None:
    owner = create_client(client, agency)
    assert client.post(f"/v1/clients/{owner['id']}/mentions", json=MENTIONS, headers=agency.headers).status_code == 200
    with owner_connection(database) as connection:  # as if tagged by an older catalogue
        connection.execute(update(MENTIONS_TABLE).values(aspects=[]))

    plain = runner.invoke(app, ["sentiment", "reanalyse", "--client", owner["id"]])
    everything = runner.invoke(app, ["sentiment", "reanalyse", "--client", owner["id"], "--all"])

    assert "nothing to do" in plain.output
    assert everything.exit_code == 0, everything.output
    assert "relabelled 3 mention(s)" in words(everything.output)
    assert "no label changed" in words(everything.output)
    with owner_connection(database) as connection:
        aspects = dict(
            connection.execute(
                select(MENTIONS_TABLE.c.external_id, MENTIONS_TABLE.c.aspects).where(
                    MENTIONS_TABLE.c.client_id == uuid.UUID(owner["id"])
                )
            ).all()
        )
    assert aspects == {"r-1": [], "r-2": ["delivery"], "f-1": []}


def test_all_retags_the_aspects_of_a_persons_label_and_keeps_the_label(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, cli_env: None
) -> None:
    owner = create_client(client, agency)
    assert client.post(f"/v1/clients/{owner['id']}/mentions", json=MENTIONS, headers=agency.headers).status_code == 200
    columns = MENTIONS_TABLE.c
    mine = and_(columns.client_id == uuid.UUID(owner["id"]), columns.external_id == "r-2")
    with owner_connection(database) as connection:  # a person's label, tagged by an older catalogue
        connection.execute(update(MENTIONS_TABLE).values(aspects=[]))
        connection.execute(
            update(MENTIONS_TABLE)
            .where(mine)
            .values(
                sentiment_label="positive", sentiment_score=0.5, sentiment_analyzer="person", sentiment_version=None
            )
        )

    dry = runner.invoke(app, ["sentiment", "reanalyse", "--client", owner["id"], "--all", "--dry-run"])
    with owner_connection(database) as connection:
        assert connection.execute(select(columns.aspects).where(mine)).scalar_one() == []
    everything = runner.invoke(app, ["sentiment", "reanalyse", "--client", owner["id"], "--all"])

    assert dry.exit_code == 0, dry.output
    assert "1 person's label(s) would keep their label" in words(dry.output)
    assert everything.exit_code == 0, everything.output
    assert "relabelled 2 mention(s)" in words(everything.output)
    assert "aspects re-tagged of 1 mention(s) labelled by a person" in words(everything.output)
    with owner_connection(database) as connection:
        row = connection.execute(
            select(
                columns.sentiment_label,
                columns.sentiment_score,
                columns.sentiment_analyzer,
                columns.sentiment_version,
                columns.aspects,
            ).where(mine)
        ).one()
    assert tuple(row) == ("positive", 0.5, "person", None, ["delivery"])
