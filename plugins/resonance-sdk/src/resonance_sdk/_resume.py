"""Reading and writing the state a connector's checkpoints carry, so an interrupted fetch resumes.

The engine gives `fetch` the state of the account's last checkpoint, whatever run wrote it and whatever
window that run had. So a connector reads each field as untrusted (a state may be from an older version of
the connector, or from a run over another window) and falls back to starting afresh, which costs a
re-fetch and yields identical records, never a wrong one:

* `state_text` and `state_int` read one cursor-like field (a page token, an offset), `None` when it is
  missing or not what it should be;
* `resume_checkpoint` writes a position that only holds for the window it was read in, under `resume`,
  stamped with that window (`window_key`), next to the `last_day` the engine reads to pick the next
  default window; `resume_state` gives it back to a run over the very same window, and `None` to any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from resonance_sdk._records import Checkpoint, Window


def state_text(state: Mapping[str, Any], key: str) -> str | None:
    """`state[key]` when it is a non-empty string (a page token, a cursor), else None."""
    value = state.get(key)
    return value if isinstance(value, str) and value else None


def state_int(state: Mapping[str, Any], key: str) -> int | None:
    """`state[key]` when it is an integer (an offset, a millisecond cursor), else None; booleans are not."""
    value = state.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def window_key(window: Window) -> list[str]:
    """The window as a checkpoint records it, `[since, until]` in ISO 8601 (JSON has no dates)."""
    return [window.since.isoformat(), window.until.isoformat()]


def resume_state(state: Mapping[str, Any], window: Window) -> dict[str, Any] | None:
    """The `resume` object a `resume_checkpoint` recorded for this very window; None for any other state
    (another window's position, an older format, nothing), so the run starts the window afresh."""
    saved = state.get("resume")
    if isinstance(saved, dict) and saved.get("window") == window_key(window):
        return saved
    return None


def resume_checkpoint(window: Window, resume: Mapping[str, Any], *, last_day: date) -> Checkpoint:
    """A checkpoint `{"last_day": ..., "resume": {"window": [...], **resume}}`.

    `resume` is where the run is (its stage, its cursor, sums so far: JSON values). `last_day` is what the
    engine reads to start the next default window: while the run is under way, usually the window's
    first day (so a crashed run is resumed over the same window); at the end, the last day fetched.
    """
    return Checkpoint(state={"last_day": last_day.isoformat(), "resume": {"window": window_key(window), **resume}})
