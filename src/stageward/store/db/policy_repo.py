"""Reads and writes of environments, projects and applied policy versions and requests. Never commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from stageward.policy.changes import Change
from stageward.store.db.promotion_repo import DecisionRecord
from stageward.store.db.schema import environments, projects
from stageward.store.db.schema_policy import policy_decisions, policy_requests, policy_versions

# -- records: the shape of what this repository reads, written once (frozen, slotted: cheap to make) -------


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    name: str
    team: str | None
    registered_at: str
    registered_by: str


@dataclass(frozen=True, slots=True)
class PolicyVersionRecord:
    """One applied version of a project's policy, with its document as stored (canonical YAML)."""

    project: str
    version: int
    document: str
    digest: str
    changes: tuple[Change, ...]
    applied_at: str
    applied_by: str
    request_id: int | None


@dataclass(frozen=True, slots=True)
class PolicyRequestRecord:
    """A request to apply a loosening policy; its decisions are `DecisionRecord`s, as a promotion's are."""

    id: int
    project: str
    base_version: int | None
    document: str
    digest: str
    changes: tuple[Change, ...]
    approval_environments: tuple[str, ...]
    required_approvals: int
    state: str
    reason: str | None
    requested_by: str
    requested_at: str
    updated_at: str
    note: str | None
    result_version: int | None


def _changes(text: str) -> tuple[Change, ...]:
    return tuple(Change(**change) for change in json.loads(text))


def _changes_text(changes: Sequence[Change]) -> str:
    return json.dumps([change.to_dict() for change in changes], sort_keys=True)

# -- environments and projects ----------------------------------------------------------------------


def registered_environments(conn: Connection) -> dict[str, str]:
    """Every environment of the store with its tier."""
    return dict(conn.execute(select(environments.c.name, environments.c.tier).order_by(environments.c.name)).all())


def register_environment(conn: Connection, name: str, tier: str, *, at: str, by: str) -> None:
    conn.execute(insert(environments).values(name=name, tier=tier, registered_at=at, registered_by=by))


_PROJECT_COLUMNS = (projects.c.name, projects.c.team, projects.c.registered_at, projects.c.registered_by)


def get_project(conn: Connection, name: str) -> ProjectRecord | None:
    row = conn.execute(select(*_PROJECT_COLUMNS).where(projects.c.name == name)).first()
    return ProjectRecord(row.name, row.team, row.registered_at, row.registered_by) if row else None


def register_project(conn: Connection, name: str, team: str | None, *, at: str, by: str) -> None:
    conn.execute(insert(projects).values(name=name, team=team, registered_at=at, registered_by=by))


def list_projects(conn: Connection) -> list[ProjectRecord]:
    rows = conn.execute(select(*_PROJECT_COLUMNS).order_by(projects.c.name))
    return [ProjectRecord(row.name, row.team, row.registered_at, row.registered_by) for row in rows]


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


def current(conn: Connection, project: str) -> PolicyVersionRecord | None:
    """The applied policy of PROJECT (its newest version), or None before its first apply."""
    row = conn.execute(_CURRENT, {"project": project}).first()
    return _version(row) if row else None


def current_digest(conn: Connection, project: str) -> tuple[int, str] | None:
    row = conn.execute(_CURRENT_DIGEST, {"project": project}).first()
    return (int(row[0]), str(row[1])) if row else None


def as_of(conn: Connection, project: str, time: str) -> PolicyVersionRecord | None:
    row = (
        conn.execute(
            select(policy_versions)
            .where(policy_versions.c.project == project, policy_versions.c.applied_at <= time)
            .order_by(policy_versions.c.version.desc())
            .limit(1)
        )
    ).first()
    return _version(row) if row else None


def by_version(conn: Connection, project: str, version: int) -> PolicyVersionRecord | None:
    row = conn.execute(
        select(policy_versions).where(policy_versions.c.project == project, policy_versions.c.version == version)
    ).first()
    return _version(row) if row else None


def history(conn: Connection, project: str) -> list[PolicyVersionRecord]:
    rows = conn.execute(
        select(policy_versions).where(policy_versions.c.project == project).order_by(policy_versions.c.version)
    )
    return [_version(r) for r in rows]


def _version(row: Any) -> PolicyVersionRecord:
    return PolicyVersionRecord(
        project=row.project,
        version=row.version,
        document=row.document,
        digest=row.digest,
        changes=_changes(row.changes),
        applied_at=row.applied_at,
        applied_by=row.applied_by,
        request_id=row.request_id,
    )


def insert_version(
    conn: Connection,
    project: str,
    *,
    document: str,
    digest: str,
    changes: Sequence[Change],
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
            changes=_changes_text(changes),
            applied_at=at,
            applied_by=by,
            request_id=request_id,
        )
    )
    return version


# -- change requests ---------------------------------------------------------------------------------


def insert_request(
    conn: Connection,
    *,
    project: str,
    base_version: int | None,
    document: str,
    digest: str,
    changes: Sequence[Change],
    approval_environments: Sequence[str],
    required_approvals: int,
    reason: str | None,
    requested_by: str,
    requested_at: str,
) -> int:
    """A pending request; its `updated_at` starts at REQUESTED_AT."""
    result = conn.execute(
        insert(policy_requests).values(
            project=project,
            base_version=base_version,
            document=document,
            digest=digest,
            changes=_changes_text(changes),
            approval_environments=json.dumps(list(approval_environments)),
            required_approvals=required_approvals,
            state="pending",
            reason=reason,
            requested_by=requested_by,
            requested_at=requested_at,
            updated_at=requested_at,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def get_request(conn: Connection, request_id: int) -> PolicyRequestRecord | None:
    row = conn.execute(select(policy_requests).where(policy_requests.c.id == request_id)).first()
    return _request(row) if row else None


def list_requests(conn: Connection, project: str, state: str | None = None) -> list[PolicyRequestRecord]:
    query = select(policy_requests).where(policy_requests.c.project == project)
    if state is not None:
        query = query.where(policy_requests.c.state == state)
    return [_request(r) for r in conn.execute(query.order_by(policy_requests.c.id.desc()))]


def _request(row: Any) -> PolicyRequestRecord:
    return PolicyRequestRecord(
        id=row.id,
        project=row.project,
        base_version=row.base_version,
        document=row.document,
        digest=row.digest,
        changes=_changes(row.changes),
        approval_environments=tuple(json.loads(row.approval_environments)),
        required_approvals=row.required_approvals,
        state=row.state,
        reason=row.reason,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        updated_at=row.updated_at,
        note=row.note,
        result_version=row.result_version,
    )


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


def decisions(conn: Connection, request_id: int) -> list[DecisionRecord]:
    rows = conn.execute(
        select(
            policy_decisions.c.principal, policy_decisions.c.decision, policy_decisions.c.comment, policy_decisions.c.at
        )
        .where(policy_decisions.c.request_id == request_id)
        .order_by(policy_decisions.c.at, policy_decisions.c.principal)
    )
    return [DecisionRecord(*row) for row in rows]


def add_decision(
    conn: Connection, request_id: int, principal: str, decision: str, comment: str | None, *, at: str
) -> None:
    conn.execute(
        insert(policy_decisions).values(
            request_id=request_id, principal=principal, decision=decision, comment=comment, at=at
        )
    )
