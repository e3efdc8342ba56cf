"""The SDK's `DailySums`: per-day sums that a fetch carries in its checkpoints."""

from __future__ import annotations

from datetime import date

import msgspec

from plugins.sdk import DailySums, MetricPoint, Window

WINDOW = Window(since=date(2026, 3, 1), until=date(2026, 3, 3))


def test_sums_add_up_by_day_and_yield_every_day_with_zeros() -> None:
    sums = DailySums()
    sums.add(date(2026, 3, 2), {"likes": 3.0, "posts": 1.0})
    sums.add(date(2026, 3, 2), {"likes": 5.0, "posts": 1.0})
    assert sums.get(date(2026, 3, 2), "likes") == 8.0
    assert sums.get(date(2026, 3, 1), "likes") == 0.0
    points = list(sums.points(("likes", "posts"), WINDOW, "estimated"))
    assert [(p.day.day, p.native_metric, p.value) for p in points] == [
        (1, "likes", 0.0),
        (1, "posts", 0.0),
        (2, "likes", 8.0),
        (2, "posts", 2.0),
        (3, "likes", 0.0),
        (3, "posts", 0.0),
    ]
    assert all(isinstance(p, MetricPoint) and p.quality == "estimated" for p in points)
    assert [p.day.day for p in sums.points(("likes",), WINDOW, "estimated", through=date(2026, 3, 2))] == [1, 2]


def test_a_checkpoint_snapshot_restores_the_same_sums_and_does_not_move_with_them() -> None:
    sums = DailySums()
    sums.add(date(2026, 3, 3), {"likes": 1.0})
    sums.add(date(2026, 3, 1), {"likes": 2.0})
    snapshot = sums.state()
    sums.add(date(2026, 3, 1), {"likes": 10.0})
    assert list(snapshot) == ["2026-03-01", "2026-03-03"], "days in order"
    assert snapshot["2026-03-01"] == {"likes": 2.0}
    restored = DailySums.restore(msgspec.json.decode(msgspec.json.encode(snapshot)))
    assert restored.state() == snapshot


def test_an_unreadable_snapshot_keeps_what_it_can() -> None:
    assert DailySums.restore(None).state() == {}
    assert DailySums.restore(["2026-03-01"]).state() == {}
    restored = DailySums.restore({"2026-03-01": {"likes": 2, "bad": "x", "flag": True}, "2026-03-02": 4})
    assert restored.state() == {"2026-03-01": {"likes": 2.0}}
