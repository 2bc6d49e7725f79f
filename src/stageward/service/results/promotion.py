"""Results of the `promotion.*` verbs."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field

from stageward.service.results.base import Result


class GateCheck(Result):
    """One metric gate checked against a version."""

    metric: str
    kind: str = Field(description="the gate's comparison: min, max, or no worse than the current holder")
    bound: float | None = Field(description="the gate's bound, when it has one")
    value: float | None = Field(description="the version's value of the metric (none when missing)")
    baseline: float | None = Field(description="the current holder's value, for a relative gate")
    passed: bool
    reason: str = Field(description="one line saying why it passed or failed")


class Decision(Result):
    principal: str
    decision: str = Field(description="approve or reject")
    comment: str | None
    at: str


class Promotion(Result):
    """A promotion request with its gates, decisions and result."""

    columns: ClassVar[tuple[str, ...]] = (
        "id",
        "source",
        "target_env",
        "alias",
        "state",
        "approvals",
        "required_approvals",
        "requested_by",
        "requested_at",
        "result",
    )

    id: int
    project: str
    name: str
    kind: str = Field(description="model or dataset")
    source_env: str
    source_version: int
    target_env: str
    alias: str = Field(description="the alias the promoted version takes in the target")
    mode: str = Field(description="reference (same blob store) or copy")
    reason: str | None = Field(description="the requester's --reason")
    requested_by: str
    requested_at: str
    state: str = Field(description="pending, approved, executed or rejected")
    required_approvals: int
    gates: list[GateCheck]
    result_version: int | None = Field(description="the version the promotion created in the target")
    updated_at: str
    note: str | None = Field(description="why it was rejected, when it was")
    source: str = Field(description="SOURCE_ENV/NAME:VERSION")
    approvals: list[str] = Field(description="who approved")
    decisions: list[Decision]
    result: str | None = Field(description="TARGET_ENV/NAME:VERSION created, once executed")


class PromotionPreview(Result):
    """What promote would do, without doing it."""

    # `copy` is the key users read; as a field name it would shadow BaseModel.copy.
    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True, validate_by_name=True)

    source: str
    target_env: str
    mode: str = Field(description="reference or copy")
    mode_reason: str = Field(description="why that mode")
    executable: bool = Field(description="false when the mode is blocked or the alias clashes")
    unavailable: str | None = Field(description="why it cannot execute, when it cannot")
    gates: list[GateCheck]
    gates_pass: bool
    permitted: bool = Field(description="the caller holds promotions.request in the target")
    approvals_required: int
    alias: str
    alias_from: str | None = Field(description="the ref the alias points at now")
    alias_from_version: int | None
    alias_to: str = Field(description="the ref the alias would point at")
    copy_: str | None = Field(alias="copy", description="what a copy would move (mode copy only)")
    same_store: bool
    outcome: str = Field(description="one line: what promote would do")


class Transferred(Result):
    """The blobs a transfer copied to the target store."""

    id: int
    state: str
    copied_files: int
    copied_bytes: int
