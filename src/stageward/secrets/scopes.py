"""Which scopes of a secret a project sees and which wins (pure).

A secret belongs to one project (its own) or to one team. A project sees its own secrets and those of the
team the store has it registered to; when both hold a name, its own wins. A team's secret applies to the
projects of that team only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def scope(team: str | None, project: str | None = None) -> str:
    """A scope as listings show it: team:T, project:P, or project (this one)."""
    return f"team:{team}" if team else f"project:{project}" if project else "project"


def row_scope(row: dict[str, Any]) -> str:
    return scope(row["team"], row["project"])


def applies_to(row: dict[str, Any], project_team: str | None) -> bool:
    """Whether secret ROW reaches a project registered to PROJECT_TEAM: its own, or its team's."""
    return row["team"] is None or row["team"] == project_team


def winner(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Of the rows of one name a project sees (its own and its team's), the one it resolves: its own first."""
    own = [r for r in rows if r["team"] is None]
    chosen = own or list(rows)
    return chosen[0] if chosen else None


def expired(row: dict[str, Any], now: str) -> bool:
    """Whether ROW's current version is past its expiry at NOW (timestamps compare as text)."""
    return row["expires_at"] is not None and row["expires_at"] <= now
