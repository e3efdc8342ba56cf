"""Which database objects our models describe, for autogenerate and the schema comparison test."""

from __future__ import annotations

from typing import Any

FOREIGN_PREFIXES = ("procrastinate_",)
"""Objects another schema owns: procrastinate's tables (migration 0013 applies its schema as it ships it)."""
UNMODELLED = ("network_request_pacing",)
"""Tables of ours with no model: no agency's data, written by workers in plain SQL (migration 0016)."""


def ours(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's `include_name` hook: leave the task engine's tables, the unmodelled ones, and their indexes, out of
    the comparison."""
    if type_ == "table" and name is not None:
        return not name.startswith(FOREIGN_PREFIXES) and name not in UNMODELLED
    if type_ in {"index", "column", "unique_constraint", "foreign_key_constraint"}:
        table = parent_names.get("table_name") if isinstance(parent_names, dict) else None
        return not (table or "").startswith(FOREIGN_PREFIXES) and table not in UNMODELLED
    return True
