"""Results of the `policy.*` verbs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

from pydantic import Field

from stageward.service.results.access import EnvironmentControls
from stageward.service.results.base import Result
from stageward.service.results.promotion import Decision

if TYPE_CHECKING:
    from stageward.policy.changes import Change
    from stageward.store.db.policy_repo import PolicyRequestRecord, PolicyVersionRecord
    from stageward.store.db.promotion_repo import DecisionRecord


class PolicyChange(Result):
    """One control that differs between two policy documents."""

    environment: str | None = Field(description="none for a project-wide control (generators)")
    control: str
    summary: str = Field(description="one line: what changes")
    loosens: bool = Field(description="the change makes the environment less guarded")

    @classmethod
    def from_record(cls, change: Change) -> Self:
        return cls(
            environment=change.environment, control=change.control, summary=change.summary, loosens=change.loosens
        )


class PolicyPlan(Result):
    """How stageward.yaml differs from the applied policy, and what applying it needs."""

    project: str
    applied_version: int | None
    applied_digest: str | None
    working_digest: str = Field(description="digest of stageward.yaml's policy document")
    in_sync: bool
    changes: list[PolicyChange]
    access_manage_needed: list[str] = Field(description="environments where applying needs access.manage")
    approval_needed: list[str] = Field(description="environments a loosening change needs approvals in")
    approvals_required: int
    new_environments: list[str]
    problems: list[str]
    applies_alone: bool = Field(description="a policy sync may apply it without asking anyone")
    outcome: str = Field(description="one line: what apply would do")


class PolicyApplied(PolicyPlan):
    state: str = Field(description="unchanged, applied or pending (a request was opened)")
    version: int | None = Field(description="the policy version the store enforces now")
    request: int | None = Field(description="the request opened, when one was")


class PolicyRequest(Result):
    """A request to apply a loosening policy change."""

    columns: ClassVar[tuple[str, ...]] = (
        "id",
        "state",
        "approval_environments",
        "required_approvals",
        "approvals",
        "requested_by",
        "requested_at",
    )

    id: int
    project: str
    base_version: int | None = Field(description="the applied version the request changes")
    digest: str
    changes: list[PolicyChange]
    approval_environments: list[str]
    required_approvals: int
    state: str = Field(description="pending, applied or rejected")
    reason: str | None
    requested_by: str
    requested_at: str
    updated_at: str
    note: str | None
    result_version: int | None
    approvals: list[str]
    decisions: list[Decision]

    @classmethod
    def from_record(cls, record: PolicyRequestRecord, decisions: list[DecisionRecord]) -> Self:
        return cls(
            id=record.id,
            project=record.project,
            base_version=record.base_version,
            digest=record.digest,
            changes=[PolicyChange.from_record(change) for change in record.changes],
            approval_environments=list(record.approval_environments),
            required_approvals=record.required_approvals,
            state=record.state,
            reason=record.reason,
            requested_by=record.requested_by,
            requested_at=record.requested_at,
            updated_at=record.updated_at,
            note=record.note,
            result_version=record.result_version,
            approvals=[d.principal for d in decisions if d.decision == "approve"],
            decisions=[Decision.from_record(d) for d in decisions],
        )


class PolicyVersion(Result):
    """One applied version of a project's policy."""

    columns: ClassVar[tuple[str, ...]] = ("version", "digest", "applied_by", "applied_at", "request_id", "changes")

    project: str
    version: int
    digest: str
    changes: list[PolicyChange]
    applied_at: str
    applied_by: str
    request_id: int | None = Field(description="the request it was applied through")

    @classmethod
    def from_record(cls, record: PolicyVersionRecord) -> Self:
        return cls(
            project=record.project,
            version=record.version,
            digest=record.digest,
            changes=[PolicyChange.from_record(change) for change in record.changes],
            applied_at=record.applied_at,
            applied_by=record.applied_by,
            request_id=record.request_id,
        )


class PolicyShown(Result):
    project: str
    version: int
    digest: str
    applied_at: str
    applied_by: str
    request: int | None
    environments: dict[str, EnvironmentControls] = Field(description="environment -> its controls as enforced")
    generators: dict[str, list[str]] = Field(description="generator name -> its command")
