"""Role bindings per environment: grant, revoke, list, and the role table itself."""

from __future__ import annotations

from typing import Any

from stageward.access.admins import left_without_admin
from stageward.access.decide import EVERY_ENVIRONMENT, Binding, Target
from stageward.access.principals import principal_kind, team_name
from stageward.access.roles import PERMISSIONS, ROLE_ORDER, ROLES
from stageward.errors import BadInput, Conflict, Denied, NotFound
from stageward.service.catalogue import verb
from stageward.service.results.access import Binding as BindingRow
from stageward.service.results.access import Granted, Revoked, RolePermissions
from stageward.service.unit import Unit
from stageward.store.db import access_repo, policy_repo


@verb("access.roles", http=("GET", "/roles"))
def roles(unit: Unit) -> list[RolePermissions]:
    """The role -> permission table."""
    return [
        RolePermissions(role=role, permissions=[p for p in PERMISSIONS if p in ROLES[role]]) for role in ROLE_ORDER
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
        return f"project:{project}", Target(project, registered.team)
    return "", None


def _shown(scope: str) -> str:
    return f" for {scope.replace(':', ' ', 1)}" if scope else ""


def _where(unit: Unit, env: str | None, all_environments: bool | None, over: Target | None) -> str:
    """The binding's environment (ENV, or '*' for every environment), once the caller may manage it there.

    A '*' binding also reaches environments that join the store later, so giving or taking one needs
    access.manage on '*' as well as in every environment the store holds now.
    """
    if env is not None and all_environments:
        raise BadInput("give --env ENV or --all-environments, not both")
    if env is None and not all_environments:
        raise BadInput("name the binding's environment: --env ENV, or --all-environments for a '*' binding")
    if env is not None:
        unit.require("access.manage", env, over)
        return env
    for environment in unit.store_environments():
        unit.require("access.manage", environment, over)
    if not unit.can("access.manage", EVERY_ENVIRONMENT, over):
        raise Denied(
            f"denied: {unit.principal} lacks access.manage on every environment ('*'), "
            "which a binding on every environment needs",
            permission="access.manage",
            environment=None,
            hint="an admin on every environment can do it (stageward access list shows the '*' bindings)",
        )
    return EVERY_ENVIRONMENT


def _details(role: str, scope: str, where: str) -> dict[str, Any]:
    # The entry's environment is the binding's; a '*' binding's entry has none, so its details say so.
    return {"role": role, "scope": scope or None, **({"environment": where} if where == EVERY_ENVIRONMENT else {})}


def _named(environment: str) -> str:
    return "every environment" if environment == EVERY_ENVIRONMENT else environment


@verb("access.grant", permission="access.manage", write=True, http=("POST", "/bindings"))
def grant(
    unit: Unit,
    *,
    principal: str,
    role: str,
    env: str | None = None,
    all_environments: bool | None = None,
    team: str | None = None,
    project: str | None = None,
) -> Granted:
    """Bind PRINCIPAL to ROLE in ENV, or in every environment ('*'), optionally narrowed to one team's or one
    project's resources."""
    _check_role(role)
    principal_kind(principal)
    scope, over = _scope(unit, team, project)
    where = _where(unit, env, all_environments, over)
    if access_repo.has_binding(unit.conn, principal, role, where, scope):
        raise Conflict(f"{principal} already holds {role} in {_named(where)}{_shown(scope)}")
    _ensure_principal(unit, principal)
    access_repo.add_binding(unit.conn, principal, role, where, at=unit.now(), by=unit.principal, scope=scope)
    unit.audit(environment=env, target=principal, details=_details(role, scope, where))
    return Granted(principal=principal, role=role, environment=where, scope=scope, granted_by=unit.principal)


@verb("access.revoke", permission="access.manage", write=True, http=("DELETE", "/bindings"))
def revoke(
    unit: Unit,
    *,
    principal: str,
    role: str,
    env: str | None = None,
    all_environments: bool | None = None,
    team: str | None = None,
    project: str | None = None,
) -> Revoked:
    """Remove PRINCIPAL's ROLE in ENV, or its binding on every environment ('*'), narrowed to TEAM or PROJECT
    when given. The last unnarrowed admin of an environment is never revoked (docs/access.md)."""
    _check_role(role)
    scope, over = _scope(unit, team, project)
    where = _where(unit, env, all_environments, over)
    removed = Binding(principal, role, where, scope)
    held = access_repo.bindings(unit.conn)
    if removed not in held:
        raise NotFound(f"{principal} holds no {role} binding in {_named(where)}{_shown(scope)}")
    # A '*' binding reaches every environment of the store, and those that join it later: adding one
    # needs access.manage on '*', so the store must keep someone who holds it.
    store = list(unit.store_environments())
    reaches = [where] if where != EVERY_ENVIRONMENT else [*store, EVERY_ENVIRONMENT]
    orphaned = left_without_admin([b for b in held if b != removed], reaches, access_repo.teams_with_members(unit.conn))
    if orphaned:
        if orphaned == reaches and where == EVERY_ENVIRONMENT:
            named = "every environment"
        else:
            later = "environments that join the store later"
            named = ", ".join(e if e != EVERY_ENVIRONMENT else later for e in orphaned)
        # Only a '*' binding reaches environments that join later; one on '*' also covers all the others.
        how = "--all-environments" if EVERY_ENVIRONMENT in orphaned else f"--env {orphaned[0]}"
        raise Conflict(
            f"{principal}'s {role} binding in {_named(where)} is the last admin of {named}; nothing was revoked",
            hint=f"grant admin there to someone else first: stageward access grant NAME admin {how}",
        )
    access_repo.remove_binding(unit.conn, principal, role, where, scope)
    unit.audit(environment=env, target=principal, details=_details(role, scope, where))
    return Revoked(principal=principal, role=role, environment=where, scope=scope, revoked_by=unit.principal)


@verb("access.list", http=("GET", "/bindings"))
def list_bindings(unit: Unit, *, env: str | None = None) -> list[BindingRow]:
    """Role bindings in ENV, or in every environment the caller can read."""
    if env is not None:
        unit.require("env.read", env)
        readable = {env}
    else:
        readable = {e for e in unit.ctx.environments if unit.can("env.read", e)}
    if not readable:
        return []  # deny by default: no binding, no sight of anyone's bindings, "*" ones included
    held = access_repo.grants(unit.conn, env)
    return [BindingRow.from_record(g) for g in held if g.environment == "*" or g.environment in readable]
