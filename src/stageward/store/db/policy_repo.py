"""Reads and writes of environments, projects and applied policy versions and requests. Never commits."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from stageward.store.db.schema import environments, projects
from stageward.store.db.schema_policy import policy_decisions, policy_requests, policy_versions

# -- environments and projects ----------------------------------------------------------------------


def registered_environments(conn: Connection) -> dict[str, str]:
    """Every environment of the store with its tier."""
    return dict(conn.execute(select(environments.c.name, environments.c.tier).order_by(environments.c.name)).all())


def register_environment(conn: Connection, name: str, tier: str, *, at: str, by: str) -> None:
    conn.execute(insert(environments).values(name=name, tier=tier, registered_at=at, registered_by=by))


def get_project(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(projects).where(projects.c.name == name)).mappings().first()
    return dict(row) if row else None


def register_project(conn: Connection, name: str, team: str | None, *, at: str, by: str) -> None:
    conn.execute(insert(projects).values(name=name, team=team, registered_at=at, registered_by=by))


def list_projects(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(projects).order_by(projects.c.name)).mappings()]


# -- applied versions --------------------------------------------------------------------------------

_CURRENT = (
    select(policy_versions)
    .where(policy_versions.c.project == bindparam("project"))
    .order_by(policy_versions.c.version.desc())
    .limit(1)
)
_CURRENT_DIGEST = (
    select(policy_versions.c.version, policy_versions.c.digest)
    .where(policy_versions.c.project == bindparam("project"))
    .order_by(policy_versions.c.version.desc())
    .limit(1)
)


def current(conn: Connection, project: str) -> dict[str, Any] | None:
    """The applied policy of PROJECT (its newest version), or None before its first apply."""
    row = conn.execute(_CURRENT, {"project": project}).mappings().first()
    return _version(row) if row else None


def current_digest(conn: Connection, project: str) -> tuple[int, str] | None:
    row = conn.execute(_CURRENT_DIGEST, {"project": project}).first()
    return (int(row[0]), str(row[1])) if row else None


def as_of(conn: Connection, project: str, time: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(policy_versions)
            .where(policy_versions.c.project == project, policy_versions.c.applied_at <= time)
            .order_by(policy_versions.c.version.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return _version(row) if row else None


def by_version(conn: Connection, project: str, version: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(policy_versions).where(policy_versions.c.project == project, policy_versions.c.version == version)
        )
        .mappings()
        .first()
    )
    return _version(row) if row else None


def history(conn: Connection, project: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(policy_versions).where(policy_versions.c.project == project).order_by(policy_versions.c.version)
    ).mappings()
    return [_version(r) for r in rows]


def _version(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["changes"] = json.loads(out["changes"])
    return out


def insert_version(
    conn: Connection,
    project: str,
    *,
    document: str,
    digest: str,
    changes: list[dict[str, Any]],
    at: str,
    by: str,
    request_id: int | None = None,
) -> int:
    latest = conn.execute(
        select(func.max(policy_versions.c.version)).where(policy_versions.c.project == project)
    ).scalar_one_or_none()
    version = int(latest or 0) + 1
    conn.execute(
        insert(policy_versions).values(
            project=project,
            version=version,
            document=document,
            digest=digest,
            changes=json.dumps(changes, sort_keys=True),
            applied_at=at,
            applied_by=by,
            request_id=request_id,
        )
    )
    return version


# -- change requests ---------------------------------------------------------------------------------


def insert_request(conn: Connection, **values: Any) -> int:
    values = {
        **values,
        "changes": json.dumps(values["changes"], sort_keys=True),
        "approval_environments": json.dumps(values["approval_environments"]),
    }
    result = conn.execute(insert(policy_requests).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_request(conn: Connection, request_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(policy_requests).where(policy_requests.c.id == request_id)).mappings().first()
    return _request(row) if row else None


def list_requests(conn: Connection, project: str, state: str | None = None) -> list[dict[str, Any]]:
    query = select(policy_requests).where(policy_requests.c.project == project)
    if state is not None:
        query = query.where(policy_requests.c.state == state)
    return [_request(r) for r in conn.execute(query.order_by(policy_requests.c.id.desc())).mappings()]


def _request(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["changes"] = json.loads(out["changes"])
    out["approval_environments"] = json.loads(out["approval_environments"])
    return out


def set_request_state(
    conn: Connection,
    request_id: int,
    *,
    expected: str,
    state: str,
    at: str,
    note: str | None = None,
    result_version: int | None = None,
) -> bool:
    """Move a request from EXPECTED to STATE; False when it was no longer EXPECTED (someone else moved it)."""
    values: dict[str, Any] = {"state": state, "updated_at": at}
    if note is not None:
        values["note"] = note
    if result_version is not None:
        values["result_version"] = result_version
    result = conn.execute(
        update(policy_requests)
        .where(policy_requests.c.id == request_id, policy_requests.c.state == expected)
        .values(**values)
    )
    return bool(result.rowcount)


def decisions(conn: Connection, request_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            policy_decisions.c.principal, policy_decisions.c.decision, policy_decisions.c.comment, policy_decisions.c.at
        )
        .where(policy_decisions.c.request_id == request_id)
        .order_by(policy_decisions.c.at, policy_decisions.c.principal)
    ).mappings()
    return [dict(r) for r in rows]


def add_decision(
    conn: Connection, request_id: int, principal: str, decision: str, comment: str | None, *, at: str
) -> None:
    conn.execute(
        insert(policy_decisions).values(
            request_id=request_id, principal=principal, decision=decision, comment=comment, at=at
        )
    )
