"""A stored label is history: syncs keep it until the text changes, and only `reanalyse` relabels the rest."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from api.content.models import StoredMention
from api.sentiment import analyse_mention_rows, default_analyzer
from api.sentiment.provenance import Provenance
from api.sentiment.reanalysis import Reanalysis, _write, reanalyse_client
from api.sync import store
from tenants.audit import Actor, AuditEntry
from tests.plugins_fixtures.upgraded_analyzer import UpgradedAnalyzer
from tests.sync.conftest import Owner, SyncHarness

JAN_1 = date(2026, 1, 1)
OPERATOR = Actor(label="test:reanalyse")


def day(n: int) -> date:
    return JAN_1 + timedelta(days=n - 1)


async def synced(harness: SyncHarness) -> tuple[Owner, object]:
    """A client whose revision account has five mentions, labelled by the default analyser."""
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_revision", "revised")
    run = await harness.sync(owner, account, day(1), day(5))
    assert run.status == "succeeded", run.error
    return owner, account


def provenance(mentions: dict[str, StoredMention]) -> dict[str, tuple[str | None, str | None, str | None]]:
    return {key: (row.sentiment_label, row.sentiment_analyzer, row.sentiment_version) for key, row in mentions.items()}


async def test_a_sync_stores_the_analyser_and_version_with_every_label(harness: SyncHarness) -> None:
    owner, account = await synced(harness)

    mentions = await harness.mentions(owner, account)

    default = default_analyzer()
    assert len(mentions) == 5
    assert {(row.sentiment_analyzer, row.sentiment_version) for row in mentions.values()} == {
        (default.name, default.version)
    }
    assert all(row.sentiment_label in ("positive", "negative", "neutral") for row in mentions.values())


async def test_after_an_upgrade_a_resync_keeps_old_labels_and_analyses_only_the_edited_mention(
    harness: SyncHarness,
) -> None:
    owner, account = await synced(harness)
    before = await harness.mentions(owner, account)
    upgraded = UpgradedAnalyzer()
    engine = harness.engine()
    engine.analyzer = upgraded

    await harness.update_account(owner, account, sync_settings={"revision": 3})
    run = await harness.claim_and_run(owner, await harness.queue(owner, account, day(1), day(5)), engine)

    assert run.status == "succeeded", run.error
    after = await harness.mentions(owner, account)
    edited = f"mention-{day(1)}"
    assert upgraded.texts == [f"mention of {day(1)} (edit 3)"]
    assert provenance(after)[edited] == ("negative", "upgraded-model", "2.0")
    assert {key: value for key, value in provenance(after).items() if key != edited} == {
        key: value for key, value in provenance(before).items() if key != edited
    }
    untouched = [key for key in after if key != edited]
    assert all(after[key].fetched_at == before[key].fetched_at for key in untouched)


async def test_the_upsert_itself_keeps_a_label_unless_the_text_changed_or_there_was_none(
    harness: SyncHarness,
) -> None:
    owner, account = await synced(harness)
    before = await harness.mentions(owner, account)
    kept, relabelled, unlabelled = (f"mention-{day(n)}" for n in (2, 3, 4))
    async with harness.database.tenant_session(owner.tenant_id) as session:
        await session.execute(
            update(StoredMention)
            .where(StoredMention.external_id == unlabelled)  # type: ignore[arg-type]
            .values(sentiment_label=None, sentiment_score=None, sentiment_analyzer=None, sentiment_version=None)
        )
    rows = []
    for key in (kept, relabelled, unlabelled):
        row = {
            name: getattr(before[key], name)
            for name in ("tenant_id", "id", "client_id", "account_id", "source", "external_id", "kind", "published_at")
        }
        row |= {
            "text": before[key].text + (" (edited)" if key == relabelled else ""),
            "author": None,
            "url": None,
            "language": "en",
            "post_external_id": None,
            "fetched_at": before[key].fetched_at + timedelta(seconds=1),
            "sentiment_label": "negative",
            "sentiment_score": -0.9,
            "sentiment_analyzer": "racing-writer",
            "sentiment_version": "7",
            "aspects": ["price"],
        }
        rows.append(row)

    async with harness.database.tenant_session(owner.tenant_id) as session:
        await store.upsert_mentions(session, rows)

    after = provenance(await harness.mentions(owner, account))
    assert after[kept] == provenance(before)[kept]
    assert after[relabelled] == ("negative", "racing-writer", "7")
    assert after[unlabelled] == ("negative", "racing-writer", "7")


async def test_reanalyse_relabels_what_another_analyser_labelled_and_is_audited(harness: SyncHarness) -> None:
    owner, account = await synced(harness)
    other, other_account = await synced(harness)
    before = await harness.mentions(owner, account)
    upgraded = UpgradedAnalyzer()
    progress: list[int] = []

    dry = await reanalyse_client(
        harness.database, owner.tenant_id, owner.client_id, upgraded, OPERATOR, dry_run=True, batch_size=2
    )

    default = default_analyzer()
    assert (dry.pending, dry.examined, dry.relabelled) == (5, 5, 0)
    assert dry.by_provenance == {(default.name, default.version): 5}
    assert sum(dry.changed.values()) == sum(1 for row in before.values() if row.sentiment_label != "negative")
    assert provenance(await harness.mentions(owner, account)) == provenance(before)

    done = await reanalyse_client(
        harness.database,
        owner.tenant_id,
        owner.client_id,
        upgraded,
        OPERATOR,
        batch_size=2,
        on_progress=lambda run: progress.append(run.examined),
    )

    assert (done.examined, done.relabelled, done.skipped) == (5, 5, 0)
    assert progress == [2, 4, 5]
    assert set(provenance(await harness.mentions(owner, account)).values()) == {("negative", "upgraded-model", "2.0")}
    assert {row.sentiment_analyzer for row in (await harness.mentions(other, other_account)).values()} == {default.name}
    async with harness.database.tenant_session(owner.tenant_id) as session:
        [entry] = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "mentions.reanalysed"))).all()  # type: ignore[arg-type]
    assert entry.entity_id == str(owner.client_id)
    assert (entry.actor, entry.changes["relabelled"], entry.changes["analyzer"]) == (
        "test:reanalyse",
        5,
        "upgraded-model",
    )

    again = await reanalyse_client(harness.database, owner.tenant_id, owner.client_id, upgraded, OPERATOR)
    assert (again.pending, again.examined) == (0, 0)


async def test_reanalyse_from_a_day_leaves_older_mentions_alone(harness: SyncHarness) -> None:
    owner, account = await synced(harness)
    before = provenance(await harness.mentions(owner, account))

    done = await reanalyse_client(
        harness.database, owner.tenant_id, owner.client_id, UpgradedAnalyzer(), OPERATOR, since=day(4)
    )

    after = provenance(await harness.mentions(owner, account))
    assert done.relabelled == 2
    assert {key for key in after if after[key] != before[key]} == {f"mention-{day(4)}", f"mention-{day(5)}"}


async def test_reanalyse_leaves_a_mention_edited_meanwhile_to_the_sync(harness: SyncHarness) -> None:
    owner, account = await synced(harness)
    edited = f"mention-{day(2)}"
    async with harness.database.tenant_session(owner.tenant_id) as session:
        read = list((await session.scalars(select(StoredMention).order_by(StoredMention.id))).all())  # type: ignore[arg-type]
    async with harness.database.tenant_session(owner.tenant_id) as session:
        await session.execute(
            update(StoredMention).where(StoredMention.external_id == edited).values(text="edited by a sync")  # type: ignore[arg-type]
        )
    rows = [{"text": mention.text, "language": mention.language} for mention in read]
    analyse_mention_rows(UpgradedAnalyzer(), rows)
    run = Reanalysis(current=Provenance("upgraded-model", "2.0"), dry_run=False)

    async with harness.database.tenant_session(owner.tenant_id) as session:
        await _write(session, owner.tenant_id, read, rows, run)

    assert (run.relabelled, run.skipped) == (4, 1)
    after = await harness.mentions(owner, account)
    assert (after[edited].text, after[edited].sentiment_analyzer) == ("edited by a sync", default_analyzer().name)
