"""The SDK's checkpoint state helpers: cursors read as untrusted, positions that hold for one window only."""

from __future__ import annotations

from datetime import date

import msgspec
from resonance_sdk import Checkpoint, Window, resume_checkpoint, resume_state, state_int, state_text, window_key

WINDOW = Window(since=date(2026, 3, 1), until=date(2026, 3, 7))
OTHER_WINDOW = Window(since=date(2026, 3, 2), until=date(2026, 3, 7))


def test_state_text_is_a_non_empty_string_or_none() -> None:
    assert state_text({"next_token": "abc"}, "next_token") == "abc"
    for state in ({}, {"next_token": ""}, {"next_token": 3}, {"next_token": None}, {"next_token": ["abc"]}):
        assert state_text(state, "next_token") is None


def test_state_int_is_an_integer_but_not_a_boolean() -> None:
    assert state_int({"start": 40}, "start") == 40
    assert state_int({"start": -1}, "start") == -1  # the connector decides what a negative offset means
    for state in ({}, {"start": True}, {"start": "40"}, {"start": 4.0}, {"start": None}):
        assert state_int(state, "start") is None


def test_window_key_is_the_iso_days() -> None:
    assert window_key(WINDOW) == ["2026-03-01", "2026-03-07"]


def test_a_resume_checkpoint_gives_its_position_back_for_the_same_window_only() -> None:
    point = resume_checkpoint(WINDOW, {"stage": "posts", "cursor": "c2"}, last_day=WINDOW.since)
    assert isinstance(point, Checkpoint)
    assert point.state == {
        "last_day": "2026-03-01",
        "resume": {"window": ["2026-03-01", "2026-03-07"], "stage": "posts", "cursor": "c2"},
    }
    # What the engine stores is JSON: the state round-trips through it unchanged.
    stored = msgspec.json.decode(msgspec.json.encode(point.state))
    assert resume_state(stored, WINDOW) == {"window": ["2026-03-01", "2026-03-07"], "stage": "posts", "cursor": "c2"}
    assert resume_state(stored, OTHER_WINDOW) is None


def test_any_other_state_starts_afresh() -> None:
    for state in ({}, {"last_day": "2026-03-07"}, {"resume": "posts"}, {"resume": {"stage": "posts"}}):
        assert resume_state(state, WINDOW) is None


def test_the_last_day_is_the_connectors_choice() -> None:
    done = resume_checkpoint(WINDOW, {"stage": "done"}, last_day=WINDOW.until)
    assert done.state["last_day"] == "2026-03-07"
