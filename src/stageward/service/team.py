"""Teams: a name, a project-name prefix, and members. Organisation-wide, so admins of every environment manage them."""

from __future__ import annotations

import re

from stageward.access.principals import principal_kind
from stageward.errors import BadInput, Conflict, NotFound
from stageward.service.catalogue import verb
from stageward.service.results.access import MemberAdded, MemberRemoved, Team, TeamCreated
from stageward.service.unit import Unit
from stageward.store.db import access_repo

_TEAM = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


@verb("team.create", write=True, http=("POST", "/teams"))
def create(unit: Unit, *, name: str, prefix: str | None = None) -> TeamCreated:
    """Create team NAME whose projects carry PREFIX (default NAME-)."""
    if not _TEAM.fullmatch(name):
        raise BadInput(f"team name {name!r} must match [a-z][a-z0-9-]*")
    prefix = prefix if prefix is not None else f"{name}-"
    if not _PREFIX.fullmatch(prefix):
        raise BadInput(f"--prefix {prefix!r} must match [a-z][a-z0-9-]* (for example {name}-)")
    project = unit.project
    if name == project.team and not project.project.startswith(prefix):
        # The project rule (SPEC §10) would then refuse every command in this very project, this one's undo included.
        raise BadInput(
            f"--prefix {prefix!r}: this project {project.project!r} belongs to team {name!r} and does not carry "
            "that prefix; every command here would be refused",
            hint=f"use a prefix {project.project!r} starts with, such as {name}-",
        )
    unit.require_everywhere("access.manage")
    if access_repo.get_team(unit.conn, name) is not None:
        raise Conflict(f"team {name!r} already exists")
    access_repo.add_team(unit.conn, name, prefix, at=unit.now(), by=unit.principal)
    unit.audit(environment=None, target=f"team:{name}", details={"prefix": prefix})
    return TeamCreated(name=name, prefix=prefix, members=[])


def _require_team_manager(unit: Unit, team: str, *, naming_maintainer: bool) -> None:
    """A store admin manages every team; a team's maintainer manages its members, but names no maintainer."""
    if access_repo.get_team(unit.conn, team) is None:
        raise NotFound(f"no team {team!r}")
    if naming_maintainer or not access_repo.is_maintainer(unit.conn, team, unit.principal):
        unit.require_everywhere("access.manage")


@verb("team.add_member", write=True, http=("POST", "/teams/{team}/members"))
def add_member(unit: Unit, *, team: str, member: str, maintainer: bool = False) -> MemberAdded:
    """Add MEMBER (a user or service principal) to TEAM; a maintainer may add and remove its members."""
    if principal_kind(member) == "team":
        raise BadInput(f"{member!r}: a team cannot be a member of a team")
    _require_team_manager(unit, team, naming_maintainer=maintainer)
    if access_repo.is_member(unit.conn, team, member):
        raise Conflict(f"{member} is already a member of {team}")
    if not access_repo.principal_exists(unit.conn, member):
        access_repo.add_principal(unit.conn, member, principal_kind(member), at=unit.now(), by=unit.principal)
    access_repo.add_member(unit.conn, team, member, at=unit.now(), maintainer=maintainer)
    unit.audit(environment=None, target=f"team:{team}", details={"member": member, "maintainer": maintainer})
    return MemberAdded(team=team, member=member, maintainer=maintainer)


@verb("team.remove_member", write=True, http=("DELETE", "/teams/{team}/members"))
def remove_member(unit: Unit, *, team: str, member: str) -> MemberRemoved:
    """Remove MEMBER from TEAM (a store admin, or a maintainer for a member who maintains nothing)."""
    principal_kind(member)
    _require_team_manager(unit, team, naming_maintainer=access_repo.is_maintainer(unit.conn, team, member))
    if access_repo.remove_member(unit.conn, team, member) == 0:
        raise NotFound(f"{member} is not a member of {team}")
    unit.audit(environment=None, target=f"team:{team}", details={"removed": member})
    return MemberRemoved(team=team, member=member)


@verb("team.list", http=("GET", "/teams"))
def list_teams(unit: Unit) -> list[Team]:
    """Teams with their prefixes and members."""
    return [Team.from_record(listing) for listing in access_repo.list_teams(unit.conn)]
