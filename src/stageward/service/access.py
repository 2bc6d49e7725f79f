"""Role bindings per environment: grant, revoke, list, and the role table itself."""

from __future__ import annotations

from typing import Any

from stageward.access.decide import Target
from stageward.access.principals import principal_kind, team_name
from stageward.access.roles import PERMISSIONS, ROLE_ORDER, ROLES
from stageward.errors import BadInput, Conflict, NotFound
from stageward.service.catalogue import verb
from stageward.service.unit import Unit
from stageward.store.db import access_repo, policy_repo


@verb("access.roles", http=("GET", "/roles"))
def roles(unit: Unit) -> list[dict[str, Any]]:
    """The role -> permission table."""
    return [
        {"role": role, "permissions": [p for p in PERMISSIONS if p in ROLES[role]]} for role in ROLE_ORDER
    ]


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r} (expected one of: {', '.join(ROLE_ORDER)})")


def _ensure_principal(unit: Unit, principal: str) -> None:
    kind = principal_kind(principal)
    if kind == "team":
        if access_repo.get_team(unit.conn, team_name(principal)) is None:
            raise NotFound(f"no team {team_name(principal)!r}", hint="create it: stageward team create NAME")
        return
    if not access_repo.principal_exists(unit.conn, principal):
        access_repo.add_principal(unit.conn, principal, kind, at=unit.now(), by=unit.principal)


def _scope(unit: Unit, team: str | None, project: str | None) -> tuple[str, Target | None]:
    """The binding's scope and what the granter needs access.manage over to give it (SPEC §2).

    An unnarrowed binding reaches every project in ENV, so only an admin whose own binding there is
    not narrowed may give or take one; a team's or a project's admin manages bindings narrowed to it.
    """
    if team is not None and project is not None:
        raise BadInput("narrow a binding to a team or to a project, not both")
    if team is not None:
        if access_repo.get_team(unit.conn, team) is None:
            raise NotFound(f"no team {team!r}", hint="create it: stageward team create NAME")
        return f"team:{team}", Target("", team)
    if project is not None:
        registered = policy_repo.get_project(unit.conn, project)
        if registered is None:
            raise NotFound(f"no project {project!r} in this store")
        return f"project:{project}", Target(project, registered["team"])
    return "", None


def _shown(scope: str) -> str:
    return f" for {scope.replace(':', ' ', 1)}" if scope else ""


@verb("access.grant", permission="access.manage", write=True, http=("POST", "/envs/{env}/bindings"))
def grant(
    unit: Unit, *, principal: str, role: str, env: str, team: str | None = None, project: str | None = None
) -> dict[str, Any]:
    """Bind PRINCIPAL to ROLE in ENV, optionally narrowed to one team's or one project's resources."""
    _check_role(role)
    principal_kind(principal)
    scope, over = _scope(unit, team, project)
    unit.require("access.manage", env, over)
    if access_repo.has_binding(unit.conn, principal, role, env, scope):
        raise Conflict(f"{principal} already holds {role} in {env}{_shown(scope)}")
    _ensure_principal(unit, principal)
    access_repo.add_binding(unit.conn, principal, role, env, at=unit.now(), by=unit.principal, scope=scope)
    unit.audit(environment=env, target=principal, details={"role": role, "scope": scope or None})
    return {"principal": principal, "role": role, "environment": env, "scope": scope, "granted_by": unit.principal}


@verb("access.revoke", permission="access.manage", write=True, http=("DELETE", "/envs/{env}/bindings"))
def revoke(
    unit: Unit, *, principal: str, role: str, env: str, team: str | None = None, project: str | None = None
) -> dict[str, Any]:
    """Remove PRINCIPAL's ROLE in ENV (the binding narrowed to TEAM or PROJECT when given)."""
    _check_role(role)
    scope, over = _scope(unit, team, project)
    unit.require("access.manage", env, over)
    if access_repo.remove_binding(unit.conn, principal, role, env, scope) == 0:
        raise NotFound(f"{principal} holds no {role} binding in {env}{_shown(scope)}")
    unit.audit(environment=env, target=principal, details={"role": role, "scope": scope or None})
    return {"principal": principal, "role": role, "environment": env, "scope": scope, "revoked_by": unit.principal}


@verb("access.list", http=("GET", "/bindings"))
def list_bindings(unit: Unit, *, env: str | None = None) -> list[dict[str, Any]]:
    """Role bindings in ENV, or in every environment the caller can read."""
    if env is not None:
        unit.require("env.read", env)
        readable = {env}
    else:
        readable = {e for e in unit.ctx.environments if unit.can("env.read", e)}
    if not readable:
        return []  # deny by default: no binding, no sight of anyone's bindings, "*" ones included
    rows = access_repo.binding_rows(unit.conn, env)
    return [r for r in rows if r["environment"] == "*" or r["environment"] in readable]
