"""Which scopes of a secret a project sees and which wins (pure).

A secret belongs to one project (its own) or to one team. A project sees its own secrets and those of the
team the store has it registered to; when both hold a name, its own wins. A team's secret applies to the
projects of that team only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Scoped(Protocol):
    """What these rules read of a stored secret (the store's secret record is one)."""

    @property
    def team(self) -> str | None: ...
    @property
    def project(self) -> str | None: ...
    @property
    def expires_at(self) -> str | None: ...


S = TypeVar("S", bound=Scoped)


def scope(team: str | None, project: str | None = None) -> str:
    """A scope as listings show it: team:T, project:P, or project (this one)."""
    return f"team:{team}" if team else f"project:{project}" if project else "project"


def row_scope(secret: Scoped) -> str:
    return scope(secret.team, secret.project)


def applies_to(secret: Scoped, project_team: str | None) -> bool:
    """Whether SECRET reaches a project registered to PROJECT_TEAM: its own, or its team's."""
    return secret.team is None or secret.team == project_team


def winner(found: Sequence[S]) -> S | None:
    """Of the scopes of one name a project sees (its own and its team's), the one it resolves: its own first."""
    own = [s for s in found if s.team is None]
    chosen = own or list(found)
    return chosen[0] if chosen else None


def expired(secret: Scoped, now: str) -> bool:
    """Whether SECRET's current version is past its expiry at NOW (timestamps compare as text)."""
    return secret.expires_at is not None and secret.expires_at <= now
