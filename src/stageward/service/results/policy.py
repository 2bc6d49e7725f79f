"""Results of the `policy.*` verbs."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from stageward.service.results.base import Result
from stageward.service.results.promotion import Decision


class PolicyChange(Result):
    """One control that differs between two policy documents."""

    environment: str | None = Field(description="none for a project-wide control (generators)")
    control: str
    summary: str = Field(description="one line: what changes")
    loosens: bool = Field(description="the change makes the environment less guarded")


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


class PolicyShown(Result):
    project: str
    version: int
    digest: str
    applied_at: str
    applied_by: str
    request: int | None
    environments: dict[str, dict[str, Any]] = Field(description="environment -> its controls as enforced")
    generators: dict[str, list[str]] = Field(description="generator name -> its command")
