"""The access decision as a pure function of who holds which role where."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stageward.access.roles import ROLES

EVERY_ENVIRONMENT = "*"


@dataclass(frozen=True)
class Binding:
    principal: str
    role: str
    environment: str  # an environment name, or "*" for every environment
    scope: str = ""  # "" for every project; "team:NAME" or "project:NAME" for a binding narrowed to them


@dataclass(frozen=True)
class Target:
    """What an act touches: a project and the team it is registered to; None for store-wide acts."""

    project: str
    team: str | None = None

    def covered_by(self, scope: str) -> bool:
        if scope.startswith("project:"):
            return scope == f"project:{self.project}"
        if scope.startswith("team:"):
            return self.team is not None and scope == f"team:{self.team}"
        return False


def decide(
    principal: str,
    permission: str,
    environment: str,
    bindings: Iterable[Binding],
    teams_of_principal: Iterable[str] = (),
    target: Target | None = None,
) -> bool:
    """True when PRINCIPAL, directly or through a team, holds PERMISSION in ENVIRONMENT for TARGET.

    Deny by default: no binding, no access. A narrowed binding counts only for a target it
    covers; a store-wide act (TARGET None) counts only bindings that are not narrowed.
    """
    holders = {principal, *teams_of_principal}
    for binding in bindings:
        if binding.principal not in holders:
            continue
        if binding.environment not in (environment, EVERY_ENVIRONMENT):
            continue
        if binding.scope and (target is None or not target.covered_by(binding.scope)):
            continue
        if permission in ROLES.get(binding.role, ()):
            return True
    return False


def visible_environments(
    principal: str,
    environments: Iterable[str],
    bindings: Iterable[Binding],
    teams_of_principal: Iterable[str] = (),
    target: Target | None = None,
) -> list[str]:
    """The environments PRINCIPAL sees for TARGET: those where a binding gives it env.read."""
    bound = list(bindings)
    teams = list(teams_of_principal)
    return [env for env in environments if decide(principal, "env.read", env, bound, teams, target)]
