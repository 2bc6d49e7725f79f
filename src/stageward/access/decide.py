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


def decide(
    principal: str,
    permission: str,
    environment: str,
    bindings: Iterable[Binding],
    teams_of_principal: Iterable[str] = (),
) -> bool:
    """True when PRINCIPAL, directly or through a team, holds PERMISSION in ENVIRONMENT.

    Deny by default: no binding, no access.
    """
    holders = {principal, *teams_of_principal}
    for binding in bindings:
        if binding.principal not in holders:
            continue
        if binding.environment not in (environment, EVERY_ENVIRONMENT):
            continue
        if permission in ROLES.get(binding.role, ()):
            return True
    return False


def visible_environments(
    principal: str,
    environments: Iterable[str],
    bindings: Iterable[Binding],
    teams_of_principal: Iterable[str] = (),
) -> list[str]:
    """The environments PRINCIPAL sees: those where any binding gives it env.read."""
    bound = list(bindings)
    teams = list(teams_of_principal)
    return [env for env in environments if decide(principal, "env.read", env, bound, teams)]
