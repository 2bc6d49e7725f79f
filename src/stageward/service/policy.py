"""Policy held by the store (SPEC §12): plan, apply, history, show, and approval of loosening requests.

Enforcement reads only the applied policy. Applying needs access.manage wherever a change
lands; a change that loosens a production-tier environment opens a request that distinct
approvers of that environment, never the requester, must approve, as a promotion is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stageward.access.decide import Target
from stageward.errors import BadInput, Conflict, Denied, NotFound
from stageward.policy.changes import Change, Requirements, diff, requirements
from stageward.policy.document import PolicyDocument, document_of, parse_document
from stageward.registry.names import check_id
from stageward.service.catalogue import verb
from stageward.service.clock import parse_instant
from stageward.service.results.access import EnvironmentControls
from stageward.service.results.policy import (
    PolicyApplied,
    PolicyChange,
    PolicyPlan,
    PolicyRequest,
    PolicyShown,
    PolicyVersion,
)
from stageward.service.unit import Unit
from stageward.store.db import access_repo, policy_repo

if TYPE_CHECKING:
    from stageward.store.db.policy_repo import PolicyRequestRecord, PolicyVersionRecord

REQUEST_STATES = ("pending", "applied", "rejected", "superseded")
MAX_TEXT = 2000


def _project(unit: Unit) -> str:
    return str(unit.ctx.project.spec.project)


def _applied(unit: Unit, project: str) -> tuple[PolicyVersionRecord | None, PolicyDocument | None]:
    row = policy_repo.current(unit.conn, project)
    if row is None:
        return None, None
    return row, parse_document(row.document, where=f"policy v{row.version} of {project}")


def _tier_conflicts(unit: Unit, working: PolicyDocument) -> list[str]:
    """Environments the store knows at another tier: a project cannot move a shared environment's tier."""
    registered = unit.store_environments()
    return [
        f"{name}: the store has it as {registered[name]}, {unit.ctx.project.path.name} says {env.tier}"
        for name, env in working.environments.items()
        if name in registered and registered[name] != env.tier
    ]


def _team_problem(unit: Unit) -> str | None:
    """Why the caller may not register this project for its team (SPEC §12), or None."""
    spec = unit.ctx.project.spec
    if policy_repo.get_project(unit.conn, spec.project) is not None:
        return None
    store_admin = _store_admin(unit)
    for team in access_repo.list_teams(unit.conn):
        carries = spec.project.startswith(team.prefix)
        if not carries and team.name != spec.team:
            continue
        if carries and spec.team != team.name:
            return (
                f"project {spec.project!r} carries team {team.name}'s prefix {team.prefix!r} "
                f"but {unit.ctx.project.path.name} does not declare team: {team.name}"
            )
        if unit.principal not in team.members and not store_admin:
            return f"registering {spec.project!r} for team {team.name} needs membership of that team"
    if spec.team is not None and access_repo.get_team(unit.conn, spec.team) is None and not store_admin:
        return (
            f"team {spec.team!r} is not in this store: a store admin creates it (stageward team create "
            f"{spec.team}) or registers the project"
        )
    return None


def _store_admin(unit: Unit) -> bool:
    return all(unit.can("access.manage", env, None) for env in [*unit.store_environments()] or ["*"])


def _approvals_for(applied: PolicyDocument | None, environments: list[str]) -> int:
    """As many distinct approvers as the strictest loosened environment asks for now, and at least one."""
    counts = [applied.environments[e].required_approvals for e in environments if applied and e in applied.environments]
    return max([1, *counts])


@dataclass(frozen=True)
class _Evaluation:
    """What applying stageward.yaml's policy would change and need, read once for plan and apply."""

    project: str
    working: PolicyDocument
    applied: PolicyDocument | None
    row: PolicyVersionRecord | None  # the applied version, None before the first apply
    registered: bool  # the project is registered in the store
    changes: list[Change]
    manage: list[str]
    approval: list[str]
    new_environments: list[str]
    problems: list[str]
    team_problem: str | None
    missing: list[str]


def _evaluate(unit: Unit) -> _Evaluation:
    project = _project(unit)
    working = document_of(unit.ctx.project.spec)
    row, applied = _applied(unit, project)
    registered = policy_repo.get_project(unit.conn, project) is not None
    changes = diff(applied, working) if (row is None or row.digest != working.digest()) else []
    needs = requirements(changes, applied, working)
    store_envs = unit.store_environments()
    new_environments = [name for name in working.environments if name not in store_envs]
    problems = _tier_conflicts(unit, working)
    team_problem = _team_problem(unit)
    if team_problem:
        problems.append(team_problem)
    # The first project of a new store founds it: there is no one else yet, and nothing it could loosen.
    founding = not store_envs and not policy_repo.list_projects(unit.conn)
    if founding:
        needs = Requirements(needs.manage, [])
    missing = [env for env in needs.manage if not unit.can("access.manage", env)]
    if new_environments and not _store_admin(unit):
        missing.append("store-wide (to add " + ", ".join(new_environments) + " to the store)")
    return _Evaluation(
        project=project,
        working=working,
        applied=applied,
        row=row,
        registered=registered,
        changes=changes,
        manage=needs.manage,
        approval=needs.approval,
        new_environments=new_environments,
        problems=problems,
        team_problem=team_problem,
        missing=missing,
    )


def _plan_view(unit: Unit, found: _Evaluation) -> PolicyPlan:
    changes = found.changes
    in_sync = found.row is not None and not changes and found.registered
    approvals = _approvals_for(found.applied, found.approval) if found.approval else 0
    if in_sync:
        outcome = "in sync: the store enforces what stageward.yaml says"
    elif found.problems:
        outcome = "apply would be refused: " + "; ".join(found.problems)
    elif found.missing:
        outcome = f"apply would be denied: {unit.principal} lacks access.manage in " + ", ".join(found.missing)
    elif found.approval:
        outcome = (
            f"apply would open a request: it loosens {', '.join(found.approval)}, which needs {approvals} "
            "approval(s) from approvers there other than you"
        )
    else:
        outcome = "apply would apply it at once"
    return PolicyPlan(
        project=found.project,
        applied_version=found.row.version if found.row else None,
        applied_digest=found.row.digest if found.row else None,
        working_digest=found.working.digest(),
        in_sync=in_sync,
        changes=[PolicyChange.from_record(c) for c in changes],
        access_manage_needed=found.manage,
        approval_needed=found.approval,
        approvals_required=approvals,
        new_environments=found.new_environments,
        problems=found.problems,
        applies_alone=not in_sync and not found.problems and not found.missing and not found.approval,
        outcome=outcome,
    )


@verb("policy.plan", http=("GET", "/policy/plan"))
def plan(unit: Unit) -> PolicyPlan:
    """How stageward.yaml differs from the policy applied to the store, and what applying it needs."""
    return _plan_view(unit, _evaluate(unit))


def _register(unit: Unit, found: _Evaluation) -> dict[str, Any]:
    """First apply of a project: its new environments, itself bound to its team; what was registered."""
    spec = unit.ctx.project.spec
    for name in found.new_environments:
        tier = found.working.environments[name].tier
        policy_repo.register_environment(unit.conn, name, tier, at=unit.now(), by=unit.principal)
    registered: dict[str, Any] = {}
    if found.new_environments:
        registered["environments"] = found.new_environments
    if not found.registered:
        # A team not yet in the store is bound by name; only a store admin may do that (checked in _team_problem).
        policy_repo.register_project(unit.conn, spec.project, spec.team, at=unit.now(), by=unit.principal)
        registered["project"] = {"name": spec.project, "team": spec.team}
    return registered


def _apply_document(
    unit: Unit,
    project: str,
    document: PolicyDocument,
    changes: Sequence[Change],
    request_id: int | None,
    registered: dict[str, Any] | None = None,
) -> int:
    version = policy_repo.insert_version(
        unit.conn,
        project,
        document=document.canonical(),
        digest=document.digest(),
        changes=changes,
        at=unit.now(),
        by=unit.principal,
        request_id=request_id,
    )
    unit.audit(
        environment=None,
        target=project,
        action="policy.apply",
        details={
            "version": version,
            "digest": document.digest(),
            "changes": [c.summary for c in changes][:50],
            "request": request_id,
            **({"registered": registered} if registered else {}),
        },
    )
    return version


def _check_text(option: str, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
        raise BadInput(f"{option}: expected text of at most {MAX_TEXT} characters")


@verb("policy.apply", write=True, http=("POST", "/policy"))
def apply(unit: Unit, *, reason: str | None = None, auto: bool = False) -> PolicyApplied:
    """Apply stageward.yaml's controls to the store: at once where you may, as a request where production loosens."""
    _check_text("--reason", reason)
    found = _evaluate(unit)
    view = _plan_view(unit, found)
    if view.in_sync:
        unit.unchanged()  # nothing to apply (another process may just have applied it): no entry
        return PolicyApplied(**dict(view), state="unchanged", version=view.applied_version, request=None)
    if found.team_problem:
        # Registering a project into a team one does not belong to is an attempt on that team's secrets.
        raise Denied(f"denied: {found.team_problem}", permission="access.manage")
    if found.problems:
        raise Conflict("policy not applied: " + "; ".join(found.problems))
    if found.new_environments:
        unit.require_everywhere("access.manage", tuple(found.new_environments))
    for env in found.manage:
        unit.require("access.manage", env)
    if auto and found.approval:
        raise Denied("policy not applied on the fly: it loosens production", permission="access.manage")
    changes = found.changes
    registered = _register(unit, found)
    if found.approval:
        approvals = _approvals_for(found.applied, found.approval)
        request_id = policy_repo.insert_request(
            unit.conn,
            project=found.project,
            base_version=found.row.version if found.row else None,
            document=found.working.canonical(),
            digest=found.working.digest(),
            changes=changes,
            approval_environments=found.approval,
            required_approvals=approvals,
            reason=reason,
            requested_by=unit.principal,
            requested_at=unit.now(),
        )
        unit.audit(
            environment=found.approval[0],
            target=found.project,
            action="policy.request",
            details={
                "request": request_id,
                "loosens": [c.summary for c in changes if c.loosens][:50],
                "approvals": approvals,
                **({"registered": registered} if registered else {}),
            },
        )
        return PolicyApplied(**dict(view), state="pending", version=view.applied_version, request=request_id)
    version = _apply_document(unit, found.project, found.working, changes, None, registered)
    unit.ctx.use_policy(found.working, found.working.digest(), team=unit.ctx.project.spec.team)
    return PolicyApplied(**dict(view), state="applied", version=version, request=None)


def _load_request(unit: Unit, request_id: int) -> PolicyRequestRecord:
    check_id("policy request id", request_id)
    row = policy_repo.get_request(unit.conn, request_id)
    if row is None or row.project != _project(unit):
        raise NotFound(f"no policy request {request_id} for project {_project(unit)}")
    return row


def _describe(unit: Unit, row: PolicyRequestRecord) -> PolicyRequest:
    return PolicyRequest.from_record(row, policy_repo.decisions(unit.conn, row.id))


def _project_target(unit: Unit, project: str) -> Target:
    registered = policy_repo.get_project(unit.conn, project)
    return Target(project, registered.team if registered else None)


@verb("policy.approve", write=True, http=("POST", "/policy/requests/{id}/approve"))
def approve(unit: Unit, *, id: int, comment: str | None = None) -> PolicyRequest:
    """Approve a pending policy change; the last required approval applies it."""
    _check_text("--comment", comment)
    row = _load_request(unit, id)
    target = _project_target(unit, row.project)
    for env in row.approval_environments:
        unit.require("promotions.approve", env, target)
    if row.requested_by == unit.principal:
        raise Denied(
            f"denied: {unit.principal} requested policy change {id} and cannot approve it (separation of duties)",
            permission="promotions.approve",
            environment=row.approval_environments[0],
        )
    if row.state != "pending":
        raise Conflict(f"policy request {id} is {row.state}; only a pending request takes approvals")
    decided = policy_repo.decisions(unit.conn, id)
    if any(d.principal == unit.principal for d in decided):
        raise Conflict(f"{unit.principal} has already decided on policy request {id}")
    policy_repo.add_decision(unit.conn, id, unit.principal, "approve", comment, at=unit.now())
    approvals = 1 + sum(d.decision == "approve" for d in decided)
    unit.audit(
        environment=row.approval_environments[0],
        target=row.project,
        details={"request": id, "approvals": approvals, "required": row.required_approvals},
    )
    if approvals < row.required_approvals:
        return _describe(unit, row)
    current = policy_repo.current_digest(unit.conn, row.project)
    if (current[0] if current else None) != row.base_version:
        note = f"superseded: the applied policy moved to version {current[0] if current else None} since the request"
        policy_repo.set_request_state(unit.conn, id, expected="pending", state="superseded", at=unit.now(), note=note)
        unit.fail_after_commit(Conflict(f"policy request {id} {note}; plan and apply again"))
        fresh = policy_repo.get_request(unit.conn, id)
        assert fresh is not None
        return _describe(unit, fresh)
    document = parse_document(row.document, where=f"policy request {id}")
    version = _apply_document(unit, row.project, document, row.changes, id)
    policy_repo.set_request_state(
        unit.conn, id, expected="pending", state="applied", at=unit.now(), result_version=version
    )
    fresh = policy_repo.get_request(unit.conn, id)
    assert fresh is not None
    return _describe(unit, fresh)


@verb("policy.reject", write=True, http=("POST", "/policy/requests/{id}/reject"))
def reject(unit: Unit, *, id: int, comment: str | None = None) -> PolicyRequest:
    """Reject a pending policy change (an approver of it), or withdraw your own."""
    _check_text("--comment", comment)
    row = _load_request(unit, id)
    if row.requested_by != unit.principal:
        target = _project_target(unit, row.project)
        for env in row.approval_environments:
            unit.require("promotions.approve", env, target)
    if row.state != "pending":
        raise Conflict(f"policy request {id} is {row.state}; it can no longer be rejected")
    if not any(d.principal == unit.principal for d in policy_repo.decisions(unit.conn, id)):
        policy_repo.add_decision(unit.conn, id, unit.principal, "reject", comment, at=unit.now())
    note = f"rejected by {unit.principal}" + (f": {comment}" if comment else "")
    policy_repo.set_request_state(unit.conn, id, expected="pending", state="rejected", at=unit.now(), note=note)
    unit.audit(environment=row.approval_environments[0], target=row.project, details={"request": id})
    fresh = policy_repo.get_request(unit.conn, id)
    assert fresh is not None
    return _describe(unit, fresh)


@verb("policy.requests", http=("GET", "/policy/requests"))
def requests(unit: Unit, *, state: str | None = None) -> list[PolicyRequest]:
    """Policy change requests of this project, newest first."""
    if state is not None and state not in REQUEST_STATES:
        raise BadInput(f"--state {state!r}: expected one of {', '.join(REQUEST_STATES)}")
    unit.require_somewhere("env.read")
    return [_describe(unit, row) for row in policy_repo.list_requests(unit.conn, _project(unit), state)]


@verb("policy.history", http=("GET", "/policy/versions"))
def history(unit: Unit) -> list[PolicyVersion]:
    """Every applied version of this project's policy: who applied it, when, through which request, what changed."""
    unit.require_somewhere("env.read")
    return [
        PolicyVersion.from_record(version) for version in policy_repo.history(unit.conn, _project(unit))
    ]


@verb("policy.show", http=("GET", "/policy"))
def show(unit: Unit, *, as_of: str | None = None, version: int | None = None) -> PolicyShown:
    """The policy the store enforces for this project (now, at version N, or as of a time)."""
    unit.require_somewhere("env.read")
    project = _project(unit)
    if version is not None:
        check_id("--version", version)
        row = policy_repo.by_version(unit.conn, project, version)
        if row is None:
            raise NotFound(f"project {project} has no policy version {version}")
    elif as_of is not None:
        instant = parse_instant(as_of, option="--as-of")
        row = policy_repo.as_of(unit.conn, project, instant)
        if row is None:
            raise NotFound(f"project {project} had no policy applied as of {as_of}")
    else:
        row = policy_repo.current(unit.conn, project)
        if row is None:
            raise NotFound(f"project {project} has no policy applied to this store yet", hint="stageward policy apply")
    document = parse_document(row.document, where=f"policy v{row.version} of {project}")
    return PolicyShown(
        project=project,
        version=row.version,
        digest=row.digest,
        applied_at=row.applied_at,
        applied_by=row.applied_by,
        request=row.request_id,
        environments={name: EnvironmentControls.from_declared(e) for name, e in document.environments.items()},
        generators={name: list(g.command) for name, g in document.generators.items()},
    )

