"""Reads and writes of principals, teams and role bindings. Never commits: the caller's unit does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, bindparam, delete, insert, literal, null, or_, select, union_all

from stageward.access.decide import Binding
from stageward.store.db.schema import meta, principals, role_bindings, team_members, teams

# -- records: the shape of what this repository reads, written once (frozen, slotted: cheap to make) -------


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """A role binding with who granted it and when (what `access list` shows; `decide` reads a `Binding`)."""

    principal: str
    role: str
    environment: str
    scope: str
    granted_by: str
    granted_at: str


@dataclass(frozen=True, slots=True)
class TeamRecord:
    name: str
    prefix: str
    created_at: str
    created_by: str


@dataclass(frozen=True, slots=True)
class TeamListing:
    name: str
    prefix: str
    created_at: str
    created_by: str
    members: list[str]
    maintainers: list[str]


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(meta).where(meta.c.key == key))
    conn.execute(insert(meta).values(key=key, value=value))


def principal_exists(conn: Connection, name: str) -> bool:
    return conn.execute(select(principals.c.name).where(principals.c.name == name)).first() is not None


def add_principal(conn: Connection, name: str, kind: str, *, at: str, by: str) -> None:
    conn.execute(insert(principals).values(name=name, kind=kind, created_at=at, created_by=by))


def bindings(conn: Connection, environment: str | None = None) -> list[Binding]:
    query = select(
        role_bindings.c.principal, role_bindings.c.role, role_bindings.c.environment, role_bindings.c.scope
    )
    if environment is not None:
        query = query.where(role_bindings.c.environment.in_((environment, "*")))
    return [Binding(*row) for row in conn.execute(query.order_by(role_bindings.c.id))]


def _access_statement() -> Any:
    principal = bindparam("principal", type_=String)
    team_principal = literal("team:") + team_members.c.team
    memberships = select(team_principal).where(team_members.c.member == principal)
    held = select(
        literal("binding"),
        role_bindings.c.principal,
        role_bindings.c.role,
        role_bindings.c.environment,
        role_bindings.c.scope,
    ).where(or_(role_bindings.c.principal == principal, role_bindings.c.principal.in_(memberships)))
    teams = select(literal("team"), team_principal, null(), null(), null()).where(team_members.c.member == principal)
    return union_all(held, teams)


# Built once: composing the statement costs more than running it, and every verb runs it.
_ACCESS_OF = _access_statement()


def access_of(conn: Connection, principal: str) -> tuple[list[str], list[Binding]]:
    """PRINCIPAL's teams and every binding it holds directly or through them, in one round trip."""
    rows = conn.execute(_ACCESS_OF, {"principal": principal}).all()
    return (
        [row[1] for row in rows if row[0] == "team"],
        [Binding(row[1], row[2], row[3], row[4]) for row in rows if row[0] == "binding"],
    )


def grants(conn: Connection, environment: str | None = None) -> list[GrantRecord]:
    query = select(
        role_bindings.c.principal,
        role_bindings.c.role,
        role_bindings.c.environment,
        role_bindings.c.scope,
        role_bindings.c.granted_by,
        role_bindings.c.granted_at,
    ).order_by(role_bindings.c.environment, role_bindings.c.principal, role_bindings.c.role, role_bindings.c.scope)
    if environment is not None:
        query = query.where(role_bindings.c.environment.in_((environment, "*")))
    return [GrantRecord(*row) for row in conn.execute(query)]


def has_binding(conn: Connection, principal: str, role: str, environment: str, scope: str = "") -> bool:
    query = select(role_bindings.c.id).where(
        role_bindings.c.principal == principal,
        role_bindings.c.role == role,
        role_bindings.c.environment == environment,
        role_bindings.c.scope == scope,
    )
    return conn.execute(query).first() is not None


def add_binding(
    conn: Connection, principal: str, role: str, environment: str, *, at: str, by: str, scope: str = ""
) -> None:
    conn.execute(
        insert(role_bindings).values(
            principal=principal, role=role, environment=environment, scope=scope, granted_at=at, granted_by=by
        )
    )


def remove_binding(conn: Connection, principal: str, role: str, environment: str, scope: str = "") -> int:
    result = conn.execute(
        delete(role_bindings).where(
            role_bindings.c.principal == principal,
            role_bindings.c.role == role,
            role_bindings.c.environment == environment,
            role_bindings.c.scope == scope,
        )
    )
    return result.rowcount or 0


_TEAM_COLUMNS = (teams.c.name, teams.c.prefix, teams.c.created_at, teams.c.created_by)


def get_team(conn: Connection, name: str) -> TeamRecord | None:
    row = conn.execute(select(*_TEAM_COLUMNS).where(teams.c.name == name)).first()
    return TeamRecord(*row) if row else None


def add_team(conn: Connection, name: str, prefix: str, *, at: str, by: str) -> None:
    conn.execute(insert(teams).values(name=name, prefix=prefix, created_at=at, created_by=by))


def add_member(conn: Connection, team: str, member: str, *, at: str, maintainer: bool = False) -> None:
    conn.execute(insert(team_members).values(team=team, member=member, added_at=at, maintainer=maintainer))


def remove_member(conn: Connection, team: str, member: str) -> int:
    result = conn.execute(delete(team_members).where(team_members.c.team == team, team_members.c.member == member))
    return result.rowcount or 0


def is_maintainer(conn: Connection, team: str, principal: str) -> bool:
    query = select(team_members.c.maintainer).where(team_members.c.team == team, team_members.c.member == principal)
    return bool(conn.execute(query).scalar_one_or_none())


def is_member(conn: Connection, team: str, member: str) -> bool:
    query = select(team_members.c.member).where(team_members.c.team == team, team_members.c.member == member)
    return conn.execute(query).first() is not None


def teams_with_members(conn: Connection) -> set[str]:
    """The names of the teams that have at least one member."""
    return set(conn.execute(select(team_members.c.team).distinct()).scalars())


def list_teams(conn: Connection) -> list[TeamListing]:
    members: dict[str, list[str]] = {}
    maintainers: dict[str, list[str]] = {}
    for team, member, maintainer in conn.execute(
        select(team_members.c.team, team_members.c.member, team_members.c.maintainer)
    ):
        members.setdefault(team, []).append(member)
        if maintainer:
            maintainers.setdefault(team, []).append(member)
    rows = conn.execute(select(*_TEAM_COLUMNS).order_by(teams.c.name))
    return [
        TeamListing(
            name=name,
            prefix=prefix,
            created_at=created_at,
            created_by=created_by,
            members=sorted(members.get(name, [])),
            maintainers=sorted(maintainers.get(name, [])),
        )
        for name, prefix, created_at, created_by in rows
    ]
