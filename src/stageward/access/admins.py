"""The rule that keeps every environment administrable: someone must be left who can grant and revoke there."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from stageward.access.decide import EVERY_ENVIRONMENT, Binding
from stageward.access.principals import team_name
from stageward.access.roles import ROLES


def keeps_an_admin(binding: Binding, environment: str, staffed_teams: Collection[str]) -> bool:
    """Whether BINDING leaves someone able to manage access in ENVIRONMENT for every project.

    It must reach the environment (by name or through '*'), not be narrowed to a team or a project,
    hold access.manage, and name someone who can act: a user, a service principal, or a team with at
    least one member (an empty team's binding reaches nobody).
    """
    if binding.environment not in (environment, EVERY_ENVIRONMENT) or binding.scope:
        return False
    if "access.manage" not in ROLES.get(binding.role, ()):
        return False
    if binding.principal.startswith("team:"):
        return team_name(binding.principal) in staffed_teams
    return True


def left_without_admin(
    remaining: Iterable[Binding], environments: Iterable[str], staffed_teams: Collection[str]
) -> list[str]:
    """The ENVIRONMENTS in which no binding of REMAINING keeps an admin (see keeps_an_admin), in their order.

    EVERY_ENVIRONMENT may be one of them: it stands for environments that join the store later, which only a
    '*' binding reaches.
    """
    kept = list(remaining)
    return [env for env in environments if not any(keeps_an_admin(b, env, staffed_teams) for b in kept)]
